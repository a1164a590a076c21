import * as path from 'node:path';
import * as vscode from 'vscode';
import { CosError, describeError, findUploadLock, type UploadLockedError } from '../../core';
import { headHeaders, withClient } from '../profiles/clients';
import { showFailure } from '../ui/errorUi';
import { expandSelection, type SelectedFile } from '../files/folderUpload';
import { defaultObjectKey, objectKeyProblem, workspaceRelativePath } from '../files/keyNaming';
import { type BucketProfile, targetOf } from '../profiles/profileStore';
import type { UploadJob, UploadOutcome } from '../uploads/uploadManager';
import { runUploadQueue, showQueueSummary } from '../uploads/uploadQueue';
import { trackUpload, type UploadUiDeps } from '../uploads/uploadUi';
import { pickProfile } from '../profiles/profilePicker';
import { ask } from '../ui/prompts';
import { markCommandPhase } from '../debugTiming';

/**
 * Arguments for running the upload without prompts (tasks, keybindings, tests):
 * `executeCommand('cosUpload.uploadFile', { uri, profile, key, overwrite })`.
 */
export interface UploadArgs {
  /** A Uri, a URI string, or a path (relative paths are resolved against the first workspace folder). */
  uri?: vscode.Uri | string;
  uris?: Array<vscode.Uri | string>;
  /** Profile name (or id). */
  profile?: string;
  /** Object key for a single file; default: the profile's prefix + workspace-relative path. */
  key?: string;
  /**
   * Upload under this key prefix (the COS view's drop target / Upload Here): each file's key is the
   * prefix + its name, or for a folder's files the folder's name and the path inside it.
   */
  prefix?: string;
  /** true: overwrite without asking; false: skip files whose key exists; unset: ask. */
  overwrite?: boolean;
}

/**
 * What the upload commands resolve with: one entry per file, including the skipped ones (the
 * object exists, or a cancelled batch never started the file).
 */
export type UploadCommandResult = Array<UploadOutcome | { status: 'skipped'; job: UploadJob; reason: string }>;

/** Head Object requests in flight at once when checking a multi-file selection. */
const HEAD_CONCURRENCY = 16;

interface Planned {
  uri: vscode.Uri;
  job: UploadJob;
  /** Bytes, from before the upload (for a multi-file progress bar). */
  size: number;
}

/**
 * Upload File to COS. From the palette: pick a workspace file (the active editor's first), a
 * profile and the key. From the Explorer: `(clicked, selected)` URIs, files and folders (listed
 * recursively, see {@link expandSelection}). With an {@link UploadArgs} object: no prompts except
 * an overwrite question when `overwrite` is unset. Several files go through one queue with one
 * notification and a summary at the end.
 * Resolves when every upload has ended (completed, paused, cancelled or failed).
 */
