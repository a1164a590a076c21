import * as vscode from 'vscode';
import { runCommand } from '../commands/run';
import { CosError, describeError, formatBytes } from '../../core';
import { rateText, formatTimeLeft, ThrottledProgress } from '../ui/progressUi';
import { ask } from '../ui/prompts';
import { SpeedEstimator } from './speedEstimator';
import type { UploadHandle, UploadJob, UploadOutcome, UploadSnapshot } from './uploadManager';
import type { UploadUiDeps } from './uploadUi';

/** One file of a batch; `size` is known before it starts, so the overall bar does not jump. */
export interface QueueItem {
  job: UploadJob;
  size: number;
}

/** How a batch ended: every file that ran, and the ones a cancel kept from starting. */
export interface QueueResult {
  outcomes: UploadOutcome[];
  notStarted: UploadJob[];
  cancelled: boolean;
  seconds: number;
}

/** Counts of a finished batch, for the summary message and the log. */
export interface QueueCounts {
  uploaded: number;
  failed: number;
  /** Stopped with the upload kept on COS (cancel with onCancel "keep", or shutdown). */
  paused: number;
  cancelled: number;
  notStarted: number;
  skipped: SkippedCounts;
}

/** Files not uploaded, by why: the object exists, another upload of it runs, or a rule left it out of a folder. */
export interface SkippedCounts {
  existing: number;
  locked: number;
  gitignore: number;
  filesExclude: number;
  excludeGlobs: number;
}

const SKIP_REASONS: ReadonlyArray<keyof SkippedCounts> = ['existing', 'locked', 'gitignore', 'filesExclude', 'excludeGlobs'];

function skipReason(reason: keyof SkippedCounts): string {
  switch (reason) {
    case 'existing':
      return vscode.l10n.t('already in COS');
    case 'locked':
      return vscode.l10n.t('locked by another running upload');
    case 'gitignore':
      return vscode.l10n.t('ignored by .gitignore');
    case 'filesExclude':
      return vscode.l10n.t('excluded by files.exclude');
    case 'excludeGlobs':
      return vscode.l10n.t('excluded by cosUpload.excludeGlobs');
  }
}

export function totalSkipped(skipped: SkippedCounts): number {
  return SKIP_REASONS.reduce((sum, reason) => sum + skipped[reason], 0);
}

/**
 * Uploads a batch of files through the upload manager, one notification for all of them:
 * `3/10 files · 1 failed · 48 MiB/s · 1 min left`. Files are handed to the manager a few at a time
 * (as many as `cosUpload.maxConcurrentUploads`), so a folder of thousands does not fill its list;
 * the manager's own limit still applies across every running command. One file failing does not
 * stop the others. Cancel stops the queue: files not started stay so, running ones follow
 * `cosUpload.onCancel` (kept with their checkpoint, or aborted).
 */
export function runUploadQueue(deps: UploadUiDeps, items: readonly QueueItem[], title: string): Thenable<QueueResult> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) =>
    driveUploadQueue(deps, items, progress, token),
  );
}

/** The queue itself, reporting to any Progress and stopped by any token (tests drive it directly). */
export function driveUploadQueue(
  deps: Pick<UploadUiDeps, 'manager' | 'settings'>,
  items: readonly QueueItem[],
  progress: vscode.Progress<{ message?: string; increment?: number }>,
  token: vscode.CancellationToken,
): Promise<QueueResult> {
  const started = Date.now();
  const state = new QueueState(items);
  const reporter = new ThrottledProgress(progress, undefined, undefined, () => state.message());
  const running = new Map<string, UploadHandle>();
  let next = 0;
  let cancelled = token.isCancellationRequested;

  return new Promise<QueueResult>((resolve) => {
    const finishIfDone = (): void => {
      if (running.size > 0 || (!cancelled && next < items.length)) return;
      subscriptions.forEach((s) => s.dispose());
      resolve({
        outcomes: state.outcomes(),
        notStarted: items.slice(next).map((i) => i.job),
        cancelled,
        seconds: (Date.now() - started) / 1000,
      });
    };
    const fill = (): void => {
      const limit = Math.max(1, deps.settings().maxConcurrentUploads);
      while (!cancelled && running.size < limit && next < items.length) {
        const index = next++;
        const handle = deps.manager.enqueue(items[index].job);
        running.set(handle.id, handle);
        state.started(handle.id, index);
        void handle.done.then((outcome) => {
          running.delete(handle.id);
          state.finished(handle.id, outcome);
          reporter.update(state.snapshot(), true);
          fill();
          finishIfDone();
        });
      }
    };
    const subscriptions: vscode.Disposable[] = [
      reporter,
      deps.manager.onDidChange(({ snapshot, stateChanged }) => {
        if (!running.has(snapshot.id)) return;
        state.progress(snapshot);
        reporter.update(state.snapshot(), stateChanged);
      }),
      token.onCancellationRequested(() => {
        cancelled = true;
        for (const id of running.keys()) void deps.manager.cancel(id).catch(() => undefined);
        finishIfDone();
      }),
    ];
    fill();
    reporter.update(state.snapshot(), true);
    finishIfDone();
  });
}

