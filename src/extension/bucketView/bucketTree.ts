import * as vscode from 'vscode';
import { describeError, type Logger } from '../../core';
import { withClient } from '../profiles/clients';
import type { ProfileStore } from '../profiles/profileStore';
import type { ViewNode } from './nodes';

/** What listing needs from the extension; loaded with the command bundle on first expand. */
export interface BucketListingDeps {
  profiles: ProfileStore;
  log: Logger;
}

export interface ViewPageRequest {
  profile: string;
  prefix: string;
  marker: string | undefined;
  /** Entries a page: COS's 1,000 at most (the cosUpload.viewPageSize setting). */
  pageSize: number;
  /** nodeId() of the node being listed, for its "Load more". */
  parent: string;
}

/**
 * One GET Bucket page under `prefix` with delimiter "/": its folders, then its objects, then a
 * "Load more" when COS says there is more. A failure becomes a message node (and a log line), so
 * the tree shows what went wrong where it went wrong.
 */
export async function loadViewPage(deps: BucketListingDeps, request: ViewPageRequest): Promise<ViewNode[]> {
  const { profile: name, prefix, marker } = request;
  const profile = deps.profiles.find(name);
  if (!profile) return [{ kind: 'message', profile: name, text: vscode.l10n.t('There is no bucket profile with this name: {0}', name), isError: true }];
  const maxKeys = Math.min(1000, Math.max(1, Math.floor(request.pageSize)));
  try {
    const page = await withClient(deps.profiles, profile, deps.log, (client) =>
      client.listObjectsPage({ prefix, delimiter: '/', maxKeys, ...(marker ? { marker } : {}) }),
    );
    const nodes: ViewNode[] = [
      ...page.commonPrefixes.map((p): ViewNode => ({ kind: 'prefix', profile: name, prefix: p })),
      // A "folder" made in the console is an empty object named like the prefix: it is the folder itself.
      ...page.objects
        .filter((o) => o.key !== prefix)
        .map((o): ViewNode => ({
          kind: 'object',
          profile: name,
          key: o.key,
          size: o.size,
          etag: o.etag,
          ...(o.lastModified ? { lastModified: o.lastModified } : {}),
          ...(o.storageClass ? { storageClass: o.storageClass } : {}),
        })),
    ];
    if (page.isTruncated && page.nextMarker) nodes.push({ kind: 'loadMore', profile: name, prefix, marker: page.nextMarker, parent: request.parent });
    if (nodes.length === 0 && !marker) nodes.push({ kind: 'message', profile: name, text: vscode.l10n.t('No objects'), isError: false });
    return nodes;
  } catch (error) {
    deps.log.warn(`listing failed profile=${name} prefix=${prefix}: ${describeError(error)}`);
    return [{ kind: 'message', profile: name, text: vscode.l10n.t('Could not list {0}: {1}', prefix || profile.bucket, describeError(error)), isError: true }];
  }
}
