import * as vscode from 'vscode';
import { formatBytes } from '../../core/sizes';

/**
 * The COS view's nodes: plain data, so commands (this extension's and other helpers') can take them
 * as arguments. An object node has `{ profile, key }`, a prefix node `{ profile, prefix }` and a
 * profile node `{ profile }`, `profile` being the profile's name. Loaded at activation: no core code.
 */

export interface ProfileNode {
  kind: 'profile';
  profile: string;
  bucket: string;
  region: string;
}

export interface PrefixNode {
  kind: 'prefix';
  profile: string;
  /** Ends with "/" (the delimiter). */
  prefix: string;
}

export interface ObjectNode {
  kind: 'object';
  profile: string;
  key: string;
  size: number;
  etag: string;
  lastModified?: string;
  storageClass?: string;
}

/** Past the last loaded page of its parent: clicking it lists the next page from `marker`. */
export interface LoadMoreNode {
  kind: 'loadMore';
  profile: string;
  /** The listed prefix of the parent ("" for the bucket's root). */
  prefix: string;
  marker: string;
  /** nodeId() of the profile or folder it continues. */
  parent: string;
}

/** The bucket's unfinished multipart uploads; opens Manage Incomplete Uploads for this profile. */
export interface IncompleteNode {
  kind: 'incomplete';
  profile: string;
}

/** A listing that failed or found nothing, shown in place of children. */
export interface MessageNode {
  kind: 'message';
  profile: string;
  text: string;
  isError: boolean;
}

export type ViewNode = ProfileNode | PrefixNode | ObjectNode | LoadMoreNode | IncompleteNode | MessageNode;

/** Where a node's children are listed from; undefined for leaves. */
export type ListingParent = ProfileNode | PrefixNode;

export const CONTEXT_VALUES = {
  profile: 'cosProfile',
  prefix: 'cosPrefix',
  object: 'cosObject',
  loadMore: 'cosLoadMore',
  incomplete: 'cosIncomplete',
  message: 'cosMessage',
} as const;

/** A node of the COS view (the title bar's Refresh passes none). */
export function isViewNode(value: unknown): value is ViewNode {
  return typeof value === 'object' && value !== null && typeof (value as ViewNode).kind === 'string' && typeof (value as ViewNode).profile === 'string';
}

/** Identifies a node across refreshes, so expanded folders stay expanded. */
export function nodeId(node: ViewNode): string {
  switch (node.kind) {
    case 'profile':
      return `p:${node.profile}`;
    case 'prefix':
      return `d:${node.profile}:${node.prefix}`;
    case 'object':
      return `o:${node.profile}:${node.key}`;
    case 'loadMore':
      return `m:${node.profile}:${node.prefix}:${node.marker}`;
    case 'incomplete':
      return `i:${node.profile}`;
    case 'message':
      return `x:${node.profile}:${node.text}`;
  }
}

/** The last segment of a key or prefix ("a/b/c.txt" → "c.txt", "a/b/" → "b/"). */
export function entryLabel(keyOrPrefix: string): string {
  const trimmed = keyOrPrefix.endsWith('/') ? keyOrPrefix.slice(0, -1) : keyOrPrefix;
  const name = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return keyOrPrefix.endsWith('/') ? `${name}/` : name;
}

/** A COS LastModified (ISO 8601) as the user's locale writes it; the raw text when it does not parse. */
function formatDate(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** "1.2 MiB · 2026-12-06 10:00 · STANDARD": what the description and tooltip show for an object. */
export function objectSummary(node: ObjectNode): string {
  return [formatBytes(node.size), formatDate(node.lastModified), node.storageClass ?? 'STANDARD'].filter((s) => s !== undefined).join(' · ');
}

/** `filter`: the profile's prefix filter, shown on the profile node. */
export function treeItemFor(node: ViewNode, filter: string | undefined): vscode.TreeItem {
  const item = new vscode.TreeItem(labelOf(node));
  item.id = nodeId(node);
  item.contextValue = CONTEXT_VALUES[node.kind];
  switch (node.kind) {
    case 'profile':
      item.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
      item.iconPath = new vscode.ThemeIcon('database');
      item.description = filter ? vscode.l10n.t('{0} · filter: {1}', node.bucket, filter) : node.bucket;
      item.tooltip = `${node.bucket} (${node.region})`;
      break;
    case 'prefix':
      item.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
      item.iconPath = vscode.ThemeIcon.Folder;
      item.tooltip = node.prefix;
      break;
    case 'object': {
      item.iconPath = vscode.ThemeIcon.File;
      // The file icon theme picks an icon by the name's extension.
      item.resourceUri = vscode.Uri.from({ scheme: 'cos-view', path: `/${node.key}` });
      item.description = objectSummary(node);
      item.tooltip = new vscode.MarkdownString().appendText(`${node.key}\n${objectSummary(node)}`);
      break;
    }
    case 'loadMore':
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.command = { command: 'cosUpload.view.loadMore', title: vscode.l10n.t('Load more'), arguments: [node] };
      break;
    case 'incomplete':
      item.iconPath = new vscode.ThemeIcon('debug-pause');
      item.tooltip = vscode.l10n.t('Unfinished multipart uploads of this bucket: resume or abort them');
      item.command = { command: 'cosUpload.view.incompleteUploads', title: vscode.l10n.t('Incomplete uploads'), arguments: [node] };
      break;
    case 'message':
      item.iconPath = new vscode.ThemeIcon(node.isError ? 'error' : 'info');
      item.tooltip = node.text;
      break;
  }
  return item;
}

function labelOf(node: ViewNode): string {
  switch (node.kind) {
    case 'profile':
      return node.profile;
    case 'prefix':
      return entryLabel(node.prefix);
    case 'object':
      return entryLabel(node.key);
    case 'loadMore':
      return vscode.l10n.t('Load more…');
    case 'incomplete':
      return vscode.l10n.t('Incomplete uploads');
    case 'message':
      return node.text;
  }
}