/** Byte and file counts of a running batch; the notification is drawn from it. */
class QueueState {
  private readonly total: number;
  private readonly indexOf = new Map<string, number>();
  private readonly sent = new Map<string, number>();
  /** Bytes COS has confirmed per running upload: the bar counts these, as the per-file notification does. */
  private readonly confirmed = new Map<string, number>();
  private readonly done = new Map<number, UploadOutcome>();
  private doneBytes = 0;
  private readonly speed = new SpeedEstimator(5000);

  constructor(private readonly items: readonly QueueItem[]) {
    this.total = items.reduce((sum, i) => sum + i.size, 0);
  }

  started(id: string, index: number): void {
    this.indexOf.set(id, index);
  }

  progress(snapshot: UploadSnapshot): void {
    this.sent.set(snapshot.id, snapshot.bytesSent);
    this.confirmed.set(snapshot.id, snapshot.bytesConfirmed);
    this.speed.add(this.bytes());
  }

  finished(id: string, outcome: UploadOutcome): void {
    const index = this.indexOf.get(id);
    if (index === undefined) return;
    this.done.set(index, outcome);
    this.sent.delete(id);
    this.confirmed.delete(id);
    if (outcome.status === 'completed') this.doneBytes += this.items[index].size;
    this.speed.add(this.bytes());
  }

  outcomes(): UploadOutcome[] {
    return [...this.done.entries()].sort(([a], [b]) => a - b).map(([, o]) => o);
  }

  /** Bytes on COS: finished files whole, running ones as far as they got. */
  private bytes(): number {
    let sum = this.doneBytes;
    for (const n of this.sent.values()) sum += n;
    return sum;
  }

  private confirmedBytes(): number {
    let sum = this.doneBytes;
    for (const n of this.confirmed.values()) sum += n;
    return sum;
  }

  /** The view ThrottledProgress draws the bar from (percent by bytes, by files when all are empty). */
  snapshot(): UploadSnapshot {
    const byFiles = this.total === 0;
    return {
      id: 'queue',
      job: this.items[0]?.job ?? { filePath: '', displayPath: '', key: '', profileId: '', profileName: '', bucket: '' },
      state: 'running',
      bytesSent: byFiles ? this.done.size : this.bytes(),
      bytesConfirmed: byFiles ? this.done.size : this.confirmedBytes(),
      bytesTotal: byFiles ? this.items.length : this.total,
      partsDone: this.done.size,
      partCount: this.items.length,
      resumedParts: 0,
    };
  }

  /** `3/10 files · 1 failed · 48.0 MiB/s · 1 min left`. */
  message(): string {
    const failed = [...this.done.values()].filter((o) => o.status === 'failed').length;
    const parts = [vscode.l10n.t('{0}/{1} files', this.done.size, this.items.length)];
    if (failed > 0) parts.push(vscode.l10n.t('{0} failed', failed));
    const rate = this.speed.bytesPerSecond();
    if (rate !== undefined && rate > 0) {
      parts.push(rateText(rate));
      const left = this.speed.secondsLeft(this.total - this.bytes());
      if (left !== undefined && this.done.size < this.items.length) parts.push(formatTimeLeft(left));
    }
    return parts.join(' · ');
  }
}

