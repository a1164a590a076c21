/**
 * Sync Folder to COS: plan first (list the prefix, compare same-size files by CRC64), show the
 * counts in a quick pick (Sync / Sync and delete N / Cancel), confirm a deletion naming the count,
 * then send in a cancellable notification that shows files and bytes.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  describeError,
  enabledGlobs,
  DEFAULT_MAX_CONCURRENT_FILES,
  formatBytes,
  MAX_CONCURRENT_FILES,
  normalizePrefix,
  syncFolder,
  syncOutcomeCounts,
  type PlanSummary,
  type SyncRequest,
  type SyncResult,
} from '../../core';
import { pickProfile } from '../profiles/profilePicker';
import { sseOf, targetOf, type BucketProfile } from '../profiles/profileStore';
import { sessionClockOffset } from '../profiles/sessionClock';
import { readTransport } from '../settings/proxySettings';
import { SECTION } from '../settings/settings';
import { showFailure, showRunSummary } from '../ui/errorUi';
import { askPick } from '../ui/prompts';
import { SyncProgressDisplay } from '../ui/syncStatusBar';
import type { ExtensionCommandContext } from './index';

/** `executeCommand('cosUpload.syncFolder', { folder, profile, prefix, delete, confirm })`: no prompts when all are given. */
export interface SyncFolderArgs {
  folder?: vscode.Uri | string;
  /** Profile name (or id). */
  profile?: string;
  /** Key prefix; default: the one used last for this folder, else the profile's prefix + the folder's name. */
  prefix?: string;
  /** Delete remote-only objects (a confirmation is still asked unless `confirm`). */
  delete?: boolean;
  /** Skip the plan and the confirmation: sync at once. */
  confirm?: boolean;
}

/** What the user chose in the plan. */
type Choice = 'sync' | 'syncAndDelete';

export async function syncFolderCommand(ctx: ExtensionCommandContext, first?: unknown): Promise<SyncResult | undefined> {
  const args = isArgs(first) ? first : undefined;
  const folder = first instanceof vscode.Uri ? first : args?.folder !== undefined ? toUri(args.folder) : await pickFolder();
  if (!folder) return undefined;
  const remembered = ctx.profiles.syncTarget(folder.fsPath);
  const profile = await chooseProfile(ctx, args, remembered?.profileId);
  if (!profile) return undefined;
  const prefix = await choosePrefix(args, remembered?.profileId === profile.id ? remembered.prefix : undefined, profile, folder);
  if (prefix === undefined) return undefined;
  await ctx.profiles.rememberSyncTarget(folder.fsPath, { profileId: profile.id, prefix });
  await ctx.profiles.markUsed(profile.id);

  const base = await requestFor(ctx, profile, folder, prefix);
  let choice: Choice = args?.delete ? 'syncAndDelete' : 'sync';
  let decided: SyncResult['items'] | undefined;
  if (!args?.confirm) {
    const plan = await withNotification(vscode.l10n.t('Comparing {0} with {1}…', path.basename(folder.fsPath), `${profile.bucket}/${prefix}`), (signal) =>
      syncFolder({ ...base, deleteRemote: true, dryRun: true, signal }),
    ).catch((error: unknown) => failed(ctx, profile, error));
    if (!plan) return undefined;
    decided = plan.items;
    const picked = await pickPlan(plan.summary, profile.bucket, prefix);
    if (!picked) return undefined;
    choice = picked;
    if (choice === 'syncAndDelete' && !(await confirmDelete(plan.summary['delete-remote'].count, profile.bucket, prefix))) return undefined;
  }
  const result = await withNotification(vscode.l10n.t('Syncing {0} to {1}', path.basename(folder.fsPath), profile.bucket), async (signal, report) => {
    const display = new SyncProgressDisplay(path.basename(folder.fsPath), report);
    try {
      // The plan's CRC64 comparisons are reused: each file is hashed once, not again on Sync.
      return await syncFolder({ ...base, deleteRemote: choice === 'syncAndDelete', signal, onEvent: display.onEvent, ...(decided ? { decided } : {}) });
    } finally {
      display.dispose();
    }
  }).catch((error: unknown) => failed(ctx, profile, error));
  if (result) void showResult(ctx, result, profile.bucket);
  return result;
}

