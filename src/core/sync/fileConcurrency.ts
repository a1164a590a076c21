/**
 * How many files a sync sends at once, adapted as parts are (see adaptiveConcurrency.ts): start
 * with a few (more when the files are small), double while a measurement window shows more files or more bytes per second, stop
 * after two flat windows, halve when COS pushes back. Small files are bound by round trips, not by
 * bandwidth, so a far endpoint needs many in flight; a near one is saturated by a few.
 */

/** Files in flight when a sync starts, at least; the target grows from here. */
export const FILE_CONCURRENCY_START = 8;

/** Bytes of file bodies a sync puts in flight at its start: small files start with more of them at once. */
const START_BYTES_IN_FLIGHT = 8 * 1024 * 1024;

/**
 * How many files a sync starts with: as many as fit START_BYTES_IN_FLIGHT at the median file size,
 * from FILE_CONCURRENCY_START up to `max`. Tiny files are bound by per-request costs, so they start
 * near the ceiling instead of spending the first seconds of a short sync growing towards it.
 */
export function fileConcurrencyStart(sizes: readonly number[], max: number): number {
  if (sizes.length === 0) return Math.min(FILE_CONCURRENCY_START, max);
  const sorted = [...sizes].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const fitting = Math.floor(START_BYTES_IN_FLIGHT / Math.max(1, median));
  return Math.min(max, Math.max(FILE_CONCURRENCY_START, fitting));
}

export interface FileConcurrencyPace {
  /** Shortest measurement window, ms. */
  windowMs: number;
  /** A window must beat the best one by this fraction (in files/s or bytes/s) to count as progress. */
  gain: number;
}

const DEFAULT_PACE: FileConcurrencyPace = { windowMs: 300, gain: 0.1 };

export class FileConcurrency {
  private target: number;
  private windowStart: number | undefined;
  private windowFiles = 0;
  private windowBytes = 0;
  private best = { files: 0, bytes: 0 };
  private flatWindows = 0;
  private settled = false;

  constructor(
    readonly max: number,
    start = FILE_CONCURRENCY_START,
    private readonly pace: FileConcurrencyPace = DEFAULT_PACE,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`The file concurrency ceiling must be a whole number of at least 1: ${max}`);
    this.target = Math.max(1, Math.min(start, max));
  }

  get current(): number {
    return this.target;
  }

  /** Whether growth has stopped (two flat windows, pushback, or the ceiling). */
  get done(): boolean {
    return this.settled || this.target >= this.max;
  }

  /** A file finished (sent, or compared and found unchanged); returns the new target when it changes. */
  record(bytes: number, now: number): number | undefined {
    if (this.windowStart === undefined) {
      // The first window opens at the first finished file: listing and connecting are not throughput.
      this.windowStart = now;
      return undefined;
    }
    this.windowFiles++;
    this.windowBytes += bytes;
    const elapsed = now - this.windowStart;
    if (elapsed < this.pace.windowMs || this.done) return undefined;
    const files = (this.windowFiles * 1000) / elapsed;
    const rate = (this.windowBytes * 1000) / elapsed;
    this.windowStart = now;
    this.windowFiles = 0;
    this.windowBytes = 0;
    const better = files > this.best.files * (1 + this.pace.gain) || rate > this.best.bytes * (1 + this.pace.gain);
    this.best = { files: Math.max(files, this.best.files), bytes: Math.max(rate, this.best.bytes) };
    if (better) {
      this.flatWindows = 0;
      this.target = Math.min(this.max, this.target * 2);
      return this.target;
    }
    // Two flat windows in a row: the link or the CPU is full, more files in flight only cost memory.
    if (++this.flatWindows >= 2) this.settled = true;
    return undefined;
  }

  /** COS asked to slow down (SlowDown, 503): half as many files, and no more growth. */
  backOff(): number {
    this.target = Math.max(1, Math.floor(this.target / 2));
    this.settled = true;
    return this.target;
  }
}
