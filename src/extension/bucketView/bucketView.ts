import * as vscode from 'vscode';
import { onDemand } from '../commands/onDemand';
import { runCommand } from '../commands/run';
import type { ProfileStore } from '../profiles/profileStore';
import { SECTION } from '../settings/settings';
import type { UploadLog } from '../ui/log';
import { nodeId, treeItemFor, type ListingParent, type LoadMoreNode, type ViewNode } from './nodes';

export const BUCKET_VIEW_ID = 'cosUpload.bucketView';

/** What a drop from the Explorer carries. */
const URI_LIST = 'text/uri-list';

/** One listed level: the pages loaded so far, in order, and where the next starts. */
interface LoadedLevel {
  children: ViewNode[];
}

/**
 * The COS view's data provider, registered at activation. Profiles come from the profile store;
 * listing a bucket loads the command bundle (bucketTree.ts) on first expand, one page at a time:
 * nothing is listed past the page the user opened ("Load more" asks for the next).
 */
export class BucketViewProvider implements vscode.TreeDataProvider<ViewNode>, vscode.TreeDragAndDropController<ViewNode>, vscode.Disposable {
  readonly dropMimeTypes = [URI_LIST];
  readonly dragMimeTypes: string[] = [];
  private readonly changed = new vscode.EventEmitter<ViewNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly levels = new Map<string, LoadedLevel>();
  private readonly filters = new Map<string, string>();
  /** The node objects handed to VS Code, by id: a change event must name the same object. */
  private readonly known = new Map<string, ListingParent>();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly profiles: ProfileStore,
    private readonly log: UploadLog,
  ) {
    this.subscription = profiles.onDidChange(() => this.refresh());
  }

  getTreeItem(node: ViewNode): vscode.TreeItem {
    return treeItemFor(node, node.kind === 'profile' ? this.filters.get(node.profile) : undefined);
  }

  async getChildren(node?: ViewNode): Promise<ViewNode[]> {
    if (!node) {
      const roots = this.profiles.list().map((p): ListingParent => ({ kind: 'profile', profile: p.name, bucket: p.bucket, region: p.region }));
      for (const root of roots) this.known.set(nodeId(root), root);
      return roots;
    }
    if (node.kind !== 'profile' && node.kind !== 'prefix') return [];
    const id = nodeId(node);
    const cached = this.levels.get(id);
    if (cached) return cached.children;
    const page = await this.loadPage(node, undefined);
    // The bucket's incomplete uploads get their own node, first under the profile.
    const children: ViewNode[] = node.kind === 'profile' ? [{ kind: 'incomplete', profile: node.profile }, ...page] : page;
    this.levels.set(id, { children });
    this.remember(page);
    return children;
  }

  /** The prefix a parent lists: a folder's own, or the profile's filter ("" for the whole bucket). */
  listedPrefix(parent: ListingParent): string {
    return parent.kind === 'prefix' ? parent.prefix : (this.filters.get(parent.profile) ?? '');
  }

  filterOf(profile: string): string | undefined {
    return this.filters.get(profile);
  }

  /** Lists from the bucket's root again under `prefix` (empty: no filter). */
  setFilter(profile: string, prefix: string): void {
    if (prefix) this.filters.set(profile, prefix);
    else this.filters.delete(profile);
    this.refresh();
  }

  /** Forgets what was listed under `node` (everything when undefined) and asks VS Code to ask again. */
  refresh(node?: ViewNode): void {
    if (!node || node.kind === 'profile') {
      const start = node ? `d:${node.profile}:` : undefined;
      for (const id of [...this.levels.keys()]) {
        if (!node || id === nodeId(node) || id.startsWith(start ?? '')) this.levels.delete(id);
      }
    } else if (node.kind === 'prefix') {
      const start = nodeId(node);
      for (const id of [...this.levels.keys()]) if (id.startsWith(start)) this.levels.delete(id);
    }
    this.changed.fire(node ? this.known.get(nodeId(node)) : undefined);
  }

  /** Refreshes the folder a key or prefix lives in (or the profile when it is at the top). */
  refreshParentOf(profile: string, keyOrPrefix: string): void {
    const trimmed = keyOrPrefix.endsWith('/') ? keyOrPrefix.slice(0, -1) : keyOrPrefix;
    const slash = trimmed.lastIndexOf('/');
    this.refreshListing(profile, slash >= 0 ? trimmed.slice(0, slash + 1) : '');
  }

  /** Refreshes the folder node listing `prefix` when it is loaded, else the whole profile. */
  refreshListing(profile: string, prefix: string): void {
    const folder: ListingParent = { kind: 'prefix', profile, prefix };
    if (prefix && this.levels.has(nodeId(folder))) this.refresh(folder);
    else this.refresh(this.profileNode(profile));
  }

  /** Replaces a "Load more" node with the next page (and a new "Load more" when there is one past it). */
  async loadMore(more: LoadMoreNode): Promise<ViewNode[]> {
    const parent = this.known.get(more.parent);
    const level = this.levels.get(more.parent);
    const at = level?.children.findIndex((c) => c.kind === 'loadMore' && c.marker === more.marker) ?? -1;
    if (!parent || !level || at < 0) return [];
    const page = await this.loadPage(parent, more.marker);
    level.children.splice(at, 1, ...page);
    this.remember(page);
    this.changed.fire(parent);
    return page;
  }

  async handleDrop(target: ViewNode | undefined, data: vscode.DataTransfer, token: vscode.CancellationToken): Promise<void> {
    if (!target || (target.kind !== 'profile' && target.kind !== 'prefix')) return;
    const text = await data.get(URI_LIST)?.asString();
    if (!text || token.isCancellationRequested) return;
    const uris = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => vscode.Uri.parse(line));
    if (uris.length === 0) return;
    const prefix = this.listedPrefix(target);
    // The same command, queue and progress as every upload.
    await runCommand('cosUpload.uploadFile', { uris, profile: target.profile, prefix, overwrite: undefined });
    this.refresh(target);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  private async loadPage(parent: ListingParent, marker: string | undefined): Promise<ViewNode[]> {
    const pageSize = vscode.workspace.getConfiguration(SECTION).get<number>('viewPageSize') ?? 1000;
    const request = { profile: parent.profile, prefix: this.listedPrefix(parent), marker, pageSize, parent: nodeId(parent) };
    return onDemand().loadViewPage({ profiles: this.profiles, log: this.log }, request);
  }

  private remember(nodes: ViewNode[]): void {
    for (const node of nodes) if (node.kind === 'prefix') this.known.set(nodeId(node), node);
  }

  private profileNode(name: string): ListingParent {
    const p = this.profiles.find(name);
    return { kind: 'profile', profile: name, bucket: p?.bucket ?? '', region: p?.region ?? '' };
  }
}

/** Registers the view at activation; its listing code loads with the command bundle on first expand. */
export function registerBucketView(profiles: ProfileStore, log: UploadLog): { provider: BucketViewProvider; disposables: vscode.Disposable[] } {
  const provider = new BucketViewProvider(profiles, log);
  const view = vscode.window.createTreeView(BUCKET_VIEW_ID, { treeDataProvider: provider, dragAndDropController: provider, canSelectMany: true, showCollapseAll: true });
  return { provider, disposables: [provider, view] };
}
