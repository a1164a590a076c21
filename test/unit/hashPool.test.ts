import { strict as assert } from 'node:assert';
import { randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CALLING_THREAD_HASH_MAX, HashPool } from '../../src/core/hashPool';
import { HASH_THREAD_NICE } from '../../src/core/threadPriority';
import { typescriptCrc64 } from '../../src/core/crc64';
import { digestPart, digestPartSliced, HASH_SLICE_BYTES } from '../../src/core/integrity';
import { startWasmCrc64, wasmCrc64 } from '../../src/core/wasmCrc64';

describe('hash pool', () => {
  let pool: HashPool;
  before(() => {
    pool = HashPool.create(2);
  });
  after(async () => {
    await pool.close();
  });

  it('runs on worker threads exactly when the worker script was built beside it', () => {
    const script = path.join(path.dirname(require.resolve('../../src/core/hashPool')), 'hashWorker.js');
    assert.equal(pool.threaded, existsSync(script));
  });

  it('reports the engine its worker hashes with', async () => {
    const status = await pool.status();
    assert.equal(status.threaded, pool.threaded);
    assert.ok(status.name === 'liblzma' || status.name === 'native' || status.name === 'wasm' || status.name === 'typescript', status.name);
  });

  it('on Linux runs its worker at nice 10 and leaves the calling thread alone', async function () {
    const status = await pool.status();
    if (!status.threaded || process.platform !== 'linux') {
      // Elsewhere nice is per process: the worker must not report (or have set) one.
      assert.equal(status.nice, undefined);
      return;
    }
    const before = os.getPriority();
    assert.equal(status.nice, Math.max(HASH_THREAD_NICE, before), 'the worker thread is niced');
    assert.equal(os.getPriority(), before, 'the calling thread keeps its priority');
  });

  it('gives the same digest as hashing inline, for shared and ordinary buffers at any offset', async () => {
    const shared = pool.allocate(3 * 1024 * 1024 + 17);
    randomFillSync(shared);
    for (const [start, end] of [
      [0, shared.length],
      [1, 1024 * 1024 + 3],
      [shared.length - 5, shared.length],
      [100, 100],
    ]) {
      const slice = shared.subarray(start, end);
      const threaded = await pool.digest(slice);
      assert.deepEqual(threaded, digestPart(slice), `slice ${start}..${end}`);
    }
    const crcOnly = await pool.digest(shared, false);
    assert.deepEqual(crcOnly, digestPart(shared, undefined, false), 'CRC64 alone when MD5 is not asked for');
    assert.equal(crcOnly.md5, undefined);
    const plain = Buffer.from('123456789');
    assert.equal((await pool.digest(plain)).crc64, 11051210869376104954n);
  });

  it('hashes many parts concurrently without mixing up answers', async () => {
    const buffers = Array.from({ length: 12 }, (_, i) => randomFillSync(pool.allocate(CALLING_THREAD_HASH_MAX + 1 + i)));
    const digests = await Promise.all(buffers.map((b) => pool.digest(b)));
    digests.forEach((d, i) => assert.deepEqual(d, digestPart(buffers[i])));
  });

  it('hashes small data on the calling thread without starting a worker', async () => {
    const fresh = HashPool.create(2);
    try {
      const status = await fresh.statusFor(CALLING_THREAD_HASH_MAX);
      assert.equal(status.threaded, false);
      // WebAssembly once a sync (or a test) has started it in this process, TypeScript before.
      assert.equal(status.name, wasmCrc64() ? 'wasm' : 'typescript');
      const small = fresh.allocate(CALLING_THREAD_HASH_MAX);
      assert.ok(!(small.buffer instanceof SharedArrayBuffer), 'a small buffer is ordinary memory');
      randomFillSync(small);
      assert.deepEqual(await fresh.digest(small), digestPart(small));
      assert.deepEqual(await fresh.digest(Buffer.from('123456789'), false), { crc64: 11051210869376104954n });
      assert.equal(fresh.workersStarted, false, 'no worker was started for small data');
      await fresh.statusFor(CALLING_THREAD_HASH_MAX + 1);
      assert.equal(fresh.workersStarted, true, 'larger data starts the workers');
    } finally {
      await fresh.close();
    }
  });

  it('hashes small data with the WebAssembly engine once it is started, to the same digest', async () => {
    const fresh = HashPool.create(0);
    try {
      assert.ok(await startWasmCrc64(), 'hash-wasm did not compile');
      assert.equal((await fresh.statusFor(64 * 1024)).name, 'wasm');
      for (const size of [0, 1, 4096, 64 * 1024 + 3, CALLING_THREAD_HASH_MAX]) {
        const data = randomFillSync(Buffer.alloc(size));
        assert.deepEqual(await fresh.digest(data), digestPart(data, typescriptCrc64), `${size} bytes`);
      }
    } finally {
      await fresh.close();
    }
  });

  it('where the native addon does not load (the packaged extension, Electron), the worker hashes with WebAssembly, says why, and gives the same digests', async () => {
    const fresh = HashPool.create(1);
    // Workers copy the environment when they start: the addon is turned off for this one alone.
    const saved = process.env.COS_UPLOAD_NATIVE_CRC64;
    process.env.COS_UPLOAD_NATIVE_CRC64 = '0';
    let status;
    try {
      status = fresh.status();
    } finally {
      if (saved === undefined) delete process.env.COS_UPLOAD_NATIVE_CRC64;
      else process.env.COS_UPLOAD_NATIVE_CRC64 = saved;
    }
    try {
      assert.ok(fresh.threaded, 'the worker script is built beside hashPool.js');
      // Jobs sent before the worker has compiled its WebAssembly are answered once it has, in order.
      const buffers = [1, CALLING_THREAD_HASH_MAX + 1, 5 * 1024 * 1024 + 3].map((size) => randomFillSync(fresh.allocate(Math.max(size, CALLING_THREAD_HASH_MAX + 1)).subarray(0, size)));
      const early = await Promise.all(buffers.map((b) => fresh.digest(b)));
      const ready = await status;
      assert.equal(ready.threaded, true);
      assert.equal(ready.name, 'wasm');
      assert.match(ready.reason ?? '', /^the liblzma binding and crc64-ecma182 turned off by COS_UPLOAD_NATIVE_CRC64=0; hash-wasm's WebAssembly instead$/);
      early.forEach((d, i) => assert.deepEqual(d, digestPart(buffers[i], typescriptCrc64), `buffer ${i}`));
      assert.equal((await fresh.digest(Buffer.from('123456789'))).crc64, 11051210869376104954n);
    } finally {
      await fresh.close();
    }
  });

  it('hashes on the calling thread in slices, yielding between them, with the same digest', async () => {
    const inline = HashPool.create(0);
    assert.equal(inline.threaded, false);
    const data = randomFillSync(Buffer.alloc(3 * HASH_SLICE_BYTES + 7));
    let ticks = 0;
    let running = true;
    const tick = (): void => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const digest = await inline.digest(data);
    running = false;
    assert.deepEqual(digest, digestPart(data));
    assert.deepEqual(await digestPartSliced(Buffer.alloc(0)), digestPart(Buffer.alloc(0)));
    assert.deepEqual(await inline.digest(data, false), { crc64: digest.crc64 }, 'CRC64 alone, in slices too');
    assert.ok(ticks >= 3, `other work ran between the 4 slices: ${ticks} ticks`);
  });
});
