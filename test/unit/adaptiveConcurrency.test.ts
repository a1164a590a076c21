import { strict as assert } from 'node:assert';
import { AdaptiveConcurrency } from '../../src/core/adaptiveConcurrency';

/** Feeds one window of `rate` bytes/ms and returns the new target, if any. */
function windowAt(a: AdaptiveConcurrency, t: { now: number }, rate: number): number | undefined {
  t.now += 1000;
  return a.record(rate * 1000, t.now);
}

/** The first confirmed part only opens the first window. */
function started(a: AdaptiveConcurrency, t: { now: number }): AdaptiveConcurrency {
  assert.equal(a.record(1, t.now), undefined);
  return a;
}

describe('adaptive concurrency', () => {
  it('grows while throughput rises and stops at the cap', () => {
    const t = { now: Date.now() };
    const a = started(new AdaptiveConcurrency(2, 10, 750, 0.1), t);
    // Throughput proportional to connections, as on a latency-bound link.
    const grown: number[] = [];
    for (let i = 0; i < 10; i++) {
      const next = windowAt(a, t, a.current * 100);
      if (next !== undefined) grown.push(next);
    }
    assert.deepEqual(grown, [4, 8, 10]);
    assert.equal(a.current, 10);
  });

  it('stops probing when more connections no longer help', () => {
    const t = { now: Date.now() };
    const a = started(new AdaptiveConcurrency(4, 32), t);
    assert.equal(windowAt(a, t, 500), 8);
    assert.equal(windowAt(a, t, 505), undefined, 'flat: no growth');
    assert.equal(windowAt(a, t, 505), undefined);
    assert.equal(windowAt(a, t, 5000), undefined, 'after two flat windows it holds for good');
    assert.equal(a.current, 8);
  });

  it('halves on server pushback and never goes below one', () => {
    const a = new AdaptiveConcurrency(8, 16);
    assert.equal(a.backOff(), 4);
    assert.equal(a.backOff(), 2);
    assert.equal(a.backOff(), 1);
    assert.equal(a.backOff(), 1);
  });

  it('ignores windows shorter than the minimum', () => {
    const now = Date.now();
    const a = started(new AdaptiveConcurrency(2, 8, 750), { now });
    assert.equal(a.record(1e9, now + 10), undefined);
    assert.equal(a.current, 2);
  });
});