export function countOutcomes(result: QueueResult, skipped: Partial<SkippedCounts>): QueueCounts {
  const count = (status: UploadOutcome['status']) => result.outcomes.filter((o) => o.status === status).length;
  return {
    uploaded: count('completed'),
    failed: count('failed'),
    paused: count('paused'),
    cancelled: count('cancelled'),
    notStarted: result.notStarted.length,
    skipped: { existing: 0, locked: 0, gitignore: 0, filesExclude: 0, excludeGlobs: 0, ...skipped },
  };
}

/**
 * `8 uploaded, 2 failed, 1 skipped: already in COS`: the non-zero counts, localized; skipped files
 * with their reason, or reasons: `3 skipped: 1 already in COS; 2 ignored by .gitignore`.
 */
export function summaryText(counts: QueueCounts): string {
  const parts = [vscode.l10n.t('{0} uploaded', counts.uploaded)];
  if (counts.failed > 0) parts.push(vscode.l10n.t('{0} failed', counts.failed));
  if (counts.paused > 0) parts.push(vscode.l10n.t('{0} paused (resumable from Show Uploads)', counts.paused));
  if (counts.cancelled > 0) parts.push(vscode.l10n.t('{0} cancelled', counts.cancelled));
  if (counts.notStarted > 0) parts.push(vscode.l10n.t('{0} not started', counts.notStarted));
  const reasons = SKIP_REASONS.filter((r) => counts.skipped[r] > 0);
  if (reasons.length === 1) parts.push(vscode.l10n.t('{0} skipped: {1}', counts.skipped[reasons[0]], skipReason(reasons[0])));
  if (reasons.length > 1) {
    const each = reasons.map((r) => `${counts.skipped[r]} ${skipReason(r)}`);
    parts.push(vscode.l10n.t('{0} skipped: {1}', totalSkipped(counts.skipped), each.join('; ')));
  }
  return parts.join(', ');
}

/** The log block of a finished batch: one line of counts, then one line per file that failed, with the reason. */
export function summaryLogLines(bucket: string, result: QueueResult, counts: QueueCounts, bytes: number): string[] {
  const lines = [
    `batch bucket=${bucket} uploaded=${counts.uploaded} failed=${counts.failed} paused=${counts.paused} cancelled=${counts.cancelled} ` +
      `notStarted=${counts.notStarted} skipped=${totalSkipped(counts.skipped)} ${SKIP_REASONS.map((r) => `skipped.${r}=${counts.skipped[r]}`).join(' ')} bytes=${bytes} (${formatBytes(bytes)}) duration=${result.seconds.toFixed(1)}s${result.cancelled ? ' (cancelled)' : ''}`,
  ];
  for (const outcome of result.outcomes.filter((o) => o.status === 'failed')) {
    const requestId = CosError.is(outcome.error) && outcome.error.requestId ? ` requestId=${outcome.error.requestId}` : '';
    lines.push(`  failed file=${outcome.job.displayPath} key=${outcome.job.key}${requestId}: ${describeError(outcome.error)}`);
  }
  for (const job of result.notStarted) lines.push(`  not started file=${job.displayPath} key=${job.key}: the batch was cancelled`);
  return lines;
}

/**
 * Logs the batch and shows one message for it: a warning with the counts when a file failed, else
 * an information message. Show Log opens the block listing each failure; Show Uploads lists the
 * failed and paused ones, which can be retried there.
 */
export async function showQueueSummary(deps: UploadUiDeps, bucket: string, result: QueueResult, skipped: Partial<SkippedCounts>): Promise<void> {
  const counts = countOutcomes(result, skipped);
  const bytes = result.outcomes.filter((o) => o.status === 'completed').reduce((sum, o) => sum + (o.result?.bytes ?? 0), 0);
  const lines = summaryLogLines(bucket, result, counts, bytes);
  for (const line of lines) {
    if (counts.failed > 0) deps.log.warn(line);
    else deps.log.info(line);
  }
  const showLog = vscode.l10n.t('Show Log');
  const showUploads = vscode.l10n.t('Show Uploads');
  const buttons = counts.failed + counts.paused > 0 ? [showLog, showUploads] : [showLog];
  const message = `${summaryText(counts)}.`;
  const picked = await ask(counts.failed > 0 ? 'warning' : 'info', message, {}, ...buttons);
  if (picked === showLog) deps.log.show();
  else if (picked === showUploads) await runCommand('cosUpload.showUploads');
}
