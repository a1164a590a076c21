/**
 * A bucket's unfinished multipart uploads, sized with List Parts and joined to the checkpoints on
 * this machine. Their parts are stored, and billed, until the upload is completed or aborted. The
 * CLI's `incomplete` command and the extension's Manage Incomplete Uploads both list through here.
 */

import { promises as fs } from 'node:fs';
import { checkpointId } from './checkpoint';
import { CosError, describeError, throwIfAborted } from './errors';
import { mapLimit } from './mapLimit';
import type { BucketTarget, Checkpoint, CheckpointStore } from './types';
import type { ListedPart, ListedUpload } from './xml';

/** List Parts calls in flight while sizing the uploads: quick, and polite to the service. */
export const LIST_PARTS_CONCURRENCY = 4;
const DAY_MS = 24 * 60 * 60 * 1000;

/** One unfinished multipart upload in a bucket. */
export interface IncompleteUpload {
  key: string;
  uploadId: string;
  /** ISO 8601 as COS sent it; undefined when it sent none. */
  initiated?: string;
  /** Sum of the sizes List Parts reports; undefined when List Parts failed (see `partsError`). */
  bytes?: number;
  parts?: number;
  partsError?: string;
  /** The id of the checkpoint on this machine that knows this upload (see {@link checkpointKnowsUpload}). */
  checkpointId?: string;
  /** That checkpoint's file, set only while the file exists: the upload can be resumed from here. */
  localFile?: string;
}

export interface CheckpointEntry {
  id: string;
  checkpoint: Checkpoint;
}

/** What listing needs of the client; CosClient provides it. */
export interface UploadLister {
  listMultipartUploads(opts: { prefix?: string }, signal?: AbortSignal): Promise<ListedUpload[]>;
  listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<ListedPart[]>;
}

/**
 * The one rule for "this checkpoint knows that upload": it records the same bucket, region, key
 * and upload id. The route (custom endpoint, acceleration) is not compared: it reaches the same
 * bucket, and upload ids are unique within a bucket.
 */
export function checkpointKnowsUpload(checkpoint: Checkpoint, target: BucketTarget, upload: Pick<ListedUpload, 'key' | 'uploadId'>): boolean {
  return (
    checkpoint.uploadId === upload.uploadId && checkpoint.key === upload.key && checkpoint.bucket === target.bucket && checkpoint.region === target.region
  );
}

/** The checkpoints in `store` that know `upload`; an unreadable store knows none. */
export async function checkpointsOfUpload(store: CheckpointStore, target: BucketTarget, upload: Pick<ListedUpload, 'key' | 'uploadId'>): Promise<CheckpointEntry[]> {
  const entries = await store.list().catch(() => []);
  return entries.filter((entry) => checkpointKnowsUpload(entry.checkpoint, target, upload));
}

async function isFile(filePath: string): Promise<boolean> {
  return fs.stat(filePath).then(
    (st) => st.isFile(),
    () => false,
  );
}

/** Fills `checkpointId` and `localFile` of `upload` from the checkpoints that know it. */
export async function joinCheckpoint<T extends Pick<IncompleteUpload, 'key' | 'uploadId'>>(
  upload: T,
  entries: readonly CheckpointEntry[],
  target: BucketTarget,
): Promise<T & Pick<IncompleteUpload, 'checkpointId' | 'localFile'>> {
  const entry = entries.find((e) => checkpointKnowsUpload(e.checkpoint, target, upload));
  if (!entry) return upload;
  const filePath = entry.checkpoint.filePath;
  return { ...upload, checkpointId: entry.id, ...((await isFile(filePath)) ? { localFile: filePath } : {}) };
}

/**
 * Every unfinished upload under `prefix` (all pages of List Multipart Uploads), with the bytes its
 * parts hold and the checkpoint that knows it. An upload that answers NoSuchUpload to List Parts
 * was completed or aborted meanwhile and is left out; any other List Parts failure keeps the upload
 * with `partsError`, so one upload that cannot be sized does not hide the rest.
 */
export async function listIncompleteUploads(
  client: UploadLister,
  store: CheckpointStore,
  target: BucketTarget,
  options: { prefix?: string } = {},
  signal?: AbortSignal,
): Promise<IncompleteUpload[]> {
  const listed = await client.listMultipartUploads(options.prefix !== undefined ? { prefix: options.prefix } : {}, signal);
  // An unreadable state folder only means no local match; the listing itself still helps.
  const entries = await store.list().catch(() => []);
  const described = await mapLimit(listed, LIST_PARTS_CONCURRENCY, async (upload): Promise<IncompleteUpload | undefined> => {
    throwIfAborted(signal);
    const item: IncompleteUpload = { key: upload.key, uploadId: upload.uploadId, ...(upload.initiated !== undefined ? { initiated: upload.initiated } : {}) };
    try {
      const parts = await client.listParts(upload.key, upload.uploadId, signal);
      item.parts = parts.length;
      item.bytes = parts.reduce((sum, p) => sum + p.size, 0);
    } catch (error) {
      if (CosError.is(error) && error.code === 'ABORTED') throw error;
      if (CosError.is(error) && error.code === 'NO_SUCH_UPLOAD') return undefined;
      item.partsError = CosError.is(error) ? error.code : describeError(error);
    }
    return joinCheckpoint(item, entries, target);
  });
  return described.filter((u): u is IncompleteUpload => u !== undefined);
}

/**
 * The core finds a checkpoint by an id that includes the route (endpoint, acceleration). A
 * checkpoint written to the same bucket through another route is re-filed under `target`'s id, so
 * resuming through `target` continues its upload instead of starting a new one. Refuses, keeping
 * both, when another upload's checkpoint already holds that id.
 */
export async function fileUnderTarget(store: CheckpointStore, target: BucketTarget, entry: CheckpointEntry): Promise<Checkpoint> {
  const id = checkpointId(target, entry.checkpoint.key, entry.checkpoint.filePath);
  if (id === entry.id) return entry.checkpoint;
  const occupant = await store.load(id);
  if (occupant && occupant.uploadId !== entry.checkpoint.uploadId) {
    throw new CosError(
      'CHECKPOINT',
      `Another unfinished upload of this file to ${entry.checkpoint.key} goes through this endpoint; resume or abort that one first: ${occupant.uploadId}`,
    );
  }
  const { endpoint: _endpoint, accelerate: _accelerate, ...rest } = entry.checkpoint;
  const refiled: Checkpoint = { ...rest, ...(target.endpoint !== undefined ? { endpoint: target.endpoint } : {}), ...(target.accelerate ? { accelerate: true } : {}) };
  await store.save(id, refiled);
  await store.remove(entry.id);
  return refiled;
}

/** Milliseconds since the upload was initiated, or undefined when COS gave no usable time. */
export function uploadAgeMs(upload: Pick<IncompleteUpload, 'initiated'>, now: number): number | undefined {
  if (!upload.initiated) return undefined;
  const t = Date.parse(upload.initiated);
  return Number.isNaN(t) ? undefined : now - t;
}

/**
 * The uploads initiated at least `days` days ago. 0 takes every upload, even one whose initiated
 * time is missing or a little in the future (the server's clock is not ours).
 */
export function selectOlderThan<T extends Pick<IncompleteUpload, 'initiated'>>(uploads: readonly T[], days: number, now: number): T[] {
  if (days <= 0) return [...uploads];
  return uploads.filter((upload) => {
    const age = uploadAgeMs(upload, now);
    return age !== undefined && age >= days * DAY_MS;
  });
}
