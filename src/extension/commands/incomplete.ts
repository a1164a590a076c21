import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import type { CheckpointStore, CosClient, IncompleteUpload } from '../../core';
import {
  checkpointKnowsUpload,
  checkpointsOfUpload,
  CosError,
  describeError,
  fileUnderTarget,
  formatBytes,
  listIncompleteUploads,
  mapLimit,
  selectOlderThan,
  uploadAgeMs,
} from '../../core';
import { withClient } from '../profiles/clients';
import { showFailure } from '../ui/errorUi';
import type { BucketProfile } from '../profiles/profileStore';
import { targetOf } from '../profiles/profileStore';
import { abortSignalFromToken } from '../ui/progressUi';
import { ask } from '../ui/prompts';
import type { UploadOutcome } from '../uploads/uploadManager';
import { trackUpload, type UploadUiDeps } from '../uploads/uploadUi';
import { workspaceRelativePath } from '../files/keyNaming';
import { restoreCheckpoint } from '../uploads/restore';
import { pickProfile } from '../profiles/profilePicker';

export interface IncompleteDeps extends UploadUiDeps {
  checkpoints: CheckpointStore;
}

/**
 * Arguments for running Manage Incomplete Uploads without prompts (tasks, tests):
 * `executeCommand('cosUpload.manageIncompleteUploads', { profile, action: 'list' })`.
 */
export interface IncompleteArgs {
  /** Profile name (or id). */
  profile: string;
  action: 'list' | 'abort' | 'abortOlderThan' | 'resume';
  /** For abort and resume. */
  uploadId?: string;
  /** For abort: the object key (found by listing when left out). */
  key?: string;
  /** For abortOlderThan: whole days, 0 for all. */
  days?: number;
  /** Only uploads whose key starts with this. */
  prefix?: string;
}

/** What abort and abortOlderThan return. */
export interface AbortReport {
  aborted: Array<{ key: string; uploadId: string; bytes?: number }>;
  /** Left on COS: running in this window, or the abort failed. */
  failed: Array<{ key: string; uploadId: string; code: string; message: string }>;
  /** Bytes of the aborted uploads' parts, as List Parts reported them. */
  bytes: number;
}

/** Aborts in flight at once when several are chosen. */
const ABORT_CONCURRENCY = 4;

/**
 * Manage Incomplete Uploads: the bucket's unfinished multipart uploads (their parts are billed as
 * storage) with age and size, to resume (when a local checkpoint knows one and its file exists) or
 * abort, one at a time or all older than N days. With {@link IncompleteArgs} it acts without prompts
 * and returns data: list → IncompleteUpload[], abort / abortOlderThan → AbortReport, resume → UploadOutcome.
 */
export async function manageIncompleteUploadsCommand(deps: IncompleteDeps, args?: unknown): Promise<IncompleteUpload[] | AbortReport | UploadOutcome | undefined> {
  if (isIncompleteArgs(args)) return runWithArgs(deps, args);
  const profile = await pickProfile(deps.profiles, vscode.l10n.t('Manage the incomplete uploads of which bucket?'), { offerAdd: false });
  if (!profile) return undefined;
  return manageIncompleteUploadsOf(deps, profile);
}

/** The manager for one bucket, as the COS view's "Incomplete uploads" node opens it. */
export async function manageIncompleteUploadsOf(deps: IncompleteDeps, profile: BucketProfile): Promise<IncompleteUpload[] | undefined> {
  const uploads = await listWithProgress(deps, profile);
  if (!uploads) return undefined;
  if (uploads.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Bucket {0} has no incomplete multipart uploads.', profile.bucket));
    return uploads;
  }
  await chooseAndAct(deps, profile, uploads);
  return uploads;
}

function isIncompleteArgs(value: unknown): value is IncompleteArgs {
  const v = value as IncompleteArgs;
  return typeof v === 'object' && v !== null && typeof v.profile === 'string' && ['list', 'abort', 'abortOlderThan', 'resume'].includes(v.action);
}

