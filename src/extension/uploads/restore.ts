import * as vscode from 'vscode';
import type { Checkpoint, CheckpointStore } from '../../core';
import { checkpointId, describeError } from '../../core';
import { workspaceRelativePath } from '../files/keyNaming';
import type { UploadLog } from '../ui/log';
import type { BucketProfile, ProfileStore } from '../profiles/profileStore';
import { targetOf } from '../profiles/profileStore';
import type { UploadManager, UploadSnapshot } from './uploadManager';

/** Puts one checkpointed upload in the manager as paused (or returns the running one), with its progress so far. */
export function restoreCheckpoint(manager: UploadManager, profile: BucketProfile, checkpoint: Checkpoint): UploadSnapshot {
  return manager.restore(
    {
      filePath: checkpoint.filePath,
      displayPath: workspaceRelativePath(vscode.Uri.file(checkpoint.filePath)),
      key: checkpoint.key,
      profileId: profile.id,
      profileName: profile.name,
      bucket: profile.bucket,
    },
    {
      uploadId: checkpoint.uploadId,
      bytesSent: checkpoint.parts.reduce((sum, p) => sum + p.size, 0),
      bytesTotal: checkpoint.fileSize,
      partsDone: checkpoint.parts.length,
      partCount: checkpoint.partCount,
    },
  );
}

/**
 * Lists the uploads an earlier session left unfinished (their checkpoints) as paused, so Show
 * Uploads can resume or discard them, and returns them. A checkpoint belongs to the profile whose
 * bucket target gives the same checkpoint id; checkpoints of removed profiles are left alone.
 */
export async function restorePausedUploads(manager: UploadManager, profiles: ProfileStore, checkpoints: CheckpointStore, log: UploadLog): Promise<UploadSnapshot[]> {
  let listed: Awaited<ReturnType<CheckpointStore['list']>>;
  try {
    listed = await checkpoints.list();
  } catch (error) {
    log.warn(`could not list checkpoints: ${describeError(error)}`);
    return [];
  }
  const restored: UploadSnapshot[] = [];
  for (const { id, checkpoint } of listed) {
    const profile = profiles.list().find((p) => checkpointId(targetOf(p), checkpoint.key, checkpoint.filePath) === id);
    if (!profile) {
      log.debug(`checkpoint ${id} (bucket=${checkpoint.bucket} key=${checkpoint.key}) matches no bucket profile; not listed`);
      continue;
    }
    const snapshot = restoreCheckpoint(manager, profile, checkpoint);
    // Already running or queued in this window (a second restore): nothing to offer.
    if (snapshot.state === 'paused' || snapshot.state === 'failed') restored.push(snapshot);
  }
  if (restored.length > 0) log.info(`restored ${restored.length} unfinished upload(s) from checkpoints; resume or discard them with COS: Show Uploads`);
  return restored;
}
