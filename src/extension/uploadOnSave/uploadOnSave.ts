import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ProfileStore } from '../profiles/profileStore';
import { SECTION } from '../settings/settings';
import type { UploadLog } from '../ui/log';
import { matchSavedFile, parseSaveRules, type SaveRuleProblem } from './saveRules';
import { type SaveAttempt, SaveScheduler, type SchedulerState } from './saveScheduler';
import { type SaveStatusSnapshot, SaveStatusBar } from './saveStatusBar';
import type { SavedFile } from './saveUpload';

const SETTING = 'uploadOnSave';
/** workspaceState key: whether upload on save is paused in this workspace (kept across reloads). */
export const SAVE_PAUSED_STATE_KEY = 'cosUpload.uploadOnSavePaused';

/** A save the scheduler uploads, or the reason it cannot (its entry names no existing profile). */
type SaveJob = { file: SavedFile } | { problem: string };

export interface UploadOnSaveDeps {
  profiles: ProfileStore;
  log: UploadLog;
  /** The workspace's Memento (context.workspaceState): a pause outlives a window reload. */
  state: vscode.Memento;
  /** Uploads one saved file (uploadSavedFile, loaded with the command bundle on first use). */
  upload(file: SavedFile): Promise<SaveAttempt>;
}

/**
 * Upload on save: watches saves, matches them against `cosUpload.uploadOnSave`, and hands them to
 * the save scheduler, which uploads through the upload manager. Pausing holds saves until resumed,
 * and stays paused across reloads (workspaceState). Text documents and notebooks are watched;
 * a file changed on disk by another program is not (no save event).
 */
export class UploadOnSave implements vscode.Disposable {
  private readonly scheduler: SaveScheduler<SaveJob>;
  private readonly statusBar = new SaveStatusBar();
  private readonly subscriptions: vscode.Disposable[];
  private ruleCount = 0;
  private problems: string[] = [];
  private loggedLockWaits = new Set<string>();

  constructor(private readonly deps: UploadOnSaveDeps) {
    this.scheduler = new SaveScheduler<SaveJob>({
      upload: (job) => ('problem' in job ? Promise.resolve({ status: 'failed', reason: job.problem }) : deps.upload(job.file)),
      onStateChange: (state) => this.stateChanged(state),
    });
    this.subscriptions = [
      vscode.workspace.onDidSaveTextDocument((document) => this.saved(document.uri)),
      vscode.workspace.onDidSaveNotebookDocument((notebook) => this.saved(notebook.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.${SETTING}`)) this.readRules();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.readRules()),
    ];
    if (deps.state.get<boolean>(SAVE_PAUSED_STATE_KEY) === true) this.setPaused(true, 'paused (as it was left in this workspace)');
    this.readRules();
  }

  pause(): Promise<void> {
    this.setPaused(true, 'paused');
    return Promise.resolve(this.deps.state.update(SAVE_PAUSED_STATE_KEY, true));
  }

  resume(): Promise<void> {
    this.setPaused(false, 'resumed');
    return Promise.resolve(this.deps.state.update(SAVE_PAUSED_STATE_KEY, undefined));
  }

  snapshot(): SaveStatusSnapshot & { paused: boolean } {
    return { ...this.statusBar.snapshot(), paused: this.scheduler.isPaused() };
  }

  dispose(): void {
    this.scheduler.dispose();
    this.subscriptions.forEach((s) => s.dispose());
    this.statusBar.dispose();
  }

  /** The scheduler, the log and the menus' context key, in step. */
  private setPaused(paused: boolean, what: string): void {
    if (paused) this.scheduler.pause();
    else this.scheduler.resume();
    this.deps.log.info(`upload on save: ${what}`);
    void vscode.commands.executeCommand('setContext', 'cosUpload.uploadOnSavePaused', paused);
  }

  private saved(uri: vscode.Uri): void {
    if (uri.scheme !== 'file') return;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return;
    const { rules } = parseSaveRules(vscode.workspace.getConfiguration(SECTION, uri).get(SETTING));
    if (rules.length === 0) return;
    const relative = path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/');
    const match = matchSavedFile(rules, relative);
    if (!match) return;
    const profile = this.deps.profiles.find(match.rule.profile);
    if (!profile) {
      const problem = vscode.l10n.t(
        'No bucket profile is named {0} (cosUpload.uploadOnSave entry {1}); add it with COS: Add Bucket Profile, or correct the entry: {2}',
        match.rule.profile,
        match.rule.index,
        relative,
      );
      this.scheduler.saved(`no profile\n${uri.fsPath}`, { problem });
      return;
    }
    const prefix = match.rule.prefix ?? profile.prefix;
    const file: SavedFile = { filePath: uri.fsPath, relativePath: match.relativePath, prefix, profileId: profile.id, profileName: profile.name, bucket: profile.bucket };
    // One upload at a time per object key: the key is prefix + path for one profile.
    this.scheduler.saved(`${profile.id}\n${prefix}${match.relativePath}`, { file });
  }

  /** Counts the entries that apply and localizes the bad ones, across every workspace folder. */
  private readRules(): void {
    const scopes: Array<vscode.Uri | undefined> = vscode.workspace.workspaceFolders?.map((f) => f.uri) ?? [undefined];
    let count = 0;
    const problems = new Set<string>();
    for (const scope of scopes) {
      const parsed = parseSaveRules(vscode.workspace.getConfiguration(SECTION, scope).get(SETTING));
      count += parsed.rules.length;
      for (const problem of parsed.problems) problems.add(problemText(problem));
    }
    const fresh = [...problems].filter((p) => !this.problems.includes(p));
    for (const problem of fresh) this.deps.log.warn(`upload on save: ${problem}`);
    this.ruleCount = count;
    this.problems = [...problems];
    this.render(this.scheduler.state());
  }

  private stateChanged(state: SchedulerState): void {
    // A wait for another uploader's lock is logged when it begins, not at every retry.
    for (const [key, reason] of state.waitingForLock) {
      if (!this.loggedLockWaits.has(key)) this.deps.log.info(`upload on save: waiting for the lock, retrying every few seconds: ${reason}`);
    }
    this.loggedLockWaits = new Set(state.waitingForLock.keys());
    this.render(state);
  }

  private render(state: SchedulerState): void {
    this.statusBar.render({ state, ruleCount: this.ruleCount, problems: this.problems });
  }
}

function problemText(problem: SaveRuleProblem): string {
  switch (problem.kind) {
    case 'notAnObject':
      return vscode.l10n.t('cosUpload.uploadOnSave entry {0} is not an object with "folder" or "glob", and "profile"; it is ignored.', problem.index);
    case 'noProfile':
      return vscode.l10n.t('cosUpload.uploadOnSave entry {0} names no "profile"; it is ignored.', problem.index);
    case 'noFolderOrGlob':
      return vscode.l10n.t('cosUpload.uploadOnSave entry {0} needs a "folder" or a "glob" (use "**/*" for every file); it is ignored.', problem.index);
    case 'folderOutside':
      return vscode.l10n.t('cosUpload.uploadOnSave entry {0}: "folder" must be relative to the workspace folder, without ".."; it is ignored.', problem.index);
    case 'badPrefix':
      return vscode.l10n.t('cosUpload.uploadOnSave entry {0}: "prefix" must not start with "/" or contain "\\"; it is ignored.', problem.index);
  }
}
