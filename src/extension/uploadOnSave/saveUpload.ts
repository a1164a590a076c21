import * as vscode from 'vscode';
import { CosError } from '../../core';
import { defaultObjectKey, objectKeyProblem, workspaceRelativePath } from '../files/keyNaming';
import { describeFailure } from '../ui/errorUi';
import type { UploadJob } from '../uploads/uploadManager';
import type { UploadUiDeps } from '../uploads/uploadUi';
import type { SaveAttempt } from './saveScheduler';

/** One saved file matched by an uploadOnSave entry, with its profile already found. */
export interface SavedFile {
  filePath: string;
  /** Relative to the entry's folder: the key is prefix + this. */
  relativePath: string;
  prefix: string;
  profileId: string;
  profileName: string;
  bucket: string;
}

/**
 * Uploads one saved file through the upload manager, quietly: the job is marked `onSave`, so the
 * main status bar leaves it out, and no notification follows (the upload-on-save item says how it
 * went). Lives in the command bundle because the key rules and error texts need the core.
 */
export async function uploadSavedFile(deps: Pick<UploadUiDeps, 'manager'>, saved: SavedFile): Promise<SaveAttempt> {
  const key = defaultObjectKey(saved.prefix, saved.relativePath);
  const displayPath = workspaceRelativePath(vscode.Uri.file(saved.filePath));
  const keyProblem = objectKeyProblem(key);
  if (keyProblem) return { status: 'failed', reason: `${displayPath}: ${keyProblem}` };
  const job: UploadJob = {
    filePath: saved.filePath,
    displayPath,
    key,
    profileId: saved.profileId,
    profileName: saved.profileName,
    bucket: saved.bucket,
    origin: 'onSave',
    // The newest content is what a save asks for: an interrupted upload of older bytes starts over.
    restartIfChanged: true,
  };
  const handle = deps.manager.enqueue(job);
  const outcome = await handle.done;
  if (outcome.status === 'completed') return { status: 'uploaded' };
  // A failed entry would sit in Show Uploads beside the next save's upload; the checkpoint stays on disk.
  deps.manager.forget(outcome.id);
  if (outcome.status === 'cancelled') return { status: 'failed', reason: vscode.l10n.t('The upload was cancelled: {0}', displayPath) };
  if (outcome.status === 'paused' && !outcome.error) return { status: 'failed', reason: vscode.l10n.t('The upload was paused: {0}', displayPath) };
  const reason = describeFailure(outcome.error, { file: displayPath, profileName: saved.profileName, bucket: saved.bucket }).message;
  if (CosError.is(outcome.error) && outcome.error.code === 'LOCKED') return { status: 'locked', reason };
  return { status: 'failed', reason };
}
