/** Which files of a folder git would ignore: the .gitignore files of the repository, read from disk. */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GitignoreMatcher } from './gitignore';
import { mapLimit } from './mapLimit';
import type { Logger } from './types';

/** File system calls in flight at once while reading .gitignore files. */
const FS_BATCH = 32;

/**
 * A predicate keeping the files git would not ignore. Rules come from .gitignore files in the
 * repository (the nearest folder above with a `.git`; else `fallbackRoot`) down to each
 * file, and from .git/info/exclude. A selected folder that is itself ignored (a `dist/` the user
 * wants to publish) is taken as chosen on purpose: then no rule applies inside it.
 */
export async function gitignoreFilter(
  folder: string,
  files: readonly string[],
  opts: { fallbackRoot?: string; log?: Logger } = {},
): Promise<(file: string) => boolean> {
  const { log } = opts;
  const root = await repositoryRoot(folder, opts.fallbackRoot);
  const matcher = new GitignoreMatcher(process.platform !== 'linux');
  const exclude = await readText(path.join(root, '.git', 'info', 'exclude'));
  if (exclude) matcher.add('', exclude);
  const relative = (p: string): string => path.relative(root, p).split(path.sep).join('/');
  // Every folder from the root down to each file may hold a .gitignore.
  const dirs = new Set<string>();
  for (const start of [folder, ...files.map((f) => path.dirname(f))]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      if (dirs.has(dir)) break;
      dirs.add(dir);
      if (dir === root || path.dirname(dir) === dir) break;
    }
  }
  const texts = await mapLimit([...dirs], FS_BATCH, async (dir) => ({ dir, text: await readText(path.join(dir, '.gitignore')) }));
  for (const { dir, text } of texts) if (text) matcher.add(relative(dir), text);
  const folderPath = relative(folder);
  if (matcher.isEmpty) return () => true;
  if (folderPath !== '' && matcher.ignores(folderPath, true)) {
    log?.info(`folder folder=${folderPath}: .gitignore ignores the folder itself; it was selected on purpose, so its files are all kept`);
    return () => true;
  }
  return (file) => !matcher.ignores(relative(file));
}

/** The nearest folder at or above `folder` holding `.git`; else `fallback` (the workspace folder); else itself. */
async function repositoryRoot(folder: string, fallback: string | undefined): Promise<string> {
  for (let dir = folder; ; dir = path.dirname(dir)) {
    if (await fs.stat(path.join(dir, '.git')).then(() => true, () => false)) return dir;
    if (path.dirname(dir) === dir) break;
  }
  return fallback ?? folder;
}

async function readText(file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch(() => undefined);
}
