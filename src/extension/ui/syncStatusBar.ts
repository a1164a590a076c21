import * as vscode from 'vscode';
import { formatSyncProgress, SyncProgressMeter, type SyncEvent, type SyncProgressWords } from '../../core';
import { formatTimeLeft, rateText } from './progressUi';

/** The core's sync progress words, localized: `1,204/2,442 个文件 · 38.0 MiB/秒 · 剩余 12 秒`. */
export const LOCALIZED_SYNC_WORDS: SyncProgressWords = {
  files: (done, total) => vscode.l10n.t('{0}/{1} files', done, total),
  rate: rateText,
  left: formatTimeLeft,
};

/**
 * A running sync's files and bytes, in its notification and in a status-bar item of its own
 * (`$(sync~spin) 1,204/2,442 files · 38.0 MiB/s · 12 s left`), both redrawn at most every 250 ms
 * by one meter, so a 20,000-file sync does not flood the UI process with updates.
 */
export class SyncProgressDisplay implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly meter = new SyncProgressMeter(Date.now());

  constructor(
    folderName: string,
    private readonly report: (message: string) => void,
  ) {
    this.item = vscode.window.createStatusBarItem('cosUpload.syncStatus', vscode.StatusBarAlignment.Left, 49);
    this.item.name = vscode.l10n.t('COS Sync');
    this.item.tooltip = vscode.l10n.t('Syncing {0} to COS', folderName);
    this.item.command = 'cosUpload.showLog';
  }

  readonly onEvent = (event: SyncEvent): void => {
    if (event.type !== 'progress') return;
    const figures = this.meter.due(event, Date.now());
    if (!figures) return;
    const text = formatSyncProgress(figures, LOCALIZED_SYNC_WORDS);
    this.report(text);
    this.item.text = `$(sync~spin) ${text}`;
    this.item.show();
  };

  /** What the status-bar item shows now, for the test API. */
  get statusText(): string {
    return this.item.text;
  }

  dispose(): void {
    this.item.dispose();
  }
}
