import * as vscode from 'vscode';
import { formatRate } from '../../core/sizes';
import type { UploadHandle, UploadManager, UploadOutcome, UploadSnapshot } from '../uploads/uploadManager';

/** Notification updates per second are capped: more is noise, and each one crosses to the UI process. */
export const PROGRESS_INTERVAL_MS = 250;

/**
 * An AbortSignal that follows a CancellationToken. Dispose it when the work is done so the token
 * does not keep the listener (and what it references) alive.
 */
export function abortSignalFromToken(token: vscode.CancellationToken): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  if (token.isCancellationRequested) {
    controller.abort();
    return { signal: controller.signal, dispose: () => undefined };
  }
  const listener = token.onCancellationRequested(() => controller.abort());
  return { signal: controller.signal, dispose: () => listener.dispose() };
}

/** `12 s left`, `4 min left`, `2 h 5 min left`. */
export function formatTimeLeft(seconds: number): string {
  if (seconds < 60) return vscode.l10n.t('{0} s left', Math.max(1, Math.ceil(seconds)));
  if (seconds < 3600) return vscode.l10n.t('{0} min left', Math.round(seconds / 60));
  const hours = Math.floor(seconds / 3600);
  return vscode.l10n.t('{0} h {1} min left', hours, Math.round((seconds - hours * 3600) / 60));
}

/** The core's rate with the unit localized: `48.0 MiB/s`, `48.0 MiB/秒`. */
export function rateText(bytesPerSecond: number): string {
  return formatRate(bytesPerSecond, (size) => vscode.l10n.t('{0}/s', size));
}

/**
 * The notification's message, e.g. `7/16 parts · 43% · 48.0 MiB/s · 1 min left`: parts and percent
 * both count what COS has confirmed, and `completing…` stays until COS has confirmed Complete.
 */
export function progressMessage(s: UploadSnapshot): string {
  if (s.state === 'queued') return vscode.l10n.t('waiting for another upload to finish');
  if (s.partCount === 0) return vscode.l10n.t('starting…');
  const allSent = s.partsDone >= s.partCount && s.state === 'running';
  const parts = allSent
    ? [vscode.l10n.t('completing…')]
    : [s.partCount === 1 ? vscode.l10n.t('{0}/1 part · {1}%', s.partsDone, Math.floor(confirmedPercent(s))) : vscode.l10n.t('{0}/{1} parts · {2}%', s.partsDone, s.partCount, Math.floor(confirmedPercent(s)))];
  if (!allSent && s.bytesPerSecond !== undefined && s.bytesPerSecond > 0) parts.push(rateText(s.bytesPerSecond));
  if (!allSent && s.secondsLeft !== undefined) parts.push(formatTimeLeft(s.secondsLeft));
  if (s.resumedParts > 0) parts.push(s.resumedParts === 1 ? vscode.l10n.t('resumed with 1 part already on COS') : vscode.l10n.t('resumed with {0} parts already on COS', s.resumedParts));
  if (s.restarted) {
    parts.push(s.restarted.serverForgot ? vscode.l10n.t('started over: COS no longer knew the interrupted upload') : vscode.l10n.t('started over: the file changed'));
  }
  return parts.join(' · ');
}

export function percentOf(s: Pick<UploadSnapshot, 'bytesSent' | 'bytesTotal'>): number {
  if (s.bytesTotal <= 0) return 0;
  return Math.min(100, Math.max(0, (s.bytesSent / s.bytesTotal) * 100));
}

/** Percent of the bytes COS has confirmed; below 100 until the upload has completed (Complete confirmed). */
export function confirmedPercent(s: Pick<UploadSnapshot, 'bytesConfirmed' | 'bytesTotal' | 'state'>): number {
  if (s.state === 'completed') return 100;
  if (s.bytesTotal <= 0) return 0;
  return Math.min(99, Math.max(0, (s.bytesConfirmed / s.bytesTotal) * 100));
}

/**
 * Turns snapshots into `Progress.report` calls: at most one per interval (the latest wins, and
 * is delivered when the interval ends), increments that never go backwards, and a changed
 * message only when it changed.
 */
export class ThrottledProgress implements vscode.Disposable {
  private reportedPercent = 0;
  private lastReportAt = Number.NEGATIVE_INFINITY;
  private pending: UploadSnapshot | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastMessage: string | undefined;

  constructor(
    private readonly progress: vscode.Progress<{ message?: string; increment?: number }>,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
    private readonly now: () => number = Date.now,
    private readonly describe: (s: UploadSnapshot) => string = progressMessage,
  ) {}