export async function uploadCommand(deps: UploadUiDeps, first?: unknown, second?: unknown): Promise<UploadCommandResult> {
  const args = isUploadArgs(first) ? first : undefined;
  const uris =
    args && (args.uri !== undefined || args.uris !== undefined)
      ? urisFromArgs(args)
      : first instanceof vscode.Uri
        ? selectedUris(first, second)
        : await pickWorkspaceFile(deps);
  if (!uris || uris.length === 0) return [];
  const selection = await expandSelection(uris, deps.log);
  if (!selection || selection.files.length === 0) return [];
  markCommandPhase('files listed');
  const files = selection.files;

  const profile = args?.profile !== undefined ? findProfile(deps, args.profile) : await pickProfile(deps.profiles, vscode.l10n.t('Upload to which bucket?'));
  if (!profile) return [];
  // Another profile than the one guessed at the command: its read starts now, before the key prompt.
  deps.profiles.prefetchSecrets(profile.id);

  const planned = await planKeys(deps, profile, files, args, selection.hadFolder);
  if (!planned) return [];
  // Before anything is sent (even the existence check): a file another upload is sending is not touched.
  const { free, locked } = await setAsideLocked(deps, profile, planned);
  const lockedSkips = locked.map(({ planned: p }) => ({ status: 'skipped' as const, job: p.job, reason: 'locked: another upload of this file to this key is running' }));
  if (free.length === 0 && planned.length === 1) return lockedSkips;
  const checked = free.length > 0 ? await checkExisting(deps, profile, free, args?.overwrite) : { upload: [], skipped: [] };
  if (!checked) return [];
  markCommandPhase('keys planned and checked');
  // Remembered for the next pick, not awaited: a round trip to VS Code's storage must not delay the first byte.
  deps.profiles.markUsed(profile.id).catch((error: unknown) => deps.log.warn(`could not remember the last-used profile: ${describeError(error)}`));

  const skipped = [...lockedSkips, ...checked.skipped.map((p) => ({ status: 'skipped' as const, job: p.job, reason: 'object exists' }))];
  const skippedCounts = { ...selection.leftOut, existing: checked.skipped.length, locked: locked.length };
  if (checked.upload.length === 0) {
    // Every file was already there (or busy): say so rather than end without a word.
    void showQueueSummary(deps, profile.bucket, { outcomes: [], notStarted: [], cancelled: false, seconds: 0 }, skippedCounts);
    return skipped;
  }
  if (checked.upload.length === 1 && !selection.hadFolder && locked.length === 0) return [...skipped, await trackUpload(deps, deps.manager.enqueue(checked.upload[0].job))];

  const title = vscode.l10n.t('Uploading {0} files to {1}', checked.upload.length, profile.bucket);
  const result = await runUploadQueue(deps, checked.upload, title);
  // The summary is not awaited: a caller (a task, a test) is never held by a message.
  void showQueueSummary(deps, profile.bucket, result, skippedCounts);
  const notStarted = result.notStarted.map((job) => ({ status: 'skipped' as const, job, reason: 'not started: the batch was cancelled' }));
  return [...skipped, ...result.outcomes, ...notStarted];
}

function isUploadArgs(value: unknown): value is UploadArgs {
  return typeof value === 'object' && value !== null && !(value instanceof vscode.Uri) && !Array.isArray(value);
}

function toUri(value: vscode.Uri | string): vscode.Uri {
  if (value instanceof vscode.Uri) return value;
  // A Uri that crossed a process boundary (keybinding, another extension) arrives as plain components.
  if (typeof value === 'object' && value !== null) return vscode.Uri.from(value as vscode.Uri);
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(value)) return vscode.Uri.parse(value);
  const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return vscode.Uri.file(path.isAbsolute(value) || !base ? value : path.join(base, value));
}

function urisFromArgs(args: UploadArgs): vscode.Uri[] {
  return [...(args.uri !== undefined ? [args.uri] : []), ...(args.uris ?? [])].map(toUri);
}

/** The Explorer passes the clicked item and the whole selection (which includes it). */
function selectedUris(clicked: vscode.Uri, selection: unknown): vscode.Uri[] {
  const all = Array.isArray(selection) ? selection.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : [];
  return all.length > 0 ? all : [clicked];
}

function findProfile(deps: UploadUiDeps, name: string): BucketProfile | undefined {
  const profile = deps.profiles.find(name);
  if (!profile) void vscode.window.showErrorMessage(vscode.l10n.t('There is no bucket profile with this name; add it with COS: Add Bucket Profile: {0}', name));
  return profile;
}

interface FileItem extends vscode.QuickPickItem {
  uri: vscode.Uri;
}

/** A quick pick of workspace files, the active editor's file first; it opens at once and fills in as the search ends. */
async function pickWorkspaceFile(deps: UploadUiDeps): Promise<vscode.Uri[] | undefined> {
  const picker = vscode.window.createQuickPick<FileItem>();
  picker.title = vscode.l10n.t('Upload File to COS');
  picker.placeholder = vscode.l10n.t('Pick a file to upload');
  picker.matchOnDescription = true;
  picker.busy = true;
  const search = new vscode.CancellationTokenSource();
  const active = vscode.window.activeTextEditor?.document.uri;
  const itemFor = (uri: vscode.Uri): FileItem => {
    const relative = workspaceRelativePath(uri);
    const dir = path.posix.dirname(relative);
    return { label: path.basename(uri.fsPath), description: dir === '.' ? '' : dir, iconPath: new vscode.ThemeIcon('file'), uri };
  };
  const first = active?.scheme === 'file' ? [{ ...itemFor(active), detail: vscode.l10n.t('active editor') }] : [];
  picker.items = first;
  void findWorkspaceFiles(deps, search.token).then(
    (found) => {
      const rest = found.filter((u) => u.toString() !== active?.toString()).sort((a, b) => a.fsPath.localeCompare(b.fsPath)).map(itemFor);
      picker.items = [...first, ...rest];
      picker.busy = false;
    },
    (error: unknown) => {
      deps.log.warn(`file search failed: ${describeError(error)}`);
      picker.busy = false;
    },
  );
  try {
    return await new Promise<vscode.Uri[] | undefined>((resolve) => {
      picker.onDidAccept(() => resolve(picker.selectedItems.map((i) => i.uri)));
      picker.onDidHide(() => resolve(undefined));
      picker.show();
    });
  } finally {
    search.cancel();
    search.dispose();
    picker.dispose();
  }
}

