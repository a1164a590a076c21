import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sizeClass, SizedBufferPool } from '../../src/core/bufferPool';
import { crc64, crc64ToDecimal } from '../../src/core/crc64';
import { CosError } from '../../src/core/errors';
import { fileCrc64, readAndHash } from '../../src/core/sync/fileTransfer';

describe('small-file buffers', () => {
  it('rounds sizes up to a quarter of their power of two, never below 4 KiB', () => {
    assert.equal(sizeClass(0), 4096);
    assert.equal(sizeClass(4096), 4096);
    assert.equal(sizeClass(4097), 5120);
    assert.equal(sizeClass(65536), 65536);
    assert.equal(sizeClass(65537), 81920);
    assert.equal(sizeClass(1024 * 1024 + 1), 1280 * 1024);
    assert.equal(sizeClass(8 * 1024 * 1024 - 1), 8 * 1024 * 1024);
    for (let size = 1; size < 3_000_000; size += 7919) {
      const c = sizeClass(size);
      assert.ok(c >= size && (c <= 4096 || c - size < c / 4), `${size} -> ${c}`);
    }
    assert.throws(() => sizeClass(-1), RangeError);
    assert.throws(() => sizeClass(1.5), RangeError);
  });

  it('hands a released buffer out again for any size of its class, and allocates for another class', () => {
    let allocated = 0;
    const pool = new SizedBufferPool((size) => {
      allocated++;
      return Buffer.alloc(size);
    });
    const a = pool.acquire(70_000);
    assert.equal(a.length, sizeClass(70_000));
    pool.release(a);
    assert.equal(pool.acquire(80_000), a, 'same class, same buffer');
    assert.equal(allocated, 1);
    assert.notEqual(pool.acquire(70_000), a, 'a buffer out is not handed out twice');
    pool.acquire(1_000_000);
    assert.equal(allocated, 3);
  });
});

describe('reading a small file whole', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-small-read-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const pool = (): SizedBufferPool => new SizedBufferPool((size) => Buffer.alloc(size));

  for (const [label, listed, actual] of [
    ['the size the listing gave', 70_000, 70_000],
    ['a file that grew since the listing', 1000, 70_000],
    ['a file that shrank since the listing', 70_000, 1000],
    ['an empty file', 0, 0],
  ] as const) {
    it(`reads and hashes ${label} as it is now`, async () => {
      const file = path.join(dir, `f-${listed}-${actual}`);
      const bytes = randomBytes(actual);
      await fs.writeFile(file, bytes);
      const read = await readAndHash(file, listed, true, pool());
      assert.deepEqual(read.data, bytes);
      assert.equal(read.crc64, crc64ToDecimal(crc64(bytes)));
      assert.ok(read.md5Base64);
    });
  }

  it('gives its buffer back only on release', async () => {
    const file = path.join(dir, 'released');
    await fs.writeFile(file, randomBytes(5000));
    const buffers = pool();
    const first = await readAndHash(file, 5000, false, buffers);
    const second = await readAndHash(file, 5000, false, buffers);
    assert.notEqual(second.data.buffer, first.data.buffer, 'two reads in flight, two buffers');
    first.release();
    const third = await readAndHash(file, 5000, false, buffers);
    assert.equal(third.data.buffer, first.data.buffer, 'the released buffer is reused');
    assert.equal(first.md5Base64, undefined, 'no MD5 unless asked');
  });

  it('gives the CRC64 of a file longer than one hashing slice', async () => {
    const file = path.join(dir, 'long');
    const bytes = randomBytes(9 * 1024 * 1024 + 3);
    await fs.writeFile(file, bytes);
    assert.deepEqual(await fileCrc64(file), { crc64: crc64ToDecimal(crc64(bytes)), size: bytes.length });
  });

  it('names a missing file with FILE_NOT_FOUND', async () => {
    await assert.rejects(readAndHash(path.join(dir, 'missing'), 10, false, pool()), (e) => CosError.is(e) && e.code === 'FILE_NOT_FOUND');
  });
});
