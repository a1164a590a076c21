/**
 * Hill-climbing on throughput: start with a few connections and double them while that still
 * raises the measured rate. A far region caps each TCP connection (latency and per-connection
 * pacing), so throughput scales with connections until the link or the CPU saturates; on a LAN the
 * first few already saturate and growth stops at once. Server pushback (5xx, SlowDown) halves the
 * target, as AIMD does.
 */
export class AdaptiveConcurrency {
  private target: number;
  /** Set by the first confirmed part: start-up (Initiate, first reads) is not throughput. */
  private windowStart: number | undefined;
  private windowBytes = 0;
  private bestRate = 0;
  private stalled = 0;

  constructor(
    start: number,
    private readonly max: number,
    /** Minimum length of a measurement window, ms. */
    private readonly windowMs = 750,
    /** A step must raise throughput by this fraction to count as progress. */
    private readonly gain = 0.1,
  ) {
    this.target = Math.min(start, max);
  }

  get current(): number {
    return this.target;
  }

  /** Bytes confirmed by COS; returns the new target when it changes. */
  record(bytes: number, now = Date.now()): number | undefined {
    if (this.windowStart === undefined) {
      this.windowStart = now;
      return undefined;
    }
    this.windowBytes += bytes;
    const elapsed = now - this.windowStart;
    if (elapsed < this.windowMs || this.target >= this.max) return undefined;
    const rate = this.windowBytes / elapsed;
    this.windowStart = now;
    this.windowBytes = 0;
    if (rate > this.bestRate * (1 + this.gain)) {
      this.bestRate = rate;
      this.stalled = 0;
      // Doubling reaches a far region's useful concurrency in a few windows, before a short upload ends.
      this.target = Math.min(this.max, this.target * 2);
      return this.target;
    }
    // Two flat windows in a row: the link is full, stop probing.
    if (++this.stalled >= 2) this.bestRate = Number.POSITIVE_INFINITY;
    return undefined;
  }

  /** The server asked us to slow down. */
  backOff(): number {
    this.target = Math.max(1, Math.floor(this.target / 2));
    this.bestRate = Number.POSITIVE_INFINITY;
    return this.target;
  }
}
