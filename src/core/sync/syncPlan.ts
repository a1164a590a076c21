/**
 * The sync plan, decided without I/O: which local files go up (new or changed), which stay
 * (unchanged), which remote objects go (only when deleting is asked) and which are left alone
 * because the exclude rules cover them.
 *
 * Unchanged means the same size AND the same CRC64 (the object's x-cos-hash-crc64ecma). A pair of
 * equal sizes is therefore planned as 'compare' until both CRC64s are known; modification times
 * are never used, and ETags never are either (a multipart object's ETag is not an MD5).
 */

import { validateObjectKey } from '../endpoint';
import { describeError } from '../errors';

export interface LocalEntry {
  /** Relative to the synced folder, "/" separators. */
  relativePath: string;
  size: number;
}

export interface RemoteEntry {
  key: string;
  size: number;
  /** Decimal CRC64 when known (Head Object gives it; the listing does not). */
  crc64?: string;
}

export type PlannedAction =
  /** No object at the key: upload. */
  | 'upload-new'
  /** The object differs (size, or CRC64 once compared): upload. */
  | 'upload-changed'
  /** Same size: CRC64s decide (see {@link decideComparison}). */
  | 'compare'
  /** Same size and CRC64: nothing to send. */
  | 'skip-unchanged'
  /** Same content, but the object's headers differ from the wanted ones (sync's update-headers option): sent again. */
  | 'update-headers'
  /** Remote only, deleting was asked: delete. */
  | 'delete-remote'
  /** Remote only, deleting was not asked: left alone. */
  | 'keep-remote'
  /** Covered by the exclude rules (local file or remote object): never uploaded, never deleted. */
  | 'excluded'
  /** The local path cannot be an object key (control characters, too long...): reported, not sent. */
  | 'invalid-key';

export interface PlanItem {
  action: PlannedAction;
  key: string;
  /** Relative to the folder (and to the prefix, for a remote object). */
  relativePath: string;
  /** Local size for uploads and comparisons; the object's size for remote-only items. */
  size: number;
  remote?: RemoteEntry;
  /** Why a key was refused ('invalid-key'), or which headers drifted ('update-headers'). */
  problem?: string;
}

export interface PlanInput {
  local: readonly LocalEntry[];
  remote: readonly RemoteEntry[];
  /** Key prefix, normalized by {@link normalizePrefix}. */
  prefix: string;
  deleteRemote: boolean;
  /** The exclude rules, applied to local paths and to remote keys (relative to the prefix). */
  isExcluded: (relativePath: string) => boolean;
}

/**
 * "site", "/site" and "site/" all mean the folder "site/"; "" is the bucket's root. Backslashes
 * are folder separators too.
 */
export function normalizePrefix(prefix: string | undefined): string {
  const clean = (prefix ?? '').replace(/\\/g, '/').replace(/^\/+/, '').replace(/\/{2,}/g, '/');
  return clean === '' || clean.endsWith('/') ? clean : `${clean}/`;
}

/** The plan, in key order (UTF-8 byte order, as COS lists). */
export function planSync(input: PlanInput): PlanItem[] {
  const remoteByKey = new Map<string, RemoteEntry>();
  for (const r of input.remote) if (r.key.startsWith(input.prefix)) remoteByKey.set(r.key, r);
  const items: PlanItem[] = [];
  const claimed = new Set<string>();
  for (const local of input.local) {
    const key = input.prefix + local.relativePath;
    const remote = remoteByKey.get(key);
    if (remote) claimed.add(key);
    const base = { key, relativePath: local.relativePath, size: local.size, ...(remote ? { remote } : {}) };
    if (input.isExcluded(local.relativePath)) {
      items.push({ ...base, action: 'excluded' });
      continue;
    }
    const problem = keyProblem(key);
    if (problem) {
      items.push({ ...base, action: 'invalid-key', problem });
      continue;
    }
    if (!remote) items.push({ ...base, action: 'upload-new' });
    else if (remote.size !== local.size) items.push({ ...base, action: 'upload-changed' });
    else items.push({ ...base, action: 'compare' });
  }
  for (const remote of remoteByKey.values()) {
    if (claimed.has(remote.key)) continue;
    const relativePath = remote.key.slice(input.prefix.length);
    const base = { key: remote.key, relativePath, size: remote.size, remote };
    // "folder/" placeholders (made by the console) are not files: left alone.
    const folderMarker = relativePath === '' || relativePath.endsWith('/');
    if (folderMarker) items.push({ ...base, action: 'keep-remote' });
    else if (input.isExcluded(relativePath)) items.push({ ...base, action: 'excluded' });
    else items.push({ ...base, action: input.deleteRemote ? 'delete-remote' : 'keep-remote' });
  }
  const sortKeys = new Map(items.map((item) => [item, Buffer.from(item.key, 'utf8')]));
  return items.sort((a, b) => Buffer.compare(sortKeys.get(a) as Buffer, sortKeys.get(b) as Buffer));
}

/**
 * A 'compare' item once both CRC64s (decimal) are known: equal sizes were established by the plan.
 * A remote object without a CRC64 (uploaded by a tool or in a way COS keeps none for) cannot be
 * shown unchanged, so it is sent again.
 */
export function decideComparison(localCrc64: string, remoteCrc64: string | undefined): 'skip-unchanged' | 'upload-changed' {
  return remoteCrc64 !== undefined && remoteCrc64 === localCrc64 ? 'skip-unchanged' : 'upload-changed';
}

function keyProblem(key: string): string | undefined {
  try {
    validateObjectKey(key);
    return undefined;
  } catch (error) {
    return describeError(error);
  }
}

export interface ActionTotals {
  count: number;
  bytes: number;
}

export type PlanSummary = Record<PlannedAction, ActionTotals>;

/** Counts and bytes per action. */
export function summarizePlan(items: readonly PlanItem[]): PlanSummary {
  const summary = Object.fromEntries(
    (['upload-new', 'upload-changed', 'compare', 'skip-unchanged', 'update-headers', 'delete-remote', 'keep-remote', 'excluded', 'invalid-key'] as const).map((a) => [
      a,
      { count: 0, bytes: 0 },
    ]),
  ) as PlanSummary;
  for (const item of items) {
    summary[item.action].count++;
    summary[item.action].bytes += item.size;
  }
  return summary;
}

/** Whether an action sends the file. */
export function isUpload(action: PlannedAction): boolean {
  return action === 'upload-new' || action === 'upload-changed' || action === 'update-headers';
}