async function runWithArgs(deps: IncompleteDeps, args: IncompleteArgs): Promise<IncompleteUpload[] | AbortReport | UploadOutcome | undefined> {
  const profile = deps.profiles.find(args.profile);
  if (!profile) {
    void vscode.window.showErrorMessage(vscode.l10n.t('There is no bucket profile with this name: {0}', args.profile));
    return undefined;
  }
  try {
    switch (args.action) {
      case 'list':
        return await withClient(deps.profiles, profile, deps.log, (client) => listIncompleteUploads(client, deps.checkpoints, targetOf(profile), { prefix: args.prefix }));
      case 'abortOlderThan': {
        const days = args.days;
        if (typeof days !== 'number' || !Number.isFinite(days) || days < 0) {
          throw new CosError('INVALID_ARGUMENT', `abortOlderThan needs "days", a number of days from 0 up: ${String(days)}`);
        }
        return await withClient(deps.profiles, profile, deps.log, async (client) => {
          const all = await listIncompleteUploads(client, deps.checkpoints, targetOf(profile), { prefix: args.prefix });
          return abortUploads(deps, profile, client, selectOlderThan(all, days, Date.now()));
        });
      }
      case 'abort': {
        const uploadId = args.uploadId;
        if (!uploadId) throw new CosError('INVALID_ARGUMENT', 'abort needs "uploadId".');
        return await withClient(deps.profiles, profile, deps.log, async (client) => {
          const all = await listIncompleteUploads(client, deps.checkpoints, targetOf(profile), { prefix: args.key ?? args.prefix });
          const listed = all.filter((u) => u.uploadId === uploadId && (args.key === undefined || u.key === args.key));
          // Not listed (yet, or any more): still abort when the key is known, which also drops a stale checkpoint.
          const chosen = listed.length > 0 ? listed : args.key !== undefined ? [{ key: args.key, uploadId }] : [];
          if (chosen.length === 0) throw new CosError('NO_SUCH_UPLOAD', `Bucket ${profile.bucket} has no incomplete upload with this id: ${uploadId}`);
          return abortUploads(deps, profile, client, chosen);
        });
      }
      case 'resume': {
        if (!args.uploadId) throw new CosError('INVALID_ARGUMENT', 'resume needs "uploadId".');
        return await resumeFromCheckpoint(deps, profile, args.uploadId);
      }
    }
  } catch (error) {
    deps.log.error(`incomplete uploads ${args.action} failed profile=${profile.name} bucket=${profile.bucket}: ${describeError(error)}`);
    void showFailure(error, { profileName: profile.name, bucket: profile.bucket, region: profile.region, endpoint: profile.endpoint }, { profileName: profile.name });
    throw error;
  }
}

async function listWithProgress(deps: IncompleteDeps, profile: BucketProfile): Promise<IncompleteUpload[] | undefined> {
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Listing the incomplete uploads in {0}…', profile.bucket), cancellable: true },
      async (_progress, token) => {
        const { signal, dispose } = abortSignalFromToken(token);
        try {
          return await withClient(deps.profiles, profile, deps.log, (client) => listIncompleteUploads(client, deps.checkpoints, targetOf(profile), {}, signal));
        } finally {
          dispose();
        }
      },
    );
  } catch (error) {
    if (CosError.is(error) && error.code === 'ABORTED') return undefined;
    deps.log.error(`listing incomplete uploads failed profile=${profile.name} bucket=${profile.bucket}: ${describeError(error)}`);
    void showFailure(error, { profileName: profile.name, bucket: profile.bucket, region: profile.region, endpoint: profile.endpoint }, { profileName: profile.name });
    return undefined;
  }
}

