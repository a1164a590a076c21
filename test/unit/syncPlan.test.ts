import { strict as assert } from 'node:assert';
import { globExcluder } from '../../src/core/excludeGlobs';
import { decideComparison, normalizePrefix, planSync, summarizePlan, type PlanInput, type PlanItem } from '../../src/core/sync/syncPlan';

const never = (): boolean => false;

function plan(partial: Partial<PlanInput>): PlanItem[] {
  return planSync({ local: [], remote: [], prefix: '', deleteRemote: false, isExcluded: never, ...partial });
}

function actions(items: readonly PlanItem[]): Record<string, string> {
  return Object.fromEntries(items.map((i) => [i.key, i.action]));
}

describe('sync planner', () => {
  describe('normalizePrefix', () => {
    it('makes every spelling of a folder end in one "/"', () => {
      assert.equal(normalizePrefix(undefined), '');
      assert.equal(normalizePrefix(''), '');
      assert.equal(normalizePrefix('site'), 'site/');
      assert.equal(normalizePrefix('/site/'), 'site/');
      assert.equal(normalizePrefix('a\\b'), 'a/b/');
      assert.equal(normalizePrefix('a//b'), 'a/b/');
    });
  });

  it('uploads new files, compares equal sizes, re-sends different sizes', () => {
    const items = plan({
      prefix: 'p/',
      local: [
        { relativePath: 'new.txt', size: 5 },
        { relativePath: 'same-size.txt', size: 10 },
        { relativePath: 'grown.txt', size: 11 },
      ],
      remote: [
        { key: 'p/same-size.txt', size: 10 },
        { key: 'p/grown.txt', size: 10, crc64: '123' },
      ],
    });
    assert.deepEqual(actions(items), { 'p/new.txt': 'upload-new', 'p/same-size.txt': 'compare', 'p/grown.txt': 'upload-changed' });
  });

  it('never decides "unchanged" without comparing CRC64s, even when the remote one is known', () => {
    const items = plan({ local: [{ relativePath: 'a', size: 3 }], remote: [{ key: 'a', size: 3, crc64: '42' }] });
    assert.equal(items[0].action, 'compare');
  });

  it('decideComparison: unchanged only for equal CRC64s; unknown remote CRC64 means send again', () => {
    assert.equal(decideComparison('42', '42'), 'skip-unchanged');
    assert.equal(decideComparison('42', '43'), 'upload-changed');
    assert.equal(decideComparison('42', undefined), 'upload-changed');
  });

  it('deletes remote-only objects only when asked, keeps them otherwise', () => {
    const input = { local: [{ relativePath: 'kept.txt', size: 1 }], remote: [{ key: 'kept.txt', size: 1 }, { key: 'gone.txt', size: 7 }] };
    assert.equal(actions(plan(input))['gone.txt'], 'keep-remote');
    assert.equal(actions(plan({ ...input, deleteRemote: true }))['gone.txt'], 'delete-remote');
  });

  it('never deletes or uploads what the exclude rules cover, on either side', () => {
    const isExcluded = globExcluder(['**/*.log', 'secret/**']);
    const items = plan({
      deleteRemote: true,
      isExcluded,
      local: [
        { relativePath: 'app.log', size: 1 },
        { relativePath: 'index.html', size: 2 },
      ],
      remote: [
        { key: 'app.log', size: 9 },
        { key: 'old/debug.log', size: 3 },
        { key: 'secret/key.pem', size: 4 },
        { key: 'stale.html', size: 5 },
      ],
    });
    assert.deepEqual(actions(items), {
      'app.log': 'excluded',
      'index.html': 'upload-new',
      'old/debug.log': 'excluded',
      'secret/key.pem': 'excluded',
      'stale.html': 'delete-remote',
    });
  });

  it('leaves "folder/" placeholder objects and objects outside the prefix alone', () => {
    const items = plan({ prefix: 'p/', deleteRemote: true, remote: [{ key: 'p/dir/', size: 0 }, { key: 'p/', size: 0 }, { key: 'q/x', size: 1 }] });
    assert.deepEqual(actions(items), { 'p/': 'keep-remote', 'p/dir/': 'keep-remote' });
  });

  it('a renamed file is one upload and (with delete) one deletion', () => {
    const items = plan({
      deleteRemote: true,
      local: [{ relativePath: 'docs/after.md', size: 100 }],
      remote: [{ key: 'docs/before.md', size: 100, crc64: '7' }],
    });
    assert.deepEqual(actions(items), { 'docs/after.md': 'upload-new', 'docs/before.md': 'delete-remote' });
  });

  it('matches keys with spaces, unicode and +%?#&= exactly, byte for byte', () => {
    const names = ['a b.txt', '汉字/文件.txt', 'x+y%20z?q#f&g=h.txt', 'emoji 😀.txt', 'é-nfc.txt'];
    const items = plan({
      prefix: 'site/',
      deleteRemote: true,
      local: names.map((n) => ({ relativePath: n, size: 1 })),
      remote: [...names.map((n) => ({ key: `site/${n}`, size: 1 })), { key: 'site/e\u0301-nfc.txt', size: 1 }],
    });
    const a = actions(items);
    for (const n of names) assert.equal(a[`site/${n}`], 'compare', n);
    // The NFD spelling is a different key: COS compares bytes, so it is remote-only.
    assert.equal(a['site/e\u0301-nfc.txt'], 'delete-remote');
  });

  it('refuses local paths that cannot be keys instead of sending them', () => {
    const items = plan({ local: [{ relativePath: 'bad\u0001name', size: 1 }, { relativePath: `${'x'.repeat(900)}`, size: 1 }] });
    assert.deepEqual(
      items.map((i) => i.action),
      ['invalid-key', 'invalid-key'],
    );
    assert.ok(items.every((i) => i.problem && i.problem.length > 0));
  });

  it('orders the plan by UTF-8 bytes, as COS lists', () => {
    const items = plan({ local: ['b', '😀', 'ｚ', 'a'].map((relativePath) => ({ relativePath, size: 1 })) });
    // U+FF5A sorts before U+1F600 in UTF-8 (EF BD 9A < F0 9F 98 80) but after it in UTF-16.
    assert.deepEqual(
      items.map((i) => i.key),
      ['a', 'b', 'ｚ', '😀'],
    );
  });

  it('summarizes counts and bytes per action', () => {
    const summary = summarizePlan(
      plan({
        deleteRemote: true,
        local: [
          { relativePath: 'n1', size: 10 },
          { relativePath: 'n2', size: 5 },
        ],
        remote: [{ key: 'r', size: 7 }],
      }),
    );
    assert.deepEqual(summary['upload-new'], { count: 2, bytes: 15 });
    assert.deepEqual(summary['delete-remote'], { count: 1, bytes: 7 });
    assert.deepEqual(summary['skip-unchanged'], { count: 0, bytes: 0 });
  });

  describe('globExcluder', () => {
    it('matches the whole relative path and everything under a matched folder', () => {
      const ex = globExcluder(['**/node_modules', '*.log', '**/*.{tmp,bak}', './build/']);
      assert.equal(ex('a/node_modules/x/y.js'), true);
      assert.equal(ex('x.log'), true);
      assert.equal(ex('a/x.log'), false);
      assert.equal(ex('deep/er/c.bak'), true);
      assert.equal(ex('build/app.js'), true);
      assert.equal(ex('src/build/app.js'), false);
      assert.equal(globExcluder([])('anything'), false);
    });
  });
});
