import * as vscode from 'vscode';
import type { CommandId } from '../commands/ids';
import type { SchedulerState } from './saveScheduler';

/** What the upload-on-save item shows, for the test API. */
export interface SaveStatusSnapshot {
  visible: boolean;
  text: string;
  tooltip: string;
  /** How many times the item turned to "failed": once per run of failures, not once per save. */
  failuresShown: number;
}

/** Everything the item is drawn from. */
export interface SaveStatusInput {
  state: SchedulerState;
  /** Entries in cosUpload.uploadOnSave that apply somewhere in the workspace. */
  ruleCount: number;
  /** Localized problems of bad entries. */
  problems: string[];
}

/**
 * `$(cloud-upload) on save` while entries apply; spinning while uploading; waiting for another
 * uploader's lock; paused; failed with the reasons in the tooltip. A click pauses or resumes.
 */
export class SaveStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private visible = false;
  private showingFailure = false;
  private failuresShown = 0;

  constructor() {
    this.item = vscode.window.createStatusBarItem('cosUpload.uploadOnSave', vscode.StatusBarAlignment.Left, 49);
    this.item.name = vscode.l10n.t('COS Upload on Save');
  }

  render({ state, ruleCount, problems }: SaveStatusInput): void {
    const label = vscode.l10n.t('on save');
    const failed = state.failed.size > 0;
    if (failed && !this.showingFailure) this.failuresShown++;
    this.showingFailure = failed;
    const lines: string[] = [];
    let icon = '$(cloud-upload)';
    if (state.paused) {
      icon = '$(debug-pause)';
      lines.push(state.pending > 0 ? vscode.l10n.t('Upload on save is paused; {0} saved files wait for Resume.', state.pending) : vscode.l10n.t('Upload on save is paused.'));
    } else if (failed) {
      icon = '$(error)';
    } else if (state.waitingForLock.size > 0) {
      icon = '$(watch)';
    } else if (state.uploading.length > 0) {
      icon = '$(sync~spin)';
    }
    if (!state.paused && !failed && state.waitingForLock.size === 0) {
      lines.push(state.uploading.length > 0 ? vscode.l10n.t('Uploading {0} saved files.', state.uploading.length) : vscode.l10n.t('Saved files matching cosUpload.uploadOnSave are uploaded to COS.'));
    }
    for (const reason of state.failed.values()) lines.push(vscode.l10n.t('Upload on save failed: {0}', reason));
    for (const reason of state.waitingForLock.values()) lines.push(vscode.l10n.t('Waiting for the other upload to finish, then uploading: {0}', reason));
    for (const problem of problems) lines.push(problem);
    lines.push(state.paused ? vscode.l10n.t('Click to resume.') : vscode.l10n.t('Click to pause.'));
    this.item.text = `${icon} ${label}`;
    this.item.tooltip = lines.join('\n');
    this.item.backgroundColor = failed ? new vscode.ThemeColor('statusBarItem.errorBackground') : problems.length > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const command: CommandId = state.paused ? 'cosUpload.resumeUploadOnSave' : 'cosUpload.pauseUploadOnSave';
    this.item.command = command;
    const busy = state.paused || failed || state.uploading.length > 0 || state.waitingForLock.size > 0 || state.pending > 0;
    this.setVisible(ruleCount > 0 || problems.length > 0 || busy);
  }

  snapshot(): SaveStatusSnapshot {
    const tooltip = this.item.tooltip;
    return { visible: this.visible, text: this.item.text, tooltip: typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? ''), failuresShown: this.failuresShown };
  }

  dispose(): void {
    this.item.dispose();
  }

  private setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    if (visible) this.item.show();
    else this.item.hide();
  }
}