/** `just now`, `12 min ago`, `5 h ago`, `1 day ago`, `3 days ago`. */
export function formatAgo(ms: number | undefined): string {
  if (ms === undefined) return vscode.l10n.t('initiated at an unknown time');
  const minutes = Math.max(0, ms) / 60_000;
  if (minutes < 1) return vscode.l10n.t('just now');
  if (minutes < 60) return vscode.l10n.t('{0} min ago', Math.floor(minutes));
  if (minutes < 24 * 60) return vscode.l10n.t('{0} h ago', Math.floor(minutes / 60));
  const days = Math.floor(minutes / (24 * 60));
  return days === 1 ? vscode.l10n.t('1 day ago') : vscode.l10n.t('{0} days ago', days);
}

function sizeText(upload: IncompleteUpload): string {
  if (upload.bytes === undefined) return vscode.l10n.t('size unknown');
  return upload.parts === 1 ? vscode.l10n.t('{0} in 1 part', formatBytes(upload.bytes)) : vscode.l10n.t('{0} in {1} parts', formatBytes(upload.bytes), upload.parts ?? 0);
}

type Choice = vscode.QuickPickItem & { upload?: IncompleteUpload; olderThan?: true };

async function chooseAndAct(deps: IncompleteDeps, profile: BucketProfile, uploads: IncompleteUpload[]): Promise<void> {
  const now = Date.now();
  const total = uploads.reduce((sum, u) => sum + (u.bytes ?? 0), 0);
  const items: Choice[] = [
    { label: `$(trash) ${vscode.l10n.t('Abort all older than N days…')}`, detail: vscode.l10n.t('Delete the parts of old uploads nobody is going to finish.'), olderThan: true },
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    ...uploads.map(
      (upload): Choice => ({
        label: `${upload.localFile ? '$(debug-start)' : '$(cloud)'} ${upload.key}`,
        description: `${formatAgo(uploadAgeMs(upload, now))} · ${sizeText(upload)}`,
        detail: upload.localFile
          ? vscode.l10n.t('Can resume from {0} · upload id {1}', workspaceRelativePath(vscode.Uri.file(upload.localFile)), upload.uploadId)
          : vscode.l10n.t('No local file to resume from · upload id {0}', upload.uploadId),
        upload,
      }),
    ),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Incomplete uploads in {0}: {1}, {2} billed as storage', profile.bucket, uploads.length, formatBytes(total)),
    placeHolder: vscode.l10n.t('Pick an upload to resume or abort it'),
    matchOnDescription: true,
    matchOnDetail: true,
    ignoreFocusOut: true,
  });
  if (!picked) return;
  if (picked.olderThan) {
    await abortOlderThanInteractively(deps, profile, uploads);
    return;
  }
  if (picked.upload) await actOnOne(deps, profile, picked.upload);
}

async function actOnOne(deps: IncompleteDeps, profile: BucketProfile, upload: IncompleteUpload): Promise<void> {
  type Action = vscode.QuickPickItem & { action: 'resume' | 'abort' | 'copy' };
  const actions: Action[] = [
    ...(upload.localFile
      ? [{ label: `$(debug-start) ${vscode.l10n.t('Resume')}`, detail: vscode.l10n.t('Continue from the parts already on COS.'), action: 'resume' as const }]
      : []),
    { label: `$(trash) ${vscode.l10n.t('Abort')}`, detail: vscode.l10n.t('Delete its parts on COS; it cannot be resumed afterwards.'), action: 'abort' },
    { label: `$(copy) ${vscode.l10n.t('Copy Upload ID')}`, action: 'copy' },
  ];
  const picked = await vscode.window.showQuickPick(actions, { title: upload.key, placeHolder: `${formatAgo(uploadAgeMs(upload, Date.now()))} · ${sizeText(upload)}` });
  if (!picked) return;
  switch (picked.action) {
    case 'copy':
      await vscode.env.clipboard.writeText(upload.uploadId);
      return;
    case 'resume':
      await resumeFromCheckpoint(deps, profile, upload.uploadId).catch((error: unknown) => {
        deps.log.error(`resume failed uploadId=${upload.uploadId}: ${describeError(error)}`);
        void showFailure(error, { profileName: profile.name, bucket: profile.bucket, region: profile.region, endpoint: profile.endpoint });
      });
      return;
    case 'abort': {
      // The safe answer comes first: a modal focuses its first button, so Enter keeps the upload.
      const keep = vscode.l10n.t('Keep It');
      const abort = vscode.l10n.t('Abort Upload');
      const confirmed = await ask(
        'warning',
        vscode.l10n.t('Abort 1 incomplete upload, of {0}?', upload.key),
        { modal: true, detail: vscode.l10n.t('Its parts ({0}) are deleted on COS, and it cannot be resumed afterwards.', sizeText(upload)) },
        keep,
        abort,
      );
      if (confirmed === abort) await abortAndReport(deps, profile, [upload]);
      return;
    }
  }
}

