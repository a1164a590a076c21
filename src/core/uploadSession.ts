import { FAR_ROUND_TRIP_MS } from './adaptiveConcurrency';
import { objectOptionsOf, withCheckpointObject } from './checkpointOptions';
import { crc64ToDecimal } from './crc64';
import { CosError, describeError } from './errors';
import { etagIsBodyMd5, etagMatchesMd5 } from './integrity';
import { describeSize, partRange, planParts } from './partPlan';
import type { Checkpoint, CompletedPart, PartPlan } from './types';
import type { UploadContext } from './uploadContext';
import { objectHeaders } from './uploadHeaders';

/** A multipart upload on COS and the parts of it already confirmed. */
export interface Session {
  plan: PartPlan;
  checkpoint: Checkpoint;
  resumedParts: number;
  /**
   * A new upload's first checkpoint save, still under way while the first parts are read: no part
   * is sent before it is done, so a crash during the first part still leaves the uploadId recorded.
   */
  saving?: Promise<void>;
}

type ListedParts = ReadonlyArray<{ partNumber: number; size: number; etag: string }>;

/** Loads and reconciles a checkpoint with List Parts, or initiates a new upload. */
export async function resumeOrInitiate(ctx: UploadContext, id: string | undefined): Promise<Session> {
  const store = ctx.request.checkpoints;
  const existing = store && id ? await store.load(id) : undefined;
  if (existing) {
    ctx.options = withCheckpointObject(ctx.options, ctx.request.options ?? {}, existing);
    const changed = existing.fileSize !== ctx.file.size || existing.fileMtimeMs !== ctx.file.mtimeMs;
    if (changed) {
      if (ctx.request.onFileChanged !== 'restart') {
        throw new CosError(
          'FILE_CHANGED',
          `The file changed since upload ${existing.uploadId} was interrupted (size ${existing.fileSize} → ${ctx.file.size} bytes, or its modification time), so it cannot be resumed; start it over (the old upload will be aborted): ${ctx.file.path}`,
        );
      }
      await abortOnServer(ctx, existing.uploadId);
      ctx.emit({ type: 'restarted', reason: 'file changed', cause: 'FILE_CHANGED', previousUploadId: existing.uploadId });
    } else {
      const resumed = await reconcile(ctx, existing);
      if (resumed) return resumed;
    }
  }
  return initiate(ctx, id);
}

export async function abortOnServer(ctx: UploadContext, uploadId: string): Promise<void> {
  try {
    await ctx.client.abortMultipartUpload(ctx.request.key, uploadId, AbortSignal.timeout(10_000));
    ctx.logger.info(`Aborted upload ${uploadId} on the server.`);
  } catch (error) {
    ctx.logger.warn(`Could not abort upload ${uploadId} on the server; it stays listed as incomplete: ${describeError(error)}`);
  }
}

async function reconcile(ctx: UploadContext, checkpoint: Checkpoint): Promise<Session | undefined> {
  let listed;
  try {
    const t0 = Date.now();
    listed = await ctx.client.listParts(ctx.request.key, checkpoint.uploadId, ctx.request.signal);
    ctx.roundTripMs = Date.now() - t0;
  } catch (error) {
    if (CosError.is(error) && error.code === 'NO_SUCH_UPLOAD') {
      ctx.logger.warn(`COS no longer knows upload ${checkpoint.uploadId}; starting the upload over.`);
      ctx.emit({
        type: 'restarted',
        reason: 'the server no longer knows the upload (NoSuchUpload)',
        cause: 'NO_SUCH_UPLOAD',
        previousUploadId: checkpoint.uploadId,
      });
      return undefined;
    }
    throw error;
  }
  const plan = planParts(ctx.file.size, checkpoint.partSize);
  const confirmed = partsCosHolds(checkpoint.parts, listed, plan);
  const known = new Set(confirmed.map((p) => p.partNumber));
  const adopted = await adoptUnrecorded(ctx, plan, listed.filter((p) => !known.has(p.partNumber)));
  const parts = [...confirmed, ...adopted].sort((a, b) => a.partNumber - b.partNumber);
  ctx.logger.info(
    `Resuming upload ${checkpoint.uploadId}: ${parts.length}/${plan.partCount} parts confirmed by List Parts${adopted.length ? ` (${adopted.length} finished just before the interruption)` : ''}.`,
  );
  return { plan, checkpoint: { ...checkpoint, parts }, resumedParts: parts.length };
}

