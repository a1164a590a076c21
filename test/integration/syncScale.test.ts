/**
 * Listing 20,000 objects from the emulator (1,000 per page, so 20 pages) and planning a sync of
 * 20,000 local files against them. Counts are asserted; times are printed for README's sync section.
 */

import * as assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { CosClient, mapLimit, staticCredentials } from '../../src/core';
import { planSync, summarizePlan } from '../../src/core/sync/syncPlan';
import { startEmulator, type RunningEmulator } from '../../src/emulator';

const OBJECTS = 20_000;
const PREFIX = 'scale/';
const key = (i: number): string => `${PREFIX}d${i % 50}/f-${i}.bin`;

describe('sync planning at 20,000 objects (core against the emulator)', function () {
  this.timeout(600_000);
  let emu: RunningEmulator;
  let client: CosClient;

  before(async () => {
    emu = await startEmulator({ discard: true });
    client = new CosClient({ target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url }, credentials: staticCredentials(emu.credentials) });
    const body = Buffer.from('x');
    await mapLimit(
      Array.from({ length: OBJECTS }, (_, i) => i),
      32,
      (i) => client.putObject(key(i), body, {}),
    );
  });
  after(async () => {
    await client?.close();
    await emu?.close();
  });

  it('lists 20,000 objects in 20 pages and plans 20,000 local files against them', async () => {
    emu.clearLog();
    let pages = 0;
    const listStart = performance.now();
    const listed = await client.listAllObjects(PREFIX, undefined, () => pages++);
    const listMs = performance.now() - listStart;
    assert.equal(listed.length, OBJECTS);
    assert.equal(pages, OBJECTS / 1000);
    assert.equal(emu.log.filter((e) => e.operation === 'listObjects').length, pages);

    // Half the files as they are, a quarter resized, a quarter only local; the last quarter of objects is remote-only.
    const local = Array.from({ length: OBJECTS }, (_, i) => ({ relativePath: (i < OBJECTS * 0.75 ? key(i) : `${PREFIX}new/n-${i}.bin`).slice(PREFIX.length), size: i < OBJECTS / 2 ? 1 : 2 }));
    const planStart = performance.now();
    const items = planSync({ local, remote: listed, prefix: PREFIX, deleteRemote: false, isExcluded: () => false });
    const planMs = performance.now() - planStart;
    console.log(`      listing 20,000 objects (20 pages): ${listMs.toFixed(0)} ms; planning 20,000 files against them: ${planMs.toFixed(0)} ms`);
    const summary = summarizePlan(items);
    assert.equal(summary.compare.count, OBJECTS / 2);
    assert.equal(summary['upload-changed'].count, OBJECTS / 4);
    assert.equal(summary['upload-new'].count, OBJECTS / 4);
    assert.equal(summary['keep-remote'].count, OBJECTS / 4);
    assert.equal(items.length, OBJECTS * 1.25);
  });
});
