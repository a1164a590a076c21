/**
 * Pure: which local file each object under a prefix is downloaded to. A key is only ever placed
 * inside the destination folder: one whose remainder would climb out of it (`..`, an absolute
 * path, a drive letter) or cannot be a file name is refused, not bent into shape.
 */

import * as path from 'node:path';
import type { ListedObject } from '../bucketListing';

/** Files of a prefix fetched at once unless asked, and the most allowed (each takes several connections). */
export const DEFAULT_DOWNLOAD_FILES = 8;
export const MAX_DOWNLOAD_FILES = 64;

export interface PrefixFile {
  key: string;
  size: number;
  /** The key without the prefix, '/'-separated. */
  relativePath: string;
  /** Absolute, inside the destination folder. */
  destPath: string;
}

export interface RefusedKey {
  key: string;
  reason: string;
}

export interface PrefixPlan {
  prefix: string;
  destDir: string;
  files: PrefixFile[];
  /** `folder/` markers (keys ending in '/'): nothing to write, the folders come with their files. */
  skippedMarkers: string[];
  refused: RefusedKey[];
}

/** A key ending in '/' names a prefix; "/" alone is the whole bucket. */
export function isPrefixKey(key: string): boolean {
  return key.endsWith('/');
}

/** The prefix as listed: a leading '/' dropped ("/" → "", the bucket's root). */
export function listingPrefix(key: string): string {
  return key.replace(/^\/+/, '');
}

/** Why `relative` cannot be a path under the destination, or undefined when it can. */
export function unsafeRelativePath(relative: string): string | undefined {
  if (relative === '') return 'it is the prefix itself';
  if (relative.includes('\0')) return 'it holds a NUL character';
  if (relative.includes('\\')) return 'it holds a backslash, which is a folder separator on Windows';
  if (relative.startsWith('/') || /^[A-Za-z]:/.test(relative)) return 'it is an absolute path';
  const segments = relative.split('/');
  if (segments.some((s) => s === '..')) return 'it climbs out of the destination folder (..)';
  if (segments.some((s) => s === '.')) return 'it holds a "." segment';
  if (segments.some((s) => s === '')) return 'it holds an empty segment (//)';
  return undefined;
}

/** Plans the download of every listed object under `prefix` into `destDir`. */
export function planPrefixDownload(listing: readonly ListedObject[], prefix: string, destDir: string): PrefixPlan {
  const root = path.resolve(destDir);
  const plan: PrefixPlan = { prefix, destDir: root, files: [], skippedMarkers: [], refused: [] };
  const byPath = new Map<string, PrefixFile>();
  for (const object of listing) {
    if (!object.key.startsWith(prefix)) {
      plan.refused.push({ key: object.key, reason: `it is not under the prefix ${JSON.stringify(prefix)}` });
      continue;
    }
    if (isPrefixKey(object.key)) {
      plan.skippedMarkers.push(object.key);
      continue;
    }
    const relativePath = object.key.slice(prefix.length);
    const problem = unsafeRelativePath(relativePath);
    const destPath = path.join(root, ...relativePath.split('/'));
    // The segment checks make this impossible; kept so no future change can write outside.
    const escapes = path.relative(root, destPath).split(path.sep)[0] === '..' || path.isAbsolute(path.relative(root, destPath));
    if (problem !== undefined || escapes) {
      plan.refused.push({ key: object.key, reason: problem ?? 'it resolves outside the destination folder' });
      continue;
    }
    const file: PrefixFile = { key: object.key, size: object.size, relativePath, destPath };
    byPath.set(destPath, file);
    plan.files.push(file);
  }
  refuseFileFolderClashes(plan, byPath);
  return plan;
}

/** "a" and "a/b" cannot both be written: "a" would have to be a file and a folder. Both are refused. */
function refuseFileFolderClashes(plan: PrefixPlan, byPath: Map<string, PrefixFile>): void {
  const clashing = new Set<PrefixFile>();
  for (const file of plan.files) {
    for (let dir = path.dirname(file.destPath); dir.length > plan.destDir.length; dir = path.dirname(dir)) {
      const asFile = byPath.get(dir);
      if (asFile) {
        clashing.add(asFile);
        clashing.add(file);
      }
    }
  }
  if (clashing.size === 0) return;
  plan.files = plan.files.filter((f) => !clashing.has(f));
  for (const f of clashing) plan.refused.push({ key: f.key, reason: 'another key needs the same local name as a folder' });
}
