/**
 * The live files-and-bytes line of the commands over many files (sync, prefix download) on a
 * terminal's stderr: `12/40 files · 38.0 MiB/s · 12 s left · 80.0 MiB/120.0 MiB`, redrawn at most
 * every 250 ms (SyncProgressMeter). On a pipe or with --quiet nothing is drawn: the per-file lines
 * on stdout are the progress there.
 */

import { formatBytes } from '../core/sizes';
import { formatSyncProgress, SyncProgressMeter, type SyncCounts } from '../core/sync/syncProgress';
import { redact, type CliStreams } from './output';

const CLEAR_LINE = '\r\u001b[2K';

export class FilesProgressLine {
  private readonly meter = new SyncProgressMeter(performance.now());
  private readonly live: boolean;
  private shown = false;

  constructor(
    private readonly streams: CliStreams,
    quiet: boolean,
    private readonly secrets: readonly string[],
  ) {
    this.live = !quiet && streams.stderr.isTTY === true;
  }

  update(counts: SyncCounts): void {
    if (!this.live) return;
    const figures = this.meter.due(counts, performance.now());
    if (!figures) return;
    const line = `${formatSyncProgress(figures)} · ${formatBytes(counts.bytesSent)}/${formatBytes(counts.bytesTotal)}`;
    // A line wider than the terminal wraps, and \r then only rewrites its last row.
    this.streams.stderr.write(`${CLEAR_LINE}${line.slice(0, Math.max(10, (this.streams.stderr.columns || 80) - 1))}`);
    this.shown = true;
  }

  clear(): void {
    if (!this.shown) return;
    this.streams.stderr.write(CLEAR_LINE);
    this.shown = false;
  }

  /** A whole line on stdout or stderr with the progress line lifted out of its way (drawn again at the next update). */
  line(stream: 'stdout' | 'stderr', text: string): void {
    const had = this.shown;
    this.clear();
    this.streams[stream].write(`${redact(text, this.secrets)}\n`);
    if (had) this.meter.showNext();
  }
}
