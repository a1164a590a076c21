import { strict as assert } from 'node:assert';
import { Watchdog, watchedBody } from '../../src/core/stallWatchdog';

/** The lengths of the slices undici would write, in order. */
async function sliceLengths(body: unknown): Promise<number[]> {
  const slices: number[] = [];
  for await (const slice of body as AsyncIterable<Buffer>) slices.push(slice.length);
  return slices;
}

describe('request bodies for undici', () => {
  let watchdog: Watchdog;
  beforeEach(() => {
    watchdog = new Watchdog(60_000);
  });
  afterEach(() => watchdog.stop());

  it('hands a body of one slice (256 KiB or less) over whole, so it goes out with the headers', () => {
    const progress: number[] = [];
    for (const size of [1, 64 * 1024, 256 * 1024]) {
      const body = Buffer.alloc(size);
      assert.equal(watchedBody(body, (sent) => progress.push(sent), watchdog), body);
    }
    assert.deepEqual(progress, [], 'its caller reports it once the answer comes');
  });

  it('slices a bigger body and reports the bytes written after each slice', async () => {
    const progress: number[] = [];
    const body = watchedBody(Buffer.alloc(1024 * 1024), (sent) => progress.push(sent), watchdog);
    assert.ok(!Buffer.isBuffer(body));
    assert.deepEqual(await sliceLengths(body), [262144, 262144, 262144, 262144]);
    assert.deepEqual(progress, [262144, 524288, 786432, 1048576]);
  });

  it('hands any body over whole when nobody asks for progress', () => {
    const body = Buffer.alloc(1024 * 1024);
    assert.equal(watchedBody(body, undefined, watchdog), body);
  });
});
