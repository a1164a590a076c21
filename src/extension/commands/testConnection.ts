import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { CosError, describeError } from '../../core';
import { withClient } from '../profiles/clients';
import { joinSentences, showFailure } from '../ui/errorUi';
import type { UploadLog } from '../ui/log';
import type { BucketProfile, ProfileStore } from '../profiles/profileStore';
import { abortSignalFromToken } from '../ui/progressUi';
import { pickProfile } from '../profiles/profilePicker';

/** What Test Connection found; also the command's return value (for tests and tasks). */
export interface ConnectionReport {
  ok: boolean;
  profile?: string;
  /** Unfinished multipart uploads in the bucket (parts billed as storage), when listing is allowed. */
  incompleteUploads?: number;
  /** Listing uploads is refused but a signed Head Object works: uploads work, resuming from other sessions may not. */
  listDenied?: boolean;
  /**
   * False with a custom endpoint whose host does not name the bucket (an IP, a custom domain): COS
   * picks the bucket from the domain, so no answer depends on the profile's bucket name.
   */
  bucketChecked?: boolean;
  code?: string;
}

/** Whether requests to this profile's endpoint name its bucket (the default and accelerated domains do). */
export function endpointNamesBucket(profile: Pick<BucketProfile, 'bucket' | 'endpoint'>): boolean {
  if (!profile.endpoint) return true;
  try {
    return new URL(profile.endpoint).hostname.toLowerCase().split('.').includes(profile.bucket.toLowerCase());
  } catch {
    return false;
  }
}

/**
 * Test Connection: a cheap signed request that proves bucket, region, endpoint and keys without
 * writing anything. List Multipart Uploads (a GET with an XML answer) tells "no such bucket"
 * apart from "access denied", which a HEAD cannot. If listing is denied, a Head Object of a
 * random key answering 404 still shows that the signature is accepted.
 */
export async function testConnectionCommand(store: ProfileStore, log: UploadLog, args?: unknown): Promise<ConnectionReport> {
  const name = typeof args === 'string' ? args : typeof args === 'object' && args !== null ? (args as { profile?: string }).profile : undefined;
  const profile = name !== undefined ? store.find(name) : await pickProfile(store, vscode.l10n.t('Test which bucket profile?'), { offerAdd: false });
  if (!profile) {
    if (name !== undefined) void vscode.window.showErrorMessage(vscode.l10n.t('There is no bucket profile with this name: {0}', name));
    return { ok: false };
  }
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Testing the connection to {0}…', profile.bucket), cancellable: true },
    async (_progress, token) => {
      const { signal, dispose } = abortSignalFromToken(token);
      try {
        const report = await probe(store, profile, log, signal);
        announce(profile, report);
        return report;
      } catch (error) {
        if (CosError.is(error) && error.code === 'ABORTED') return { ok: false, profile: profile.name, code: 'ABORTED' };
        log.error(`test connection failed profile=${profile.name} bucket=${profile.bucket}: ${describeError(error)}`);
        void showFailure(error, { profileName: profile.name, bucket: profile.bucket, region: profile.region, endpoint: profile.endpoint }, { profileName: profile.name });
        return { ok: false, profile: profile.name, code: CosError.is(error) ? error.code : 'INTERNAL' };
      } finally {
        dispose();
      }
    },
  );
}

async function probe(store: ProfileStore, profile: BucketProfile, log: UploadLog, signal: AbortSignal): Promise<ConnectionReport> {
  return withClient(store, profile, log, async (client) => {
    try {
      const uploads = await client.listMultipartUploads({}, signal);
      const bucketChecked = endpointNamesBucket(profile);
      log.info(
        `test connection ok profile=${profile.name} bucket=${profile.bucket} endpoint=${client.endpoint.origin} incompleteUploads=${uploads.length}` +
          (bucketChecked ? '' : ' bucketChecked=false: the custom endpoint serves one bucket, whatever the profile names'),
      );
      return { ok: true, profile: profile.name, incompleteUploads: uploads.length, bucketChecked };
    } catch (error) {
      if (!CosError.is(error) || error.code !== 'ACCESS_DENIED') throw error;
      // A key limited to uploading may not list; a signed HEAD of a key that cannot exist separates that from bad keys.
      // A HEAD answer has no body to say why it failed, so the List error is the one worth reporting.
      const head = await client.headObject(`.cos-upload-connection-test-${randomBytes(8).toString('hex')}`, signal).catch((headError: unknown) => {
        if (CosError.is(headError) && headError.code === 'ABORTED') throw headError;
        throw error;
      });
      log.info(`test connection ok profile=${profile.name} bucket=${profile.bucket}: List Multipart Uploads denied, Head Object ${head ? 'found an object' : 'answered 404'}`);
      return { ok: true, profile: profile.name, listDenied: true, bucketChecked: endpointNamesBucket(profile) };
    }
  });
}

function announce(profile: BucketProfile, report: ConnectionReport): void {
  const { warning, text } = connectionMessage(profile, report);
  void (warning ? vscode.window.showWarningMessage(text) : vscode.window.showInformationMessage(text));
}

/** What Test Connection tells the user about a successful probe: only what the answers proved. */
export function connectionMessage(profile: Pick<BucketProfile, 'bucket' | 'region' | 'endpoint'>, report: ConnectionReport): { warning: boolean; text: string } {
  // With a custom domain only the endpoint and the keys were checked: say so rather than name a bucket no answer depended on.
  const unchecked =
    report.bucketChecked === false
      ? vscode.l10n.t(
          'The endpoint {0} accepted the keys. With a custom endpoint the bucket is the one the endpoint serves: the bucket name {1} in the profile was not checked.',
          profile.endpoint ?? '',
          profile.bucket,
        )
      : undefined;
  if (report.listDenied) {
    const listing = vscode.l10n.t('The keys may not list multipart uploads, so resuming an upload may fail. Grant cos:ListMultipartUploads and cos:ListParts to fix that.');
    return {
      warning: true,
      text: unchecked
        ? `${unchecked} ${listing}`
        : vscode.l10n.t('Connected to {0}: the keys are accepted, but they may not list multipart uploads, so resuming an upload may fail. Grant cos:ListMultipartUploads and cos:ListParts to fix that.', profile.bucket),
    };
  }
  const incomplete = report.incompleteUploads ?? 0;
  const detail =
    incomplete === 0
      ? ''
      : incomplete === 1
        ? vscode.l10n.t('The bucket has 1 unfinished multipart upload; its parts are billed until it is completed or aborted.')
        : vscode.l10n.t('The bucket has {0} unfinished multipart uploads; their parts are billed until completed or aborted.', incomplete);
  return { warning: false, text: joinSentences(unchecked ?? vscode.l10n.t('Connected to {0} in {1}: the keys are accepted.', profile.bucket, profile.region), detail) };
}
