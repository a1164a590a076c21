import * as vscode from 'vscode';
import type { ExtensionCommandContext } from '../commands';
import { uploadCommand, type UploadCommandResult } from '../commands/upload';
import { isPrefixRef, profileOfNode } from './viewActions';

/** From a caller other than the tree (a test, a task): the files or folders, instead of the open dialog. */
export interface UploadHereArgs {
  uris: Array<vscode.Uri | string>;
}

function isUploadHereArgs(value: unknown): value is UploadHereArgs {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Array.isArray((value as UploadHereArgs).uris);
}

/**
 * Upload Here…: files or folders picked in a dialog (or `uris`) go under the node's prefix (the
 * bucket's root, or the profile's filter, for a profile node), through the same command, queue and
 * progress as every upload; the view's folder is listed again afterwards.
 */
export async function uploadHereCommand(ctx: ExtensionCommandContext, node: unknown, second: unknown): Promise<UploadCommandResult | undefined> {
  const target = node as { kind?: string; profile?: unknown };
  if (typeof target !== 'object' || target === null || typeof target.profile !== 'string') return undefined;
  const profile = profileOfNode(ctx, target.profile);
  if (!profile) return undefined;
  const prefix = isPrefixRef(node) ? node.prefix : (ctx.bucketView.filterOf(profile.name) ?? '');
  const uris = isUploadHereArgs(second)
    ? second.uris
    : await vscode.window.showOpenDialog({
        title: vscode.l10n.t('Upload to {0}', `${profile.bucket}/${prefix}`),
        openLabel: vscode.l10n.t('Upload'),
        canSelectFiles: true,
        canSelectFolders: true,
        canSelectMany: true,
        ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
      });
  if (!uris || uris.length === 0) return undefined;
  const result = await uploadCommand(ctx, { uris, profile: profile.name, prefix });
  ctx.bucketView.refreshListing(profile.name, prefix);
  return result;
}
