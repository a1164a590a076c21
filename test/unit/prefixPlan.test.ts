import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { ListedObject } from '../../src/core/bucketListing';
import { isPrefixKey, listingPrefix, planPrefixDownload, unsafeRelativePath } from '../../src/core/download/prefixPlan';

const dest = path.resolve('/tmp/dest-folder');

function listed(...keys: string[]): ListedObject[] {
  return keys.map((key, i) => ({ key, size: i * 10, etag: `"e${i}"` }));
}

describe('prefix download plan', () => {
  it('places each key below the prefix inside the destination, keeping its folders', () => {
    const plan = planPrefixDownload(listed('photos/a.jpg', 'photos/2024/b c.jpg', 'photos/2024/x/y.txt'), 'photos/', dest);
    assert.deepEqual(
      plan.files.map((f) => [f.key, f.relativePath, f.destPath, f.size]),
      [
        ['photos/a.jpg', 'a.jpg', path.join(dest, 'a.jpg'), 0],
        ['photos/2024/b c.jpg', '2024/b c.jpg', path.join(dest, '2024', 'b c.jpg'), 10],
        ['photos/2024/x/y.txt', '2024/x/y.txt', path.join(dest, '2024', 'x', 'y.txt'), 20],
      ],
    );
    assert.deepEqual(plan.refused, []);
    assert.equal(plan.destDir, dest);
  });

  it('skips folder markers, the prefix itself included', () => {
    const plan = planPrefixDownload(listed('photos/', 'photos/2024/', 'photos/2024/a.jpg'), 'photos/', dest);
    assert.deepEqual(plan.skippedMarkers, ['photos/', 'photos/2024/']);
    assert.deepEqual(plan.files.map((f) => f.key), ['photos/2024/a.jpg']);
  });

  it('refuses keys that would leave the destination or cannot be file names, and keeps the rest', () => {
    const bad = ['p/../evil', 'p/a/../../evil', 'p//abs', 'p/C:/x', 'p/a\\..\\b', 'p/./a', 'p/a//b', 'p/a\0b'];
    const plan = planPrefixDownload(listed(...bad, 'p/fine.txt'), 'p/', dest);
    assert.deepEqual(plan.refused.map((r) => r.key), bad);
    assert.deepEqual(plan.files.map((f) => f.key), ['p/fine.txt']);
    for (const f of plan.files) assert.ok(f.destPath.startsWith(dest + path.sep));
    assert.match(plan.refused[0].reason, /climbs out/);
    assert.match(plan.refused[2].reason, /absolute/);
  });

  it('refuses keys not under the prefix (a listing that does not match its request)', () => {
    const plan = planPrefixDownload(listed('other/a'), 'p/', dest);
    assert.equal(plan.files.length, 0);
    assert.match(plan.refused[0].reason, /not under the prefix/);
  });

  it('refuses both keys when one would have to be a file and a folder', () => {
    const plan = planPrefixDownload(listed('p/a', 'p/a/b', 'p/c'), 'p/', dest);
    assert.deepEqual(plan.files.map((f) => f.key), ['p/c']);
    assert.deepEqual(plan.refused.map((r) => r.key).sort(), ['p/a', 'p/a/b']);
  });

  it('with the root prefix, every key is relative to the bucket', () => {
    const plan = planPrefixDownload(listed('a.txt', 'd/b.txt', '/abs'), '', dest);
    assert.deepEqual(plan.files.map((f) => f.relativePath), ['a.txt', 'd/b.txt']);
    assert.deepEqual(plan.refused.map((r) => r.key), ['/abs']);
  });

  it('names prefixes and relative paths', () => {
    assert.ok(isPrefixKey('a/') && isPrefixKey('/') && !isPrefixKey('a'));
    assert.equal(listingPrefix('/'), '');
    assert.equal(listingPrefix('/a/'), 'a/');
    assert.equal(unsafeRelativePath('a/b.txt'), undefined);
    assert.match(unsafeRelativePath('') ?? '', /prefix itself/);
  });
});
