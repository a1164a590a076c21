import * as vscode from 'vscode';
import { runCommand } from '../commands/run';
import { CosError, describeError, formatBytes } from '../../core';
import { withClient } from '../profiles/clients';
import { inputCredentials } from '../profiles/credentialPrompt';
import { joinSentences, showFailure } from '../ui/errorUi';
import type { UploadLog } from '../ui/log';
import type { ProfileStore } from '../profiles/profileStore';
import { followInNotification } from '../ui/progressUi';
import { ask } from '../ui/prompts';
import type { ExtensionSettings } from '../settings/settings';
import type { UploadHandle, UploadManager, UploadOutcome, UploadRestart } from './uploadManager';

export interface UploadUiDeps {
  manager: UploadManager;
  profiles: ProfileStore;
  log: UploadLog;
  settings(scope?: vscode.Uri): ExtensionSettings;
}

/**
 * Follows one run of an upload in a progress notification, then tells the user how it ended:
 * success with links, failure with what to do, pause with how to resume. Only the progress is
 * awaited; the closing messages are not, so a caller (a test, a task) is never held by them.
 */
export async function trackUpload(deps: UploadUiDeps, handle: UploadHandle): Promise<UploadOutcome> {
  const job = deps.manager.get(handle.id)?.job;
  const title = job ? vscode.l10n.t('Uploading {0} to {1}', job.displayPath, job.bucket) : vscode.l10n.t('Uploading to COS');
  const outcome = await followInNotification(deps.manager, handle, title);
  showOutcome(deps, outcome);
  return outcome;
}

/**
 * The one closing message of a run, whichever path ran it (a command, a batch's retry, Show
 * Uploads, a resume after a reload): success with its links, failure with what to do, pause with
 * how to resume, nothing for a cancel. Not awaited by callers, so no one is held by a message.
 */
export function showOutcome(deps: UploadUiDeps, outcome: UploadOutcome): void {
  switch (outcome.status) {
    case 'completed':
      void showSucceeded(deps, outcome);
      break;
    case 'failed':
      void showUploadFailure(deps, outcome);
      break;
    case 'paused':
      void showPausedUpload(deps, outcome);
      break;
    case 'cancelled':
      break;
  }
}

export function showUploadFailure(deps: UploadUiDeps, outcome: UploadOutcome): Promise<void> {
  const { job } = outcome;
  const profile = deps.profiles.find(job.profileId);
  const resumable = deps.manager.get(outcome.id)?.state === 'failed';
  const fileChanged = CosError.is(outcome.error) && outcome.error.code === 'FILE_CHANGED';
  const gone = CosError.is(outcome.error) && outcome.error.code === 'NO_SUCH_UPLOAD';
  return showFailure(
    outcome.error,
    { file: job.displayPath, profileName: job.profileName, bucket: job.bucket, region: profile?.region, endpoint: profile?.endpoint },
    {
      ...(resumable && gone ? { uploadAgain: () => void uploadAgain(deps, outcome) } : {}),
      ...(resumable && !fileChanged ? { retry: () => void trackUpload(deps, deps.manager.resume(outcome.id)) } : {}),
      ...(resumable && fileChanged ? { startOver: () => void trackUpload(deps, deps.manager.resume(outcome.id, { restartIfChanged: true })) } : {}),
      ...(resumable && fileChanged ? { discard: () => void discardUpload(deps, outcome.id) } : {}),
      ...(profile ? { profileName: profile.name } : {}),
    },
  );
}

/**
 * How every successful upload ends, whichever path ran it (a command, Show Uploads, a resume after
 * a reload): one message with the integrity verdict, and Copy URL, Copy Presigned URL, Show Log.
 */
