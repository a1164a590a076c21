import { promises as fs } from 'node:fs';
import type { BucketTarget, Checkpoint, CheckpointStore, CosClient } from '../../core';
import { checkpointId, CosError, describeError, mapLimit, throwIfAborted } from '../../core';

/** List Parts calls in flight while sizing the uploads: quick, and polite to the service. */
export const LIST_PARTS_CONCURRENCY = 4;
const DAY_MS = 24 * 60 * 60 * 1000;

/** One unfinished multipart upload in a bucket; what the Manage Incomplete Uploads command returns for `list`. */
export interface IncompleteUpload {
  key: string;
  uploadId: string;
  /** ISO 8601 as COS sent it. */
  initiated?: string;
  /** Sum of the sizes List Parts reports; undefined when List Parts failed (see `partsError`). */
  bytes?: number;
  parts?: number;
  partsError?: string;
  /** The local file, when a checkpoint on this machine knows this upload and the file still exists. */
  localFile?: string;
  /** That checkpoint's id (present even when its file is gone). */
  checkpointId?: string;
}


/** Checkpoints on this machine that belong to `target`, by uploadId. */
export async function localCheckpoints(store: CheckpointStore, target: BucketTarget): Promise<Map<string, { id: string; checkpoint: Checkpoint }>> {
  const byUploadId = new Map<string, { id: string; checkpoint: Checkpoint }>();
  for (const entry of await store.list()) {
    // Only a checkpoint the core would find again for this target can be resumed through it.
    if (checkpointId(target, entry.checkpoint.key, entry.checkpoint.filePath) === entry.id) byUploadId.set(entry.checkpoint.uploadId, entry);
  }
  return byUploadId;
}

async function isFile(filePath: string): Promise<boolean> {
  try {
    return (await fs.stat(filePath)).isFile();
  } catch {
    return false;
  }
}

/**
 * Every unfinished upload in the bucket (all pages of List Multipart Uploads), with the bytes its
 * parts hold (List Parts, a few at a time) and the local file that can resume it. Uploads that
 * vanish between the two listings are left out.
 */
export async function listIncompleteUploads(
  client: CosClient,
  store: CheckpointStore,
  target: BucketTarget,
  options: { prefix?: string } = {},
  signal?: AbortSignal,
): Promise<IncompleteUpload[]> {
  const listed = await client.listMultipartUploads(options.prefix ? { prefix: options.prefix } : {}, signal);
  const local = await localCheckpoints(store, target).catch(() => new Map<string, { id: string; checkpoint: Checkpoint }>());
  const described = await mapLimit(listed, LIST_PARTS_CONCURRENCY, async (upload): Promise<IncompleteUpload | undefined> => {
    throwIfAborted(signal);
    const item: IncompleteUpload = { key: upload.key, uploadId: upload.uploadId, ...(upload.initiated ? { initiated: upload.initiated } : {}) };
    try {
      const parts = await client.listParts(upload.key, upload.uploadId, signal);
      item.parts = parts.length;
      item.bytes = parts.reduce((sum, p) => sum + p.size, 0);
    } catch (error) {
      if (CosError.is(error) && error.code === 'NO_SUCH_UPLOAD') return undefined;
      if (CosError.is(error) && error.code === 'ABORTED') throw error;
      item.partsError = describeError(error);
    }
    const checkpoint = local.get(upload.uploadId);
    if (checkpoint && checkpoint.checkpoint.key === upload.key) {
      item.checkpointId = checkpoint.id;
      if (await isFile(checkpoint.checkpoint.filePath)) item.localFile = checkpoint.checkpoint.filePath;
    }
    return item;
  });
  return described.filter((u): u is IncompleteUpload => u !== undefined);
}

/** Milliseconds since the upload was initiated, or undefined when COS gave no time. */
export function ageMs(upload: Pick<IncompleteUpload, 'initiated'>, now: number): number | undefined {
  if (!upload.initiated) return undefined;
  const t = Date.parse(upload.initiated);
  return Number.isNaN(t) ? undefined : now - t;
}

/** The uploads initiated at least `days` days ago; 0 takes every one, even one without a time. */
export function olderThan(uploads: readonly IncompleteUpload[], days: number, now: number): IncompleteUpload[] {
  if (days <= 0) return [...uploads];
  return uploads.filter((u) => {
    const age = ageMs(u, now);
    return age !== undefined && age >= days * DAY_MS;
  });
}
