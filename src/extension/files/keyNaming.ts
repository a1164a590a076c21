import * as path from 'node:path';
import * as vscode from 'vscode';
import { validateObjectKey } from '../../core';

/** COS limits an object key to 850 bytes of UTF-8. */
const MAX_KEY_BYTES = 850;

/**
 * The path used for the default key and in messages: relative to the file's workspace folder with
 * `/` separators, prefixed by the folder's name in a multi-root workspace (two folders may hold the
 * same relative path); just the file name for a file outside the workspace.
 */
export function workspaceRelativePath(uri: vscode.Uri): string {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) return path.basename(uri.fsPath);
  const relative = path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/');
  const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  return multiRoot ? `${folder.name}/${relative}` : relative;
}

/** Profile prefix + relative path, with `/` separators and no leading `/`. */
export function defaultObjectKey(prefix: string, relativePath: string): string {
  const cleanPrefix = prefix.replace(/\\/g, '/').replace(/^\/+/, '');
  const cleanPath = relativePath.replace(/\\/g, '/').replace(/^\/+/, '');
  return `${cleanPrefix}${cleanPath}`;
}

/** Validation message for the key input box, or undefined when the key is fine. */
export function objectKeyProblem(key: string): string | undefined {
  if (key.trim() === '') return vscode.l10n.t('Enter an object key, for example: backups/data.bin');
  if (key.startsWith('/')) return vscode.l10n.t('Remove the leading "/": object keys start with the first folder or the file name.');
  if (key.endsWith('/')) return vscode.l10n.t('An object key ending in "/" names a folder: add a file name.');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    return vscode.l10n.t('The object key is too long: COS allows {0} bytes of UTF-8, this key has {1}.', MAX_KEY_BYTES, Buffer.byteLength(key, 'utf8'));
  }
  // The core's rules are the final word (control characters, "." segments, ...).
  try {
    validateObjectKey(key);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/** Prefix validation for the profile wizard (empty is fine). */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix.startsWith('/')) return vscode.l10n.t('Remove the leading "/": a key prefix starts with a folder name, for example: backups/');
  if (prefix.includes('\\')) return vscode.l10n.t('Use "/" to separate folders in a key prefix.');
  return undefined;
}
