import * as vscode from 'vscode';
import * as os from 'node:os';
import { runCommand } from '../commands/run';
import { CompleteLostError, CosError, formatLockTime, isLoopbackHost, OTHER_HOST_STALE_MS, UploadLockedError } from '../../core';
import { settingForOption } from '../settings/settings';
import { ask } from './prompts';

/** What a button under an error message does; the caller supplies retry and start-over. */
export type ErrorAction = 'showLog' | 'retry' | 'startOver' | 'discard' | 'editProfile' | 'openSettings' | 'showUploads' | 'uploadAgain';

export interface ErrorContext {
  /** The workspace-relative path of the file being uploaded, if any; named first in the message. */
  file?: string;
  profileName?: string;
  bucket?: string;
  region?: string;
  endpoint?: string;
}

export interface ErrorReport {
  message: string;
  actions: ErrorAction[];
  /** The setting to open for openSettings. */
  setting?: string;
}

interface ServiceFields {
  status?: number;
  cosCode?: string;
  cosMessage?: string;
  operation?: string;
  field?: string;
}

/** Codes of failures found before any request went to COS: "The request to COS failed." would be untrue. */
const LOCAL_CODES: ReadonlySet<string> = new Set(['INVALID_ARGUMENT', 'INVALID_HEADER', 'CHECKPOINT', 'FILE_NOT_FOUND', 'FILE_NOT_A_FILE', 'FILE_UNREADABLE', 'FILE_CHANGED', 'ABORTED']);

/**
 * Sentences joined into one message: a space after a Latin full stop, none after a Chinese one
 * ("。", "！", "？", "："), empty parts left out.
 */
export function joinSentences(...parts: string[]): string {
  return parts
    .filter((p) => p !== '')
    .reduce((text, part) => (text === '' ? part : /[\u3002\uff01\uff1f\uff1a\uff1b\uff09]$/.test(text) ? `${text}${part}` : `${text} ${part}`), '');
}

/**
 * Says what failed and what to do, localized, for an error from the core. The core's English
 * message is kept out of the sentence (it is in the log) except where it is the only detail.
 */
