/**
 * The user's exclude globs (cosUpload.excludeGlobs, files.exclude, `cos-upload --exclude`): the one
 * exclude pattern `workspace.findFiles` takes in the editor, and the same globs as a matcher for
 * the CLI and sync, which walk folders themselves.
 */

import { globToRegex } from './gitignore';

/**
 * The globs `files.exclude` turns on: its keys whose value is `true` (an object value is a
 * `when` condition on sibling files, which findFiles cannot express; those are left out).
 */
export function enabledGlobs(map: Record<string, unknown> | undefined): string[] {
  return Object.entries(map ?? {})
    .filter(([, on]) => on === true)
    .map(([glob]) => glob);
}

/**
 * Expands `{a,b}` groups, nested ones included: `**\/*.{log,tmp}` → `**\/*.log`, `**\/*.tmp`.
 * VS Code's glob matcher reads one level of braces only, and the combined pattern is itself one
 * brace group, so each glob must arrive without braces of its own.
 */
export function expandBraces(glob: string): string[] {
  const open = glob.indexOf('{');
  if (open < 0) return [glob];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) {
        close = i;
        break;
      }
    } else if (ch === ',' && depth === 1) commas.push(i);
  }
  // An unclosed brace is a literal character as far as we are concerned.
  if (close < 0) return [glob];
  const head = glob.slice(0, open);
  const tail = glob.slice(close + 1);
  const bounds = [open, ...commas, close];
  const options: string[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) options.push(glob.slice(bounds[i] + 1, bounds[i + 1]));
  return options.flatMap((option) => expandBraces(`${head}${option}${tail}`));
}

/**
 * One exclude pattern for findFiles: `{a,b,c}` (deduplicated, braces expanded), or undefined
 * when nothing is excluded. Passing an exclude replaces files.exclude, which is why callers merge
 * it in (see {@link enabledGlobs}).
 */
export function combinedExclude(globs: readonly string[]): string | undefined {
  const all = [...new Set(globs.map((g) => g.trim()).filter((g) => g !== '').flatMap(expandBraces))];
  if (all.length === 0) return undefined;
  return all.length === 1 ? all[0] : `{${all.join(',')}}`;
}

/**
 * A predicate over paths relative to the folder ("/" separators): true when a glob matches the
 * path or one of its parent folders, as findFiles leaves out everything under an excluded folder.
 * Globs match the whole relative path (`*.log` only at the top, `**\/*.log` at any depth), as in
 * files.exclude; a leading "./" or "/" is ignored and braces are expanded.
 */
export function globExcluder(globs: readonly string[]): (relativePath: string) => boolean {
  const all = [...new Set(globs.map((g) => g.trim().replace(/^\.?\/+/, '')).filter((g) => g !== '').flatMap(expandBraces))];
  if (all.length === 0) return () => false;
  const regexes = all.map((glob) => new RegExp(`^${globToRegex(glob.replace(/\/+$/, ''))}$`));
  return (relativePath) => {
    const segments = relativePath.split('/').filter((s) => s !== '');
    for (let end = 1; end <= segments.length; end++) {
      const candidate = segments.slice(0, end).join('/');
      if (regexes.some((re) => re.test(candidate))) return true;
    }
    return false;
  };
}
