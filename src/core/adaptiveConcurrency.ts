/**
 * Hill-climbing on throughput for far endpoints: start with a few connections and double them
 * while that still raises the measured rate. A far region caps each TCP connection (latency and
 * per-connection pacing), so throughput scales with connections until the link or the CPU
 * saturates. A near endpoint (a LAN) is saturated by a few connections: it runs at a fixed number
 * of parts in flight (nearLimit) instead of probing. Server pushback (5xx, SlowDown) halves the
 * target, as AIMD does.
 */
import { DEFAULT_PART_SIZE } from './partPlan';

/**
 * A round trip this slow (ms) means a far region. Not lower: a loopback request on a busy machine
 * can come close while the first parts are being read.
 */
export const FAR_ROUND_TRIP_MS = 30;

interface Pace {
  /** Minimum length of a measurement window, ms. */
  windowMs: number;
  /** A step must raise throughput by this fraction to count as progress. */
  gain: number;
  /** Windows measured but not acted on at the start. */
  warmupWindows: number;
  /**
   * Double at the first confirmed part instead of after a first window. On a far link a window
   * only closes when a second round of parts lands, a large share of the upload; the first part's
   * own rate (connections × bytes / duration) is the baseline the next window must beat.
   */
  growOnFirstPart: boolean;
}

/**
 * A far region is latency-bound per connection: start with twice the connections and decide in
 * short windows. A near endpoint starts at its limit and so never grows; its pace (one warm-up
 * window, a 25% gain) only applies to AdaptiveConcurrency built directly with room to grow.
 */
function paceFor(roundTripMs: number): Pace {
  return roundTripMs >= FAR_ROUND_TRIP_MS
    ? { windowMs: Math.min(750, Math.max(250, 6 * roundTripMs)), gain: 0.1, warmupWindows: 0, growOnFirstPart: true }
    : { windowMs: 750, gain: 0.25, warmupWindows: 1, growOnFirstPart: false };
}

/** Part bytes a near endpoint keeps in flight (within twice the configured concurrency). */
export const NEAR_BYTES_IN_FLIGHT = 96 * 1024 * 1024;

/**
 * A near endpoint runs from the start with as many parts as fit in NEAR_BYTES_IN_FLIGHT, at least
 * the configured concurrency and at most twice it (4 MiB and 8 MiB parts: 8; 16 MiB: 6), and does
 * not probe: both ends are CPU-bound there, so probing only delays the start and more parts in
 * flight only cost memory.
 */
function nearLimit(concurrency: number, max: number, partSize: number): number {
  return Math.min(max, 2 * concurrency, Math.max(concurrency, Math.floor(NEAR_BYTES_IN_FLIGHT / partSize)));
}

export class AdaptiveConcurrency {
  private target: number;
  /** Set by the first confirmed part: start-up (Initiate, first reads) is not throughput. */
  private windowStart: number | undefined;
  private windowBytes = 0;
  private bestRate = 0;
  private stalled = 0;
  private warmup: number;
  private pace: Pace;
  /** The configured concurrency and the first guess of the round trip, for forRoundTrip's second look. */
  private base?: { concurrency: number; far: boolean; partSize: number };
  /** A warm round trip is on its way: growth waits for it, so a near endpoint never doubles by mistake. */
  private recheckPending = false;
  /** The first part's rate, when it came back while the re-check was pending. */
  private postponedFirstRate?: number;

  constructor(
    start: number,
    private max: number,
    windowMs = 750,
    gain = 0.1,
    warmupWindows = 0,
    growOnFirstPart = false,
  ) {
    this.target = Math.min(start, max);
    this.pace = { windowMs, gain, warmupWindows, growOnFirstPart };
    this.warmup = warmupWindows;
  }