/**
 * Parts COS holds that the checkpoint never recorded (stored just before a crash, their answer
 * lost): each is read from the file again and adopted when its MD5 equals the ETag COS lists, so
 * it is not sent twice. At most the parts that were in flight; one part-size buffer, reused.
 * Under SSE-KMS and SSE-C the ETag is not an MD5, so such parts are simply sent again.
 */
async function adoptUnrecorded(ctx: UploadContext, plan: PartPlan, unrecorded: ListedParts): Promise<CompletedPart[]> {
  const adopted: CompletedPart[] = [];
  if (!etagIsBodyMd5(ctx.options.sse.type)) return adopted;
  let buffer: Buffer | undefined;
  for (const server of unrecorded) {
    if (server.partNumber > plan.partCount) continue;
    const range = partRange(plan, server.partNumber);
    if (server.size !== range.length) continue;
    buffer ??= ctx.hashes.allocate(plan.partSize);
    const digest = await ctx.hashes.digest(await ctx.file.read(range, buffer), true);
    if (digest.md5 && etagMatchesMd5(server.etag, digest.md5.hex) === 'match') {
      adopted.push({ partNumber: server.partNumber, size: range.length, etag: server.etag, crc64: crc64ToDecimal(digest.crc64) });
    }
  }
  return adopted;
}

async function initiate(ctx: UploadContext, id: string | undefined): Promise<Session> {
  const { key, target } = ctx.request;
  // Planned first so a part size that cannot work is refused before an upload exists on COS.
  let plan = planParts(ctx.file.size, ctx.options.partSize);
  const t0 = Date.now();
  const { uploadId } = await ctx.client.initiateMultipartUpload(key, objectHeaders(key, ctx.options), ctx.request.signal);
  ctx.roundTripMs = Date.now() - t0;
  // No part has been read yet, so `auto` can still follow what Initiate showed about the distance.
  const forDistance = planParts(ctx.file.size, ctx.options.partSize, { near: ctx.roundTripMs < FAR_ROUND_TRIP_MS });
  if (forDistance.partSize !== plan.partSize) {
    ctx.logger.info(`Initiate answered in ${ctx.roundTripMs} ms (a near endpoint): ${describeSize(forDistance.partSize)} parts instead of ${describeSize(plan.partSize)}.`);
    plan = forDistance;
  }
  const now = new Date().toISOString();
  const checkpoint: Checkpoint = {
    version: 1,
    uploadId,
    bucket: target.bucket,
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    accelerate: target.accelerate === true,
    key,
    filePath: ctx.file.path,
    fileSize: ctx.file.size,
    fileMtimeMs: ctx.file.mtimeMs,
    partSize: plan.partSize,
    partCount: plan.partCount,
    parts: [],
    object: objectOptionsOf(ctx.options),
    createdAt: now,
    updatedAt: now,
  };
  if (!ctx.request.checkpoints || !id) return { plan, checkpoint, resumedParts: 0 };
  const saving = ctx.request.checkpoints.save(id, checkpoint);
  // Awaited before the first send; a failure reaches the upload there, never as an unhandled rejection.
  saving.catch(() => undefined);
  return { plan, checkpoint, resumedParts: 0, saving };
}

/** The recorded parts COS lists with the size and ETag we recorded: trusted with no re-read, no re-hash. */
export function partsCosHolds(parts: CompletedPart[], listed: ListedParts, plan: PartPlan): CompletedPart[] {
  const onServer = new Map(listed.map((p) => [p.partNumber, p]));
  return parts.filter((p) => {
    const server = onServer.get(p.partNumber);
    return (
      server !== undefined &&
      p.partNumber <= plan.partCount &&
      server.size === p.size &&
      p.size === partRange(plan, p.partNumber).length &&
      normalizeEtag(server.etag) === normalizeEtag(p.etag)
    );
  });
}

function normalizeEtag(etag: string): string {
  return etag.replace(/"/g, '').trim().toLowerCase();
}