  update(snapshot: UploadSnapshot, force = false): void {
    const wait = this.lastReportAt + this.intervalMs - this.now();
    if (force || wait <= 0) {
      this.flush(snapshot);
      return;
    }
    this.pending = snapshot;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.pending) this.flush(this.pending);
    }, wait);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private flush(snapshot: UploadSnapshot): void {
    this.pending = undefined;
    this.lastReportAt = this.now();
    const percent = confirmedPercent(snapshot);
    // A retried part makes the byte count drop; the bar must not (report takes increments only).
    const increment = Math.max(0, percent - this.reportedPercent);
    this.reportedPercent = Math.max(this.reportedPercent, percent);
    const message = this.describe(snapshot);
    if (increment === 0 && message === this.lastMessage) return;
    this.lastMessage = message;
    this.progress.report(increment > 0 ? { message, increment } : { message });
  }
}

/**
 * Shows a running upload as a cancellable progress notification until its run ends. Cancel in the
 * notification is the manager's cancel, which follows the `cosUpload.onCancel` setting.
 */
export function followInNotification(manager: UploadManager, handle: UploadHandle, title: string): Thenable<UploadOutcome> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const reporter = new ThrottledProgress(progress);
    const subscriptions: vscode.Disposable[] = [
      reporter,
      manager.onDidChange(({ snapshot, stateChanged }) => {
        if (snapshot.id === handle.id) reporter.update(snapshot, stateChanged);
      }),
      token.onCancellationRequested(() => void manager.cancel(handle.id).catch(() => undefined)),
    ];
    const current = manager.get(handle.id);
    if (current) reporter.update(current, true);
    try {
      return await handle.done;
    } finally {
      for (const s of subscriptions) s.dispose();
    }
  });
}

/** The message of a several-file notification: `2 of 5 files · 48.0 MiB/s · 1 min left`. */
function filesMessage(s: UploadSnapshot): string {
  const parts = [s.partCount === 1 ? vscode.l10n.t('{0} of 1 file', s.partsDone) : vscode.l10n.t('{0} of {1} files', s.partsDone, s.partCount)];
  if (s.bytesPerSecond !== undefined && s.bytesPerSecond > 0) parts.push(rateText(s.bytesPerSecond));
  if (s.secondsLeft !== undefined && s.partsDone < s.partCount) parts.push(formatTimeLeft(s.secondsLeft));
  return parts.join(' · ');
}

/**
 * One notification for several uploads (an Explorer multi-selection) rather than one each:
 * percent over all their bytes, files done, combined speed. Cancel cancels all of them.
 * `sizes` are the file sizes known before the uploads start, so the bar does not jump.
 */
export function followAllInNotification(manager: UploadManager, handles: UploadHandle[], sizes: number[], title: string): Thenable<UploadOutcome[]> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const reporter = new ThrottledProgress(progress, PROGRESS_INTERVAL_MS, Date.now, filesMessage);
    const latest = new Map<string, UploadSnapshot>();
    const finished = new Map<string, UploadOutcome>();
    const total = sizes.reduce((sum, n) => sum + n, 0);
    const view = (): UploadSnapshot => {
      let sent = 0;
      let rate = 0;
      handles.forEach((h, i) => {
        const outcome = finished.get(h.id);
        if (outcome?.status === 'completed') sent += sizes[i];
        else sent += latest.get(h.id)?.bytesConfirmed ?? 0;
        if (!outcome) rate += latest.get(h.id)?.bytesPerSecond ?? 0;
      });
      const done = [...finished.values()].filter((o) => o.status === 'completed').length;
      const first = latest.get(handles[0].id) ?? manager.get(handles[0].id);
      return {
        id: 'all',
        job: first?.job ?? { filePath: '', displayPath: '', key: '', profileId: '', profileName: '', bucket: '' },
        state: 'running',
        bytesSent: sent,
        bytesConfirmed: sent,
        bytesTotal: total,
        partsDone: done,
        partCount: handles.length,
        resumedParts: 0,
        ...(rate > 0 ? { bytesPerSecond: rate, secondsLeft: Math.max(0, total - sent) / rate } : {}),
      };
    };
    const ids = new Set(handles.map((h) => h.id));
    const subscriptions: vscode.Disposable[] = [
      reporter,
      manager.onDidChange(({ snapshot, stateChanged }) => {
        if (!ids.has(snapshot.id)) return;
        latest.set(snapshot.id, snapshot);
        reporter.update(view(), stateChanged);
      }),
      token.onCancellationRequested(() => {
        for (const h of handles) if (!finished.has(h.id)) void manager.cancel(h.id).catch(() => undefined);
      }),
    ];
    reporter.update(view(), true);
    try {
      return await Promise.all(
        handles.map((h) =>
          h.done.then((outcome) => {
            finished.set(h.id, outcome);
            reporter.update(view(), true);
            return outcome;
          }),
        ),
      );
    } finally {
      for (const s of subscriptions) s.dispose();
    }
  });
}
