/**
 * The pure sync planner over 20,000 local files and 20,000 remote objects: every file and object
 * gets exactly one action, in key order. The time is printed (and kept in README), not asserted.
 */
import { strict as assert } from 'node:assert';
import { performance } from 'node:perf_hooks';
import { planSync, summarizePlan, type LocalEntry, type RemoteEntry } from '../../src/core/sync/syncPlan';
import { compareKeys } from '../../src/core/bucketListing';

const PREFIX = 'site/';
const SAME = 15_000;
const RESIZED = 2_000;
const ONLY_ONE_SIDE = 3_000;

/** 20,000 local files and 20,000 objects: SAME equal sizes, RESIZED other sizes, ONLY_ONE_SIDE local-only and as many remote-only. */
function syntheticSyncSides(): { local: LocalEntry[]; remote: RemoteEntry[] } {
  const local: LocalEntry[] = [];
  const remote: RemoteEntry[] = [];
  const rel = (i: number): string => `d${i % 97}/sub${i % 7}/file-${i}.txt`;
  for (let i = 0; i < SAME + RESIZED + ONLY_ONE_SIDE; i++) local.push({ relativePath: rel(i), size: 100 + (i % 5000) });
  for (let i = 0; i < SAME; i++) remote.push({ key: PREFIX + rel(i), size: 100 + (i % 5000) });
  for (let i = SAME; i < SAME + RESIZED; i++) remote.push({ key: PREFIX + rel(i), size: 7 });
  for (let i = 0; i < ONLY_ONE_SIDE; i++) remote.push({ key: `${PREFIX}gone/old-${i}.bin`, size: 1 });
  return { local, remote };
}

describe('sync planner at 20,000 files', function () {
  this.timeout(60_000);

  it('plans 20,000 local files against 20,000 objects: counts per action, every key once, in key order', () => {
    const { local, remote } = syntheticSyncSides();
    assert.equal(local.length, 20_000);
    assert.equal(remote.length, 20_000);
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const items = planSync({ local, remote, prefix: PREFIX, deleteRemote: true, isExcluded: (p) => p.startsWith('gone/old-1') && p.endsWith('7.bin') });
    const ms = performance.now() - started;
    const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    console.log(`      planning 20,000 files against 20,000 objects: ${ms.toFixed(0)} ms, heap +${heapMiB.toFixed(1)} MiB`);
    const summary = summarizePlan(items);
    // gone/old-1…7.bin: old-17, old-107…old-197 and old-1007…old-1997 (1 + 10 + 100 = 111 keys).
    const excluded = 111;
    assert.equal(summary.compare.count, SAME);
    assert.equal(summary['upload-changed'].count, RESIZED);
    assert.equal(summary['upload-new'].count, ONLY_ONE_SIDE);
    assert.equal(summary['delete-remote'].count, ONLY_ONE_SIDE - excluded);
    assert.equal(summary.excluded.count, excluded);
    assert.equal(items.length, SAME + RESIZED + 2 * ONLY_ONE_SIDE, 'a file or object was planned twice or not at all');
    assert.equal(new Set(items.map((i) => i.key)).size, items.length);
    for (let i = 1; i < items.length; i++) assert.ok(compareKeys(items[i - 1].key, items[i].key) < 0, `out of order at ${items[i].key}`);
  });
});
