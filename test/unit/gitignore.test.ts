import * as assert from 'node:assert/strict';
import { combinedExclude, enabledGlobs, expandBraces } from '../../src/core/excludeGlobs';
import { GitignoreMatcher, globToRegex, parseGitignore } from '../../src/core/gitignore';

/** A matcher with one .gitignore per entry: [folder, text]. */
function matcher(...files: Array<[string, string]>): GitignoreMatcher {
  const m = new GitignoreMatcher();
  for (const [dir, text] of files) m.add(dir, text);
  return m;
}

/** The paths of `paths` the matcher ignores. */
function ignoredOf(m: GitignoreMatcher, paths: string[]): string[] {
  return paths.filter((p) => m.ignores(p));
}

describe('gitignore parsing', () => {
  it('skips blank lines and comments, reads negation, directory-only and escapes', () => {
    const rules = parseGitignore(['# comment', '', '   ', '*.log', '!keep.log', 'build/', '\\#hash', '\\!bang', 'trailing\\ ', 'spaces   '].join('\n'));
    assert.deepEqual(
      rules.map((r) => [r.source, r.negate, r.directoryOnly, r.matchesName]),
      [
        ['*.log', false, false, true],
        ['!keep.log', true, false, true],
        ['build/', false, true, true],
        ['\\#hash', false, false, true],
        ['\\!bang', false, false, true],
        ['trailing\\ ', false, false, true],
        ['spaces', false, false, true],
      ],
    );
    assert.ok(rules[3].regex.test('#hash'));
    assert.ok(rules[4].regex.test('!bang'));
    assert.ok(rules[5].regex.test('trailing '));
  });

  it('translates globs: * and ? stay within a folder, ** crosses folders, classes never match "/"', () => {
    const re = (glob: string) => new RegExp(`^${globToRegex(glob)}$`);
    assert.ok(re('*.js').test('a.js'));
    assert.ok(!re('*.js').test('a/b.js'));
    assert.ok(re('a?c').test('abc'));
    assert.ok(!re('a?c').test('a/c'));
    assert.ok(re('**/foo').test('foo'));
    assert.ok(re('**/foo').test('x/y/foo'));
    assert.ok(re('foo/**').test('foo/x/y'));
    assert.ok(!re('foo/**').test('foo'));
    assert.ok(re('a/**/b').test('a/b'));
    assert.ok(re('a/**/b').test('a/x/y/b'));
    assert.ok(!re('a/**/b').test('ab'));
    assert.ok(re('[abc].txt').test('b.txt'));
    assert.ok(!re('[!abc].txt').test('b.txt'));
    assert.ok(re('[!abc].txt').test('d.txt'));
    assert.ok(!re('[!abc].txt').test('/.txt'));
    assert.ok(re('[a-c]x').test('bx'));
    assert.ok(re('file[.txt').test('file[.txt'), 'an unclosed bracket is literal');
    assert.ok(re('a.b').test('a.b') && !re('a.b').test('axb'), 'regex characters are literal');
    assert.ok(re('x**y').test('xaby') && !re('x**y').test('xa/by'), 'a ** inside a name is a plain *');
  });
});

describe('GitignoreMatcher', () => {
  const tree = [
    'README.md',
    'app.log',
    'logs/today.log',
    'logs/keep.log',
    'build/out.js',
    'build/keep.txt',
    'src/build/gen.ts',
    'src/index.ts',
    'src/secret.env',
    'docs/build',
    'nested/deep/x.tmp',
    'nested/deep/y.txt',
  ];

  it('matches names at any depth, honours negation and the last matching line', () => {
    const m = matcher(['', '*.log\n!keep.log\n*.env']);
    assert.deepEqual(ignoredOf(m, tree), ['app.log', 'logs/today.log', 'src/secret.env']);
  });

  it('applies a directory-only pattern to folders (and what they hold), not to a file of that name', () => {
    const m = matcher(['', 'build/']);
    assert.deepEqual(ignoredOf(m, tree), ['build/out.js', 'build/keep.txt', 'src/build/gen.ts']);
    assert.equal(m.ignores('docs/build'), false, 'docs/build is a file');
    assert.equal(m.ignores('build', true), true);
  });

  it('anchors patterns with a slash to the .gitignore folder', () => {
    const m = matcher(['', '/build\nsrc/*.env']);
    assert.deepEqual(ignoredOf(m, tree), ['build/out.js', 'build/keep.txt', 'src/secret.env']);
  });

  it('cannot re-include a file whose folder is ignored, but can re-include inside "folder/*"', () => {
    assert.deepEqual(ignoredOf(matcher(['', 'build/\n!build/keep.txt']), ['build/out.js', 'build/keep.txt']), ['build/out.js', 'build/keep.txt']);
    assert.deepEqual(ignoredOf(matcher(['', '/build/*\n!/build/keep.txt']), ['build/out.js', 'build/keep.txt']), ['build/out.js']);
  });

  it('lets a deeper .gitignore override a shallower one, relative to its own folder', () => {
    const m = matcher(['', '*.tmp\n*.txt'], ['nested', '!*.txt\n/deep/x.tmp'], ['nested/deep', '!x.tmp']);
    assert.deepEqual(ignoredOf(m, tree), ['build/keep.txt']);
    // nested/deep/x.tmp: ignored by the root, by nested's anchored rule, re-included by deep's own.
    assert.equal(m.ignores('nested/deep/x.tmp'), false);
    assert.equal(m.ignores('nested/deep/y.txt'), false);
  });

  it('ignores nothing without rules, and nothing for an empty path', () => {
    const m = new GitignoreMatcher();
    assert.equal(m.isEmpty, true);
    assert.deepEqual(ignoredOf(m, tree), []);
    assert.equal(matcher(['', '*']).ignores(''), false);
  });

  it('compares case-insensitively only when asked (as git on macOS and Windows)', () => {
    assert.equal(matcher(['', '*.LOG']).ignores('a.log'), false);
    const insensitive = new GitignoreMatcher(true);
    insensitive.add('', '*.LOG');
    assert.equal(insensitive.ignores('a.log'), true);
  });
});

describe('exclude globs for findFiles', () => {
  it('expands nested braces into plain globs', () => {
    assert.deepEqual(expandBraces('**/*.{log,tmp}'), ['**/*.log', '**/*.tmp']);
    assert.deepEqual(expandBraces('{a,b/{c,d}}/x'), ['a/x', 'b/c/x', 'b/d/x']);
    assert.deepEqual(expandBraces('no-braces/**'), ['no-braces/**']);
    assert.deepEqual(expandBraces('unclosed{a,b'), ['unclosed{a,b']);
  });

  it('combines globs into one brace group, deduplicated, or undefined for none', () => {
    assert.equal(combinedExclude([]), undefined);
    assert.equal(combinedExclude(['  ']), undefined);
    assert.equal(combinedExclude(['**/node_modules/**']), '**/node_modules/**');
    assert.equal(combinedExclude(['**/node_modules/**', '**/*.{log,tmp}', '**/node_modules/**']), '{**/node_modules/**,**/*.log,**/*.tmp}');
  });

  it('takes the files.exclude entries that are turned on, not the conditional ones', () => {
    assert.deepEqual(enabledGlobs({ '**/.git': true, '**/*.js': { when: '$(basename).ts' }, '**/off': false }), ['**/.git']);
    assert.deepEqual(enabledGlobs(undefined), []);
  });
});