describe('adaptive concurrency tuned by the first round trip', () => {
  it('a far endpoint starts with twice the connections and decides in short windows', () => {
    const t = { now: Date.now() };
    const far = AdaptiveConcurrency.forRoundTrip(4, 32, 40);
    assert.equal(far.current, 8);
    assert.equal(far.record(1, t.now), undefined, 'a part without a duration only opens the window');
    t.now += 250;
    assert.equal(far.record(250 * 100, t.now), 16, 'one 250 ms window (6 x 40 ms) is enough to double');
  });

  it('a far endpoint doubles at its first part, and the next window must beat that part\'s rate', () => {
    const t = { now: Date.now() };
    const far = AdaptiveConcurrency.forRoundTrip(4, 64, 40);
    // 8 connections, 8 MB in 320 ms each: 25 kB/ms per connection, 200 kB/ms in all.
    assert.equal(far.record(8e6, t.now, 320), 16);
    t.now += 250;
    assert.equal(far.record(250 * 210_000, t.now), undefined, '210 kB/ms is not 10% above 200: no second doubling');
    t.now += 250;
    assert.equal(far.record(250 * 400_000, t.now), 32, 'twice the rate with twice the connections: double again');
  });

  it('a far endpoint already at its cap does not move at the first part', () => {
    const far = AdaptiveConcurrency.forRoundTrip(8, 16, 40);
    assert.equal(far.current, 16);
    assert.equal(far.record(8e6, Date.now(), 320), undefined);
  });

  it('a cold first request that looked far is corrected by a warm round trip before the first part', () => {
    const t = { now: Date.now() };
    const looksFar = AdaptiveConcurrency.forRoundTrip(4, 16, 35);
    assert.equal(looksFar.guessedFar, true);
    assert.equal(looksFar.current, 8);
    assert.equal(looksFar.recheckRoundTrip(2), 8, 'a 2 ms warm round trip: near, 96 MiB of 8 MiB parts');
    assert.equal(looksFar.recheckRoundTrip(1), undefined, 'only once');
    assert.equal(looksFar.record(8e6, t.now, 20), undefined, 'no doubling at the first part once near');
    assert.equal(windowAt(looksFar, t, 100), undefined, 'near rules: no probing');
    assert.equal(windowAt(looksFar, t, 400), undefined);
    assert.equal(looksFar.current, 8);
  });

  it('a warm round trip that confirms a far guess changes nothing', () => {
    const far = AdaptiveConcurrency.forRoundTrip(4, 16, 45);
    assert.equal(far.recheckRoundTrip(41), undefined);
    assert.equal(far.current, 8);
    assert.equal(far.record(8e6, Date.now(), 360), 16);
  });

  it('a near guess is never re-checked', () => {
    const near = AdaptiveConcurrency.forRoundTrip(4, 16, 2);
    assert.equal(near.guessedFar, false);
    assert.equal(near.recheckRoundTrip(1), undefined);
    assert.equal(near.current, 8);
  });

  it('while a re-check is awaited the first part does not double; a far answer then does', () => {
    const t = { now: Date.now() };
    const far = AdaptiveConcurrency.forRoundTrip(4, 16, 40);
    far.expectRecheck();
    assert.equal(far.record(8e6, t.now, 320), undefined, 'first part back before the re-check: wait');
    t.now += 1000;
    assert.equal(far.record(250 * 400_000, t.now), undefined, 'no window decision either');
    assert.equal(far.recheckRoundTrip(42), 16, 'far confirmed: the postponed doubling');
    assert.equal(far.recheckRoundTrip(42), undefined, 'once');
  });

  it('while a re-check is awaited the first part does not double; a near answer settles on the near limit', () => {
    const t = { now: Date.now() };
    const looksFar = AdaptiveConcurrency.forRoundTrip(4, 16, 35);
    looksFar.expectRecheck();
    assert.equal(looksFar.record(8e6, t.now, 20), undefined);
    assert.equal(looksFar.current, 8, 'never 16 on a near endpoint');
    assert.equal(looksFar.recheckRoundTrip(2), 8);
  });

  it('a failed re-check keeps the far guess', () => {
    const far = AdaptiveConcurrency.forRoundTrip(4, 16, 40);
    far.expectRecheck();
    assert.equal(far.record(8e6, Date.now(), 320), undefined);
    assert.equal(far.recheckRoundTrip(Number.POSITIVE_INFINITY), 16);
  });

  it('a re-check that arrives after the first part still undoes the far start', () => {
    const t = { now: Date.now() };
    const looksFar = AdaptiveConcurrency.forRoundTrip(4, 16, 35);
    assert.equal(looksFar.record(8e6, t.now, 20), 16, 'the first part came back before the re-check');
    assert.equal(looksFar.recheckRoundTrip(3), 8, 'back to the near limit; surplus workers leave after their part');
    assert.equal(looksFar.record(1, t.now), undefined);
    assert.equal(windowAt(looksFar, t, 100), undefined);
    assert.equal(windowAt(looksFar, t, 800), undefined, 'near: no probing');
    assert.equal(looksFar.current, 8);
  });

  it('a near endpoint starts with 96 MiB of parts in flight, within 1-2x the configured concurrency, and never probes', () => {
    const MiB = 1024 * 1024;
    const cases: Array<[concurrency: number, max: number, partSize: number, expected: number]> = [
      [4, 16, 8 * MiB, 8],
      [4, 16, 16 * MiB, 6],
      [4, 16, 4 * MiB, 8],
      [4, 16, 64 * MiB, 4],
      [2, 16, 16 * MiB, 4],
      [4, 4, 8 * MiB, 4],
      [1, 1, 8 * MiB, 1],
    ];
    for (const [concurrency, max, partSize, expected] of cases) {
      const near = AdaptiveConcurrency.forRoundTrip(concurrency, max, 2, partSize);
      assert.equal(near.current, expected, `concurrency ${concurrency}, max ${max}, ${partSize / MiB} MiB parts`);
    }
    const t = { now: Date.now() };
    const near = AdaptiveConcurrency.forRoundTrip(4, 16, 2, 16 * MiB);
    assert.equal(near.record(8e6, t.now, 20), undefined, 'not at the first part');
    for (const rate of [100, 200, 800, 3200]) assert.equal(windowAt(near, t, rate), undefined, 'nor later, whatever the rate');
    assert.equal(near.current, 6);
    assert.equal(near.backOff(), 3, 'pushback still halves');
  });
});
