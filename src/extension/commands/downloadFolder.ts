/**
 * Download Folder…: every object under a prefix into a local folder, through the core's prefix
 * download (verified, resumable per file, one lock per file) in a cancellable notification.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeError, downloadPrefix, formatBytes, normalizePrefix, prefixDownloadIncomplete, type PrefixDownloadResult } from '../../core';
import { sseOf, targetOf, type BucketProfile } from '../profiles/profileStore';
import { readTransport } from '../settings/proxySettings';
import { showFailure, showRunSummary } from '../ui/errorUi';
import { askInput, askOpenDialog } from '../ui/prompts';
import { nodeArgs, profileForNode } from './cosObjectArgs';
import type { ExtensionCommandContext } from './index';

/** Progress text is updated at most this often. */
const PROGRESS_INTERVAL_MS = 250;

export async function downloadFolderCommand(ctx: ExtensionCommandContext, first?: unknown): Promise<PrefixDownloadResult | undefined> {
  const args = nodeArgs(first);
  const profile = await profileForNode(ctx.profiles, args, vscode.l10n.t('Download from which bucket?'));
  if (!profile) return undefined;
  const typed = args?.prefix ?? (await askPrefix(profile));
  if (typed === undefined) return undefined;
  const prefix = normalizePrefix(typed);
  const parent = args?.destination !== undefined ? toUri(args.destination) : await askDestination(prefix);
  if (!parent) return undefined;
  // The objects go into a folder named after the prefix, so picking ~/Downloads does not scatter them.
  const destDir = path.join(parent.fsPath, prefix === '' ? profile.bucket : path.basename(prefix));
  const secrets = await ctx.profiles.getSecrets(profile.id);
  for (const value of [secrets?.secretId, secrets?.secretKey, secrets?.sessionToken, secrets?.sseCustomerKey]) ctx.log.addSecret(value);
  const { partSize, concurrency, maxConcurrency, retries } = ctx.settings().uploadOptions;
  const title = vscode.l10n.t('Downloading {0} to {1}', `${profile.bucket}/${prefix}`, destDir);
  try {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      let lastReport = 0;
      let reported = 0;
      return downloadPrefix({
        prefix,
        destDir,
        target: targetOf(profile),
        credentials: ctx.profiles.credentialSource(profile.id),
        options: { partSize, concurrency, maxConcurrency, retries, sse: sseOf(profile, secrets) },
        checkpoints: ctx.downloadCheckpoints,
        transport: readTransport(),
        signal: controller.signal,
        logger: ctx.log,
        onEvent: (event) => {
          if (event.type !== 'progress' || Date.now() - lastReport < PROGRESS_INTERVAL_MS) return;
          lastReport = Date.now();
          const percent = event.bytesTotal > 0 ? (event.bytesDone / event.bytesTotal) * 100 : 0;
          progress.report({
            message: vscode.l10n.t('{0} of {1} files, {2} of {3}', event.filesDone, event.filesTotal, formatBytes(event.bytesDone), formatBytes(event.bytesTotal)),
            increment: percent - reported,
          });
          reported = percent;
        },
      });
    });
    void showResult(ctx, result);
    return result;
  } catch (error) {
    ctx.log.error(`download of ${profile.bucket}/${prefix} failed: ${describeError(error)}`);
    void showFailure(error, { profileName: profile.name, bucket: profile.bucket, region: profile.region }, { profileName: profile.name });
    return undefined;
  }
}

async function askPrefix(profile: BucketProfile): Promise<string | undefined> {
  return askInput({
    title: vscode.l10n.t('Download Folder from COS'),
    prompt: vscode.l10n.t('Key prefix in {0} to download (empty: the whole bucket)', profile.bucket),
    value: profile.prefix ?? '',
  });
}

async function askDestination(prefix: string): Promise<vscode.Uri | undefined> {
  const picked = await askOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: vscode.l10n.t('Download Here'),
    title: vscode.l10n.t('Folder to download {0} into', prefix || '/'),
    ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
  });
  return picked?.[0];
}

function toUri(value: vscode.Uri | string): vscode.Uri {
  return typeof value === 'string' ? vscode.Uri.file(value) : value;
}

async function showResult(ctx: ExtensionCommandContext, result: PrefixDownloadResult): Promise<void> {
  const text = vscode.l10n.t('Downloaded {0} files ({1}) to {2}.', result.downloaded.length, formatBytes(result.bytes), result.destDir);
  const problems = prefixDownloadIncomplete(result)
    ? vscode.l10n.t('{0} files failed and {1} keys could not be placed in the folder; see the log. Run the download again to retry the failed ones.', result.failed.length, result.refused.length)
    : undefined;
  await showRunSummary(ctx.log, text, problems);
}
