import { runAdaptivePool } from './adaptivePool';
import { AdaptiveConcurrency } from './adaptiveConcurrency';
import { BufferPool } from './bufferPool';
import type { CheckpointWriter } from './checkpoint';
import { abortError, CosError, throwIfAborted } from './errors';
import { partRange } from './partPlan';
import { ProgressTracker } from './progress';
import type { CompletedPart } from './types';
import type { PartEventFields, UploadContext } from './uploadContext';
import { partHeaders } from './uploadHeaders';
import type { Session } from './uploadSession';

/** Part buffers may hold at most this much when concurrency grows on its own. */
const MEMORY_BUDGET_BYTES = 256 * 1024 * 1024;

/**
 * Sends every part the session lacks, with as many in flight as the adaptive concurrency allows,
 * saving the checkpoint after each; returns all parts in order once each is in and the file is unchanged.
 */
export async function sendMissingParts(ctx: UploadContext, session: Session, writer: CheckpointWriter | undefined): Promise<CompletedPart[]> {
  const { key } = ctx.request;
  const { plan, checkpoint } = session;
  const done = new Map<number, CompletedPart>(checkpoint.parts.map((p) => [p.partNumber, p]));
  const alreadyBytes = checkpoint.parts.reduce((sum, p) => sum + p.size, 0);
  const announced = ctx.announceStart({
    key,
    uploadId: checkpoint.uploadId,
    fileSize: plan.fileSize,
    partSize: plan.partSize,
    partCount: plan.partCount,
    resumedParts: session.resumedParts,
    multipart: true,
  });
  const progress = new ProgressTracker(plan.fileSize, plan.partCount, (e) => ctx.emit(e), { bytes: alreadyBytes, parts: done.size });
  ctx.progress = progress;
  progress.concurrency = ctx.options.concurrency;

  const pending: number[] = [];
  for (let n = 1; n <= plan.partCount; n++) if (!done.has(n)) pending.push(n);
  const internal = new AbortController();
  const signal = ctx.request.signal ? AbortSignal.any([ctx.request.signal, internal.signal]) : internal.signal;
  const pool = new BufferPool(plan.partSize, (size) => ctx.hashes.allocate(size));
  const adaptive = AdaptiveConcurrency.forRoundTrip(ctx.options.concurrency, maxConcurrencyFor(ctx, plan.partSize), ctx.roundTripMs, plan.partSize);
  ctx.adaptive = adaptive;
  const save = async (): Promise<void> => {
    if (!writer) return;
    const parts = [...done.values()].sort((a, b) => a.partNumber - b.partNumber);
    await writer.write({ ...checkpoint, parts, updatedAt: new Date().toISOString() });
  };
  try {
    await runAdaptivePool({
      pending,
      target: () => adaptive.current,
      run: async (partNumber, grow) => {
        const part = await uploadOnePart(ctx, session, partNumber, pool, signal);
        done.set(partNumber, part.completed);
        progress.partDone(partNumber, part.completed.size);
        ctx.emit({ type: 'part', partCount: plan.partCount, ...part.event });
        if (adaptive.record(part.completed.size, Date.now(), part.event.durationMs) !== undefined) grow();
        await save();
      },
      onFailure: (error) => internal.abort(error),
      onConcurrency: (active) => (progress.concurrency = active),
      // The check goes out before the first part is even read, so COS answers it before part bodies queue up.
      beforeStart: (grow) => {
        if (adaptive.guessedFar) recheckRoundTrip(ctx, session, adaptive, signal, grow);
      },
    });
  } catch (failure) {
    if (ctx.request.signal?.aborted) throw abortError(ctx.request.signal);
    throw failure;
  } finally {
    // Nothing returns or throws before 'start' is out, nor before the first checkpoint save has
    // landed (a later save or a removal must not be overtaken by it).
    await Promise.all([announced, session.saving?.catch(() => undefined)]);
  }
  // Every part is in: a round-trip check still out must not hold the connection pool open.
  internal.abort(new CosError('ABORTED', 'All parts are uploaded; the round-trip check is no longer needed.'));
  await writer?.flush();
  await ctx.file.assertUnchanged();
  return [...done.values()].sort((a, b) => a.partNumber - b.partNumber);
}

/** Buffers in flight are concurrency × part size: cap growth to stay within the memory budget. */
function maxConcurrencyFor(ctx: UploadContext, partSize: number): number {
  const byMemory = Math.max(1, Math.floor(MEMORY_BUDGET_BYTES / partSize));
  return Math.max(ctx.options.concurrency, Math.min(ctx.options.maxConcurrency, byMemory));
}

/**
 * Times one List Parts (a few hundred bytes) on the now warm connections, beside the first parts,
 * and lets the adaptive concurrency correct a far guess. Best effort: a failure changes nothing.
 */
function recheckRoundTrip(ctx: UploadContext, session: Session, adaptive: AdaptiveConcurrency, signal: AbortSignal, grow: () => void): void {
  const t0 = Date.now();
  adaptive.expectRecheck();
  const settle = (roundTripMs: number): void => {
    const target = adaptive.recheckRoundTrip(roundTripMs);
    if (target === undefined) return;
    if (!adaptive.guessedFar) {
      ctx.logger.info(`The first request took ${ctx.roundTripMs} ms, a warm one ${roundTripMs} ms: the endpoint is near; ${target} parts in flight.`);
      if (ctx.progress) ctx.progress.concurrency = target;
    } else {
      grow();
    }
  };
  ctx.client.pingUpload(ctx.request.key, session.checkpoint.uploadId, signal).then(
    () => settle(Date.now() - t0),
    // No answer, no evidence against the far guess: keep it.
    () => settle(Number.POSITIVE_INFINITY),
  );
}

/** Reads one part into a pooled buffer and sends it verified, hashing it meanwhile. */
async function uploadOnePart(
  ctx: UploadContext,
  session: Session,
  partNumber: number,
  pool: BufferPool,
  signal: AbortSignal,
): Promise<{ completed: CompletedPart; event: PartEventFields }> {
  const range = partRange(session.plan, partNumber);
  const buffer = pool.acquire();
  try {
    await ctx.file.assertUnchanged();
    throwIfAborted(signal);
    const data = await ctx.file.read(range, buffer);
    await session.saving;
    // Hashed while it is sent: the sender awaits the digest when it needs it (verifiedSend.ts).
    const digest = ctx.hashes.digest(data, ctx.sender.sendsMd5);
    const headers = partHeaders(ctx.options);
    const { key } = ctx.request;
    const uploadId = session.checkpoint.uploadId;
    const sent = await ctx.sendPart(partNumber, data, digest, signal, (contentMd5, s, onSent) =>
      ctx.client.uploadPart({ key, uploadId, partNumber, data, contentMd5, headers }, s, onSent),
    );
    return {
      completed: { partNumber, size: range.length, etag: sent.etag, crc64: sent.crc64 },
      event: sent.event,
    };
  } finally {
    pool.release(buffer);
  }
}