function isArgs(value: unknown): value is SyncFolderArgs {
  return typeof value === 'object' && value !== null && !(value instanceof vscode.Uri) && !Array.isArray(value);
}

function toUri(value: vscode.Uri | string): vscode.Uri {
  if (value instanceof vscode.Uri) return value;
  const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return vscode.Uri.file(path.isAbsolute(value) || !base ? value : path.join(base, value));
}

async function pickFolder(): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) return folders[0].uri;
  if (folders.length > 1) return (await vscode.window.showWorkspaceFolderPick({ placeHolder: vscode.l10n.t('Sync which folder to COS?') }))?.uri;
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: vscode.l10n.t('Sync Folder') });
  return picked?.[0];
}

async function chooseProfile(ctx: ExtensionCommandContext, args: SyncFolderArgs | undefined, rememberedId: string | undefined): Promise<BucketProfile | undefined> {
  if (args?.profile !== undefined) {
    const found = ctx.profiles.find(args.profile);
    if (!found) void vscode.window.showErrorMessage(vscode.l10n.t('There is no bucket profile with this name; add it with COS: Add Bucket Profile: {0}', args.profile));
    return found;
  }
  // The folder's last profile is offered first: using it makes it the last used.
  if (rememberedId) await ctx.profiles.markUsed(rememberedId);
  return pickProfile(ctx.profiles, vscode.l10n.t('Sync to which bucket?'));
}

async function choosePrefix(args: SyncFolderArgs | undefined, remembered: string | undefined, profile: BucketProfile, folder: vscode.Uri): Promise<string | undefined> {
  if (args?.prefix !== undefined) return normalizePrefix(args.prefix);
  const suggestion = remembered ?? normalizePrefix(`${profile.prefix ?? ''}${path.basename(folder.fsPath)}`);
  if (args?.confirm) return suggestion;
  const typed = await vscode.window.showInputBox({
    title: vscode.l10n.t('Sync Folder to COS'),
    prompt: vscode.l10n.t('Key prefix in {0}: the folder\'s files go under it', profile.bucket),
    value: suggestion,
    ignoreFocusOut: true,
    validateInput: (value) => (value.startsWith('/') ? vscode.l10n.t('Remove the leading "/": a key prefix starts with a folder name, for example: backups/') : undefined),
  });
  return typed === undefined ? undefined : normalizePrefix(typed);
}

async function requestFor(ctx: ExtensionCommandContext, profile: BucketProfile, folder: vscode.Uri, prefix: string): Promise<SyncRequest> {
  const settings = ctx.settings(folder);
  const secrets = await ctx.profiles.getSecrets(profile.id);
  for (const value of [secrets?.secretId, secrets?.secretKey, secrets?.sessionToken, secrets?.sseCustomerKey]) ctx.log.addSecret(value);
  const filesExclude = enabledGlobs(vscode.workspace.getConfiguration('files', folder).get<Record<string, unknown>>('exclude'));
  const clockOffsetMs = sessionClockOffset(profile.id);
  return {
    folder: folder.fsPath,
    prefix,
    target: targetOf(profile),
    credentials: ctx.profiles.credentialSource(profile.id),
    options: { ...settings.uploadOptions, sse: sseOf(profile, secrets), ...(profile.storageClass ? { storageClass: profile.storageClass } : {}) },
    exclude: [...settings.excludeGlobs, ...filesExclude],
    ...(settings.syncUpdateHeaders ? { updateHeaders: true } : {}),
    respectGitignore: vscode.workspace.getConfiguration(SECTION, folder).get<boolean>('respectGitignore', true),
    // Most files at once: the sync starts lower and grows while that helps (fileConcurrency.ts).
    maxConcurrentFiles: Math.min(MAX_CONCURRENT_FILES, Math.max(DEFAULT_MAX_CONCURRENT_FILES, settings.maxConcurrentUploads * 4)),
    checkpoints: ctx.checkpoints,
    transport: readTransport(),
    ...(clockOffsetMs !== undefined ? { clockOffsetMs } : {}),
    logger: ctx.log,
  };
}

type Report = (message: string) => void;

async function withNotification<T>(title: string, task: (signal: AbortSignal, report: Report) => Promise<T>): Promise<T | undefined> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    try {
      return await task(controller.signal, (message) => progress.report({ message }));
    } catch (error) {
      if (controller.signal.aborted) return undefined;
      throw error;
    } finally {
      subscription.dispose();
    }
  });
}

