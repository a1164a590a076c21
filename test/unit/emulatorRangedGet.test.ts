/**
 * The emulator's ranged Get Object, checked with the official SDK as the client (getObject with
 * Range, IfMatch, SSE-C) and with raw undici requests signed by the SDK for the mid-body faults.
 */

import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import COS from 'cos-nodejs-sdk-v5';
import { request } from 'undici';
import { crc64Of } from '../../src/emulator/crc64';
import { parseRange } from '../../src/emulator/rangedGet';
import { startEmulator, type RunningEmulator } from '../../src/emulator';

interface SdkError {
  statusCode?: number;
  code?: string;
}

function sdkFor(emu: RunningEmulator): COS {
  return new COS({ SecretId: emu.credentials.secretId, SecretKey: emu.credentials.secretKey, Domain: new URL(emu.url).host, Protocol: 'http:' });
}

async function rawGet(emu: RunningEmulator, key: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const host = new URL(emu.url).host;
  const authorization = COS.getAuthorization({
    SecretId: emu.credentials.secretId,
    SecretKey: emu.credentials.secretKey,
    Method: 'GET',
    Key: key,
    Headers: { host },
  });
  const res = await request(`${emu.url}/${key}`, { method: 'GET', headers: { ...headers, host, authorization } });
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c as Buffer);
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') flat[k] = v;
  return { status: res.statusCode, headers: flat, body: Buffer.concat(chunks) };
}

