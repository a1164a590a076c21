import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { combinedExclude, describeError, enabledGlobs, formatBytes, gitignoreFilter, mapLimit, type Logger } from '../../core';
import { workspaceRelativePath } from './keyNaming';
import { readSettings, SECTION } from '../settings/settings';

/** A folder with more files than this is refused rather than uploaded in part. */
export const FOLDER_FILE_LIMIT = 100_000;
/** File system calls in flight at once while sizing files and reading .gitignore files. */
const FS_BATCH = 32;

/** One file to upload, from the selection or found in a selected folder. */
export interface SelectedFile {
  uri: vscode.Uri;
  size: number;
  /** Path for the default key and for messages, "/" separators (see {@link workspaceRelativePath}). */
  displayPath: string;
}

/** Files of selected folders left out, by the rule that left them out (each file counted once, under the first rule). */
export interface LeftOut {
  /** cosUpload.excludeGlobs */
  excludeGlobs: number;
  filesExclude: number;
  gitignore: number;
}

export interface ExpandedSelection {
  files: SelectedFile[];
  /** A folder was selected: the key is then never asked for, and the batch view is used. */
  hadFolder: boolean;
  leftOut: LeftOut;
}

/**
 * Turns an Explorer selection (files and folders) into the files to upload: folders are listed
 * recursively without what `cosUpload.excludeGlobs`, `files.exclude` and (with
 * `cosUpload.respectGitignore`) .gitignore leave out; files picked one by one are always kept.
 * A file selected twice (itself and through its folder) appears once. Problems with one item are
 * shown and the others go on; resolves undefined when the listing was cancelled.
 */
export async function expandSelection(uris: readonly vscode.Uri[], log: Logger, token?: vscode.CancellationToken): Promise<ExpandedSelection | undefined> {
  const files: SelectedFile[] = [];
  const seen = new Set<string>();
  let hadFolder = false;
  const leftOut: LeftOut = { excludeGlobs: 0, filesExclude: 0, gitignore: 0 };
  const add = (file: SelectedFile): void => {
    if (seen.has(file.uri.fsPath)) return;
    seen.add(file.uri.fsPath);
    files.push(file);
  };
  for (const uri of uris) {
    if (token?.isCancellationRequested) return undefined;
    if (uri.scheme !== 'file') {
      void vscode.window.showErrorMessage(vscode.l10n.t('Only files on this machine can be uploaded to COS; this one is in a {0} location: {1}', uri.scheme, uri.toString()));
      continue;
    }
    let stat: vscode.FileStat;
    try {
      stat = await vscode.workspace.fs.stat(uri);
    } catch {
      void vscode.window.showErrorMessage(vscode.l10n.t('The file does not exist: {0}', uri.fsPath));
      continue;
    }
    if (!(stat.type & vscode.FileType.Directory)) {
      add({ uri, size: stat.size, displayPath: workspaceRelativePath(uri) });
      continue;
    }
    hadFolder = true;
    const listed = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Listing files in {0}…', folderLabel(uri)) },
      () => listFolder(uri, log, token),
    );
    if (listed === undefined) return undefined;
    for (const file of listed.files) add(file);
    for (const reason of Object.keys(leftOut) as Array<keyof LeftOut>) leftOut[reason] += listed.leftOut[reason];
  }
  return { files, hadFolder, leftOut };
}

