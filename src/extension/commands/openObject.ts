/**
 * Open COS Object: shows an object in an editor through the read-only `cos:` file system (text,
 * images, whatever VS Code can show). An object above cosUpload.openSizeLimitMB is read whole
 * into memory, so it asks first.
 */

import * as vscode from 'vscode';
import { describeError, formatBytes } from '../../core';
import { statCosObject } from '../cosFs/cosFsOperations';
import { cosUri } from '../cosFs/cosUri';
import { SECTION } from '../settings/settings';
import { ask, askInput } from '../ui/prompts';
import { nodeArgs, profileForNode } from './cosObjectArgs';
import type { ExtensionCommandContext } from './index';

const MiB = 1024 * 1024;
const DEFAULT_OPEN_LIMIT_MB = 50;

/** Resolves with the `cos:` URI opened, or undefined when nothing was opened. */
export async function openObjectCommand(ctx: ExtensionCommandContext, first?: unknown): Promise<string | undefined> {
  const args = nodeArgs(first);
  const profile = await profileForNode(ctx.profiles, args, vscode.l10n.t('Open an object of which bucket?'));
  if (!profile) return undefined;
  const key = args?.key ?? (await askKey(profile.bucket));
  if (key === undefined) return undefined;
  const uri = cosUri(profile.name, key);
  let size: number;
  try {
    const stat = await statCosObject(ctx, uri, { profile: profile.name, key });
    if (stat.type !== vscode.FileType.File) {
      void vscode.window.showErrorMessage(vscode.l10n.t('{0} is a folder, not an object: use COS: Download Folder… for it.', key));
      return undefined;
    }
    size = stat.size;
  } catch (error) {
    ctx.log.error(`open ${key} failed: ${describeError(error)}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not open {0}: {1}', key, error instanceof Error ? error.message : String(error)));
    return undefined;
  }
  const limitMB = vscode.workspace.getConfiguration(SECTION).get<number>('openSizeLimitMB', DEFAULT_OPEN_LIMIT_MB);
  if (limitMB > 0 && size > limitMB * MiB) {
    const open = vscode.l10n.t('Open');
    const answer = await ask(
      'warning',
      vscode.l10n.t('{0} is {1}, above the {2} MiB limit for opening (setting cosUpload.openSizeLimitMB): it is downloaded whole into memory. Open it anyway?', key, formatBytes(size), limitMB),
      { modal: true },
      open,
    );
    if (answer !== open) return undefined;
  }
  await vscode.commands.executeCommand('vscode.open', uri);
  return uri.toString();
}

async function askKey(bucket: string): Promise<string | undefined> {
  return askInput({
    title: vscode.l10n.t('Open COS Object'),
    prompt: vscode.l10n.t('Object key in {0}', bucket),
    validateInput: (value) =>
      value === ''
        ? vscode.l10n.t('Type the key of an object, for example: docs/readme.md')
        : value.endsWith('/')
          ? vscode.l10n.t('A key ending in "/" is a folder: use COS: Download Folder… for it.')
          : undefined,
  });
}
