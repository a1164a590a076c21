import * as assert from 'node:assert/strict';
import { matchSavedFile, parseSaveRules } from '../../src/extension/uploadOnSave/saveRules';

describe('upload on save: the cosUpload.uploadOnSave entries', () => {
  it('matches a folder and gives the path relative to it', () => {
    const { rules, problems } = parseSaveRules([{ folder: './site/', profile: 'web', prefix: 'www/' }]);
    assert.deepEqual(problems, []);
    const match = matchSavedFile(rules, 'site/css/main.css');
    assert.equal(match?.relativePath, 'css/main.css');
    assert.equal(match?.rule.profile, 'web');
    assert.equal(match?.rule.prefix, 'www/');
    assert.equal(matchSavedFile(rules, 'sitemap.xml'), undefined, 'a sibling whose name starts with the folder name matched');
    assert.equal(matchSavedFile(rules, 'other/site/a.css'), undefined);
  });

  it('matches a glob relative to the workspace folder, or to the folder when both are given', () => {
    const { rules } = parseSaveRules([
      { glob: '**/*.md', profile: 'docs' },
      { folder: 'assets', glob: '*.png', profile: 'img', prefix: 'i/' },
    ]);
    assert.equal(matchSavedFile(rules, 'notes/today.md')?.relativePath, 'notes/today.md');
    assert.equal(matchSavedFile(rules, 'assets/logo.png')?.rule.profile, 'img');
    assert.equal(matchSavedFile(rules, 'assets/logo.png')?.relativePath, 'logo.png');
    assert.equal(matchSavedFile(rules, 'assets/deep/logo.png'), undefined, '"*.png" matched below the top of the folder');
    assert.equal(matchSavedFile(rules, 'notes/today.txt'), undefined);
  });

  it('takes the first matching entry', () => {
    const { rules } = parseSaveRules([
      { folder: 'a', profile: 'first' },
      { glob: '**/*', profile: 'second' },
    ]);
    assert.equal(matchSavedFile(rules, 'a/x.txt')?.rule.profile, 'first');
    assert.equal(matchSavedFile(rules, 'b/x.txt')?.rule.profile, 'second');
  });

  it('accepts Windows separators in the folder and in the saved path', () => {
    const { rules } = parseSaveRules([{ folder: 'out\\web', profile: 'p' }]);
    assert.equal(matchSavedFile(rules, 'out\\web\\index.html')?.relativePath, 'index.html');
  });

  it('reports each bad entry by position and keeps the good ones', () => {
    const { rules, problems } = parseSaveRules([
      'docs',
      { folder: 'docs' },
      { profile: 'p' },
      { folder: '/etc', profile: 'p' },
      { folder: '../elsewhere', profile: 'p' },
      { folder: 'C:\\data', profile: 'p' },
      { folder: 'docs', profile: 'p', prefix: '/abs/' },
      { folder: 'ok', profile: 'p' },
    ]);
    assert.deepEqual(problems, [
      { index: 1, kind: 'notAnObject' },
      { index: 2, kind: 'noProfile' },
      { index: 3, kind: 'noFolderOrGlob' },
      { index: 4, kind: 'folderOutside' },
      { index: 5, kind: 'folderOutside' },
      { index: 6, kind: 'folderOutside' },
      { index: 7, kind: 'badPrefix' },
    ]);
    assert.deepEqual(
      rules.map((r) => [r.index, r.folder]),
      [[8, 'ok']],
    );
  });

  it('reads a missing or non-list setting as no entries', () => {
    assert.deepEqual(parseSaveRules(undefined), { rules: [], problems: [] });
    assert.deepEqual(parseSaveRules({ folder: 'x' }), { rules: [], problems: [] });
  });
});
