import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  CompleteLostError,
  CosClient,
  CosError,
  FileCheckpointStore,
  silentLogger,
  staticCredentials,
  uploadFile,
  type Logger,
  type UploadEvent,
  type UploadOptions,
  type UploadRequest,
} from '../../src/core';
import { sharedHashPool } from '../../src/core/hashPool';
import { wasmCrc64 } from '../../src/core/wasmCrc64';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { waitUntil } from '../host/uiTest';
import { makeFile, MiB, tempDir } from './helpers';

describe('integration: uploadFile against the emulator', function () {
  this.timeout(60_000);
  let emu: RunningEmulator;

  before(async () => {
    emu = await startEmulator();
  });
  after(async () => {
    await emu.close();
  });
  beforeEach(() => {
    emu.faults.clear();
  });

  function request(filePath: string, key: string, options: Partial<UploadOptions> = {}, extra: Partial<UploadRequest> = {}): UploadRequest {
    return {
      filePath,
      key,
      target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url },
      credentials: staticCredentials(emu.credentials),
      // Small parts and fast retries keep the tests quick while exercising every path.
      options: { partSize: MiB, multipartThreshold: 0, concurrency: 3, requestTimeoutMs: 5_000, ...options },
      ...extra,
    };
  }

  function logFor(key: string, operation?: string) {
    return emu.log.filter((e) => e.key === key && (operation === undefined || e.operation === operation));
  }

  /** A logger that keeps only the warnings. */
  function warningsInto(lines: string[]): Logger {
    return { ...silentLogger, warn: (m) => lines.push(m) };
  }

  async function assertStored(key: string, sha: string): Promise<void> {
    assert.equal(await emu.objectSha256(key), sha, `stored object ${key} differs from the file`);
  }

  const sizes: Array<[string, number, Partial<UploadOptions>]> = [
    ['0 B (Put Object)', 0, { multipartThreshold: 8 * MiB }],
    ['1 B (Put Object)', 1, { multipartThreshold: 8 * MiB }],
    ['exactly one part', MiB, {}],
    ['one part + 1 B', MiB + 1, {}],
    ['several parts with concurrency', 7 * MiB + 12345, { concurrency: 4 }],
  ];
  for (const [label, size, options] of sizes) {
    it(`uploads ${label} byte-identically with verified CRC64`, async () => {
      const file = await makeFile(size);
      const key = `sizes/${size}.bin`;
      const events: UploadEvent[] = [];
      const result = await uploadFile(request(file.path, key, options, { onEvent: (e) => events.push(e) }));
      await assertStored(key, file.sha256);
      assert.equal(result.bytes, size);
      assert.equal(result.crc64Verified, true);
      const partEvents = events.filter((e) => e.type === 'part');
      assert.equal(partEvents.length, result.parts);
      for (const p of partEvents) {
        assert.ok(p.type === 'part' && /^"[0-9a-f]{32}"$/.test(p.etag) && p.requestId, 'each part reports ETag and request id');
      }
      const progress = events.filter((e) => e.type === 'progress');
      const last = progress[progress.length - 1];
      assert.ok(last && last.type === 'progress' && last.bytesSent === size && last.partsDone === result.parts);
    });
  }

  it('a slow first request on a near endpoint is re-timed on a warm connection, and concurrency goes back down', async () => {
    // Long enough (48 parts) that the check answers before the last part: after it, the check is cancelled.
    const file = await makeFile(48 * MiB);
    const key = 'adaptive/cold-initiate.bin';
    // Initiate answers late, as a cold first request can; every later request is fast.
    emu.faults.add({ operation: 'initiate', fault: 'stall', ms: 60 });
    const lines: string[] = [];
    const logger = { debug: () => undefined, info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    let last = 0;
    const result = await uploadFile(
      request(file.path, key, { concurrency: 2, maxConcurrency: 8 }, {
        logger,
        onEvent: (e) => {
          if (e.type === 'progress') last = e.concurrency;
        },
      }),
    );
    assert.equal(logFor(key, 'listParts').length, 1, 'one List Parts timed the round trip');
    // Near with 1 MiB parts: twice the configured 2 (96 MiB of parts would allow more).
    assert.ok(lines.some((l) => /the endpoint is near; 4 parts in flight/.test(l)), lines.join('\n'));
    assert.ok(last <= 4, `ended at the near limit (last ${last})`);
    assert.equal(result.parts, 48);
    await assertStored(key, file.sha256);
  });

  it('a round-trip check that never answers neither holds the upload open nor changes its result', async () => {
    const file = await makeFile(8 * MiB);
    const key = 'adaptive/stalled-check.bin';
    emu.faults.add({ operation: 'initiate', fault: 'stall', ms: 60 });
    emu.faults.add({ operation: 'listParts', fault: 'stall' });
    const t0 = Date.now();
    const result = await uploadFile(request(file.path, key, { concurrency: 2, maxConcurrency: 8, requestTimeoutMs: 30_000 }));
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(logFor(key, 'listParts').length, 1, 'the check was sent');
    assert.ok(seconds < 10, `finished without waiting for the 30 s watchdog (${seconds} s)`);
    assert.equal(result.parts, 8);
    await assertStored(key, file.sha256);
  });

  it('a far endpoint (slow answers throughout) keeps its far start after the warm re-check', async () => {
    const file = await makeFile(16 * MiB);
    const far = 'adaptive/far.bin';
    emu.setNetwork({ latencyMs: 40 });
    let farPeak = 0;
    try {
      await uploadFile(
        request(file.path, far, { concurrency: 2, maxConcurrency: 8 }, {
          onEvent: (e) => {
            if (e.type === 'progress') farPeak = Math.max(farPeak, e.concurrency);
          },
        }),
      );
    } finally {
      emu.setNetwork({ latencyMs: 0 });
    }
    assert.ok(farPeak >= 4, `a far endpoint starts at twice the concurrency (peak ${farPeak})`);
    assert.equal(logFor(far, 'listParts').length, 1, 'the far guess was checked once');
    await assertStored(far, file.sha256);
  });

  it('auto part size follows the distance Initiate shows: 16 MiB-class parts near, 8 MiB far', async () => {
    // 144 MiB: 9 MiB parts near (16 parts, capped by NEAR_PART_SIZE), 8 MiB far (DEFAULT_PART_SIZE).
    const file = await makeFile(144 * MiB);
    const partSizes: Record<string, number> = {};
    const upload = async (key: string): Promise<void> => {
      const result = await uploadFile(
        request(file.path, key, { partSize: 'auto', concurrency: 4 }, {
          onEvent: (e) => {
            if (e.type === 'start') partSizes[key] = e.partSize;
          },
        }),
      );
      assert.equal(result.parts, Math.ceil((144 * MiB) / partSizes[key]));
      await assertStored(key, file.sha256);
    };
    await upload('auto/near.bin');
    emu.setNetwork({ latencyMs: 40 });
    try {
      await upload('auto/far.bin');
    } finally {
      emu.setNetwork({ latencyMs: 0 });
    }
    assert.equal(partSizes['auto/near.bin'], 9 * MiB, 'near: the file in 16 parts, larger than 8 MiB');
    assert.equal(partSizes['auto/far.bin'], 8 * MiB, 'far: 8 MiB parts');
    const initiated = logFor('auto/near.bin', 'initiate');
    assert.equal(initiated.length, 1, 'one upload, planned after its Initiate');
  });

  it('adds connections while throughput rises on a slow link and completes every part', async () => {
    // Workers added mid-upload must all be awaited before Complete (a lost last part was once possible).
    const file = await makeFile(24 * MiB + 5);
    const key = 'adaptive/grow.bin';
    emu.setNetwork({ latencyMs: 60 });
    // The last part answers late, so other workers finish first.
    emu.faults.add({ operation: 'uploadPart', partNumber: 25, fault: 'stall', ms: 800 });
    try {
      let peak = 0;
      const result = await uploadFile(
        request(file.path, key, { concurrency: 1, maxConcurrency: 8 }, {
          onEvent: (e) => {
            if (e.type === 'progress') peak = Math.max(peak, e.concurrency);
          },
        }),
      );
      assert.ok(peak > 1, `concurrency grew from 1 (peak ${peak})`);
      assert.equal(result.parts, 25);
      await assertStored(key, file.sha256);
    } finally {
      emu.setNetwork({ latencyMs: 0 });
    }
  });

  it('reports bytes as they are sent, not only finished parts', async () => {
    const file = await makeFile(3 * MiB);
    const seen: number[] = [];
    await uploadFile(
      request(file.path, 'progress/bytes.bin', { concurrency: 1 }, {
        onEvent: (e) => {
          if (e.type === 'progress') seen.push(e.bytesSent);
        },
      }),
    );
    assert.ok(seen.some((b) => b % MiB !== 0), `expected progress inside a part, got ${seen.join(',')}`);
  });

  it('retries a part that gets a 500 and completes', async () => {
    const file = await makeFile(3 * MiB);
    const key = 'faults/500.bin';
    const rule = emu.faults.add({ operation: 'uploadPart', partNumber: 2, fault: 'status', status: 500 });
    const result = await uploadFile(request(file.path, key));
    assert.equal(rule.hits, 1);
    await assertStored(key, file.sha256);
    assert.equal(result.parts, 3);
    assert.equal(logFor(key, 'uploadPart').filter((e) => e.partNumber === 2).length, 2);
  });

  it('honours SlowDown with Retry-After', async () => {
    const file = await makeFile(2 * MiB);
    const key = 'faults/slowdown.bin';
    emu.faults.add({ operation: 'uploadPart', partNumber: 1, fault: 'status', status: 503, code: 'SlowDown', retryAfter: 1 });
    const retries: number[] = [];
    await uploadFile(request(file.path, key, {}, { onEvent: (e) => e.type === 'retry' && retries.push(e.delayMs) }));
    assert.ok(retries.length >= 1 && retries[0] >= 1000, `Retry-After of 1 s honoured: ${retries.join(',')}`);
    await assertStored(key, file.sha256);
  });

  it('survives a connection reset mid-body', async () => {
    const file = await makeFile(3 * MiB);
    const key = 'faults/reset.bin';
    const rule = emu.faults.add({ operation: 'uploadPart', partNumber: 3, fault: 'reset', at: 'request' });
    await uploadFile(request(file.path, key));
    assert.equal(rule.hits, 1);
    await assertStored(key, file.sha256);
  });

  it('times out a stalled answer and retries', async () => {
    const file = await makeFile(2 * MiB);
    const key = 'faults/stall.bin';
    const rule = emu.faults.add({ operation: 'uploadPart', partNumber: 1, fault: 'stall' });
    const events: UploadEvent[] = [];
    await uploadFile(request(file.path, key, { requestTimeoutMs: 800 }, { onEvent: (e) => events.push(e) }));
    assert.equal(rule.hits, 1);
    const retry = events.find((e) => e.type === 'retry');
    assert.ok(retry && retry.type === 'retry' && CosError.is(retry.error) && retry.error.code === 'TIMEOUT');
    await assertStored(key, file.sha256);
  });

  it('fails at once with a clear SIGNATURE_MISMATCH on a wrong secret (no retry storm)', async () => {
    const file = await makeFile(2 * MiB);
    const key = 'faults/wrong-secret.bin';
    const before = emu.log.length;
    const req = request(file.path, key);
    req.credentials = staticCredentials({ ...emu.credentials, secretKey: 'not-the-secret-key-0123456789' });
    await assert.rejects(uploadFile(req), (error: unknown) => {
      assert.ok(CosError.is(error));
      assert.equal(error.code, 'SIGNATURE_MISMATCH');
      assert.match(error.message, /SecretKey/);
      assert.doesNotMatch(error.message, /not-the-secret-key/);
      return true;
    });
    assert.equal(emu.log.length - before, 1, 'exactly one request: no retries for a 403');
  });

  it('detects a wrong CRC64 from the server and sends that part again', async () => {
    const file = await makeFile(3 * MiB);
    const key = 'faults/wrong-crc.bin';
    const rule = emu.faults.add({ operation: 'uploadPart', partNumber: 2, fault: 'wrongCrc' });
    const events: UploadEvent[] = [];
    await uploadFile(request(file.path, key, {}, { onEvent: (e) => events.push(e) }));
    assert.equal(rule.hits, 1);
    assert.equal(logFor(key, 'uploadPart').filter((e) => e.partNumber === 2).length, 2);
    const retry = events.find((e) => e.type === 'retry');
    assert.ok(retry && retry.type === 'retry' && CosError.is(retry.error) && retry.error.code === 'INTEGRITY');
    await assertStored(key, file.sha256);
  });

  it('with Content-MD5, detects a wrong ETag at the part and sends that part again', async () => {
    const file = await makeFile(2 * MiB);
    const key = 'faults/wrong-etag.bin';
    emu.faults.add({ operation: 'uploadPart', partNumber: 1, fault: 'wrongEtag' });
    await uploadFile(request(file.path, key, { contentMd5: true }));
    assert.equal(logFor(key, 'uploadPart').filter((e) => e.partNumber === 1).length, 2);
    assert.equal(logFor(key, 'complete').length, 1, 'caught before Complete');
    await assertStored(key, file.sha256);
  });

  it('without Content-MD5, survives a wrong ETag: Complete refuses it, List Parts shows which part, only that part goes again', async () => {
    const file = await makeFile(3 * MiB);
    const key = 'faults/wrong-etag-no-md5.bin';
    emu.faults.add({ operation: 'uploadPart', partNumber: 2, fault: 'wrongEtag' });
    const lines: string[] = [];
    const result = await uploadFile(request(file.path, key, {}, { logger: warningsInto(lines) }));
    assert.deepEqual(
      logFor(key, 'uploadPart').map((e) => e.partNumber).sort(),
      [1, 2, 2, 3],
    );
    assert.deepEqual(logFor(key, 'complete').map((e) => e.status), [400, 200]);
    assert.ok(lines.some((l) => /InvalidPart.*part\(s\) 2 under another ETag/.test(l)), lines.join('\n'));
    assert.equal(result.crc64Verified, true);
    await assertStored(key, file.sha256);
  });

  for (const [label, size] of [['multipart', 3 * MiB], ['a single PUT hashed on a worker', 512 * 1024]] as const) {
    it(`${label}: the bytes go out while the hash worker is still starting, and 'start' still comes first, naming the engine`, async () => {
      const file = await makeFile(size);
      const key = `early-bytes/${size}.bin`;
      const pool = sharedHashPool();
      const realStatusFor = pool.statusFor.bind(pool);
      // The engine becomes known only once the emulator has answered a part: an upload that waited for it would never send one.
      let gateOpenedBy = '';
      pool.statusFor = (bytes) =>
        new Promise((resolve) => {
          const started = Date.now();
          const poll = setInterval(() => {
            const sent = logFor(key).some((e) => e.operation === 'uploadPart' || e.operation === 'putObject');
            if (!sent && Date.now() - started < 20_000) return;
            clearInterval(poll);
            gateOpenedBy = sent ? 'a part' : 'the time limit';
            resolve(realStatusFor(bytes));
          }, 2);
        });
      const events: UploadEvent[] = [];
      try {
        const result = await uploadFile(
          request(file.path, key, { concurrency: 2, multipartThreshold: size === 3 * MiB ? 0 : 8 * MiB }, { onEvent: (e) => events.push(e) }),
        );
        assert.equal(result.crc64Verified, true);
      } finally {
        pool.statusFor = realStatusFor;
      }
      assert.equal(gateOpenedBy, 'a part', 'the upload waited for the hash worker before sending');
      await assertStored(key, file.sha256);
      const types = events.map((e) => e.type);
      assert.equal(types[0], 'start', types.join(','));
      assert.equal(types.filter((t) => t === 'start').length, 1);
      assert.ok(types.includes('progress') && types.includes('part'), types.join(','));
      assert.equal(types.at(-1), 'complete', types.join(','));
      const start = events[0];
      assert.ok(start.type === 'start');
      assert.equal(start.crcEngine, (await realStatusFor(size)).name);
    });
  }

  it("names the CRC64 engine on each file's log line, without the reason it was chosen (logged once per session by the front ends)", async () => {
    const file = await makeFile(1000);
    const lines: string[] = [];
    const logger: Logger = { ...silentLogger, info: (m) => lines.push(m) };
    // Small data is hashed on the calling thread: by WebAssembly once a sync in this process has started it, else TypeScript.
    await uploadFile(request(file.path, 'crc-line/small.bin', { multipartThreshold: MiB }, { logger }));
    const engineLine = lines.find((l) => l.startsWith('CRC64 engine:'));
    assert.ok(engineLine, lines.join('\n'));
    assert.match(engineLine, new RegExp(`^CRC64 engine: ${wasmCrc64() ? 'wasm' : 'typescript'}; hashing on the calling thread; `));
  });

  it('sends Content-MD5 only when asked; CRC64 is checked on every part either way', async () => {
    const file = await makeFile(3 * MiB);
    const plain = await uploadFile(request(file.path, 'md5/off.bin'));
    assert.deepEqual(logFor('md5/off.bin', 'uploadPart').map((e) => e.contentMd5 ?? false), [false, false, false]);
    assert.equal(plain.crc64Verified, true);
    await uploadFile(request(file.path, 'md5/on.bin', { contentMd5: true }));
    assert.deepEqual(logFor('md5/on.bin', 'uploadPart').map((e) => e.contentMd5 ?? false), [true, true, true]);
    const small = await makeFile(1000);
    await uploadFile(request(small.path, 'md5/small-off.bin', { multipartThreshold: MiB }));
    await uploadFile(request(small.path, 'md5/small-on.bin', { multipartThreshold: MiB, contentMd5: true }));
    assert.deepEqual(
      [...logFor('md5/small-off.bin', 'putObject'), ...logFor('md5/small-on.bin', 'putObject')].map((e) => e.contentMd5 ?? false),
      [false, true],
    );
  });

  it('with no CRC64 in the answer, checks the ETag against an MD5 of the same buffer instead: no second send', async () => {
    const file = await makeFile(3 * MiB);
    const key = 'md5/no-crc.bin';
    const rule = emu.faults.add({ operation: 'uploadPart', partNumber: 2, fault: 'noCrc' });
    await uploadFile(request(file.path, key));
    assert.equal(rule.hits, 1);
    assert.equal(logFor(key, 'uploadPart').length, 3, 'each part went once');
    await assertStored(key, file.sha256);
  });

  it('with no CRC64 and an ETag that is no MD5 (SSE-KMS), sends the part again with Content-MD5, and every later part', async () => {
    const file = await makeFile(4 * MiB);
    const key = 'md5/no-crc-kms.bin';
    const rule = emu.faults.add({ operation: 'uploadPart', partNumber: 1, fault: 'noCrc' });
    const lines: string[] = [];
    await uploadFile(
      request(file.path, key, { concurrency: 1, sse: { type: 'SSE-KMS' } }, { logger: warningsInto(lines) }),
    );
    assert.equal(rule.hits, 1);
    assert.deepEqual(
      logFor(key, 'uploadPart').map((e) => `${e.partNumber}${e.contentMd5 ? '+md5' : ''}`),
      ['1', '1+md5', '2+md5', '3+md5', '4+md5'],
    );
    assert.ok(lines.some((l) => /Part 1 cannot be checked: COS returned no CRC64 and its ETag is not an MD5 \(SSE-KMS\); sending it again with Content-MD5/.test(l)), lines.join('\n'));
    await assertStored(key, file.sha256);
  });

  it('under SSE-KMS and SSE-C, whose ETags are not MD5s, Content-MD5 uploads succeed without a false mismatch', async () => {
    const file = await makeFile(2 * MiB + 5);
    for (const [key, sse] of [
      ['md5/kms.bin', { type: 'SSE-KMS' }],
      ['md5/sse-c.bin', { type: 'SSE-C', key: randomBytes(32).toString('base64') }],
    ] as const) {
      const events: UploadEvent[] = [];
      const result = await uploadFile(request(file.path, key, { contentMd5: true, sse }, { onEvent: (e) => events.push(e) }));
      assert.equal(events.filter((e) => e.type === 'retry').length, 0, `${sse.type}: no part was sent twice`);
      assert.equal(result.crc64Verified, true);
      assert.notEqual(result.etag, undefined);
    }
  });

  it('never reports success when the whole-object CRC64 after Complete is wrong', async () => {
    const file = await makeFile(2 * MiB);
    emu.faults.add({ operation: 'complete', fault: 'wrongCrc' });
    await assert.rejects(uploadFile(request(file.path, 'faults/complete-crc.bin')), (error: unknown) => {
      assert.ok(CosError.is(error));
      assert.equal(error.code, 'INTEGRITY');
      assert.match(error.message, /Whole-object CRC64/);
      return true;
    });
  });

  it('retries a Complete that answers 200 with an <Error> body', async () => {
    const file = await makeFile(2 * MiB);
    const key = 'faults/complete-200-error.bin';
    const rule = emu.faults.add({ operation: 'complete', fault: 'completeErrorIn200' });
    const result = await uploadFile(request(file.path, key));
    assert.equal(rule.hits, 1);
    assert.equal(result.crc64Verified, true);
    await assertStored(key, file.sha256);
  });

  it('fails clearly on a garbage (HTML) answer to Initiate', async () => {
    const file = await makeFile(2 * MiB);
    emu.faults.add({ operation: 'initiate', fault: 'garbage' });
    await assert.rejects(uploadFile(request(file.path, 'faults/garbage.bin')), (error: unknown) => {
      assert.ok(CosError.is(error));
      assert.equal(error.code, 'BAD_RESPONSE');
      assert.match(error.message, /Initiate Multipart Upload/);
      return true;
    });
  });

  it('fails with NO_SUCH_UPLOAD when the server forgets the upload mid-way', async () => {
    const file = await makeFile(3 * MiB);
    emu.faults.add({ operation: 'uploadPart', partNumber: 2, fault: 'status', status: 404, code: 'NoSuchUpload' });
    await assert.rejects(uploadFile(request(file.path, 'faults/nosuchupload.bin', { concurrency: 1 })), (error: unknown) => {
      assert.ok(CosError.is(error));
      assert.equal(error.code, 'NO_SUCH_UPLOAD');
      assert.equal(error.retryable, false);
      // Says what is known, claims no abort: COS no longer knows the id, for one of three reasons.
      assert.match(error.message, /COS no longer knows this upload id: it was aborted, expired by a lifecycle rule, or completed by another uploader/);
      assert.ok(!(error instanceof CompleteLostError));
      return true;
    });
  });

  it('a Complete that failed with InternalError (in a 200) and whose retry found the upload gone says so', async () => {
    const file = await makeFile(2 * MiB);
    const key = 'faults/complete-then-gone.bin';
    const first = emu.faults.add({ operation: 'complete', fault: 'completeErrorIn200' });
    const then = emu.faults.add({ operation: 'complete', fault: 'status', status: 404, code: 'NoSuchUpload', times: 'always' });
    await assert.rejects(uploadFile(request(file.path, key)), (error: unknown) => {
      assert.ok(error instanceof CompleteLostError, String(error));
      assert.equal(error.code, 'NO_SUCH_UPLOAD');
      assert.equal(error.completeFailure.cosCode, 'InternalError');
      assert.ok(CosError.is(error.cause) && error.cause.code === 'NO_SUCH_UPLOAD');
      assert.match(error.message, /^Complete Multipart Upload failed with InternalError, and when it was sent again COS no longer knew the upload \(NoSuchUpload\): the upload is gone/);
      assert.doesNotMatch(error.message, /aborted/);
      return true;
    });
    assert.equal(first.hits, 1);
    assert.ok(then.hits >= 1);
  });

  it('corrects a skewed clock from the server Date and completes', async () => {
    const file = await makeFile(2 * MiB);
    const key = 'faults/skew.bin';
    emu.setClockSkew(45 * 60 * 1000);
    try {
      const events: UploadEvent[] = [];
      await uploadFile(request(file.path, key, {}, { onEvent: (e) => events.push(e) }));
      assert.ok(events.some((e) => e.type === 'clock-corrected'));
      await assertStored(key, file.sha256);
    } finally {
      emu.setClockSkew(0);
    }
  });

  it('rejects bad options before sending any request', async () => {
    const file = await makeFile(2 * MiB);
    const before = emu.log.length;
    for (const [options, field] of [
      [{ trafficLimit: 1000 }, /trafficLimit/],
      [{ partSize: 1000 }, /Part size/],
      [{ concurrency: 0 }, /concurrency/],
    ] as const) {
      await assert.rejects(uploadFile(request(file.path, 'bad/options.bin', options)), (error: unknown) => {
        assert.ok(CosError.is(error) && error.code === 'INVALID_ARGUMENT');
        assert.match(error.message, field);
        return true;
      });
    }
    await assert.rejects(uploadFile(request(path.join(file.dir, 'missing.bin'), 'bad/missing.bin')), /does not exist/);
    await assert.rejects(uploadFile(request(file.dir, 'bad/folder.bin')), /folder/);
    assert.equal(emu.log.length, before, 'no request was sent');
  });

  it('sends SSE-C headers on Initiate and every part, and traffic-limit on parts', async () => {
    const file = await makeFile(2 * MiB);
    const key = 'options/ssec.bin';
    const sseKey = Buffer.alloc(32, 7).toString('base64');
    const result = await uploadFile(request(file.path, key, { sse: { type: 'SSE-C', key: sseKey }, trafficLimit: 838860800 }));
    assert.equal(result.parts, 2);
    await assertStored(key, file.sha256);
  });

  /** Records the file positions read through any FileHandle while `during` runs. */
  async function recordReads<T>(during: (positions: number[]) => Promise<T>): Promise<T> {
    const probe = await fs.open(__filename, 'r');
    const proto = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const realRead = proto.read;
    const positions: number[] = [];
    proto.read = function (this: unknown, ...args: unknown[]) {
      if (typeof args[3] === 'number') positions.push(args[3]);
      return realRead.apply(this, args);
    };
    try {
      return await during(positions);
    } finally {
      proto.read = realRead;
    }
  }

  it("reads the first parts while a new upload's checkpoint is being saved, and sends none before it is saved", async () => {
    const file = await makeFile(4 * MiB);
    const key = 'resume/slow-first-save.bin';
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let saves = 0;
    class SlowFirstSave extends FileCheckpointStore {
      override async save(id: string, checkpoint: Parameters<FileCheckpointStore['save']>[1]): Promise<void> {
        if (saves++ === 0) await gate;
        return super.save(id, checkpoint);
      }
    }
    const store = new SlowFirstSave(await tempDir('cos-ckpt-'));
    await recordReads(async (positions) => {
      const upload = uploadFile(request(file.path, key, { concurrency: 2 }, { checkpoints: store }));
      upload.catch(() => undefined);
      await waitUntil('the first part to be read', () => positions.includes(0) || undefined, 5_000);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(logFor(key, 'initiate').length, 1);
      assert.equal(logFor(key, 'uploadPart').length, 0, 'a part went out before the checkpoint recording its uploadId was saved');
      release();
      const result = await upload;
      assert.equal(result.parts, 4);
    });
    await assertStored(key, file.sha256);
    assert.ok(saves >= 2, `the first save and one per part: ${saves}`);
    assert.equal((await store.list()).length, 0, 'checkpoint removed after success');
  });

  it("fails with CHECKPOINT, sending no part, when a new upload's first checkpoint cannot be saved", async () => {
    const file = await makeFile(3 * MiB);
    const key = 'resume/first-save-fails.bin';
    class FailingSave extends FileCheckpointStore {
      override async save(): Promise<void> {
        throw new CosError('CHECKPOINT', 'Could not save the checkpoint in /nowhere: ENOSPC');
      }
    }
    const store = new FailingSave(await tempDir('cos-ckpt-'));
    await assert.rejects(uploadFile(request(file.path, key, {}, { checkpoints: store })), (e: unknown) => CosError.is(e) && e.code === 'CHECKPOINT');
    assert.equal(logFor(key, 'initiate').length, 1);
    assert.equal(logFor(key, 'uploadPart').length, 0);
  });

  it('cancels within a second, keeps a checkpoint, and resumes sending only the missing parts', async () => {
    const file = await makeFile(6 * MiB);
    const key = 'resume/cancel.bin';
    const store = new FileCheckpointStore(await tempDir('cos-ckpt-'));
    // Part 4 stalls so the upload is surely in flight when we cancel.
    emu.faults.add({ operation: 'uploadPart', partNumber: 4, fault: 'stall' });
    const controller = new AbortController();
    let partsDone = 0;
    const first = uploadFile(
      request(file.path, key, { concurrency: 1, requestTimeoutMs: 30_000 }, {
        checkpoints: store,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'part') partsDone++;
          if (e.type === 'part' && partsDone === 3) setTimeout(() => controller.abort(), 50);
        },
      }),
    );
    const t0 = Date.now();
    await assert.rejects(first, (error: unknown) => CosError.is(error) && error.code === 'ABORTED');
    assert.ok(Date.now() - t0 < 2_000, 'cancel took effect quickly');
    const saved = await store.list();
    assert.equal(saved.length, 1);
    assert.equal(saved[0].checkpoint.parts.length, 3);
    emu.faults.clear();

    const result = await uploadFile(request(file.path, key, { concurrency: 2 }, { checkpoints: store }));
    assert.equal(result.resumedParts, 3);
    await assertStored(key, file.sha256);
    const sent = logFor(key, 'uploadPart').filter((e) => e.status === 200).map((e) => e.partNumber);
    assert.deepEqual([...sent].sort((a, b) => (a ?? 0) - (b ?? 0)), [1, 2, 3, 4, 5, 6], 'each part stored exactly once');
    assert.equal((await store.list()).length, 0, 'checkpoint removed after success');
  });

  it('adopts, without sending it again, a part COS stored just before the upload died', async () => {
    const file = await makeFile(4 * MiB);
    const key = 'resume/adopt.bin';
    const store = new FileCheckpointStore(await tempDir('cos-ckpt-'));
    // Part 3 is stored, then the connection dies before the answer: like a crash right after the server's 200.
    emu.faults.add({ operation: 'uploadPart', partNumber: 3, fault: 'reset', at: 'response' });
    await assert.rejects(uploadFile(request(file.path, key, { concurrency: 1, retries: 0 }, { checkpoints: store })), (e: unknown) => CosError.is(e) && e.code === 'NETWORK');
    const [{ checkpoint }] = await store.list();
    assert.deepEqual(checkpoint.parts.map((p) => p.partNumber), [1, 2]);
    const result = await uploadFile(request(file.path, key, {}, { checkpoints: store }));
    assert.equal(result.resumedParts, 3);
    assert.equal(logFor(key, 'uploadPart').filter((e) => e.partNumber === 3).length, 1, 'part 3 was sent once');
    await assertStored(key, file.sha256);
  });

  it('under SSE-KMS (no MD5 ETag to recognise it by) sends again a part COS stored just before the upload died', async () => {
    const file = await makeFile(4 * MiB);
    const key = 'resume/adopt-kms.bin';
    const store = new FileCheckpointStore(await tempDir('cos-ckpt-'));
    const options: Partial<UploadOptions> = { concurrency: 1, sse: { type: 'SSE-KMS' } };
    emu.faults.add({ operation: 'uploadPart', partNumber: 3, fault: 'reset', at: 'response' });
    await assert.rejects(uploadFile(request(file.path, key, { ...options, retries: 0 }, { checkpoints: store })));
    const result = await uploadFile(request(file.path, key, options, { checkpoints: store }));
    assert.equal(result.resumedParts, 2);
    assert.equal(logFor(key, 'uploadPart').filter((e) => e.partNumber === 3).length, 2, 'part 3 went again');
    await assertStored(key, file.sha256);
  });

  it('starts over, clearly, when a checkpoint names an upload the server no longer knows', async () => {
    const file = await makeFile(3 * MiB);
    const key = 'resume/forgotten.bin';
    const store = new FileCheckpointStore(await tempDir('cos-ckpt-'));
    emu.faults.add({ operation: 'uploadPart', partNumber: 2, fault: 'status', status: 400, code: 'InvalidArgument' });
    await assert.rejects(uploadFile(request(file.path, key, { concurrency: 1 }, { checkpoints: store })));
    const [{ checkpoint }] = await store.list();
    const admin = new CosClient({ target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url }, credentials: staticCredentials(emu.credentials) });
    await admin.abortMultipartUpload(key, checkpoint.uploadId);
    await admin.close();
    const events: UploadEvent[] = [];
    await uploadFile(request(file.path, key, {}, { checkpoints: store, onEvent: (e) => events.push(e) }));
    const restarted = events.find((e) => e.type === 'restarted');
    assert.ok(restarted && restarted.type === 'restarted' && /NoSuchUpload/.test(restarted.reason));
    assert.equal(restarted.cause, 'NO_SUCH_UPLOAD', 'the cause is typed, for code that decides on it');
    await assertStored(key, file.sha256);
  });

  it('a restart after NoSuchUpload creates the object as it was begun (class, metadata, encryption)', async () => {
    const file = await makeFile(3 * MiB);
    const key = 'resume/options.bin';
    const store = new FileCheckpointStore(await tempDir('cos-ckpt-'));
    const objectOptions = { storageClass: 'STANDARD_IA', metadata: { project: 'atlas' }, sse: { type: 'SSE-COS' as const } };
    emu.faults.add({ operation: 'uploadPart', partNumber: 2, fault: 'status', status: 400, code: 'InvalidArgument' });
    await assert.rejects(uploadFile(request(file.path, key, { concurrency: 1, ...objectOptions }, { checkpoints: store })));
    const [{ checkpoint }] = await store.list();
    assert.deepEqual(checkpoint.object, { storageClass: 'STANDARD_IA', sse: 'SSE-COS', metadata: { project: 'atlas' } });
    const admin = new CosClient({ target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url }, credentials: staticCredentials(emu.credentials) });
    await admin.abortMultipartUpload(key, checkpoint.uploadId);
    await admin.close();
    // Resumed with no object options at all: they come from the checkpoint.
    await uploadFile(request(file.path, key, {}, { checkpoints: store }));
    const info = emu.objectInfo(key);
    assert.equal(info?.storageClass, 'STANDARD_IA');
    assert.deepEqual(info?.meta, { project: 'atlas' });
    assert.equal(info?.sse, 'AES256');
    await assertStored(key, file.sha256);
  });

  it('an SSE-C upload resumes only with its key, which the checkpoint never holds', async () => {
    const file = await makeFile(3 * MiB);
    const key = 'resume/ssec.bin';
    const dir = await tempDir('cos-ckpt-');
    const store = new FileCheckpointStore(dir);
    const sseKey = Buffer.alloc(32, 3).toString('base64');
    emu.faults.add({ operation: 'uploadPart', partNumber: 2, fault: 'status', status: 400, code: 'InvalidArgument' });
    await assert.rejects(uploadFile(request(file.path, key, { concurrency: 1, sse: { type: 'SSE-C', key: sseKey } }, { checkpoints: store })));
    const [{ id }] = await store.list();
    assert.ok(!(await fs.readFile(path.join(dir, `${id}.json`), 'utf8')).includes(sseKey), 'no SSE-C key in the checkpoint');
    const before = emu.log.length;
    await assert.rejects(uploadFile(request(file.path, key, {}, { checkpoints: store })), (e: unknown) => CosError.is(e) && e.code === 'INVALID_ARGUMENT' && /SSE-C/.test(e.message));
    assert.equal(emu.log.length, before, 'refused before any request');
    const result = await uploadFile(request(file.path, key, { sse: { type: 'SSE-C', key: sseKey } }, { checkpoints: store }));
    assert.equal(result.resumedParts, 1);
  });

  it('notices a same-size rewrite whose modification time was put back (cp -p, rsync -t)', async () => {
    const file = await makeFile(4 * MiB);
    const { mtime, atime } = await fs.stat(file.path);
    let rewritten = false;
    const done: Promise<void>[] = [];
    await assert.rejects(
      uploadFile(
        request(file.path, 'changed/ctime.bin', { concurrency: 1 }, {
          onEvent: (e) => {
            if (e.type === 'part' && !rewritten) {
              rewritten = true;
              // Same size, other bytes, old mtime: only ctime can tell.
              done.push(fs.writeFile(file.path, Buffer.alloc(4 * MiB, 1)).then(() => fs.utimes(file.path, atime, mtime)));
            }
          },
        }),
      ),
      (e: unknown) => CosError.is(e) && e.code === 'FILE_CHANGED',
    );
    await Promise.all(done);
    assert.equal((await fs.stat(file.path)).mtime.getTime(), mtime.getTime(), 'the mtime really was restored');
    assert.ok(!emu.log.some((e) => e.key === 'changed/ctime.bin' && e.operation === 'complete'), 'nothing completed');
  });

  it('refuses to resume a file that changed since, and keeps the checkpoint', async () => {
    const file = await makeFile(3 * MiB);
    const key = 'resume/changed.bin';
    const store = new FileCheckpointStore(await tempDir('cos-ckpt-'));
    emu.faults.add({ operation: 'uploadPart', partNumber: 2, fault: 'status', status: 400, code: 'InvalidArgument' });
    await assert.rejects(uploadFile(request(file.path, key, { concurrency: 1 }, { checkpoints: store })));
    await fs.appendFile(file.path, 'more');
    await assert.rejects(uploadFile(request(file.path, key, {}, { checkpoints: store })), (error: unknown) => {
      assert.ok(CosError.is(error) && error.code === 'FILE_CHANGED');
      return true;
    });
    assert.equal((await store.list()).length, 1, 'checkpoint kept');
  });
});
