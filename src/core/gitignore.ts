/**
 * A small .gitignore reader for folder uploads, so build output and secrets a repository keeps out
 * of git stay out of the bucket too. It covers what .gitignore files use in practice: comments,
 * negation, directory-only patterns, anchoring, `*`, `?`, `[...]` and `**`. Not covered: git's
 * global excludesFile and `core.ignoreCase` (see {@link GitignoreMatcher}'s `ignoreCase`).
 * No `vscode` import, so it is unit-tested in plain Node.
 */

/** One pattern line of a .gitignore. */
export interface GitignoreRule {
  /** The line as written (after trimming), for messages and tests. */
  source: string;
  /** `!pattern`: a match re-includes the path. */
  negate: boolean;
  /** `pattern/`: matches directories only. */
  directoryOnly: boolean;
  /** A pattern without a slash (other than a trailing one) matches the name at any depth. */
  matchesName: boolean;
  regex: RegExp;
}

/** Parses the text of a .gitignore (or .git/info/exclude) into rules, in file order. */
export function parseGitignore(text: string, ignoreCase = false): GitignoreRule[] {
  const rules: GitignoreRule[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = trimTrailingSpaces(rawLine);
    if (line === '' || line.startsWith('#')) continue;
    let pattern = line;
    const negate = pattern.startsWith('!');
    if (negate) pattern = pattern.slice(1);
    // "\#" and "\!" stand for a literal first character; the glob translation drops the backslash.
    const directoryOnly = pattern.endsWith('/') && !pattern.endsWith('\\/');
    if (directoryOnly) pattern = pattern.replace(/\/+$/, '');
    if (pattern === '') continue;
    const matchesName = !pattern.includes('/');
    if (pattern.startsWith('/')) pattern = pattern.slice(1);
    rules.push({ source: line, negate, directoryOnly, matchesName, regex: new RegExp(`^${globToRegex(pattern)}$`, ignoreCase ? 'i' : '') });
  }
  return rules;
}

/** Trailing spaces are dropped unless the last one is escaped with a backslash. */
function trimTrailingSpaces(line: string): string {
  let end = line.length;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  if (end < line.length && end > 0 && line[end - 1] === '\\') end++;
  return line.slice(0, end);
}

function escapeRegex(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

/** Translates one gitignore glob (no leading "/") into the body of an anchored regex. */
export function globToRegex(glob: string): string {
  let out = '';
  let i = 0;
  while (i < glob.length) {
    const ch = glob[i];
    if (ch === '*') {
      const atSegmentStart = i === 0 || glob[i - 1] === '/';
      if (glob[i + 1] === '*' && atSegmentStart) {
        if (glob[i + 2] === '/') {
          // "**/": any number of leading folders, including none.
          out += '(?:.*/)?';
          i += 3;
          continue;
        }
        if (i + 2 === glob.length) {
          // A trailing "/**": everything inside.
          out += '.*';
          i += 2;
          continue;
        }
      }
      // Any other run of asterisks is a plain "*": anything but a "/".
      while (glob[i] === '*') i++;
      out += '[^/]*';
      continue;
    }
    if (ch === '?') {
      out += '[^/]';
      i++;
      continue;
    }
    if (ch === '[') {
      const cls = bracketClass(glob, i);
      if (cls) {
        out += cls.regex;
        i = cls.end;
        continue;
      }
      out += '\\[';
      i++;
      continue;
    }
    if (ch === '\\' && i + 1 < glob.length) {
      out += escapeRegex(glob[i + 1]);
      i += 2;
      continue;
    }
    out += escapeRegex(ch);
    i++;
  }
  return out;
}

/** `[abc]`, `[a-z]`, `[!x]` / `[^x]`; undefined when the bracket never closes (then it is literal). */
function bracketClass(glob: string, start: number): { regex: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (glob[i] === '!' || glob[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  // A "]" right after the opening bracket is a member, not the end.
  if (glob[i] === ']') {
    body += '\\]';
    i++;
  }
  while (i < glob.length && glob[i] !== ']') {
    const ch = glob[i];
    if (ch === '\\' && i + 1 < glob.length) {
      body += `\\${glob[i + 1]}`;
      i += 2;
      continue;
    }
    body += ch === '^' || ch === '[' ? `\\${ch}` : ch;
    i++;
  }
  if (i >= glob.length) return undefined;
  // A class never matches the separator, as in git.
  return { regex: negate ? `[^/${body}]` : `(?!/)[${body}]`, end: i + 1 };
}

/**
 * Answers "is this path ignored?" for a tree, from the .gitignore files added for its folders.
 * Paths are relative to the tree's root with "/" separators. As in git, a path inside an ignored
 * folder is ignored whatever a later negation says, a deeper .gitignore overrides a shallower one,
 * and within a file the last matching line wins.
 */
export class GitignoreMatcher {
  /** Rules per folder ('' is the root), kept sorted shallowest first. */
  private readonly layers: Array<{ dir: string; depth: number; rules: GitignoreRule[] }> = [];
  private readonly folderCache = new Map<string, boolean>();

  constructor(private readonly ignoreCase = false) {}

  /** Adds the rules of the .gitignore in folder `dir` (relative to the root; '' for the root itself). */
  add(dir: string, text: string): void {
    const clean = dir.replace(/^\/+|\/+$/g, '');
    const rules = parseGitignore(text, this.ignoreCase);
    if (rules.length === 0) return;
    const depth = clean === '' ? 0 : clean.split('/').length;
    this.layers.push({ dir: clean, depth, rules });
    this.layers.sort((a, b) => a.depth - b.depth);
    this.folderCache.clear();
  }

  get isEmpty(): boolean {
    return this.layers.length === 0;
  }

  /** Whether `relativePath` (a file, or a folder with `isFolder`) is ignored. */
  ignores(relativePath: string, isFolder = false): boolean {
    const segments = relativePath.split('/').filter((s) => s !== '');
    if (segments.length === 0) return false;
    for (let i = 1; i < segments.length; i++) {
      if (this.folderIgnored(segments.slice(0, i).join('/'))) return true;
    }
    return this.decide(segments.join('/'), isFolder);
  }

  private folderIgnored(folder: string): boolean {
    let cached = this.folderCache.get(folder);
    if (cached === undefined) {
      cached = this.decide(folder, true);
      this.folderCache.set(folder, cached);
    }
    return cached;
  }

  /** The last matching rule over all applicable files, shallowest first; no match: not ignored. */
  private decide(path: string, isFolder: boolean): boolean {
    let ignored = false;
    for (const layer of this.layers) {
      if (layer.dir !== '' && !path.startsWith(`${layer.dir}/`)) continue;
      const relative = layer.dir === '' ? path : path.slice(layer.dir.length + 1);
      const name = relative.slice(relative.lastIndexOf('/') + 1);
      for (const rule of layer.rules) {
        if (rule.directoryOnly && !isFolder) continue;
        if (rule.regex.test(rule.matchesName ? name : relative)) ignored = !rule.negate;
      }
    }
    return ignored;
  }
}