/** The files of one folder, sorted by path, and what was left out; undefined when cancelled. Tells the user when there are none. */
async function listFolder(folder: vscode.Uri, log: Logger, token?: vscode.CancellationToken): Promise<{ files: SelectedFile[]; leftOut: LeftOut } | undefined> {
  const label = folderLabel(folder);
  const filesExclude = enabledGlobs(vscode.workspace.getConfiguration('files', folder).get<Record<string, unknown>>('exclude'));
  const ownGlobs = readSettings(folder).excludeGlobs;
  const exclude = combinedExclude([...ownGlobs, ...filesExclude]);
  // null, not undefined: the merged pattern already holds files.exclude.
  const list = (include: string, pattern: string | undefined): Thenable<vscode.Uri[]> =>
    vscode.workspace.findFiles(new vscode.RelativePattern(folder, include), pattern ?? null, FOLDER_FILE_LIMIT + 1, token);
  // The other two listings only count what each rule left out, for the summary ("3 skipped: excluded by files.exclude").
  const own = combinedExclude(ownGlobs);
  const [found, everything, matchingOwn] = await Promise.all([
    list('**/*', exclude),
    filesExclude.length > 0 ? list('**/*', undefined) : undefined,
    own !== undefined ? list(own, undefined) : undefined,
  ]);
  if (token?.isCancellationRequested) return undefined;
  if (found.length > FOLDER_FILE_LIMIT) {
    void vscode.window.showErrorMessage(
      vscode.l10n.t('The folder holds more than {0} files; select a smaller folder, or leave files out with the setting cosUpload.excludeGlobs: {1}', FOLDER_FILE_LIMIT, label),
    );
    return { files: [], leftOut: { excludeGlobs: 0, filesExclude: 0, gitignore: 0 } };
  }
  // A file both rules leave out counts under cosUpload.excludeGlobs.
  const excludedByOwn = matchingOwn?.length ?? 0;
  const leftOut: LeftOut = {
    excludeGlobs: excludedByOwn,
    filesExclude: Math.max(0, (everything?.length ?? found.length) - found.length - excludedByOwn),
    gitignore: 0,
  };
  const paths = found.filter((u) => u.scheme === 'file').map((u) => u.fsPath);
  let kept = paths;
  let gitignored = 0;
  if (vscode.workspace.getConfiguration(SECTION, folder).get<boolean>('respectGitignore', true)) {
    const workspaceRoot = vscode.workspace.getWorkspaceFolder(folder)?.uri.fsPath;
    const keep = await gitignoreFilter(folder.fsPath, paths, { fallbackRoot: workspaceRoot, log });
    kept = paths.filter(keep);
    gitignored = paths.length - kept.length;
    leftOut.gitignore = gitignored;
  }
  kept.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const sized = await mapLimit(kept, FS_BATCH, async (file) => {
    try {
      const stat = await fs.stat(file);
      return stat.isFile() ? { file, size: stat.size } : undefined;
    } catch (error) {
      log.warn(`folder folder=${label}: left out ${file}, it vanished while listing: ${describeError(error)}`);
      return undefined;
    }
  });
  const files = sized.filter((f) => f !== undefined).map(({ file, size }) => ({ uri: vscode.Uri.file(file), size, displayPath: displayPathIn(folder, file) }));
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  log.info(
    `folder folder=${label} files=${files.length} bytes=${bytes} (${formatBytes(bytes)}) gitignored=${gitignored} ` +
      `excludedByGlobs=${leftOut.excludeGlobs} excludedByFilesExclude=${leftOut.filesExclude} exclude=${exclude ?? '-'}`,
  );
  if (files.length === 0) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t('No files to upload in this folder: it is empty, or cosUpload.excludeGlobs, files.exclude or .gitignore leave out everything in it: {0}', label),
    );
  }
  return { files, leftOut };
}

/** The folder as messages and the log name it: workspace-relative when it can be. */
function folderLabel(folder: vscode.Uri): string {
  return vscode.workspace.getWorkspaceFolder(folder) ? workspaceRelativePath(folder) || folder.fsPath : folder.fsPath;
}

/**
 * Workspace-relative, which keeps the selected folder's name in the key. Outside the workspace:
 * the folder's name and the path below it.
 */
function displayPathIn(folder: vscode.Uri, file: string): string {
  const uri = vscode.Uri.file(file);
  if (vscode.workspace.getWorkspaceFolder(uri)) return workspaceRelativePath(uri);
  return [path.basename(folder.fsPath), ...path.relative(folder.fsPath, file).split(path.sep)].join('/');
}
