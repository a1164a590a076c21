import * as vscode from 'vscode';
import type { ExtensionCommandContext } from '../commands';
import { manageIncompleteUploadsOf } from '../commands/incomplete';
import { isViewNode, type LoadMoreNode, type ViewNode } from './nodes';
import { profileOfNode } from './viewActions';

/** Filter by Prefix…: lists the profile from this prefix instead of the bucket's root; empty clears it. */
export async function filterViewCommand(ctx: ExtensionCommandContext, node: unknown, args: unknown): Promise<string | undefined> {
  const name = typeof node === 'object' && node !== null ? (node as { profile?: unknown }).profile : undefined;
  if (typeof name !== 'string' || !profileOfNode(ctx, name)) return undefined;
  const given = typeof args === 'object' && args !== null ? (args as { prefix?: unknown }).prefix : undefined;
  const prefix =
    typeof given === 'string'
      ? given
      : await vscode.window.showInputBox({
          title: vscode.l10n.t('Filter {0} by prefix', name),
          prompt: vscode.l10n.t('Only keys starting with this are listed, for example photos/2024/. Leave it empty to list the whole bucket.'),
          value: ctx.bucketView.filterOf(name) ?? '',
          validateInput: (value) => (value.startsWith('/') ? vscode.l10n.t('Remove the leading "/": object keys start with the first folder or the file name.') : undefined),
        });
  if (prefix === undefined) return undefined;
  if (prefix.startsWith('/')) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Remove the leading "/": object keys start with the first folder or the file name.'));
    return undefined;
  }
  ctx.bucketView.setFilter(name, prefix);
  return prefix;
}

/** Load more: the next page of a folder, in place of the "Load more" node. Resolves with the page's nodes. */
export async function loadMoreCommand(ctx: ExtensionCommandContext, node: unknown): Promise<ViewNode[]> {
  const more = node as LoadMoreNode;
  if (!isViewNode(node) || more.kind !== 'loadMore') return [];
  return ctx.bucketView.loadMore(more);
}

/** The bucket's incomplete uploads node: the existing manager (resume, abort) for this profile. */
export async function viewIncompleteUploadsCommand(ctx: ExtensionCommandContext, node: unknown): Promise<unknown> {
  const name = typeof node === 'object' && node !== null ? (node as { profile?: unknown }).profile : undefined;
  if (typeof name !== 'string') return undefined;
  const profile = profileOfNode(ctx, name);
  return profile ? manageIncompleteUploadsOf(ctx, profile) : undefined;
}
