/**
 * One range of a download: a ranged GET with If-Match, its body written at its offset in the
 * temporary file and hashed (CRC64) as it arrives, about 1 MiB at a time. A failed attempt (5xx,
 * reset, stall, short or misplaced body) is sent again from the range's start, as the retry policy
 * allows.
 */

import type { FileHandle } from 'node:fs/promises';
import type { CosClient } from '../cosClient';
import type { Crc64Engine } from '../crc64';
import { abortError, CosError } from '../errors';
import { backoffDelay, isTransientNetworkError, sleep, type RetryPolicy } from '../retry';
import type { FlushBehind } from './flushBehind';
import { contentRangeProblem, type ByteRange } from './rangePlan';

/**
 * Bytes gathered before one positional write: network chunks are small (often 16-64 KiB), and a
 * write per chunk costs a thread-pool round trip each.
 */
const WRITE_BATCH_BYTES = 1024 * 1024;

export interface RangeFetchContext {
  client: CosClient;
  key: string;
  /** The ETag HEAD returned; sent as If-Match so a replaced object is refused (412). */
  etag: string;
  size: number;
  /** SSE-C key headers, when the object needs them. */
  headers: Record<string, string>;
  file: FileHandle;
  /** Told of every write, so the file is flushed to disk while ranges still arrive. */
  flushBehind: FlushBehind;
  engine: Crc64Engine;
  retry: RetryPolicy;
  signal: AbortSignal;
  /** Bytes of this range written in the current attempt (0 again when it restarts). */
  onBytes(range: ByteRange, bytes: number): void;
  onRetry(info: { attempt: number; delayMs: number; error: CosError; range: ByteRange }): void;
}

/** Fetches `range` into the file and returns the CRC64 of its bytes. */
export async function fetchRange(ctx: RangeFetchContext, range: ByteRange): Promise<bigint> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchOnce(ctx, range);
    } catch (caught) {
      if (ctx.signal.aborted) throw abortError(ctx.signal);
      const error = asCosError(caught, range);
      if (!error.retryable || attempt > ctx.retry.retries) throw error;
      ctx.onBytes(range, 0);
      const delayMs = backoffDelay(attempt, ctx.retry);
      ctx.onRetry({ attempt, delayMs, error, range });
      await sleep(delayMs, ctx.signal);
    }
  }
}

async function fetchOnce(ctx: RangeFetchContext, range: ByteRange): Promise<bigint> {
  const answer = await ctx.client.getObjectRange({ key: ctx.key, start: range.start, end: range.end, ifMatch: ctx.etag, headers: ctx.headers }, ctx.signal);
  const problem = contentRangeProblem(answer.headers['content-range'], range, ctx.size);
  const etag = answer.headers.etag;
  if (problem !== undefined || (etag !== undefined && etag !== ctx.etag)) {
    answer.cancel();
    if (etag !== undefined && etag !== ctx.etag) {
      throw new CosError('OBJECT_CHANGED', `${ctx.key} changed on COS while it was being downloaded (ETag ${etag} instead of ${ctx.etag}); download it again.`, {
        requestId: answer.requestId,
      });
    }
    throw new CosError('BAD_RESPONSE', `Get Object of bytes ${range.start}-${range.end} was answered with other bytes: ${problem}.`, {
      retryable: true,
      requestId: answer.requestId,
    });
  }
  let position = range.start;
  let written = range.start;
  let crc = 0n;
  let batch: Buffer[] = [];
  const flush = async (): Promise<void> => {
    // The batch is hashed while the thread pool writes it.
    const writing = writeBatchAt(ctx.file, batch, written);
    crc = ctx.engine.updateAll(crc, batch);
    await writing;
    ctx.flushBehind.written(position - written);
    written = position;
    batch = [];
    ctx.onBytes(range, written - range.start);
  };
  for await (const chunk of answer.chunks()) {
    if (position + chunk.length > range.end + 1) {
      throw new CosError('BAD_RESPONSE', `Get Object of bytes ${range.start}-${range.end} sent more bytes than asked for.`, { retryable: true, requestId: answer.requestId });
    }
    batch.push(chunk);
    position += chunk.length;
    if (position - written >= WRITE_BATCH_BYTES) await flush();
  }
  if (batch.length > 0) await flush();
  if (position !== range.end + 1) {
    throw new CosError('NETWORK', `Get Object of bytes ${range.start}-${range.end} ended after ${position - range.start} bytes: the connection was cut.`, {
      retryable: true,
      requestId: answer.requestId,
    });
  }
  return crc;
}

/** One positional write for a batch of chunks; a short write (rare) is finished chunk by chunk. */
async function writeBatchAt(file: FileHandle, chunks: Buffer[], position: number): Promise<void> {
  try {
    const total = chunks.reduce((sum, c) => sum + c.length, 0);
    const { bytesWritten } = await file.writev(chunks, position);
    for (let offset = 0, i = 0; bytesWritten < total && i < chunks.length; offset += chunks[i].length, i++) {
      const skip = Math.max(0, bytesWritten - offset);
      for (let done = skip; done < chunks[i].length; ) done += (await file.write(chunks[i], done, chunks[i].length - done, position + offset + done)).bytesWritten;
    }
  } catch (error) {
    throw new CosError('FILE_UNWRITABLE', `Could not write the download's temporary file (${(error as NodeJS.ErrnoException).code ?? 'error'}); check the free space and permissions.`, {
      cause: error,
    });
  }
}

function asCosError(caught: unknown, range: ByteRange): CosError {
  if (CosError.is(caught)) return caught;
  const detail = caught instanceof Error ? caught.message : String(caught);
  return new CosError('NETWORK', `Get Object of bytes ${range.start}-${range.end} failed on the network: ${detail}.`, {
    retryable: isTransientNetworkError(caught),
    cause: caught,
  });
}
