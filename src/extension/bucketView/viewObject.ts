import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CosError, describeError, downloadObject, formatBytes, type DownloadResult, type ObjectInfo } from '../../core';
import type { ExtensionCommandContext } from '../commands';
import { headHeaders, withClient } from '../profiles/clients';
import { sseOf, targetOf } from '../profiles/profileStore';
import { readTransport } from '../settings/proxySettings';
import { showFailure } from '../ui/errorUi';
import { abortSignalFromToken } from '../ui/progressUi';
import { ask } from '../ui/prompts';
import { profileOfNode, selectedObjects } from './viewActions';

/** From a caller other than the tree (a test, a task): where to save, instead of the save dialog. */
export interface ViewDownloadArgs {
  destPath: string;
}

/** The object's properties, as Properties shows them and returns them. */
export interface ViewObjectProperties extends ObjectInfo {
  key: string;
  bucket: string;
}

function isDownloadArgs(value: unknown): value is ViewDownloadArgs {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as ViewDownloadArgs).destPath === 'string';
}

/**
 * Download…: a save dialog (or `destPath`), a question before replacing an existing file, then the
 * core's verified ranged download (written to a temporary file and renamed only once complete).
 */
export async function downloadViewObjectCommand(ctx: ExtensionCommandContext, clicked: unknown, second: unknown): Promise<DownloadResult | undefined> {
  const [object] = selectedObjects(clicked, isDownloadArgs(second) ? undefined : second);
  if (!object) return undefined;
  const profile = profileOfNode(ctx, object.profile);
  if (!profile) return undefined;
  const destPath = isDownloadArgs(second) ? second.destPath : await askDestination(object.key);
  if (!destPath) return undefined;
  const exists = await fs.stat(destPath).then(
    () => true,
    () => false,
  );
  if (exists) {
    const replace = vscode.l10n.t('Replace');
    const answer = await ask('warning', vscode.l10n.t('{0} already exists. Replace it with {1}?', destPath, object.key), { modal: true }, replace);
    if (answer !== replace) return undefined;
  }
  const secrets = await ctx.profiles.getSecrets(profile.id);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Downloading {0}', object.key), cancellable: true },
    async (progress, token) => {
      const abort = abortSignalFromToken(token);
      let reported = 0;
      try {
        const result = await downloadObject({
          key: object.key,
          destPath,
          target: targetOf(profile),
          credentials: ctx.profiles.credentialSource(profile.id),
          options: { ...ctx.settings().uploadOptions, sse: sseOf(profile, secrets) },
          overwrite: exists,
          transport: readTransport(),
          signal: abort.signal,
          logger: ctx.log,
          onEvent: (event) => {
            if (event.type !== 'progress' || event.bytesTotal === 0) return;
            const percent = (event.bytesDone / event.bytesTotal) * 100;
            progress.report({ increment: percent - reported, message: `${formatBytes(event.bytesDone)} / ${formatBytes(event.bytesTotal)}` });
            reported = percent;
          },
        });
        ctx.log.info(`downloaded key=${object.key} to ${result.path} bytes=${result.bytes} crc64Verified=${result.crc64Verified}`);
        vscode.window.setStatusBarMessage(vscode.l10n.t('$(check) Downloaded {0}', path.basename(result.path)), 4000);
        return result;
      } catch (error) {
        if (CosError.is(error) && error.code === 'ABORTED') return undefined;
        ctx.log.error(`download failed key=${object.key}: ${describeError(error)}`);
        void showFailure(error, { profileName: profile.name, bucket: profile.bucket, region: profile.region });
        return undefined;
      } finally {
        abort.dispose();
      }
    },
  );
}

async function askDestination(key: string): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = path.posix.basename(key);
  const picked = await vscode.window.showSaveDialog({
    title: vscode.l10n.t('Download {0}', key),
    saveLabel: vscode.l10n.t('Download'),
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
  });
  return picked?.fsPath;
}

/** Properties: Head Object (with the SSE-C key when the profile has one), shown in a dialog and returned. */
export async function objectPropertiesCommand(ctx: ExtensionCommandContext, clicked: unknown): Promise<ViewObjectProperties | undefined> {
  const [object] = selectedObjects(clicked, undefined);
  if (!object) return undefined;
  const profile = profileOfNode(ctx, object.profile);
  if (!profile) return undefined;
  let info: ObjectInfo | undefined;
  try {
    const secrets = await ctx.profiles.getSecrets(profile.id);
    info = await withClient(ctx.profiles, profile, ctx.log, (client) => client.headObject(object.key, undefined, headHeaders(profile, secrets)));
  } catch (error) {
    ctx.log.error(`properties failed key=${object.key}: ${describeError(error)}`);
    void showFailure(error, { profileName: profile.name, bucket: profile.bucket, region: profile.region });
    return undefined;
  }
  if (!info) {
    void vscode.window.showWarningMessage(vscode.l10n.t('{0} no longer exists in {1}; refresh the view.', object.key, profile.bucket));
    ctx.bucketView.refreshParentOf(profile.name, object.key);
    return undefined;
  }
  const properties: ViewObjectProperties = { key: object.key, bucket: profile.bucket, ...info };
  void ask('info', object.key, { modal: true, detail: propertyLines(properties).join('\n') });
  return properties;
}

/** "Size: 1.0 MiB (1048576 bytes)" and the rest, one a line; missing fields say so. */
export function propertyLines(p: ViewObjectProperties): string[] {
  const none = vscode.l10n.t('(none)');
  const metadata = Object.entries(p.metadata ?? {}).map(([name, value]) => `${name}=${value}`);
  return [
    vscode.l10n.t('Size: {0} ({1} bytes)', formatBytes(p.size), p.size),
    vscode.l10n.t('ETag: {0}', p.etag || none),
    vscode.l10n.t('CRC64: {0}', p.crc64 ?? none),
    vscode.l10n.t('Last modified: {0}', p.lastModified ?? none),
    vscode.l10n.t('Content-Type: {0}', p.contentType ?? none),
    vscode.l10n.t('Cache-Control: {0}', p.cacheControl ?? none),
    vscode.l10n.t('Storage class: {0}', p.storageClass ?? 'STANDARD'),
    vscode.l10n.t('Server-side encryption: {0}', p.serverSideEncryption ?? none),
    vscode.l10n.t('Metadata: {0}', metadata.length > 0 ? metadata.join(', ') : none),
  ];
}
