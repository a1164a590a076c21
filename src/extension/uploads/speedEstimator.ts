/** Samples closer together than this are merged: progress events can come thousands of times a second. */
const SAMPLE_SPACING_MS = 100;

/**
 * Upload speed over a moving window. It counts only bytes that moved forward: when a retried part
 * restarts, the reported total drops and then climbs again, and that climb is real traffic.
 * The first sample only sets the baseline, so parts resumed from a checkpoint do not look like a
 * burst of speed.
 */
export class SpeedEstimator {
  private samples: Array<{ at: number; moved: number }> = [];
  private latest: { at: number; moved: number } | undefined;
  private moved = 0;
  private lastBytes: number | undefined;

  constructor(
    private readonly windowMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the current byte count (cumulative, may go down after a retry). */
  add(bytes: number): void {
    if (this.lastBytes !== undefined && bytes > this.lastBytes) this.moved += bytes - this.lastBytes;
    this.lastBytes = bytes;
    const at = this.now();
    this.latest = { at, moved: this.moved };
    const last = this.samples[this.samples.length - 1];
    if (last && at - last.at < SAMPLE_SPACING_MS) return;
    this.samples.push(this.latest);
    // Keep one sample older than the window as the anchor the rate is measured from.
    while (this.samples.length > 2 && this.samples[1].at <= at - this.windowMs) this.samples.shift();
  }

  /** undefined until there is enough history (a quarter of a second) to say. */
  bytesPerSecond(): number | undefined {
    const first = this.samples[0];
    const last = this.latest;
    if (!first || !last) return undefined;
    const span = last.at - first.at;
    if (span < 250) return undefined;
    return ((last.moved - first.moved) * 1000) / span;
  }

  /** Seconds to send `remainingBytes` at the current speed; undefined when the speed is unknown or zero. */
  secondsLeft(remainingBytes: number): number | undefined {
    const rate = this.bytesPerSecond();
    if (!rate || rate <= 0) return undefined;
    return Math.max(0, remainingBytes) / rate;
  }

  reset(): void {
    this.samples = [];
    this.latest = undefined;
    this.moved = 0;
    this.lastBytes = undefined;
  }
}
