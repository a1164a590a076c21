import * as vscode from 'vscode';
import { confirmedPercent, rateText, PROGRESS_INTERVAL_MS } from './progressUi';
import type { UploadManager, UploadSnapshot, UploadState } from '../uploads/uploadManager';

/** How long the result of the last upload stays in the status bar. */
const RESULT_VISIBLE_MS = 5000;

/** What the status bar item shows, for the test API. */
export interface StatusBarSnapshot {
  visible: boolean;
  text: string;
  tooltip: string;
}

/**
 * `$(cloud-upload) 2 · 45% · 48.0 MiB/s` while uploads run (tooltip: one line per upload; click:
 * Show Uploads), then the outcome for a few seconds, then `$(debug-pause) 1 paused` for as long as
 * an upload waits to be resumed, else nothing. The percent counts the bytes COS confirmed of every
 * upload of the busy period, finished ones included, so a folder upload moves file by file and
 * stays below 100% until the last Complete is confirmed.
 */
export class UploadStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscription: vscode.Disposable;
  private visible = false;
  private lastRenderAt = 0;
  private renderTimer: ReturnType<typeof setTimeout> | undefined;
  private hideTimer: ReturnType<typeof setTimeout> | undefined;
  /** How the uploads of the current busy period ended. */
  private ended: UploadState[] = [];
  /** Uploads seen queued or running in this busy period; only their endings are reported. */
  private readonly active = new Set<string>();
  /** Confirmed and total bytes of each upload of the current busy period. */
  private readonly period = new Map<string, { confirmed: number; total: number }>();

  constructor(private readonly manager: UploadManager) {
    this.item = vscode.window.createStatusBarItem('cosUpload.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = vscode.l10n.t('COS Uploads');
    this.item.command = 'cosUpload.showUploads';
    this.subscription = manager.onDidChange(({ snapshot, stateChanged }) => {
      if (snapshot.job.origin === 'onSave') return;
      if (snapshot.state === 'running' || snapshot.state === 'queued') this.active.add(snapshot.id);
      else if (stateChanged && this.active.delete(snapshot.id)) this.ended.push(snapshot.state);
      if (this.active.has(snapshot.id) || snapshot.state === 'completed') {
        this.period.set(snapshot.id, { confirmed: snapshot.state === 'completed' ? snapshot.bytesTotal : snapshot.bytesConfirmed, total: snapshot.bytesTotal });
      } else {
        // Paused, failed or cancelled: its bytes leave the busy period's measure.
        this.period.delete(snapshot.id);
      }
      if (stateChanged) this.render();
      else this.scheduleRender();
    });
  }

  snapshot(): StatusBarSnapshot {
    const tooltip = this.item.tooltip;
    return { visible: this.visible, text: this.item.text, tooltip: typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? '') };
  }

  dispose(): void {
    if (this.renderTimer) clearTimeout(this.renderTimer);
    if (this.hideTimer) clearTimeout(this.hideTimer);
    this.subscription.dispose();
    this.item.dispose();
  }

  private scheduleRender(): void {
    if (this.renderTimer) return;
    const wait = Math.max(0, this.lastRenderAt + PROGRESS_INTERVAL_MS - Date.now());
    this.renderTimer = setTimeout(() => {
      this.renderTimer = undefined;
      this.render();
    }, wait);
  }

  private render(): void {
    this.lastRenderAt = Date.now();
    const active = this.uploads().filter((s) => s.state === 'running' || s.state === 'queued');
    if (active.length > 0) {
      if (this.hideTimer) clearTimeout(this.hideTimer);
      this.hideTimer = undefined;
      this.showActive(active);
      return;
    }
    this.period.clear();
    if (this.ended.length > 0) this.showResult();
    else if (!this.hideTimer) this.showWaiting();
  }

  /** Uploads paused or interrupted, waiting to be resumed from Show Uploads. */
  private waiting(): number {
    return this.uploads().filter((s) => s.state === 'paused').length;
  }

  /** Upload on save has its own item (uploadOnSave/saveStatusBar.ts): its uploads are left out here. */
  private uploads(): UploadSnapshot[] {
    return this.manager.list().filter((s) => s.job.origin !== 'onSave');
  }

  /** `$(debug-pause) 1 paused` while an upload waits to be resumed; hidden when none does. */
  private showWaiting(): void {
    const paused = this.waiting();
    if (paused === 0) {
      this.item.backgroundColor = undefined;
      this.setVisible(false);
      return;
    }
    this.item.text = `$(debug-pause) ${vscode.l10n.t('{0} paused', paused)}`;
    this.item.tooltip = paused === 1 ? vscode.l10n.t('1 upload is paused; click to resume it from Show Uploads.') : vscode.l10n.t('{0} uploads are paused; click to resume them from Show Uploads.', paused);
    this.item.backgroundColor = undefined;
    this.setVisible(true);
  }

  private showActive(active: UploadSnapshot[]): void {
    const running = active.filter((s) => s.state === 'running');
    let confirmed = 0;
    let total = 0;
    for (const p of this.period.values()) {
      confirmed += p.confirmed;
      total += p.total;
    }
    const rate = running.reduce((sum, s) => sum + (s.bytesPerSecond ?? 0), 0);
    const percent = confirmedPercent({ bytesConfirmed: confirmed, bytesTotal: total, state: 'running' });
    const parts = [`$(cloud-upload) ${active.length}`, `${Math.floor(percent)}%`];
    const paused = this.waiting();
    if (paused > 0) parts.push(vscode.l10n.t('{0} paused', paused));
    if (rate > 0) parts.push(rateText(rate));
    this.item.text = parts.join(' · ');
    // Plain text, not Markdown: the extension host parses a Markdown tooltip on every update, and
    // the parser's first run lands on the session's first upload.
    const lines = [vscode.l10n.t('COS uploads'), ''];
    for (const s of active) {
      const state = s.state === 'queued' ? vscode.l10n.t('waiting') : `${Math.floor(confirmedPercent(s))}%`;
      const speed = s.bytesPerSecond ? ` · ${rateText(s.bytesPerSecond)}` : '';
      lines.push(`${s.job.displayPath} → ${s.job.bucket}/${s.job.key}: ${state}${speed}`);
    }
    lines.push('', vscode.l10n.t('Click to pause, resume or cancel.'));
    this.item.tooltip = lines.join('\n');
    this.item.backgroundColor = undefined;
    this.setVisible(true);
  }

  private showResult(): void {
    const ended = this.ended;
    this.ended = [];
    if (ended.includes('failed')) {
      this.item.text = `$(error) ${vscode.l10n.t('Upload failed')}`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else if (ended.includes('paused')) {
      this.item.text = `$(debug-pause) ${vscode.l10n.t('Upload paused')}`;
    } else if (ended.includes('completed')) {
      this.item.text = `$(check) ${vscode.l10n.t('Uploaded')}`;
    } else {
      this.item.text = `$(circle-slash) ${vscode.l10n.t('Upload cancelled')}`;
    }
    this.item.tooltip = vscode.l10n.t('Show Uploads');
    this.setVisible(true);
    if (this.hideTimer) clearTimeout(this.hideTimer);
    this.hideTimer = setTimeout(() => {
      this.hideTimer = undefined;
      this.item.backgroundColor = undefined;
      this.showWaiting();
    }, RESULT_VISIBLE_MS);
  }

  private setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    if (visible) this.item.show();
    else this.item.hide();
  }
}
