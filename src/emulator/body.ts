/**
 * Reading request bodies fast and, when asked, slowly on purpose: each chunk is handed to the
 * caller (hashing) and to an optional writer with backpressure; token buckets pace the stream by
 * pausing the request (and so the TCP window) instead of sleeping per chunk.
 */

import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';

/** Pausing for less than this is not worth a timer; the debt is carried to the next chunk. */
const MIN_PAUSE_MS = 8;

/** A byte-rate limiter. `take` returns how long the caller should wait before reading on. */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();
  private readonly burst: number;

  constructor(readonly bytesPerSecond: number) {
    // About 20 ms of traffic, and an empty start: a full bucket gave every request (and every
    // connection idling through a modelled answer delay) a free burst above the limit.
    this.burst = Math.max(16 * 1024, bytesPerSecond / 50);
    this.tokens = 0;
  }

  take(bytes: number): number {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.bytesPerSecond) / 1000);
    this.last = now;
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.bytesPerSecond) * 1000;
  }
}

/** The client went away before the body ended. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  constructor() {
    super('The client closed the connection before the request body ended.');
  }
}

export interface PumpOptions {
  onChunk?: (chunk: Buffer) => void;
  writer?: Writable;
  buckets?: ReadonlyArray<TokenBucket | undefined>;
  /** Stop (resolve with `stopped`) once this many bytes arrived; the rest stays unread. */
  stopAt?: number;
  /** Resolve with `tooLarge` as soon as more than this many bytes arrived. */
  limit?: number;
}

export interface PumpResult {
  bytes: number;
  stopped?: boolean;
  tooLarge?: boolean;
}

/**
 * Streams the request body through `onChunk` and `writer`. Resolves when the body ended (after the
 * writer accepted every chunk, not after it flushed: call `end` on it yourself), rejects with
 * ClientGoneError if the connection dropped first.
 */
export function pumpBody(req: IncomingMessage, options: PumpOptions, onBytes?: (n: number) => void): Promise<PumpResult> {
  const buckets = (options.buckets ?? []).filter((b): b is TokenBucket => b !== undefined);
  return new Promise<PumpResult>((resolve, reject) => {
    let bytes = 0;
    let holds = 0;
    let settled = false;
    let ended = false;
    let timer: NodeJS.Timeout | undefined;
    const { writer } = options;

    const finish = (err: Error | undefined, result?: PumpResult): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onError);
      writer?.off('drain', release);
      writer?.off('error', onWriterError);
      if (err) reject(err);
      else resolve(result as PumpResult);
    };
    const hold = (): void => {
      if (holds++ === 0) req.pause();
    };
    function release(): void {
      if (--holds === 0 && !settled) req.resume();
    }
    function onData(chunk: Buffer): void {
      bytes += chunk.length;
      onBytes?.(bytes);
      if (options.limit !== undefined && bytes > options.limit) {
        finish(undefined, { bytes, tooLarge: true });
        return;
      }
      options.onChunk?.(chunk);
      if (writer && !writer.write(chunk)) {
        hold();
        writer.once('drain', release);
      }
      let wait = 0;
      for (const b of buckets) wait = Math.max(wait, b.take(chunk.length));
      if (wait >= MIN_PAUSE_MS && !timer) {
        hold();
        timer = setTimeout(() => {
          timer = undefined;
          if (ended) finish(undefined, { bytes });
          else release();
        }, wait);
      }
      if (options.stopAt !== undefined && bytes >= options.stopAt) {
        req.pause();
        finish(undefined, { bytes, stopped: true });
      }
    }
    function onEnd(): void {
      // The last chunk's pacing debt is paid before the body counts as received.
      if (timer) ended = true;
      else finish(undefined, { bytes });
    }
    function onClose(): void {
      if (!req.complete) finish(new ClientGoneError());
    }
    function onError(err: Error): void {
      finish(req.complete ? err : new ClientGoneError());
    }
    function onWriterError(err: Error): void {
      finish(err);
    }

    if (options.stopAt === 0) {
      finish(undefined, { bytes: 0, stopped: true });
      return;
    }
    if (req.readableEnded) {
      finish(undefined, { bytes: 0 });
      return;
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onError);
    writer?.on('error', onWriterError);
    req.resume();
  });
}
