/**
 * Lists a local folder for sync and folder upload outside the editor: every regular file under it
 * with its size, and the exclude rules (globs and .gitignore) as one predicate that also answers
 * for remote keys, so an excluded path is never uploaded and never deleted.
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CosError } from '../errors';
import { globExcluder } from '../excludeGlobs';
import { gitignoreFilter } from '../gitignoreFilter';
import { mapLimit } from '../mapLimit';
import type { Logger } from '../types';

/** File system calls in flight at once while sizing files. */
const FS_BATCH = 64;

export interface LocalFile {
  /** Relative to the folder, "/" separators. */
  relativePath: string;
  absolutePath: string;
  size: number;
}

export interface FolderListing {
  files: LocalFile[];
  /** Files left out by the rules (they are not in `files`). */
  excludedFiles: LocalFile[];
  /** The rules as one predicate over relative paths, for remote keys too. */
  isExcluded: (relativePath: string) => boolean;
}

export interface ListFolderOptions {
  /** Globs relative to the folder, as in files.exclude (see globExcluder). */
  exclude?: readonly string[];
  /** Leave out what the repository's .gitignore files ignore (default true). */
  respectGitignore?: boolean;
  log?: Logger;
}

/** Version-control folders are never part of what is synced. */
const ALWAYS_SKIPPED = new Set(['.git']);

/** Every regular file under `folder` (symbolic links to files included, linked folders not followed). */
export async function listLocalFolder(folder: string, options: ListFolderOptions = {}): Promise<FolderListing> {
  const root = path.resolve(folder);
  const stat = await fs.stat(root).catch((error: unknown) => {
    throw new CosError('FILE_NOT_FOUND', `The folder to sync does not exist: ${root}`, { cause: error });
  });
  if (!stat.isDirectory()) throw new CosError('FILE_NOT_A_FILE', `Not a folder: ${root}. Give the folder to sync.`);
  const byGlob = globExcluder(options.exclude ?? []);
  const paths: string[] = [];
  const globbed: string[] = [];
  await walk(root, '', paths, globbed, byGlob);
  const sized = await sizeAll(root, [...paths, ...globbed], options.log);
  let gitKeeps: (file: string) => boolean = () => true;
  if (options.respectGitignore !== false) gitKeeps = await gitignoreFilter(root, paths.map((p) => path.join(root, p)), { log: options.log });
  const isExcluded = (relativePath: string): boolean =>
    relativePath.split('/').some((s) => ALWAYS_SKIPPED.has(s)) || byGlob(relativePath) || !gitKeeps(path.join(root, ...relativePath.split('/')));
  const files: LocalFile[] = [];
  const excludedFiles: LocalFile[] = [];
  for (const file of sized) (isExcluded(file.relativePath) ? excludedFiles : files).push(file);
  return { files, excludedFiles, isExcluded };
}

async function walk(root: string, relativeDir: string, out: string[], globbed: string[], byGlob: (p: string) => boolean): Promise<void> {
  const dir = path.join(root, ...relativeDir.split('/').filter(Boolean));
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new CosError('FILE_UNREADABLE', `The folder cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): ${dir}`, { cause: error });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const relativePath = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
    if (entry.isDirectory()) {
      // An excluded folder is not walked: node_modules may hold more files than the rest together.
      if (ALWAYS_SKIPPED.has(entry.name) || byGlob(relativePath)) continue;
      await walk(root, relativePath, out, globbed, byGlob);
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      (byGlob(relativePath) ? globbed : out).push(relativePath);
    }
  }
}

/** Sizes of the regular files among `relativePaths`; links to folders and vanished files are left out. */
async function sizeAll(root: string, relativePaths: readonly string[], log?: Logger): Promise<LocalFile[]> {
  const sized = await mapLimit(relativePaths, FS_BATCH, async (relativePath): Promise<LocalFile | undefined> => {
    const absolutePath = path.join(root, ...relativePath.split('/'));
    try {
      const s = await fs.stat(absolutePath);
      return s.isFile() ? { relativePath, absolutePath, size: s.size } : undefined;
    } catch (error) {
      log?.warn(`sync: left out ${relativePath}, it vanished or cannot be read while listing: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      return undefined;
    }
  });
  return sized.filter((f): f is LocalFile => f !== undefined);
}