async function abortOlderThanInteractively(deps: IncompleteDeps, profile: BucketProfile, uploads: IncompleteUpload[]): Promise<void> {
  const value = await vscode.window.showInputBox({
    title: vscode.l10n.t('Abort incomplete uploads in {0}', profile.bucket),
    prompt: vscode.l10n.t('Abort every incomplete upload initiated at least this many days ago (0 for all).'),
    value: '7',
    ignoreFocusOut: true,
    validateInput: (v) => (/^\d+$/.test(v.trim()) ? undefined : vscode.l10n.t('Enter a whole number of days, for example 7.')),
  });
  if (value === undefined) return;
  const days = Number(value.trim());
  const chosen = selectOlderThan(uploads, days, Date.now());
  if (chosen.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No incomplete upload in {0} is older than {1} days.', profile.bucket, days));
    return;
  }
  const bytes = chosen.reduce((sum, u) => sum + (u.bytes ?? 0), 0);
  // The safe answer comes first: a modal focuses its first button, so Enter keeps the uploads.
  const keep = chosen.length === 1 ? vscode.l10n.t('Keep It') : vscode.l10n.t('Keep Them');
  const abort = chosen.length === 1 ? vscode.l10n.t('Abort 1 Upload') : vscode.l10n.t('Abort {0} Uploads', chosen.length);
  const confirmed = await ask(
    'warning',
    chosen.length === 1
      ? vscode.l10n.t('Abort 1 incomplete upload older than {0} days in {1}?', days, profile.bucket)
      : vscode.l10n.t('Abort {0} incomplete uploads older than {1} days in {2}?', chosen.length, days, profile.bucket),
    {
      modal: true,
      detail: [vscode.l10n.t('Their parts ({0}) are deleted on COS, and they cannot be resumed afterwards:', formatBytes(bytes)), ...listForDialog(chosen.map((u) => u.key))].join('\n'),
    },
    keep,
    abort,
  );
  if (confirmed === abort) await abortAndReport(deps, profile, chosen);
}

/** At most a screenful of keys for a dialog, then how many more. */
function listForDialog(keys: string[], max = 15): string[] {
  return keys.length <= max ? keys : [...keys.slice(0, max), vscode.l10n.t('and {0} more', keys.length - max)];
}

async function abortAndReport(deps: IncompleteDeps, profile: BucketProfile, chosen: IncompleteUpload[]): Promise<void> {
  try {
    const report = await withClient(deps.profiles, profile, deps.log, (client) => abortUploads(deps, profile, client, chosen));
    if (report.failed.length === 0) {
      const text =
        report.aborted.length === 1
          ? vscode.l10n.t('Aborted 1 incomplete upload in {0}; {1} of parts deleted.', profile.bucket, formatBytes(report.bytes))
          : vscode.l10n.t('Aborted {0} incomplete uploads in {1}; {2} of parts deleted.', report.aborted.length, profile.bucket, formatBytes(report.bytes));
      void ask('info', text, {});
    } else {
      void vscode.window.showWarningMessage(
        vscode.l10n.t('Aborted {0} incomplete uploads in {1}; {2} could not be aborted: {3}', report.aborted.length, profile.bucket, report.failed.length, report.failed.map((f) => `${f.key} (${f.message})`).join('; ')),
      );
    }
  } catch (error) {
    deps.log.error(`abort failed profile=${profile.name} bucket=${profile.bucket}: ${describeError(error)}`);
    void showFailure(error, { profileName: profile.name, bucket: profile.bucket, region: profile.region, endpoint: profile.endpoint }, { profileName: profile.name });
  }
}