async function showSucceeded(deps: UploadUiDeps, outcome: UploadOutcome): Promise<void> {
  const { job, result } = outcome;
  if (!result) return;
  const verdict = result.crc64Verified ? vscode.l10n.t('CRC64 verified') : vscode.l10n.t('each part verified');
  const uploaded = vscode.l10n.t('Uploaded {0} to {1} ({2}): {3}', formatBytes(result.bytes), job.bucket, verdict, job.key);
  const message = outcome.restarted ? joinSentences(restartNote(outcome.restarted), uploaded) : uploaded;
  const copyUrl = vscode.l10n.t('Copy URL');
  const copyPresigned = vscode.l10n.t('Copy Presigned URL');
  const showLog = vscode.l10n.t('Show Log');
  const picked = await ask(outcome.restarted ? 'warning' : 'info', message, {}, copyUrl, copyPresigned, showLog);
  if (picked === showLog) {
    deps.log.show();
    return;
  }
  if (picked !== copyUrl && picked !== copyPresigned) return;
  const profile = deps.profiles.find(job.profileId);
  if (!profile) {
    void vscode.window.showWarningMessage(vscode.l10n.t('The bucket profile of this upload no longer exists: {0}', job.profileName));
    return;
  }
  try {
    if (picked === copyUrl) {
      const url = await withClient(deps.profiles, profile, deps.log, async (client) => client.objectUrl(job.key));
      await vscode.env.clipboard.writeText(url);
      vscode.window.setStatusBarMessage(vscode.l10n.t('$(check) Object URL copied'), 3000);
    } else {
      const expiry = deps.settings().presignedUrlExpirySeconds;
      const url = await withClient(deps.profiles, profile, deps.log, (client) => client.presignUrl(job.key, expiry));
      await vscode.env.clipboard.writeText(url);
      vscode.window.setStatusBarMessage(vscode.l10n.t('$(check) Presigned URL copied; it stays valid for {0} s', expiry), 5000);
    }
  } catch (error) {
    deps.log.error(`copy URL failed key=${job.key}: ${describeError(error)}`);
    void showFailure(error, { profileName: profile.name, bucket: profile.bucket, region: profile.region });
  }
}

/** Says why an upload began again from the start instead of resuming. */
export function restartNote(restarted: UploadRestart): string {
  return restarted.serverForgot
    ? vscode.l10n.t('COS no longer knew the interrupted upload id (aborted, expired by a lifecycle rule, or completed by another uploader), so the file was uploaded again from the start.')
    : vscode.l10n.t('The file had changed, so the old upload was aborted and the file was uploaded again from the start.');
}

/**
 * COS no longer knows the upload id: drop it (abort, in case it is still there, and delete the
 * checkpoint) and upload the file from the first part as a new upload.
 */
async function uploadAgain(deps: UploadUiDeps, outcome: UploadOutcome): Promise<void> {
  const dropped = await discardUpload(deps, outcome.id);
  if (dropped?.status === 'failed') return;
  await trackUpload(deps, deps.manager.enqueue(outcome.job));
}

/** Aborts the upload on COS and deletes its checkpoint; says so if that fails (it then stays listed). */
export async function discardUpload(deps: UploadUiDeps, id: string): Promise<UploadOutcome | undefined> {
  const outcome = await deps.manager.cancel(id);
  if (outcome?.status === 'failed') {
    void vscode.window.showErrorMessage(vscode.l10n.t('The upload could not be aborted on COS; it stays listed so you can try again: {0}', describeError(outcome.error)));
  }
  return outcome;
}

/** How a paused run ended, and how to resume it (expired credentials get their own message). */
async function showPausedUpload(deps: UploadUiDeps, outcome: UploadOutcome): Promise<void> {
  if (CosError.is(outcome.error) && outcome.error.code === 'CREDENTIALS_EXPIRED') {
    await showCredentialsPaused(deps, outcome);
    return;
  }
  const resume = vscode.l10n.t('Resume');
  const showUploads = vscode.l10n.t('Show Uploads');
  const picked = await vscode.window.showInformationMessage(
    vscode.l10n.t('Upload paused; the parts sent so far stay on COS and it can resume later: {0}', outcome.job.displayPath),
    resume,
    showUploads,
  );
  if (picked === resume && deps.manager.get(outcome.id)?.state === 'paused') {
    await trackUpload(deps, deps.manager.resume(outcome.id));
  } else if (picked === showUploads) {
    await runCommand('cosUpload.showUploads');
  }
}

/** Nobody entered new temporary credentials: offer to enter them now and resume. */
async function showCredentialsPaused(deps: UploadUiDeps, outcome: UploadOutcome): Promise<void> {
  const enter = vscode.l10n.t('Enter New Credentials');
  const showUploads = vscode.l10n.t('Show Uploads');
  const picked = await ask(
    'warning',
    vscode.l10n.t('Upload paused because the temporary credentials of bucket profile {0} expired; the parts sent so far stay on COS. Enter new credentials to resume: {1}', outcome.job.profileName, outcome.job.displayPath),
    {},
    enter,
    showUploads,
  );
  if (picked === showUploads) {
    await runCommand('cosUpload.showUploads');
    return;
  }
  const profile = deps.profiles.find(outcome.job.profileId);
  if (picked !== enter || !profile) return;
  const fresh = await inputCredentials(profile);
  if (!fresh) return;
  for (const value of [fresh.secretId, fresh.secretKey, fresh.sessionToken]) deps.log.addSecret(value);
  await deps.profiles.updateSecrets(profile.id, { secretId: fresh.secretId, secretKey: fresh.secretKey, sessionToken: fresh.sessionToken ?? '' });
  if (deps.manager.get(outcome.id)?.state === 'paused') await trackUpload(deps, deps.manager.resume(outcome.id));
}
