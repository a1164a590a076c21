/**
 * A sync's progress in files and bytes, the same for the CLI's live line, the extension's
 * notification and its status-bar item: `1,204/2,442 files · 38.0 MiB/s · 12 s left`, redrawn at
 * most every 250 ms (thousands of small files finish many times a second; each redraw costs).
 */

import { formatRate } from '../sizes';

/** Progress is shown at most this often; the last update (all files done) is always shown. */
export const SYNC_PROGRESS_INTERVAL_MS = 250;

export interface SyncCounts {
  filesDone: number;
  filesTotal: number;
  bytesSent: number;
  bytesTotal: number;
}

export interface SyncProgressFigures extends SyncCounts {
  /** Bytes per second since the first file started; undefined before any byte was sent. */
  bytesPerSecond?: number;
  /** Whole seconds left, from the slower of the byte rate and the file rate; undefined until both are known. */
  secondsLeft?: number;
}

/** How each piece reads; the extension passes its localized words. */
export interface SyncProgressWords {
  files(done: string, total: string): string;
  rate(bytesPerSecond: number): string;
  left(seconds: number): string;
}

/** Digits grouped by thousands the same way everywhere (not by the machine's locale). */
export function groupDigits(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export const ENGLISH_SYNC_WORDS: SyncProgressWords = {
  files: (done, total) => `${done}/${total} files`,
  rate: (bytesPerSecond) => formatRate(bytesPerSecond),
  left: (seconds) => (seconds < 60 ? `${Math.max(1, Math.ceil(seconds))} s left` : `${Math.round(seconds / 60)} min left`),
};

/** `1,204/2,442 files · 38.0 MiB/s · 12 s left`; rate and time left only once they are known. */
export function formatSyncProgress(figures: SyncProgressFigures, words: SyncProgressWords = ENGLISH_SYNC_WORDS): string {
  const parts = [words.files(groupDigits(figures.filesDone), groupDigits(figures.filesTotal))];
  if (figures.bytesPerSecond !== undefined) parts.push(words.rate(figures.bytesPerSecond));
  if (figures.secondsLeft !== undefined && figures.filesDone < figures.filesTotal) parts.push(words.left(figures.secondsLeft));
  return parts.join(' · ');
}

/** Rates and the time left from a sync's progress events, and when the next redraw is due. */
export class SyncProgressMeter {
  private lastShown = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly startedMs: number,
    private readonly intervalMs = SYNC_PROGRESS_INTERVAL_MS,
  ) {}

  /** The figures at `now` (ms, same clock as the start). */
  figures(counts: SyncCounts, now: number): SyncProgressFigures {
    const seconds = (now - this.startedMs) / 1000;
    if (seconds <= 0 || counts.bytesSent <= 0) return { ...counts };
    const bytesPerSecond = counts.bytesSent / seconds;
    const figures: SyncProgressFigures = { ...counts, bytesPerSecond };
    if (counts.filesDone > 0) {
      // Small files are bound by round trips, big ones by bytes: the slower estimate is the honest one.
      const byBytes = Math.max(0, counts.bytesTotal - counts.bytesSent) / bytesPerSecond;
      const byFiles = (Math.max(0, counts.filesTotal - counts.filesDone) * seconds) / counts.filesDone;
      figures.secondsLeft = Math.ceil(Math.max(byBytes, byFiles));
    }
    return figures;
  }

  /** The next update is drawn whatever the interval (the line was cleared for other output). */
  showNext(): void {
    this.lastShown = Number.NEGATIVE_INFINITY;
  }

  /** The figures when a redraw is due at `now` (the interval passed, or every file is done); else undefined. */
  due(counts: SyncCounts, now: number): SyncProgressFigures | undefined {
    const finished = counts.filesTotal > 0 && counts.filesDone >= counts.filesTotal;
    if (!finished && now - this.lastShown < this.intervalMs) return undefined;
    this.lastShown = now;
    return this.figures(counts, now);
  }
}
