import * as vscode from 'vscode';
import { describeError } from '../../core';
import { rateText, formatTimeLeft, percentOf } from '../ui/progressUi';
import type { UploadOutcome, UploadSnapshot } from '../uploads/uploadManager';
import { trackUpload, type UploadUiDeps } from '../uploads/uploadUi';

export type UploadAction = 'pause' | 'resume' | 'cancel';

/** `executeCommand('cosUpload.showUploads', { action, id })` acts on one upload without the list. */
export interface UploadActionArgs {
  action: UploadAction;
  id: string;
}

const ICONS: Record<UploadSnapshot['state'], string> = {
  queued: '$(clock)',
  running: '$(sync~spin)',
  paused: '$(debug-pause)',
  failed: '$(error)',
  completed: '$(check)',
  cancelled: '$(circle-slash)',
};

interface UploadItem extends vscode.QuickPickItem {
  id: string;
}

/**
 * Show Uploads: running, queued, paused and failed uploads in a live list. Each row has buttons
 * for what can be done to it (pause, resume, cancel); picking a row offers the same as a menu.
 * With {@link UploadActionArgs} it performs the action directly; a resume resolves when that run ends.
 */
export async function showUploadsCommand(deps: UploadUiDeps, args?: unknown): Promise<UploadOutcome | undefined> {
  if (isActionArgs(args)) return act(deps, args.action, args.id);
  const picker = vscode.window.createQuickPick<UploadItem>();
  picker.title = vscode.l10n.t('COS Uploads');
  picker.placeholder = vscode.l10n.t('Pick an upload to pause, resume or cancel it');
  picker.matchOnDescription = true;
  picker.matchOnDetail = true;
  const buttons = {
    pause: { iconPath: new vscode.ThemeIcon('debug-pause'), tooltip: vscode.l10n.t('Pause (keep the parts sent so far on COS)') },
    resume: { iconPath: new vscode.ThemeIcon('debug-start'), tooltip: vscode.l10n.t('Resume') },
    cancel: { iconPath: new vscode.ThemeIcon('close'), tooltip: vscode.l10n.t('Cancel') },
    discard: { iconPath: new vscode.ThemeIcon('trash'), tooltip: vscode.l10n.t('Discard (abort on COS, delete its parts)') },
  };
  const render = (): void => {
    const active = picker.activeItems[0]?.id;
    const items = deps.manager.list().map((s) => itemFor(s, buttons));
    picker.items = items.length > 0 ? items : [{ id: '', label: vscode.l10n.t('No uploads are running or paused.'), alwaysShow: true }];
    const keep = items.find((i) => i.id === active);
    if (keep) picker.activeItems = [keep];
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const subscriptions: vscode.Disposable[] = [
    // Re-render at most a few times a second; every progress event would make the list flicker.
    deps.manager.onDidChange(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        render();
      }, 500);
    }),
    picker.onDidTriggerItemButton((e) => {
      const button = e.button as (typeof buttons)[keyof typeof buttons];
      const action = button === buttons.pause ? 'pause' : button === buttons.resume ? 'resume' : 'cancel';
      void act(deps, action, e.item.id);
    }),
    picker.onDidAccept(() => {
      const id = picker.selectedItems[0]?.id;
      if (id) void chooseAction(deps, id);
      picker.hide();
    }),
  ];
  render();
  picker.show();
  await new Promise<void>((resolve) => subscriptions.push(picker.onDidHide(() => resolve())));
  if (timer) clearTimeout(timer);
  for (const s of subscriptions) s.dispose();
  picker.dispose();
  return undefined;
}

function isActionArgs(value: unknown): value is UploadActionArgs {
  const v = value as UploadActionArgs;
  return typeof v === 'object' && v !== null && typeof v.id === 'string' && ['pause', 'resume', 'cancel'].includes(v.action);
}