export function describeFailure(error: unknown, ctx: ErrorContext): ErrorReport {
  const profile = ctx.profileName ?? '';
  const local = !CosError.is(error) || LOCAL_CODES.has(error.code);
  const what = ctx.file ? vscode.l10n.t('Could not upload {0}.', ctx.file) : local ? '' : vscode.l10n.t('The request to COS failed.');
  const withId = (text: string): string => {
    const requestId = CosError.is(error) ? error.requestId : undefined;
    return requestId ? joinSentences(text, vscode.l10n.t('Request id: {0}', requestId)) : text;
  };
  if (!CosError.is(error)) {
    return { message: joinSentences(what, vscode.l10n.t('Unexpected error: {0}', error instanceof Error ? error.message : String(error))), actions: ['showLog'] };
  }
  const f = error as CosError & ServiceFields;
  switch (error.code) {
    case 'CLOCK_SKEW':
      return {
        message: withId(`${what} ${vscode.l10n.t("This computer's clock differs too much from COS's time. Turn on automatic date and time, then try again.")}`),
        actions: ['retry', 'showLog'],
      };
    case 'INVALID_SECRET_ID':
      return {
        message: withId(`${what} ${vscode.l10n.t('COS does not know the SecretId of bucket profile {0}. Copy the SecretId again from the CAM console (API keys) with Edit Profile.', profile)}`),
        actions: ['editProfile', 'showLog'],
      };
    case 'SIGNATURE_MISMATCH':
      return {
        message: withId(`${what} ${vscode.l10n.t('The SecretKey of bucket profile {0} is wrong: COS knows the SecretId, but the signature made with the SecretKey does not match. Enter the SecretKey that belongs to this SecretId with Edit Profile.', profile)}`),
        actions: ['editProfile', 'showLog'],
      };
    case 'ACCESS_DENIED':
      return {
        message: withId(joinSentences(what, vscode.l10n.t('COS refused access to bucket {1}. If the keys of bucket profile {0} are right, their CAM policy may not allow this: grant the key read and write access to the bucket.', profile, ctx.bucket ?? ''))),
        actions: ['editProfile', 'showLog'],
      };
    case 'CREDENTIALS_EXPIRED':
      return {
        message: withId(joinSentences(what, vscode.l10n.t('The temporary credentials (session token) of bucket profile {0} expired. Enter fresh ones with Edit Bucket Profile, then resume.', profile))),
        actions: ['editProfile', 'retry', 'showLog'],
      };
    case 'NO_SUCH_BUCKET':
      return {
        message: withId(joinSentences(what, vscode.l10n.t('Bucket {0} does not exist in region {1}. Check the bucket name (name-appid) and region of bucket profile {2}.', ctx.bucket ?? '', ctx.region ?? '', profile))),
        actions: ['editProfile', 'showLog'],
      };
    case 'NO_SUCH_UPLOAD':
      if (error instanceof CompleteLostError) {
        const failure = error.completeFailure.cosCode ?? `HTTP ${error.completeFailure.status}`;
        return {
          message: withId(`${what} ${vscode.l10n.t('Complete Multipart Upload failed with {0}, and when it was sent again COS no longer knew the upload: the upload is gone and no object was created from it. Upload Again sends the file from the start.', failure)}`),
          actions: ['uploadAgain', 'showLog'],
        };
      }
      return {
        message: withId(joinSentences(what, vscode.l10n.t('COS no longer knows this multipart upload id: it was aborted, expired by a lifecycle rule, or completed by another uploader. Upload the file again.'))),
        actions: ['uploadAgain', 'showLog'],
      };
    case 'LOCKED':
      return lockedReport(error);
    case 'FILE_CHANGED':
      return {
        message: joinSentences(what, vscode.l10n.t('The file changed while it was being uploaded or since it was interrupted, so its parts on COS no longer match it. Start over to upload it as it is now (the old upload is aborted), or discard the upload.')),
        actions: ['startOver', 'discard', 'showLog'],
      };
    case 'FILE_NOT_FOUND':
      return { message: joinSentences(what, vscode.l10n.t('The file does not exist any more.')), actions: ['showLog'] };
    case 'FILE_NOT_A_FILE':
      return { message: joinSentences(what, vscode.l10n.t('Only files can be uploaded, not folders or devices.')), actions: ['showLog'] };
    case 'FILE_UNREADABLE':
      return { message: joinSentences(what, vscode.l10n.t('The file cannot be read. Check its permissions.')), actions: ['showLog'] };
    case 'OBJECT_EXISTS':
      return { message: withId(joinSentences(what, vscode.l10n.t('An object with this key already exists and the upload was told not to overwrite it.'))), actions: ['showLog'] };
    case 'NETWORK':
      return {
        message: joinSentences(what, vscode.l10n.t('COS could not be reached. Check the network connection, proxy and the endpoint of bucket profile {0}; the parts already sent are kept, so Retry continues where it stopped.', profile)),
        actions: ['retry', 'showLog'],
      };
    case 'TIMEOUT':
      return {
        message: withId(joinSentences(what, vscode.l10n.t('COS stopped answering in time. The parts already sent are kept, so Retry continues where it stopped.'))),
        actions: ['retry', 'showLog'],
      };
    case 'BAD_RESPONSE':
      return {
        message: withId(joinSentences(what, vscode.l10n.t('The endpoint sent an answer that is not from COS. If bucket profile {0} uses a custom endpoint (proxy, CDN), point it at the bucket itself.', profile))),
        actions: ['editProfile', 'showLog'],
      };
    case 'INTEGRITY':
      return {
        message: withId(joinSentences(what, vscode.l10n.t('A checksum from COS does not match the file, so the upload was stopped rather than leave a damaged object. Retry; if it happens again, see the log.'))),
        actions: ['retry', 'showLog'],
      };
    case 'INVALID_ARGUMENT': {
      if (f.field === 'endpoint' && isInsecureRemote(ctx.endpoint)) {
        return {
          message: joinSentences(what, vscode.l10n.t('Bucket profile {0} uses plain http:// to a remote host, so files and signatures would travel unencrypted. Use an https:// endpoint, or turn on the setting cosUpload.allowInsecureHttp if you accept the risk.', profile)),
          actions: ['editProfile', 'openSettings', 'showLog'],
          setting: 'cosUpload.allowInsecureHttp',
        };
      }
      const setting = f.field ? settingForOption(f.field) : undefined;
      return {
        message: joinSentences(what, vscode.l10n.t('A setting or profile value is not valid: {0}', error.message)),
        actions: setting ? ['openSettings', 'showLog'] : ['editProfile', 'showLog'],
        ...(setting ? { setting } : {}),
      };
    }
    case 'INVALID_HEADER':
      return {
        message: joinSentences(what, vscode.l10n.t('An object header setting is not valid, so nothing was sent: {0}', error.message)),
        actions: ['openSettings', 'showLog'],
        setting: 'cosUpload.headers',
      };
    case 'CHECKPOINT':
      return { message: joinSentences(what, vscode.l10n.t('The resume checkpoint could not be read or written: {0}', error.message)), actions: ['showLog'] };
    case 'SERVICE_ERROR': {
      const detail = [f.cosCode, f.cosMessage].filter(Boolean).join(': ') || `HTTP ${f.status ?? '?'}`;
      return {
        message: withId(joinSentences(what, vscode.l10n.t('COS rejected {0}: {1}', f.operation ?? vscode.l10n.t('the request'), detail))),
        actions: error.retryable ? ['retry', 'showLog'] : ['showLog'],
      };
    }
    case 'ABORTED':
      return { message: joinSentences(what, vscode.l10n.t('The upload was cancelled.')), actions: ['retry'] };
    default:
      return { message: withId(joinSentences(what, vscode.l10n.t('Unexpected error: {0}', error.message))), actions: ['showLog'] };
  }
}