async function findWorkspaceFiles(deps: UploadUiDeps, token: vscode.CancellationToken): Promise<vscode.Uri[]> {
  // Passing an exclude pattern replaces files.exclude, so it is merged in here.
  const filesExclude = vscode.workspace.getConfiguration('files').get<Record<string, boolean>>('exclude') ?? {};
  const globs = [...deps.settings().excludeGlobs, ...Object.keys(filesExclude).filter((g) => filesExclude[g] === true)];
  const exclude = globs.length > 0 ? `{${globs.join(',')}}` : null;
  return vscode.workspace.findFiles('**/*', exclude, 20_000, token);
}

/** A file's path from the parent of the selected file or folder that holds it, "/" separators. */
function pathUnderRoots(roots: vscode.Uri[], file: vscode.Uri): string {
  const inside = roots
    .map((root) => root.fsPath)
    .filter((root) => file.fsPath === root || file.fsPath.startsWith(root + path.sep))
    .sort((a, b) => a.length - b.length)[0];
  const relative = inside !== undefined ? path.relative(path.dirname(inside), file.fsPath) : path.basename(file.fsPath);
  return relative.split(path.sep).join('/');
}

/** Default keys; a single file picked on its own gets an input box to edit its key. */
async function planKeys(
  deps: UploadUiDeps,
  profile: BucketProfile,
  files: SelectedFile[],
  args: UploadArgs | undefined,
  fromFolder: boolean,
): Promise<Planned[] | undefined> {
  const roots = args?.prefix !== undefined ? urisFromArgs(args) : [];
  const planned = files.map(({ uri, size, displayPath }) => {
    const key = args?.prefix !== undefined ? defaultObjectKey(args.prefix, pathUnderRoots(roots, uri)) : defaultObjectKey(profile.prefix, displayPath);
    return { uri, size, job: { filePath: uri.fsPath, displayPath, key, profileId: profile.id, profileName: profile.name, bucket: profile.bucket } };
  });
  if (planned.length !== 1 || fromFolder) return planned;
  const job = planned[0].job;
  if (args?.key !== undefined && args.prefix === undefined) {
    const problem = objectKeyProblem(args.key);
    if (problem) {
      void vscode.window.showErrorMessage(vscode.l10n.t('The object key is not valid: {0}', problem));
      return undefined;
    }
    job.key = args.key;
  } else if (!args) {
    const key = await vscode.window.showInputBox({
      title: vscode.l10n.t('Object key in {0}', profile.bucket),
      prompt: vscode.l10n.t('Where the file goes in the bucket. Use "/" to separate folders.'),
      value: job.key,
      valueSelection: [profile.prefix.length, job.key.length],
      validateInput: objectKeyProblem,
      ignoreFocusOut: true,
    });
    if (key === undefined) return undefined;
    job.key = key;
  }
  return planned;
}

/**
 * Files another upload (this window's, another window's, the CLI's) is sending to the same key are
 * set aside: one file alone gets the LOCKED message at once (Show Uploads when the holder is this
 * window); in a batch they are skipped and counted in the summary. Only lock files are read.
 */
