import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  CosError,
  DownloadCheckpointStore,
  downloadObject,
  downloadTempPath,
  staticCredentials,
  uploadFile,
  type DownloadEvent,
  type DownloadOptions,
  type DownloadRequest,
  type ServerSideEncryption,
} from '../../src/core';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { makeFile, MiB, tempDir } from './helpers';

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

describe('integration: downloadObject against the emulator', function () {
  this.timeout(120_000);
  let emu: RunningEmulator;
  let dir: string;

  before(async () => {
    emu = await startEmulator();
    dir = await tempDir('cos-dl-');
  });
  after(async () => {
    await emu.close();
    await fs.rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => emu.faults.clear());

  const target = () => ({ bucket: emu.bucket, region: emu.region, endpoint: emu.url });

  /** Puts `size` random bytes at `key` through the uploader; returns their SHA-256. */
  async function putObject(key: string, size: number, sse: ServerSideEncryption = { type: 'none' }): Promise<string> {
    const file = await makeFile(size);
    await uploadFile({ filePath: file.path, key, target: target(), credentials: staticCredentials(emu.credentials), options: { partSize: MiB, sse } });
    await fs.rm(file.dir, { recursive: true, force: true });
    return file.sha256;
  }

  function request(key: string, dest: string, options: Partial<DownloadOptions> = {}, extra: Partial<DownloadRequest> = {}): DownloadRequest {
    return {
      key,
      destPath: path.join(dir, dest),
      target: target(),
      credentials: staticCredentials(emu.credentials),
      // 1 MiB ranges and fast retries exercise every path on small objects.
      options: { partSize: MiB, concurrency: 3, requestTimeoutMs: 5_000, ...options },
      checkpoints: new DownloadCheckpointStore(path.join(dir, 'state')),
      ...extra,
    };
  }

  /**
   * The GETs of `key` in the emulator's log. An entry is written when the server side of its answer
   * closes, which may trail the client a little: wait until the log has been still for 100 ms.
   */
  async function gets(key: string) {
    const select = () => emu.log.filter((e) => e.key === key && e.operation === 'getObject');
    let seen = -1;
    for (let waited = 0; waited < 3000 && select().length !== seen; waited += 100) {
      seen = select().length;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return select();
  }

  for (const [label, size] of [
    ['0 B', 0],
    ['1 B', 1],
    ['one range - 1 B', MiB - 1],
    ['exactly one range', MiB],
    ['one range + 1 B', MiB + 1],
    ['several ranges', 5 * MiB + 777],
  ] as const) {
    it(`downloads ${label} byte-identical, verified, with one GET per range`, async () => {
      const key = `sizes/${size}.bin`;
      const sha = await putObject(key, size);
      emu.clearLog();
      const result = await downloadObject(request(key, `size-${size}.bin`));
      assert.equal(await fileSha256(result.path), sha);
      assert.equal(result.bytes, size);
      assert.equal(result.crc64Verified, true);
      assert.equal(result.crc64, emu.objectInfo(key)?.crc64);
      const log = await gets(key);
      assert.equal(log.length, Math.ceil(size / MiB));
      assert.ok(log.every((e) => e.status === 206));
      assert.equal(await exists(downloadTempPath(result.path)), false);
    });
  }

  it('downloads a 300 MiB object byte-identical with the automatic range size', async () => {
    const key = 'big/300.bin';
    const sha = await putObject(key, 300 * MiB);
    const events: DownloadEvent[] = [];
    const result = await downloadObject(request(key, 'big.bin', { partSize: 'auto', concurrency: 4 }, { onEvent: (e) => events.push(e) }));
    assert.equal(await fileSha256(result.path), sha);
    assert.equal(result.crc64Verified, true);
    const last = events.filter((e) => e.type === 'progress').pop();
    assert.equal(last?.type === 'progress' && last.bytesDone, 300 * MiB);
  });

  it('refuses a range answer with a damaged body: CRC64 mismatch, no file in place, temporary file and checkpoint removed', async () => {
    const key = 'damaged.bin';
    await putObject(key, 4 * MiB);
    emu.faults.add({ operation: 'getObject', fault: 'wrongBody', after: 1 });
    const req = request(key, 'damaged.bin');
    await assert.rejects(downloadObject(req), (e: unknown) => CosError.is(e) && e.code === 'INTEGRITY');
    assert.equal(emu.faults.totalHits, 1);
    assert.equal(await exists(req.destPath), false);
    assert.equal(await exists(downloadTempPath(req.destPath)), false);
    assert.deepEqual(await fs.readdir(path.join(dir, 'state', 'downloads')).catch(() => []), []);
  });

  it('survives a 500 and a connection reset mid-range', async () => {
    const key = 'faults.bin';
    const sha = await putObject(key, 6 * MiB);
    emu.faults.add({ operation: 'getObject', fault: 'status', status: 500, after: 1 });
    emu.faults.add({ operation: 'getObject', fault: 'reset', after: 3 });
    emu.clearLog();
    const retries: DownloadEvent[] = [];
    const result = await downloadObject(request(key, 'faults.bin', {}, { onEvent: (e) => e.type === 'retry' && retries.push(e) }));
    assert.equal(await fileSha256(result.path), sha);
    assert.equal(emu.faults.totalHits, 2);
    assert.equal(retries.length, 2);
    const log = await gets(key);
    assert.ok(log.some((e) => e.interrupted && e.status === 206), 'a GET was cut mid-body');
    assert.ok(log.some((e) => e.status === 500));
  });

  it('after a cancel, downloading again fetches only the missing ranges', async () => {
    const key = 'resume.bin';
    const sha = await putObject(key, 8 * MiB);
    emu.clearLog();
    const controller = new AbortController();
    const first = request(key, 'resume.bin', { concurrency: 1, maxConcurrency: 1 }, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'progress' && e.rangesDone >= 3) controller.abort();
      },
    });
    await assert.rejects(downloadObject(first), (e: unknown) => CosError.is(e) && e.code === 'ABORTED');
    assert.equal(await exists(first.destPath), false);
    assert.equal(await exists(downloadTempPath(first.destPath)), true, 'the temporary file is kept for the resume');
    const firstRanges = new Set((await gets(key)).filter((e) => e.status === 206 && !e.interrupted).map((e) => e.range));
    assert.ok(firstRanges.size >= 3 && firstRanges.size < 8, `ranges done before the cancel: ${firstRanges.size}`);

    emu.clearLog();
    let resumed = -1;
    const result = await downloadObject(request(key, 'resume.bin', {}, { onEvent: (e) => e.type === 'start' && (resumed = e.resumedRanges) }));
    assert.equal(await fileSha256(result.path), sha);
    const secondRanges = (await gets(key)).map((e) => e.range);
    assert.equal(resumed, firstRanges.size);
    assert.equal(secondRanges.length, 8 - firstRanges.size);
    for (const range of secondRanges) assert.ok(!firstRanges.has(range), `fetched again: ${range}`);
  });

  it('a resume re-fetches a finished range whose bytes on disk no longer match the checkpoint', async () => {
    const key = 'resume-damaged.bin';
    const sha = await putObject(key, 4 * MiB);
    const controller = new AbortController();
    const first = request(key, 'resume-damaged.bin', { concurrency: 1, maxConcurrency: 1 }, {
      signal: controller.signal,
      onEvent: (e) => e.type === 'progress' && e.rangesDone >= 2 && controller.abort(),
    });
    await assert.rejects(downloadObject(first));
    const temp = await fs.open(downloadTempPath(first.destPath), 'r+');
    await temp.write(randomBytes(16), 0, 16, 100); // inside range 0
    await temp.close();
    emu.clearLog();
    const result = await downloadObject(request(key, 'resume-damaged.bin'));
    assert.equal(await fileSha256(result.path), sha);
    assert.ok((await gets(key)).some((e) => e.range === `bytes=0-${MiB - 1}`), 'range 0 was fetched again');
  });

  it('refuses an object replaced mid-download (If-Match → 412) and puts nothing in place', async () => {
    const key = 'replaced.bin';
    await putObject(key, 4 * MiB);
    // The third GET waits while the object is replaced, so its If-Match no longer holds.
    emu.faults.add({ operation: 'getObject', fault: 'stall', ms: 1500, after: 2 });
    let replacing: Promise<string> | undefined;
    const req = request(key, 'replaced.bin', { concurrency: 1, maxConcurrency: 1 }, {
      onEvent: (e) => {
        if (e.type === 'progress' && e.rangesDone === 2 && !replacing) replacing = putObject(key, 4 * MiB);
      },
    });
    await assert.rejects(downloadObject(req), (e: unknown) => CosError.is(e) && e.code === 'OBJECT_CHANGED' && /changed on COS/.test(e.message));
    await replacing;
    assert.ok((await gets(key)).some((e) => e.status === 412));
    assert.equal(await exists(req.destPath), false);
    assert.equal(await exists(downloadTempPath(req.destPath)), false);
  });

  it('downloads an SSE-C object with its key, and is refused without it', async () => {
    const key = 'ssec.bin';
    const sse: ServerSideEncryption = { type: 'SSE-C', key: randomBytes(32).toString('base64') };
    const sha = await putObject(key, 3 * MiB, sse);
    const result = await downloadObject(request(key, 'ssec.bin', { sse }));
    assert.equal(await fileSha256(result.path), sha);
    await assert.rejects(downloadObject(request(key, 'ssec-nokey.bin')), (e: unknown) => CosError.is(e) && e.code !== 'INTEGRITY');
  });

  it('refuses an existing destination unless asked to overwrite, and a missing object by name', async () => {
    const key = 'exists.bin';
    const sha = await putObject(key, 1000);
    const dest = path.join(dir, 'exists.bin');
    await fs.writeFile(dest, 'keep me');
    await assert.rejects(downloadObject(request(key, 'exists.bin')), (e: unknown) => CosError.is(e) && e.code === 'INVALID_ARGUMENT');
    assert.equal(await fs.readFile(dest, 'utf8'), 'keep me');
    await downloadObject(request(key, 'exists.bin', {}, { overwrite: true }));
    assert.equal(await fileSha256(dest), sha);
    await assert.rejects(downloadObject(request('no/such/key', 'none.bin')), (e: unknown) => CosError.is(e) && e.code === 'NO_SUCH_KEY');
  });
});