/**
 * Aborts each upload on COS (already gone counts as aborted), deletes the local checkpoint that
 * pointed at it and drops it from Show Uploads. An upload running in this window is left alone.
 */
async function abortUploads(
  deps: IncompleteDeps,
  profile: BucketProfile,
  client: CosClient,
  chosen: ReadonlyArray<Pick<IncompleteUpload, 'key' | 'uploadId' | 'bytes'>>,
): Promise<AbortReport> {
  const report: AbortReport = { aborted: [], failed: [], bytes: 0 };
  const target = targetOf(profile);
  await mapLimit(chosen, ABORT_CONCURRENCY, async (upload) => {
    const listed = deps.manager.list().filter((s) => s.uploadId === upload.uploadId && s.job.profileId === profile.id);
    if (listed.some((s) => s.state === 'running' || s.state === 'queued')) {
      report.failed.push({
        key: upload.key,
        uploadId: upload.uploadId,
        code: 'RUNNING',
        message: vscode.l10n.t('it is uploading in this window; pause or cancel it in Show Uploads first'),
      });
      return;
    }
    try {
      await client.abortMultipartUpload(upload.key, upload.uploadId, AbortSignal.timeout(15_000));
    } catch (error) {
      if (!CosError.is(error) || error.code !== 'NO_SUCH_UPLOAD') {
        deps.log.error(`abort failed key=${upload.key} uploadId=${upload.uploadId}: ${describeError(error)}`);
        report.failed.push({ key: upload.key, uploadId: upload.uploadId, code: CosError.is(error) ? error.code : 'INTERNAL', message: error instanceof Error ? error.message : String(error) });
        return;
      }
    }
    for (const { id } of await checkpointsOfUpload(deps.checkpoints, target, upload)) {
      await deps.checkpoints.remove(id).catch((e: unknown) => deps.log.warn(`checkpoint ${id} not removed: ${describeError(e)}`));
    }
    for (const s of listed) deps.manager.forget(s.id);
    deps.log.info(`aborted incomplete upload bucket=${profile.bucket} key=${upload.key} uploadId=${upload.uploadId} bytes=${upload.bytes ?? '?'}: its parts were deleted on COS`);
    report.aborted.push({ key: upload.key, uploadId: upload.uploadId, ...(upload.bytes !== undefined ? { bytes: upload.bytes } : {}) });
    report.bytes += upload.bytes ?? 0;
  });
  return report;
}

/** Resumes the upload a local checkpoint knows by its uploadId, in Show Uploads and a progress notification. */
async function resumeFromCheckpoint(deps: IncompleteDeps, profile: BucketProfile, uploadId: string): Promise<UploadOutcome> {
  const target = targetOf(profile);
  const entries = await deps.checkpoints.list();
  const entry = entries.find((e) => checkpointKnowsUpload(e.checkpoint, target, { key: e.checkpoint.key, uploadId }));
  if (!entry) {
    throw new CosError('INVALID_ARGUMENT', `No checkpoint on this machine knows this upload, so it cannot be resumed here; abort it, or upload the file again: ${uploadId}`);
  }
  const exists = await fs.stat(entry.checkpoint.filePath).then((st) => st.isFile(), () => false);
  if (!exists) {
    throw new CosError('FILE_NOT_FOUND', `The file this upload was made from is gone, so it cannot be resumed; abort the upload instead: ${entry.checkpoint.filePath}`);
  }
  const checkpoint = await fileUnderTarget(deps.checkpoints, target, entry);
  const snapshot = restoreCheckpoint(deps.manager, profile, checkpoint);
  return trackUpload(deps, deps.manager.resume(snapshot.id));
}
