/**
 * Hill-climbing on throughput: start with a few connections and double them while that still
 * raises the measured rate. A far region caps each TCP connection (latency and per-connection
 * pacing), so throughput scales with connections until the link or the CPU saturates; on a LAN the
 * first few already saturate and growth stops at once. Server pushback (5xx, SlowDown) halves the
 * target, as AIMD does.
 */
/** A first round trip this slow (ms) means a far region. */
export const FAR_ROUND_TRIP_MS = 20;

export class AdaptiveConcurrency {
  private target: number;
  /** Set by the first confirmed part: start-up (Initiate, first reads) is not throughput. */
  private windowStart: number | undefined;
  private windowBytes = 0;
  private bestRate = 0;
  private stalled = 0;
  /** Windows still to measure before the first decision (connection and JIT warm-up). */
  private warmup: number;

  constructor(
    start: number,
    private readonly max: number,
    /** Minimum length of a measurement window, ms. */
    private readonly windowMs = 750,
    /** A step must raise throughput by this fraction to count as progress. */
    private readonly gain = 0.1,
    /** Windows measured but not acted on at the start. */
    warmupWindows = 0,
    /**
     * Double at the first confirmed part instead of after a first window. On a far link a window
     * only closes when a second round of parts lands, a third of a 512 MiB upload; the first
     * part's own rate (connections × bytes / duration) is the baseline the next window must beat.
     */
    private readonly growOnFirstPart = false,
  ) {
    this.target = Math.min(start, max);
    this.warmup = warmupWindows;
  }

  /**
   * Tuned from the measured round trip of the first request (Initiate or List Parts). A far region
   * is latency-bound per connection: start with twice the connections and decide in short windows.
   * A near endpoint is bound by CPU or link after a few connections: warm up one window and grow
   * only for a clear gain, since every extra connection holds a part buffer.
   */
  static forRoundTrip(concurrency: number, max: number, roundTripMs: number): AdaptiveConcurrency {
    if (roundTripMs >= FAR_ROUND_TRIP_MS && max > concurrency) {
      const windowMs = Math.min(750, Math.max(250, 6 * roundTripMs));
      return new AdaptiveConcurrency(Math.min(max, concurrency * 2), max, windowMs, 0.1, 0, true);
    }
    return new AdaptiveConcurrency(concurrency, max, 750, 0.25, 1);
  }

  get current(): number {
    return this.target;
  }

  /**
   * Bytes confirmed by COS (and how long that part took to send, ms); returns the new target when
   * it changes.
   */
  record(bytes: number, now = Date.now(), durationMs = 0): number | undefined {
    if (this.windowStart === undefined) {
      this.windowStart = now;
      if (!this.growOnFirstPart || durationMs <= 0 || this.target >= this.max) return undefined;
      this.bestRate = (this.target * bytes) / durationMs;
      this.target = Math.min(this.max, this.target * 2);
      return this.target;
    }
    this.windowBytes += bytes;
    const elapsed = now - this.windowStart;
    if (elapsed < this.windowMs || this.target >= this.max) return undefined;
    const rate = this.windowBytes / elapsed;
    this.windowStart = now;
    this.windowBytes = 0;
    if (this.warmup > 0) {
      this.warmup--;
      return undefined;
    }
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