function itemFor(s: UploadSnapshot, buttons: Record<'pause' | 'resume' | 'cancel' | 'discard', vscode.QuickInputButton>): UploadItem {
  const details: string[] = [];
  if (s.bytesTotal > 0) details.push(`${Math.floor(percentOf(s))}%`);
  if (s.partCount > 0) details.push(vscode.l10n.t('part {0}/{1}', s.partsDone, s.partCount));
  if (s.state === 'running' && s.bytesPerSecond) details.push(rateText(s.bytesPerSecond));
  if (s.state === 'running' && s.secondsLeft !== undefined) details.push(formatTimeLeft(s.secondsLeft));
  const stateText: Record<UploadSnapshot['state'], string> = {
    queued: vscode.l10n.t('waiting'),
    running: vscode.l10n.t('uploading'),
    paused: vscode.l10n.t('paused'),
    failed: vscode.l10n.t('failed'),
    completed: vscode.l10n.t('done'),
    cancelled: vscode.l10n.t('cancelled'),
  };
  const rowButtons =
    s.state === 'running' || s.state === 'queued'
      ? [buttons.pause, buttons.cancel]
      : s.state === 'paused' || s.state === 'failed'
        ? [buttons.resume, buttons.discard]
        : [];
  return {
    id: s.id,
    label: `${ICONS[s.state]} ${s.job.displayPath}`,
    description: [stateText[s.state], ...details].join(' · '),
    detail: `${s.job.bucket}/${s.job.key}${s.error ? ` — ${s.error.message}` : ''}`,
    buttons: rowButtons,
  };
}

async function chooseAction(deps: UploadUiDeps, id: string): Promise<void> {
  const s = deps.manager.get(id);
  if (!s) return;
  type Item = vscode.QuickPickItem & { action: UploadAction };
  const items: Item[] =
    s.state === 'running' || s.state === 'queued'
      ? [
          { label: `$(debug-pause) ${vscode.l10n.t('Pause')}`, detail: vscode.l10n.t('Stop now and keep the parts sent so far on COS, to resume later.'), action: 'pause' },
          { label: `$(close) ${vscode.l10n.t('Cancel')}`, detail: cancelDetail(deps), action: 'cancel' },
        ]
      : [
          { label: `$(debug-start) ${vscode.l10n.t('Resume')}`, detail: vscode.l10n.t('Continue from the parts already on COS.'), action: 'resume' },
          { label: `$(trash) ${vscode.l10n.t('Discard')}`, detail: vscode.l10n.t('Abort the multipart upload on COS (its parts are deleted) and forget it.'), action: 'cancel' },
        ];
  const picked = await vscode.window.showQuickPick(items, { title: s.job.displayPath, placeHolder: `${s.job.bucket}/${s.job.key}` });
  if (picked) await act(deps, picked.action, id);
}

function cancelDetail(deps: UploadUiDeps): string {
  return deps.settings().onCancel === 'keep'
    ? vscode.l10n.t('Stop; the parts stay on COS so it can resume (setting cosUpload.onCancel).')
    : vscode.l10n.t('Stop and abort the upload on COS (setting cosUpload.onCancel).');
}

async function act(deps: UploadUiDeps, action: UploadAction, id: string): Promise<UploadOutcome | undefined> {
  if (!deps.manager.get(id)) return undefined;
  try {
    switch (action) {
      case 'pause':
        deps.manager.pause(id);
        return undefined;
      case 'cancel': {
        const outcome = await deps.manager.cancel(id);
        // Discarding failed: the upload is still on COS and stays listed.
        if (outcome?.status === 'failed') {
          const showLog = vscode.l10n.t('Show Log');
          void vscode.window
            .showErrorMessage(vscode.l10n.t('The upload could not be aborted on COS; it stays listed so you can try again: {0}', describeError(outcome.error)), showLog)
            .then((picked) => picked === showLog && deps.log.show());
        }
        return outcome;
      }
      case 'resume':
        return await trackUpload(deps, deps.manager.resume(id));
    }
  } catch (error) {
    deps.log.error(`${action} failed id=${id}: ${describeError(error)}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('The upload could not be changed: {0}', error instanceof Error ? error.message : String(error)));
    return undefined;
  }
}