  /**
   * Tuned from the measured round trip of the first request (Initiate or List Parts). That request
   * also pays for connecting and, first in a process, for warming up, which can make a near
   * endpoint look far (never the reverse): a far guess is checked with recheckRoundTrip.
   */
  static forRoundTrip(concurrency: number, max: number, roundTripMs: number, partSize = DEFAULT_PART_SIZE): AdaptiveConcurrency {
    const far = roundTripMs >= FAR_ROUND_TRIP_MS && max > concurrency;
    const pace = paceFor(far ? roundTripMs : 0);
    const limit = far ? max : nearLimit(concurrency, max, partSize);
    const adaptive = new AdaptiveConcurrency(far ? Math.min(max, concurrency * 2) : limit, limit, pace.windowMs, pace.gain, pace.warmupWindows, pace.growOnFirstPart);
    adaptive.base = { concurrency, far, partSize };
    return adaptive;
  }

  get current(): number {
    return this.target;
  }

  /** The first request was slow enough to mean a far region; worth a second look on a warm connection. */
  get guessedFar(): boolean {
    return this.base?.far ?? false;
  }

  /** Bytes confirmed by COS and how long that part took (ms); returns the new target when it changes. */
  record(bytes: number, now = Date.now(), durationMs = 0): number | undefined {
    if (this.windowStart === undefined) {
      this.windowStart = now;
      if (!this.pace.growOnFirstPart || durationMs <= 0 || this.target >= this.max) return undefined;
      const rate = (this.target * bytes) / durationMs;
      if (this.recheckPending) {
        this.postponedFirstRate = rate;
        return undefined;
      }
      return this.doubleFrom(rate);
    }
    this.windowBytes += bytes;
    const elapsed = now - this.windowStart;
    if (elapsed < this.pace.windowMs || this.target >= this.max || this.recheckPending) return undefined;
    const rate = this.windowBytes / elapsed;
    this.windowStart = now;
    this.windowBytes = 0;
    if (this.warmup > 0) {
      this.warmup--;
      return undefined;
    }
    if (rate > this.bestRate * (1 + this.pace.gain)) {
      this.stalled = 0;
      return this.doubleFrom(rate);
    }
    // Two flat windows in a row: the link is full, stop probing.
    if (++this.stalled >= 2) this.bestRate = Number.POSITIVE_INFINITY;
    return undefined;
  }

  /**
   * A round trip measured on a warm connection (Infinity when it failed). When it shows the
   * endpoint is near after all, returns the configured concurrency as the new target (surplus
   * workers leave after their part) and measuring starts over under near rules; when it confirms
   * a far one, returns the doubled target if the first part came back while it was awaited.
   */
  recheckRoundTrip(roundTripMs: number): number | undefined {
    if (!this.base?.far) return undefined;
    this.recheckPending = false;
    if (roundTripMs >= FAR_ROUND_TRIP_MS) {
      // Far confirmed: the doubling the first part earned happens now.
      const rate = this.postponedFirstRate;
      this.postponedFirstRate = undefined;
      if (rate === undefined || this.target >= this.max) return undefined;
      return this.doubleFrom(rate);
    }
    this.postponedFirstRate = undefined;
    this.base = { ...this.base, far: false };
    this.pace = paceFor(0);
    this.warmup = this.pace.warmupWindows;
    this.windowStart = undefined;
    this.windowBytes = 0;
    this.bestRate = 0;
    this.stalled = 0;
    this.max = nearLimit(this.base.concurrency, this.max, this.base.partSize);
    this.target = this.max;
    return this.target;
  }

  /** `rate` becomes the rate to beat, and the target doubles (up to the limit). */
  private doubleFrom(rate: number): number {
    this.bestRate = rate;
    // Doubling reaches a far region's useful concurrency in a few windows, before a short upload ends.
    this.target = Math.min(this.max, this.target * 2);
    return this.target;
  }

  /** Called when the warm round trip is sent: until recheckRoundTrip, growth waits. */
  expectRecheck(): void {
    if (this.base?.far) this.recheckPending = true;
  }

  /** The server asked us to slow down. */
  backOff(): number {
    this.target = Math.max(1, Math.floor(this.target / 2));
    this.bestRate = Number.POSITIVE_INFINITY;
    return this.target;
  }
}