/** The LOCKED message, localized from the lock's fields (the core's English one is in the log). */
function lockedReport(error: CosError): ErrorReport {
  if (!(error instanceof UploadLockedError)) return { message: error.message, actions: ['showLog'] };
  const holder = error.holder;
  const now = Date.now();
  const who = !holder
    ? vscode.l10n.t('it is starting right now')
    : holder.host === os.hostname()
      ? vscode.l10n.t('pid {0} on this machine since {1}', holder.pid, formatLockTime(holder.startedAt, now))
      : vscode.l10n.t('pid {0} on {1} since {2}; a lock from another machine counts as abandoned after {3} minutes without renewal', holder.pid, holder.host, formatLockTime(holder.startedAt, now), OTHER_HOST_STALE_MS / 60_000);
  if (error.operation === 'download') {
    return { message: vscode.l10n.t('Another download of {0} to {1} is running ({2}); wait for it or stop it.', error.key, error.file, who), actions: [] };
  }
  return {
    message: vscode.l10n.t('Another upload of {0} to {1} is running ({2}); wait for it or stop it.', error.file, error.key, who),
    actions: error.heldByThisProcess ? ['showUploads'] : [],
  };
}

export interface ErrorHandlers {
  /** Starts the upload over from the first part (the old upload id is gone or dropped). */
  uploadAgain?(): void;
  retry?(): void;
  startOver?(): void;
  /** Abort the upload on COS and delete its checkpoint. */
  discard?(): void;
  /** The profile to open in Edit Bucket Profile. */
  profileName?: string;
}

/**
 * Shows the error without waiting for the user (the returned promise settles when they pick an
 * action or dismiss it). Actions without a handler are left out.
 */
export async function showFailure(error: unknown, ctx: ErrorContext, handlers: ErrorHandlers = {}): Promise<void> {
  const report = describeFailure(error, ctx);
  const labels: Record<ErrorAction, string> = {
    showLog: vscode.l10n.t('Show Log'),
    retry: vscode.l10n.t('Retry'),
    startOver: vscode.l10n.t('Start Over'),
    discard: vscode.l10n.t('Discard'),
    editProfile: vscode.l10n.t('Edit Profile'),
    openSettings: vscode.l10n.t('Open Settings'),
    showUploads: vscode.l10n.t('Show Uploads'),
    uploadAgain: vscode.l10n.t('Upload Again'),
  };
  const available = report.actions.filter(
    (a) =>
      (a !== 'retry' || handlers.retry) &&
      (a !== 'startOver' || handlers.startOver) &&
      (a !== 'uploadAgain' || handlers.uploadAgain) &&
      (a !== 'discard' || handlers.discard) &&
      (a !== 'editProfile' || handlers.profileName),
  );
  // Through ask(): the extension-host tests read the message and click its actions.
  const picked = await ask('error', report.message, {}, ...available.map((a) => labels[a]));
  const action = available.find((a) => labels[a] === picked);
  switch (action) {
    case 'showLog':
      await runCommand('cosUpload.showLog');
      break;
    case 'retry':
      handlers.retry?.();
      break;
    case 'startOver':
      handlers.startOver?.();
      break;
    case 'uploadAgain':
      handlers.uploadAgain?.();
      break;
    case 'showUploads':
      await runCommand('cosUpload.showUploads');
      break;
    case 'discard':
      handlers.discard?.();
      break;
    case 'editProfile':
      await runCommand('cosUpload.editProfile', handlers.profileName);
      break;
    case 'openSettings':
      await vscode.commands.executeCommand('workbench.action.openSettings', report.setting ?? 'cosUpload');
      break;
  }
}

/** An http:// endpoint off this machine, which the core refuses unless cosUpload.allowInsecureHttp is on. */
function isInsecureRemote(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  try {
    const url = new URL(endpoint);
    return url.protocol === 'http:' && !isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

/**
 * The end of a run: information when all went well, else a warning that names the problems and
 * offers Show Log. Through ask(), so the extension-host tests read the counts it shows.
 */
export async function showRunSummary(log: { show(): void }, text: string, problems: string | undefined): Promise<void> {
  if (problems === undefined) {
    await ask('info', text, {});
    return;
  }
  const showLog = vscode.l10n.t('Show Log');
  const answer = await ask('warning', joinSentences(text, problems), {}, showLog);
  if (answer === showLog) log.show();
}
