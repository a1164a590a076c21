/**
 * The `cosUpload.uploadOnSave` entries: which saved files upload, with which bucket profile, under
 * which prefix. Pure (no `vscode` import) so the unit tests check it in plain Node; the watcher
 * localizes the problems and builds the key with keyNaming.ts.
 */
import { globExcluder } from '../../core/excludeGlobs';

export interface SaveRule {
  /** Position in the setting's list, from 1, as messages name it. */
  index: number;
  /** Relative to the workspace folder, "/" separators, no leading or trailing "/"; "" is the folder itself. */
  folder: string;
  glob?: string;
  profile: string;
  /** Undefined: the profile's own prefix. */
  prefix?: string;
  /** Whether a path relative to `folder` matches `glob` (or a parent folder of it does). */
  matches(relativeToFolder: string): boolean;
}

export type SaveRuleProblemKind = 'notAnObject' | 'noProfile' | 'noFolderOrGlob' | 'folderOutside' | 'badPrefix';

export interface SaveRuleProblem {
  index: number;
  kind: SaveRuleProblemKind;
}

export interface SaveMatch {
  rule: SaveRule;
  /** The saved file's path relative to the rule's folder: the object key is prefix + this. */
  relativePath: string;
}

/** Reads the setting; entries with a problem are left out and reported, the others still apply. */
export function parseSaveRules(raw: unknown): { rules: SaveRule[]; problems: SaveRuleProblem[] } {
  const rules: SaveRule[] = [];
  const problems: SaveRuleProblem[] = [];
  const entries = Array.isArray(raw) ? raw : [];
  entries.forEach((entry: unknown, i) => {
    const index = i + 1;
    const problem = (kind: SaveRuleProblemKind): void => void problems.push({ index, kind });
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return problem('notAnObject');
    const fields = entry as Record<string, unknown>;
    const profile = typeof fields.profile === 'string' ? fields.profile.trim() : '';
    if (!profile) return problem('noProfile');
    const rawFolder = typeof fields.folder === 'string' ? fields.folder.trim() : '';
    const glob = typeof fields.glob === 'string' && fields.glob.trim() !== '' ? fields.glob.trim() : undefined;
    // An entry with neither would upload every file saved in the workspace: ask for it explicitly.
    if (!rawFolder && !glob) return problem('noFolderOrGlob');
    const folder = normalizeFolder(rawFolder);
    if (folder === undefined) return problem('folderOutside');
    const prefix = typeof fields.prefix === 'string' ? fields.prefix : undefined;
    if (prefix !== undefined && (prefix.startsWith('/') || prefix.includes('\\'))) return problem('badPrefix');
    const inGlob = glob ? globExcluder([glob]) : () => true;
    rules.push({ index, folder, ...(glob ? { glob } : {}), profile, ...(prefix !== undefined ? { prefix } : {}), matches: inGlob });
  });
  return { rules, problems };
}

/** "./docs/" → "docs", "." → ""; undefined for an absolute path or one leaving the workspace folder. */
function normalizeFolder(folder: string): string | undefined {
  const slashed = folder.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) return undefined;
  const segments = slashed.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return undefined;
  return segments.join('/');
}

/**
 * The first rule the file matches, by its path relative to its workspace folder ("/" separators);
 * undefined when none does.
 */
export function matchSavedFile(rules: readonly SaveRule[], workspaceRelative: string): SaveMatch | undefined {
  const path = workspaceRelative.replace(/\\/g, '/').replace(/^\/+/, '');
  for (const rule of rules) {
    let relativePath: string;
    if (rule.folder === '') relativePath = path;
    else if (path.startsWith(`${rule.folder}/`)) relativePath = path.slice(rule.folder.length + 1);
    else continue;
    if (relativePath !== '' && rule.matches(relativePath)) return { rule, relativePath };
  }
  return undefined;
}
