/**
 * When to upload a saved file: debounced, coalesced, one upload per object key at a time, again
 * after a save that landed during the upload, and a retry while another uploader holds the lock.
 * No `vscode` import and an injectable clock, so the unit tests drive it without waiting.
 */

/** A burst of saves shorter than this becomes one upload of the last content. */
export const SAVE_DEBOUNCE_MS = 400;
/** How often an upload that found the file locked by another uploader tries again. */
export const LOCK_RETRY_MS = 2000;

/** How one upload attempt ended, as the watcher reports it to the scheduler. */
export type SaveAttempt = { status: 'uploaded' } | { status: 'locked'; reason: string } | { status: 'failed'; reason: string };

export interface SchedulerClock {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: SchedulerClock = {
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** What the status bar shows: counts plus the reason of each key whose last upload failed. */
export interface SchedulerState {
  paused: boolean;
  /** Keys with a save waiting for its debounce, or for resume while paused. */
  pending: number;
  uploading: string[];
  /** Key → why another uploader's lock holds it back. */
  waitingForLock: Map<string, string>;
  /** Key → reason of its last failed upload; cleared when an upload of that key succeeds. */
  failed: Map<string, string>;
}

export interface SaveSchedulerOptions<J> {
  upload(job: J): Promise<SaveAttempt>;
  onStateChange?(state: SchedulerState): void;
  clock?: SchedulerClock;
  debounceMs?: number;
  lockRetryMs?: number;
}

interface KeyState<J> {
  /** The newest save's job; an upload always takes the latest one. */
  job: J;
  timer?: unknown;
  running: boolean;
  /** Saved again while its upload ran: upload again once it ends. */
  dirty: boolean;
  /** Waiting for resume (saved while paused). */
  held: boolean;
  lockReason?: string;
}

export class SaveScheduler<J> {
  private readonly keys = new Map<string, KeyState<J>>();
  private readonly failed = new Map<string, string>();
  private paused = false;
  private disposed = false;
  private readonly clock: SchedulerClock;
  private readonly debounceMs: number;
  private readonly lockRetryMs: number;

  constructor(private readonly options: SaveSchedulerOptions<J>) {
    this.clock = options.clock ?? realClock;
    this.debounceMs = options.debounceMs ?? SAVE_DEBOUNCE_MS;
    this.lockRetryMs = options.lockRetryMs ?? LOCK_RETRY_MS;
  }

  /** A save of a file that uploads to `key`. */
  saved(key: string, job: J): void {
    if (this.disposed) return;
    const entry = this.keys.get(key);
    if (!entry) {
      this.keys.set(key, { job, running: false, dirty: false, held: false });
      this.arm(key, this.debounceMs);
      return;
    }
    entry.job = job;
    if (entry.running) entry.dirty = true;
    // Waiting for a lock keeps its retry timer; the retry takes the newest job.
    else if (entry.lockReason === undefined && !entry.held) this.arm(key, this.debounceMs);
    this.changed();
  }

  /** Saves made while paused wait, one per key, and upload on resume. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.changed();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const [key, entry] of this.keys) {
      if (entry.held) {
        entry.held = false;
        this.arm(key, 0);
      }
    }
    this.changed();
  }

  isPaused(): boolean {
    return this.paused;
  }

  state(): SchedulerState {
    const entries = [...this.keys.entries()];
    return {
      paused: this.paused,
      pending: entries.filter(([, e]) => !e.running && e.lockReason === undefined).length,
      uploading: entries.filter(([, e]) => e.running).map(([key]) => key),
      // A retry in progress still counts as waiting, so the wait reads (and is logged) as one.
      waitingForLock: new Map(entries.filter(([, e]) => e.lockReason !== undefined).map(([key, e]) => [key, e.lockReason as string])),
      failed: new Map(this.failed),
    };
  }

  /** Forgets the failures shown (the user saw them); the next failure shows again. */
  clearFailures(): void {
    if (this.failed.size === 0) return;
    this.failed.clear();
    this.changed();
  }

  /** Stops the timers; running uploads end on their own (the upload manager stops them on shutdown). */
  dispose(): void {
    this.disposed = true;
    for (const entry of this.keys.values()) if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    this.keys.clear();
  }

  private arm(key: string, ms: number): void {
    const entry = this.keys.get(key);
    if (!entry) return;
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = this.clock.setTimeout(() => {
      entry.timer = undefined;
      this.fire(key);
    }, ms);
    this.changed();
  }

  private fire(key: string): void {
    const entry = this.keys.get(key);
    if (!entry || entry.running || this.disposed) return;
    if (this.paused) {
      entry.held = true;
      entry.lockReason = undefined;
      this.changed();
      return;
    }
    void this.run(key, entry);
  }

  private async run(key: string, entry: KeyState<J>): Promise<void> {
    entry.running = true;
    entry.dirty = false;
    this.changed();
    let attempt: SaveAttempt;
    try {
      attempt = await this.options.upload(entry.job);
    } catch (error) {
      attempt = { status: 'failed', reason: error instanceof Error ? error.message : String(error) };
    }
    entry.running = false;
    if (this.disposed) return;
    if (attempt.status === 'locked') {
      entry.lockReason = attempt.reason;
      this.arm(key, this.lockRetryMs);
      return;
    }
    entry.lockReason = undefined;
    if (attempt.status === 'uploaded') this.failed.delete(key);
    // A failure superseded by a newer save is retried by that save's upload, not shown yet.
    else if (!entry.dirty) this.failed.set(key, attempt.reason);
    if (entry.dirty) {
      this.arm(key, this.debounceMs);
      return;
    }
    this.keys.delete(key);
    this.changed();
  }

  private changed(): void {
    if (!this.disposed) this.options.onStateChange?.(this.state());
  }
}
