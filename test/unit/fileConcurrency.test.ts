import { strict as assert } from 'node:assert';
import { FILE_CONCURRENCY_START, FileConcurrency, fileConcurrencyStart } from '../../src/core/sync/fileConcurrency';

/**
 * Feeds one 300 ms window in which `filesPerSecond` files of `bytesEach` finish, as a link bound by
 * round trips would deliver them; returns the targets announced during it.
 */
function window(f: FileConcurrency, clock: { now: number }, filesPerSecond: number, bytesEach: number): number[] {
  const files = Math.max(1, Math.round((filesPerSecond * 300) / 1000));
  const changes: number[] = [];
  for (let i = 1; i <= files; i++) {
    const next = f.record(bytesEach, clock.now + (300 * i) / files);
    if (next !== undefined) changes.push(next);
  }
  clock.now += 300;
  return changes;
}

function opened(f: FileConcurrency, clock: { now: number }): FileConcurrency {
  assert.equal(f.record(1, clock.now), undefined, 'the first file only opens the first window');
  return f;
}

describe('file concurrency (sync)', () => {
  it('doubles while files per second rise with files in flight, up to the ceiling', () => {
    const clock = { now: 1_000_000 };
    const f = opened(new FileConcurrency(64), clock);
    assert.equal(f.current, FILE_CONCURRENCY_START);
    const seen: number[] = [];
    // A far endpoint: each file takes one 40 ms round trip, so files/s = files in flight / 0.04.
    for (let i = 0; i < 10; i++) seen.push(...window(f, clock, f.current / 0.04, 64 * 1024));
    assert.deepEqual(seen, [16, 32, 64]);
    assert.equal(f.current, 64);
    assert.equal(f.done, true);
  });

  it('stops growing after two flat windows (a saturated near endpoint)', () => {
    const clock = { now: 0 };
    const f = opened(new FileConcurrency(64), clock);
    // The first window sets the rate to beat: growth once, then the rate stays flat.
    assert.deepEqual(window(f, clock, 2000, 64 * 1024), [16]);
    assert.deepEqual(window(f, clock, 2000, 64 * 1024), []);
    assert.deepEqual(window(f, clock, 2050, 64 * 1024), []);
    assert.equal(f.done, true);
    // Settled: even a better window no longer grows it.
    assert.deepEqual(window(f, clock, 8000, 64 * 1024), []);
    assert.equal(f.current, 16);
  });

  it('counts bytes per second too, so fewer but bigger files can still earn growth', () => {
    const clock = { now: 0 };
    const f = opened(new FileConcurrency(64), clock);
    assert.deepEqual(window(f, clock, 100, 1024), [16]);
    // Same files/s, bigger files: bytes/s rose by far more than 10%.
    assert.deepEqual(window(f, clock, 100, 1024 * 1024), [32]);
  });

  it('halves on pushback and then holds', () => {
    const clock = { now: 0 };
    const f = opened(new FileConcurrency(64), clock);
    window(f, clock, 400, 1024);
    assert.equal(f.current, 16);
    assert.equal(f.backOff(), 8);
    assert.equal(f.backOff(), 4);
    assert.deepEqual(window(f, clock, 10_000, 1024), []);
    assert.equal(f.current, 4);
    for (let i = 0; i < 5; i++) f.backOff();
    assert.equal(f.current, 1, 'never below one file');
  });

  it('starts at the ceiling when the ceiling is lower than the usual start', () => {
    const f = new FileConcurrency(3);
    assert.equal(f.current, 3);
    assert.equal(f.done, true);
    assert.throws(() => new FileConcurrency(0), /whole number of at least 1: 0/);
  });

  it('starts small files near the ceiling and big ones at the usual start, by the median size', () => {
    const KiB = 1024;
    // 8 MiB of bodies in flight: 128 files of 64 KiB, capped at the ceiling.
    assert.equal(fileConcurrencyStart(Array(2000).fill(64 * KiB), 64), 64);
    assert.equal(fileConcurrencyStart(Array(10).fill(256 * KiB), 64), 32);
    assert.equal(fileConcurrencyStart(Array(200).fill(1024 * KiB), 64), FILE_CONCURRENCY_START);
    assert.equal(fileConcurrencyStart([100 * 1024 * KiB], 64), FILE_CONCURRENCY_START, 'never below the usual start');
    // The median, not the mean: one huge file among many tiny ones does not hold them back.
    assert.equal(fileConcurrencyStart([...Array(99).fill(4 * KiB), 5 * 1024 * 1024 * KiB], 64), 64);
    assert.equal(fileConcurrencyStart(Array(5).fill(0), 16), 16, 'empty files start at the ceiling');
    assert.equal(fileConcurrencyStart([], 64), FILE_CONCURRENCY_START);
    assert.equal(fileConcurrencyStart(Array(10).fill(KiB), 4), 4, 'never above the ceiling');
    const started = new FileConcurrency(64, fileConcurrencyStart(Array(2000).fill(64 * KiB), 64));
    assert.equal(started.current, 64);
    assert.equal(started.done, true, 'a sync that starts at the ceiling does not grow');
  });
});
