import * as path from 'node:path';
import type { Dispatcher } from 'undici';
import { CheckpointWriter, checkpointId } from './checkpoint';
import { completeUpload, isInvalidPart, sessionForRepair } from './completion';
import { validateObjectKey } from './endpoint';
import { CosError, describeError, throwIfAborted } from './errors';
import { resolveUploadOptions } from './options';
import { sendMissingParts } from './partScheduler';
import { putWhole } from './singlePut';
import { SourceFile } from './sourceFile';
import type { TransportOptions } from './transport';
import type { BucketTarget, CheckpointStore, CredentialSource, Logger, OnCancel, UploadEvent, UploadOptions, UploadResult } from './types';
import { UploadContext } from './uploadContext';
import { withUploadLock } from './uploadLock';
import { abortOnServer, resumeOrInitiate, type Session } from './uploadSession';

export interface UploadRequest {
  filePath: string;
  /** Object key, without a leading '/'. */
  key: string;
  target: BucketTarget;
  credentials: CredentialSource;
  options?: Partial<UploadOptions>;
  /** When given, progress is saved after each part and a matching checkpoint is resumed. */
  checkpoints?: CheckpointStore;
  /** On cancel: keep the upload on the server for resuming (default) or abort it. */
  onCancel?: OnCancel;
  /** When a checkpoint's file has changed: fail (default, nothing is touched) or abort it and start over. */
  onFileChanged?: 'fail' | 'restart';
  signal?: AbortSignal;
  onEvent?: (event: UploadEvent) => void;
  logger?: Logger;
  /** A custom undici dispatcher; by default a keep-alive pool sized to the concurrency. */
  dispatcher?: Dispatcher;
  /** Proxy, TLS verification and plain-HTTP policy. */
  transport?: TransportOptions;
  /** Server time minus local time measured earlier (CosClientOptions.clockOffsetMs). */
  clockOffsetMs?: number;
  /** Folder of the per-upload lock files (checkpointed uploads only); default defaultLockDir(). */
  lockDir?: string;
}

/**
 * Upload one file to COS: Put Object below the multipart threshold (singlePut.ts), otherwise a
 * resumable multipart upload: session (uploadSession.ts) → parts in flight (partScheduler.ts) →
 * Complete (completion.ts).
 */
export async function uploadFile(request: UploadRequest): Promise<UploadResult> {
  const options = resolveUploadOptions(request.options);
  validateObjectKey(request.key);
  throwIfAborted(request.signal);
  const filePath = path.resolve(request.filePath);
  const file = await SourceFile.open(filePath);
  try {
    if (file.size < options.multipartThreshold) return await uploadOpened(request, options, file, putWhole);
    // One uploader at a time per file and key (uploadLock.ts), taken before any request. Only a
    // multipart upload has what two uploaders would share (its checkpoint and upload ID); two single
    // PUTs of one file are two whole writes of it, as a sync's small files are.
    return await withUploadLock({ ...request, filePath }, () => uploadOpened(request, options, file, multipart));
  } finally {
    await file.close();
  }
}

async function uploadOpened(request: UploadRequest, options: UploadOptions, file: SourceFile, send: (ctx: UploadContext) => Promise<UploadResult>): Promise<UploadResult> {
  const ctx = new UploadContext(request, options, file);
  try {
    ctx.startHashing();
    return await send(ctx);
  } finally {
    await ctx.dispose();
  }
}

async function multipart(ctx: UploadContext): Promise<UploadResult> {
  const { key, target, checkpoints } = ctx.request;
  const id = checkpoints ? checkpointId(target, key, ctx.file.path) : undefined;
  const writer = checkpoints && id ? new CheckpointWriter(checkpoints, id) : undefined;
  const session = await resumeOrInitiate(ctx, id);
  try {
    const result = await sendAndComplete(ctx, session, writer);
    if (checkpoints && id) await checkpoints.remove(id);
    return result;
  } catch (error) {
    await writer?.flush().catch((e: unknown) => ctx.logger.warn(`Checkpoint not saved: ${describeError(e)}`));
    if (CosError.is(error) && error.code === 'ABORTED' && ctx.request.onCancel === 'abort') {
      await abortOnServer(ctx, session.checkpoint.uploadId);
      if (checkpoints && id) await checkpoints.remove(id);
    }
    throw error;
  }
}

/** Sends the missing parts and completes; an InvalidPart refusal is repaired once by resending the parts COS lost. */
async function sendAndComplete(ctx: UploadContext, session: Session, writer: CheckpointWriter | undefined): Promise<UploadResult> {
  const parts = await sendMissingParts(ctx, session, writer);
  try {
    return await completeUpload(ctx, session, parts);
  } catch (error) {
    if (!isInvalidPart(error)) throw error;
    const repair = await sessionForRepair(ctx, session, parts, error);
    return completeUpload(ctx, repair, await sendMissingParts(ctx, repair, writer));
  }
}