interface PlanItem extends vscode.QuickPickItem {
  choice?: Choice;
}

/** "132 to upload (48.0 MiB), 2,310 unchanged, 4 to delete" with Sync, Sync and delete, Cancel. */
export async function pickPlan(summary: PlanSummary, bucket: string, prefix: string): Promise<Choice | undefined> {
  const counts = planCounts(summary);
  const toDelete = summary['delete-remote'].count;
  const items: PlanItem[] = [
    { label: vscode.l10n.t('Sync'), description: toDelete ? vscode.l10n.t('upload; keep the {0} remote-only objects', toDelete) : vscode.l10n.t('upload'), choice: 'sync' },
    ...(toDelete ? [{ label: vscode.l10n.t('Sync and delete {0}', toDelete), description: vscode.l10n.t('also delete the objects that have no local file'), choice: 'syncAndDelete' as const }] : []),
    { label: vscode.l10n.t('Cancel') },
  ];
  // Through askPick(): the extension-host tests read the plan and pick a row.
  const picked = await askPick(items, { title: vscode.l10n.t('Sync to {0}: {1}', `${bucket}/${prefix}`, counts), placeHolder: counts });
  return picked?.choice;
}

/**
 * The plan's counts. Files whose only change is their object headers (cosUpload.syncUpdateHeaders)
 * are sent again too, but counted on their own, so a header rule edit does not read as changed files.
 */
function planCounts(summary: PlanSummary): string {
  const upload = summary['upload-new'].count + summary['upload-changed'].count;
  const bytes = summary['upload-new'].bytes + summary['upload-changed'].bytes;
  const headers = summary['update-headers'];
  const unchanged = summary['skip-unchanged'].count.toLocaleString();
  const toDelete = summary['delete-remote'].count.toLocaleString();
  if (headers.count === 0) {
    return vscode.l10n.t('{0} to upload ({1}), {2} unchanged, {3} to delete', upload.toLocaleString(), formatBytes(bytes), unchanged, toDelete);
  }
  return vscode.l10n.t(
    '{0} to upload ({1}), {2} headers to update ({3}), {4} unchanged, {5} to delete',
    upload.toLocaleString(),
    formatBytes(bytes),
    headers.count.toLocaleString(),
    formatBytes(headers.bytes),
    unchanged,
    toDelete,
  );
}

async function confirmDelete(count: number, bucket: string, prefix: string): Promise<boolean> {
  const del = vscode.l10n.t('Delete {0}', count);
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Delete {0} objects under {1} that have no local file? This cannot be undone.', count, `${bucket}/${prefix}`),
    { modal: true },
    del,
  );
  return answer === del;
}

async function failed(ctx: ExtensionCommandContext, profile: BucketProfile, error: unknown): Promise<undefined> {
  ctx.log.error(`sync failed: ${describeError(error)}`);
  void showFailure(error, { profileName: profile.name, bucket: profile.bucket, region: profile.region }, { profileName: profile.name });
  return undefined;
}

async function showResult(ctx: ExtensionCommandContext, result: SyncResult, bucket: string): Promise<void> {
  const c = syncOutcomeCounts(result);
  // Files sent again only for their headers are counted apart, as in the plan.
  const text = c.headersUpdated
    ? vscode.l10n.t(
        'Synced to {0}: {1} uploaded ({2}), {3} headers updated ({4}), {5} unchanged, {6} deleted.',
        bucket,
        c.uploaded.toLocaleString(),
        formatBytes(c.uploadedBytes),
        c.headersUpdated.toLocaleString(),
        formatBytes(c.headersUpdatedBytes),
        c.unchanged.toLocaleString(),
        c.deleted.toLocaleString(),
      )
    : vscode.l10n.t('Synced to {0}: {1} uploaded ({2}), {3} unchanged, {4} deleted.', bucket, c.uploaded.toLocaleString(), formatBytes(c.uploadedBytes), c.unchanged.toLocaleString(), c.deleted.toLocaleString());
  const problems =
    result.failed.length + result.deleteRefused.length === 0
      ? undefined
      : vscode.l10n.t('{0} files failed and {1} deletions were refused; run the sync again once fixed.', result.failed.length, result.deleteRefused.length);
  await showRunSummary(ctx.log, text, problems);
}