/** The log entry is written when the server side of the answer closes, which may trail the client a little. */
async function logEntry(emu: RunningEmulator, predicate: (e: RunningEmulator['log'][number]) => boolean): Promise<RunningEmulator['log'][number] | undefined> {
  for (let waited = 0; waited < 2000; waited += 10) {
    const entry = emu.log.find(predicate);
    if (entry) return entry;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return undefined;
}

describe('emulator ranged Get Object', function () {
  this.timeout(30_000);
  let emu: RunningEmulator;
  let cos: COS;
  const data = randomBytes(100_000);
  const key = 'ranged/object.bin';
  const Bucket = 'examplebucket-1250000000';
  const Region = 'ap-guangzhou';

  before(async () => {
    emu = await startEmulator();
    cos = sdkFor(emu);
    await cos.putObject({ Bucket, Region, Key: key, Body: data });
  });
  after(() => emu.close());
  afterEach(() => emu.faults.clear());

  it('parses a-b, a-, suffix ranges and refuses unsatisfiable ones', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), [0, 9]);
    assert.deepEqual(parseRange('bytes=90-', 100), [90, 99]);
    assert.deepEqual(parseRange('bytes=95-200', 100), [95, 99]);
    assert.deepEqual(parseRange('bytes=-10', 100), [90, 99]);
    assert.deepEqual(parseRange('bytes=-500', 100), [0, 99]);
    assert.equal(parseRange('bytes=100-', 100), 'invalid');
    assert.equal(parseRange('bytes=-0', 100), 'invalid');
    assert.equal(parseRange('bytes=0-0', 0), 'invalid');
    assert.equal(parseRange('bytes=5-3', 100), undefined);
    assert.equal(parseRange('bytes=0-1,5-6', 100), undefined);
  });

  it('answers the SDK getObject with Range: 206, Content-Range, Content-Length and the whole CRC64', async () => {
    const whole = crc64Of(data).toString();
    for (const [range, start, end] of [
      ['bytes=0-0', 0, 0],
      ['bytes=1000-1999', 1000, 1999],
      ['bytes=99990-', 99_990, 99_999],
      ['bytes=-7', 99_993, 99_999],
    ] as const) {
      const res = await cos.getObject({ Bucket, Region, Key: key, Range: range });
      assert.equal(res.statusCode, 206, range);
      assert.equal(res.headers?.['content-range'], `bytes ${start}-${end}/${data.length}`);
      assert.equal(res.headers?.['content-length'], String(end - start + 1));
      assert.equal(res.headers?.['x-cos-hash-crc64ecma'], whole);
      assert.ok((res.Body as Buffer).equals(data.subarray(start, end + 1)), range);
    }
    const full = await cos.getObject({ Bucket, Region, Key: key });
    assert.equal(full.statusCode, 200);
    assert.ok((full.Body as Buffer).equals(data));
  });

  it('answers 416 InvalidRange for a range past the end, with Content-Range bytes */size', async () => {
    const res = await rawGet(emu, key, { range: `bytes=${data.length}-` });
    assert.equal(res.status, 416);
    assert.equal(res.headers['content-range'], `bytes */${data.length}`);
    assert.match(res.body.toString(), /<Code>InvalidRange<\/Code>/);
    await assert.rejects(cos.getObject({ Bucket, Region, Key: key, Range: 'bytes=200000-200001' }), (e: SdkError) => e.statusCode === 416);
  });

  it('If-Match: the same ETag is served, another one is 412 PreconditionFailed; If-None-Match is 304', async () => {
    const etag = emu.objectInfo(key)?.etag ?? '';
    const ok = await cos.getObject({ Bucket, Region, Key: key, Range: 'bytes=0-9', IfMatch: etag });
    assert.equal(ok.statusCode, 206);
    await assert.rejects(
      cos.getObject({ Bucket, Region, Key: key, Range: 'bytes=0-9', IfMatch: '"0123456789abcdef0123456789abcdef"' }),
      (e: SdkError) => e.statusCode === 412 && e.code === 'PreconditionFailed',
    );
    const notModified = await rawGet(emu, key, { 'if-none-match': etag });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body.length, 0);
  });

  it('SSE-C objects need the key headers on ranged GET', async () => {
    const sseKey = randomBytes(32);
    const sse = {
      SSECustomerAlgorithm: 'AES256',
      SSECustomerKey: sseKey.toString('base64'),
      SSECustomerKeyMD5: createHash('md5').update(sseKey).digest('base64'),
    };
    await cos.putObject({ Bucket, Region, Key: 'ssec.bin', Body: data, ...sse });
    const res = await cos.getObject({ Bucket, Region, Key: 'ssec.bin', Range: 'bytes=10-19', ...sse });
    assert.ok((res.Body as Buffer).equals(data.subarray(10, 20)));
    await assert.rejects(cos.getObject({ Bucket, Region, Key: 'ssec.bin', Range: 'bytes=10-19' }), (e: SdkError) => e.statusCode === 400);
  });

  it('reset on getObject drops the connection after about half the range; the log keeps the Range', async () => {
    emu.faults.add({ operation: 'getObject', fault: 'reset' });
    emu.clearLog();
    await assert.rejects(rawGet(emu, key, { range: 'bytes=0-49999' }));
    const entry = await logEntry(emu, (e) => e.operation === 'getObject');
    assert.equal(entry?.range, 'bytes=0-49999');
    assert.equal(entry?.interrupted, true);
    assert.equal(entry?.status, 206);
  });

  it('wrongBody flips one byte of the body and nothing else', async () => {
    emu.faults.add({ operation: 'getObject', fault: 'wrongBody' });
    const res = await rawGet(emu, key, { range: 'bytes=100-1099' });
    assert.equal(res.status, 206);
    assert.equal(res.body.length, 1000);
    const expected = data.subarray(100, 1100);
    let differing = 0;
    for (let i = 0; i < 1000; i++) if (res.body[i] !== expected[i]) differing++;
    assert.equal(differing, 1);
    assert.equal(res.headers['x-cos-hash-crc64ecma'], crc64Of(data).toString());
  });

  it('paces the answer body to the per-connection rate (connMbps)', async () => {
    const paced = await startEmulator({ connMbps: 8 }); // 1,000,000 bytes/s
    try {
      await sdkFor(paced).putObject({ Bucket, Region, Key: key, Body: randomBytes(700_000) });
      paced.clearLog();
      const res = await rawGet(paced, key, { range: 'bytes=0-599999' });
      assert.equal(res.body.length, 600_000);
      const entry = await logEntry(paced, (e) => e.operation === 'getObject');
      // Lower bound only: beyond the 20 ms burst the bytes cannot leave faster than the rate.
      const minMs = ((600_000 - 20_000) / 1_000_000) * 1000;
      assert.ok(entry && entry.durationMs >= minMs * 0.9, `took ${entry?.durationMs} ms, expected at least ${minMs}`);
    } finally {
      await paced.close();
    }
  });
});