async function setAsideLocked(
  deps: UploadUiDeps,
  profile: BucketProfile,
  planned: Planned[],
): Promise<{ free: Planned[]; locked: Array<{ planned: Planned; error: UploadLockedError }> }> {
  const target = targetOf(profile);
  // The extension always keeps checkpoints, so its uploads always take the lock.
  const found = await Promise.all(planned.map((p) => findUploadLock({ filePath: p.job.filePath, key: p.job.key, target, checkpoints: true }).catch(() => undefined)));
  const locked = planned.flatMap((p, i) => (found[i] ? [{ planned: p, error: found[i] }] : []));
  for (const { planned: p, error } of locked) deps.log.info(`not started file=${p.job.displayPath} key=${p.job.key}: ${error.message}`);
  if (planned.length === 1 && locked.length === 1) {
    void showFailure(locked[0].error, { file: planned[0].job.displayPath, profileName: profile.name, bucket: profile.bucket, region: profile.region, endpoint: profile.endpoint });
  }
  return { free: planned.filter((_, i) => !found[i]), locked };
}

/** Head Object on each key; asks before overwriting unless `overwrite` says what to do. */
async function checkExisting(
  deps: UploadUiDeps,
  profile: BucketProfile,
  planned: Planned[],
  overwrite: boolean | undefined,
): Promise<{ upload: Planned[]; skipped: Planned[] } | undefined> {
  if (overwrite === true) return { upload: planned, skipped: [] };
  let existing: Planned[];
  try {
    // In the status bar, not a second notification: the upload's own notification follows at once.
    existing = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Checking {0} for existing objects…', profile.bucket) },
      async (progress) => {
        const headers = headHeaders(profile, await deps.profiles.getSecrets(profile.id));
        return withClient(deps.profiles, profile, deps.log, async (client) => {
          // Several at a time: a folder of thousands should not wait on one HEAD after another.
          const exists = new Array<boolean>(planned.length).fill(false);
          let next = 0;
          let checked = 0;
          const worker = async (): Promise<void> => {
            while (next < planned.length) {
              const i = next++;
              exists[i] = (await client.headObject(planned[i].job.key, undefined, headers)) !== undefined;
              checked++;
              if (planned.length > 1 && checked % 20 === 0) progress.report({ message: vscode.l10n.t('{0}/{1} files', checked, planned.length) });
            }
          };
          await Promise.all(Array.from({ length: Math.min(HEAD_CONCURRENCY, planned.length) }, worker));
          return planned.filter((_, i) => exists[i]);
        });
      },
    );
  } catch (error) {
    if (CosError.is(error) && error.code === 'ABORTED') return undefined;
    deps.log.error(`head object failed bucket=${profile.bucket}: ${describeError(error)}`);
    void showFailure(error, { profileName: profile.name, bucket: profile.bucket, region: profile.region, endpoint: profile.endpoint }, { profileName: profile.name });
    return undefined;
  }
  if (existing.length === 0) return { upload: planned, skipped: [] };
  const fresh = planned.filter((p) => !existing.includes(p));
  if (overwrite === false) return { upload: fresh, skipped: existing };
  if (planned.length === 1) {
    // A notification, not a modal: it never takes the keyboard, so typing cannot answer it.
    const replace = vscode.l10n.t('Overwrite');
    const picked = await ask('warning', vscode.l10n.t('An object with this key already exists in {0}. Overwrite it? {1}', profile.bucket, existing[0].job.key), {}, replace);
    return picked === replace ? { upload: planned, skipped: [] } : undefined;
  }
  // One question for the whole batch, before anything is sent. The modal focuses its first button,
  // so Enter or Space (even typed by someone who did not see it come up) skips; the modal's own
  // Cancel stops the batch.
  const skip = vscode.l10n.t('Skip Existing');
  const replaceAll = vscode.l10n.t('Overwrite {0} Objects', existing.length);
  const shown = existing.slice(0, 10).map((p) => p.job.key);
  const more = existing.length > shown.length ? [vscode.l10n.t('and {0} more', existing.length - shown.length)] : [];
  const picked = await ask(
    'warning',
    vscode.l10n.t('{0} of the {1} objects already exist in {2}. Skip them and upload the other {3}, or overwrite all {0}?', existing.length, planned.length, profile.bucket, fresh.length),
    { modal: true, detail: [...shown, ...more].join('\n') },
    skip,
    replaceAll,
  );
  if (picked === replaceAll) return { upload: planned, skipped: [] };
  if (picked === skip) return { upload: fresh, skipped: existing };
  return undefined;
}
