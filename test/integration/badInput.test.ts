/**
 * Bad input, and bad answers: each ends in a clear message that names the problem, and nothing is
 * lost: no object is reported done, no resumable state is thrown away, and whatever could be
 * resumed is resumed to a byte-identical object.
 *
 * Local problems (file, key, bucket, region, endpoint, options, SSE-C key) must be refused before a
 * single request is sent. Answers COS would never give (malformed or truncated XML, an HTML page
 * from a proxy, a 200 carrying an Error, an ETag or CRC64 that does not match) come from a
 * rewriting proxy in front of the emulator, or from the emulator's own faults.
 */

import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, promises as fs, truncateSync, utimesSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CosError,
  FileCheckpointStore,
  staticCredentials,
  uploadFile,
  type UploadEvent,
  type UploadOptions,
  type UploadRequest,
  type UploadResult,
} from '../../src/core';
import { headerOf, passThrough, startMutatingProxy, withHeader, type MutatingProxy, type ProxyHandler } from '../faultMatrix/mutatingProxy';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { baseEnv, CLI, ensureBundle, killLiveChildren, runCli, type RunResult } from './cliHarness';

const MiB = 1024 * 1024;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('bad input and bad answers: a clear message, nothing lost', function () {
  this.timeout(60_000);
  let emu: RunningEmulator;
  let proxy: MutatingProxy;
  let work: string;

  before(async () => {
    emu = await startEmulator();
    proxy = await startMutatingProxy(emu.url);
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-bad-input-'));
  });
  after(async () => {
    await proxy?.close();
    await emu?.close();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });
  beforeEach(() => {
    emu.faults.clear();
    proxy.setHandler(async (_req, forward) => passThrough(await forward()));
  });

  let counter = 0;
  async function writeFile(size: number, name = `f${++counter}.bin`): Promise<{ path: string; data: Buffer }> {
    const data = randomBytes(size);
    const file = path.join(work, name);
    await fs.writeFile(file, data);
    return { path: file, data };
  }

  /** A named pipe nobody writes to: a blocking open of it would never return. */
  function fifo(): string {
    const file = path.join(work, `fifo-${++counter}`);
    execFileSync('mkfifo', [file]);
    return file;
  }

  async function newStore(): Promise<FileCheckpointStore> {
    return new FileCheckpointStore(await fs.mkdtemp(path.join(work, 'state-')));
  }

  function request(filePath: string, key: string, options: Partial<UploadOptions> = {}, extra: Partial<UploadRequest> = {}): UploadRequest {
    return {
      filePath,
      key,
      target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url },
      credentials: staticCredentials(emu.credentials),
      options: { partSize: MiB, multipartThreshold: 0, concurrency: 1, retries: 2, requestTimeoutMs: 2_000, ...options },
      ...extra,
    };
  }

  /** Through the rewriting proxy instead of straight to the emulator. */
  function viaProxy(req: UploadRequest): UploadRequest {
    return { ...req, target: { ...req.target, endpoint: proxy.url } };
  }

  async function failure(promise: Promise<UploadResult>): Promise<CosError> {
    const error = await promise.then(
      (result) => assert.fail(`expected a failure, got a result: ${JSON.stringify(result)}`),
      (e: unknown) => e,
    );
    assert.ok(CosError.is(error), `not a CosError: ${String(error)}`);
    return error;
  }

  function requestsFor(key: string, operation?: string) {
    return emu.log.filter((e) => e.key === key && (operation === undefined || e.operation === operation));
  }

  async function assertStored(key: string, data: Buffer): Promise<void> {
    assert.equal(await emu.objectSha256(key), sha256(data), `${key} is byte-identical`);
  }

  describe('refused before any request is sent', () => {
    let file: { path: string; data: Buffer };
    let sent: number;
    before(async () => {
      file = await writeFile(2 * MiB);
    });
    beforeEach(() => {
      sent = emu.log.length;
    });
    afterEach(() => {
      assert.equal(emu.log.length, sent, 'no request was sent');
    });

    const cases: Array<[string, () => UploadRequest, string, RegExp]> = [
      ['a missing file', () => request(path.join(work, 'no-such-file.bin'), 'bad/missing.bin'), 'FILE_NOT_FOUND', /does not exist: .*no-such-file\.bin$/],
      ['a folder', () => request(work, 'bad/folder.bin'), 'FILE_NOT_A_FILE', /regular files.*folder/],
      ['a FIFO with no writer (must not hang)', () => request(fifo(), 'bad/fifo.bin'), 'FILE_NOT_A_FILE', /regular files.*special file/],
      ['a key longer than 850 bytes', () => request(file.path, 'k'.repeat(851)), 'INVALID_ARGUMENT', /Object key is 851 bytes.*850/],
      ['a key with a control character', () => request(file.path, 'bad\u0007key.bin'), 'INVALID_ARGUMENT', /control character U\+0007/],
      ['a key that is not valid Unicode', () => request(file.path, 'bad\ud800.bin'), 'INVALID_ARGUMENT', /lone surrogate/],
      ['a key with a ".." segment', () => request(file.path, 'a/../b.bin'), 'INVALID_ARGUMENT', /"\." or "\.\." path segments/],
      ['a key starting with "/"', () => request(file.path, '/abs.bin'), 'INVALID_ARGUMENT', /must not start with "\/"/],
      ['a key ending with "/"', () => request(file.path, 'dir/'), 'INVALID_ARGUMENT', /must not end with "\/"/],
      ['an empty key', () => request(file.path, ''), 'INVALID_ARGUMENT', /Object key is empty/],
      ['a bucket without an appid', () => ({ ...request(file.path, 'k.bin'), target: { bucket: 'examplebucket', region: emu.region, endpoint: emu.url } }), 'INVALID_ARGUMENT', /Bucket name is invalid: "examplebucket".*<name>-<appid>/],
      ['a bucket with capitals', () => ({ ...request(file.path, 'k.bin'), target: { bucket: 'Example-1250000000', region: emu.region, endpoint: emu.url } }), 'INVALID_ARGUMENT', /Bucket name is invalid/],
      ['a region with an underscore', () => ({ ...request(file.path, 'k.bin'), target: { bucket: emu.bucket, region: 'ap_guangzhou', endpoint: emu.url } }), 'INVALID_ARGUMENT', /Region is invalid: "ap_guangzhou"/],
      ['an endpoint that is not http(s)', () => ({ ...request(file.path, 'k.bin'), target: { bucket: emu.bucket, region: emu.region, endpoint: 'ftp://127.0.0.1:1' } }), 'INVALID_ARGUMENT', /must use http or https, not ftp/],
      ['an endpoint with a path', () => ({ ...request(file.path, 'k.bin'), target: { bucket: emu.bucket, region: emu.region, endpoint: `${emu.url}/bucket` } }), 'INVALID_ARGUMENT', /without path, query or fragment/],
      ['plain http to a remote host', () => ({ ...request(file.path, 'k.bin'), target: { bucket: emu.bucket, region: emu.region, endpoint: 'http://cos.example.com' } }), 'INVALID_ARGUMENT', /unencrypted/],
      ['a part size below 1 MiB', () => request(file.path, 'k.bin', { partSize: 1000 }), 'INVALID_ARGUMENT', /Part size 1000 bytes is out of range/],
      ['a part size above 5 GiB', () => request(file.path, 'k.bin', { partSize: 6 * 1024 * MiB }), 'INVALID_ARGUMENT', /Part size \d+ bytes is out of range/],
      ['a concurrency of 0', () => request(file.path, 'k.bin', { concurrency: 0 }), 'INVALID_ARGUMENT', /concurrency 0 is out of range/],
      ['a concurrency of 65', () => request(file.path, 'k.bin', { concurrency: 65, maxConcurrency: 65 }), 'INVALID_ARGUMENT', /concurrency 65 is out of range/],
      ['a max concurrency below the concurrency', () => request(file.path, 'k.bin', { concurrency: 4, maxConcurrency: 2 }), 'INVALID_ARGUMENT', /maxConcurrency 2 is out of range: use a whole number from 4/],
      ['a traffic limit below COS’s minimum', () => request(file.path, 'k.bin', { trafficLimit: 1000 }), 'INVALID_ARGUMENT', /trafficLimit 1000 bit\/s is out of range/],
      ['a traffic limit above COS’s maximum', () => request(file.path, 'k.bin', { trafficLimit: 1e10 }), 'INVALID_ARGUMENT', /trafficLimit 10000000000 bit\/s is out of range/],
      ['a negative retry count', () => request(file.path, 'k.bin', { retries: -1 }), 'INVALID_ARGUMENT', /retries -1 is out of range/],
    ];
    for (const [what, make, code, message] of cases) {
      it(`${what}: ${code}`, async () => {
        const req = make();
        const error = await failure(uploadFile(req));
        assert.equal(error.code, code, error.message);
        assert.match(error.message, message);
      });
    }

    it('an endpoint with a password is refused without echoing the password', async () => {
      const req = { ...request(file.path, 'k.bin'), target: { bucket: emu.bucket, region: emu.region, endpoint: 'https://user:hunter2-password@cos.example.com' } };
      const error = await failure(uploadFile(req));
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.match(error.message, /must not contain a user name or password/);
      assert.doesNotMatch(error.message, /hunter2/);
    });

    for (const [what, key] of [
      ['16 bytes', randomBytes(16).toString('base64')],
      ['33 bytes', randomBytes(33).toString('base64')],
      ['not base64', `${randomBytes(30).toString('hex')}!`],
    ] as const) {
      it(`an SSE-C key of ${what} is refused without echoing it`, async () => {
        const error = await failure(uploadFile(request(file.path, 'k.bin', { sse: { type: 'SSE-C', key } })));
        assert.equal(error.code, 'INVALID_ARGUMENT');
        assert.match(error.message, /SSE-C key is invalid: it must be 32 bytes/);
        assert.ok(!error.message.includes(key), 'the key is not in the message');
      });
    }
  });

  describe('the file changes during the upload', () => {
    const changes: Array<[string, (file: string) => void, RegExp]> = [
      ['grows', (file) => appendFileSync(file, 'more bytes'), /size \d+ → \d+ bytes/],
      ['shrinks', (file) => truncateSync(file, MiB + 10), /size \d+ → \d+ bytes|became shorter/],
      ['is touched (mtime only)', (file) => utimesSync(file, new Date(), new Date(Date.now() + 60_000)), /modification time changed/],
    ];
    for (const [what, change, detail] of changes) {
      it(`${what} between parts: FILE_CHANGED, no Complete sent, the checkpoint kept; a restart uploads the new content`, async () => {
        const file = await writeFile(4 * MiB);
        const key = `changed/${what.split(' ')[0]}.bin`;
        const store = await newStore();
        const error = await failure(
          uploadFile(request(file.path, key, {}, {
            checkpoints: store,
            onEvent: (e: UploadEvent) => {
              if (e.type === 'part' && e.partNumber === 2) change(file.path);
            },
          })),
        );
        assert.equal(error.code, 'FILE_CHANGED');
        assert.match(error.message, detail);
        assert.match(error.message, new RegExp(`${path.basename(file.path)}$`), 'the message names the file');
        assert.equal(requestsFor(key, 'complete').length, 0, 'no Complete was sent');
        assert.equal(emu.objectInfo(key), undefined, 'no object was created');
        const [saved] = await store.list();
        assert.ok(saved && saved.checkpoint.parts.length >= 2, 'the checkpoint with the parts sent is kept');

        // The same upload again refuses to stitch old parts to new bytes, and still keeps the checkpoint.
        const again = await failure(uploadFile(request(file.path, key, {}, { checkpoints: store })));
        assert.equal(again.code, 'FILE_CHANGED');
        assert.match(again.message, /changed since upload .* was interrupted/);
        assert.equal((await store.list()).length, 1);

        // Asked to, it aborts the old upload and sends the file as it is now.
        const events: UploadEvent[] = [];
        await uploadFile(request(file.path, key, {}, { checkpoints: store, onFileChanged: 'restart', onEvent: (e) => events.push(e) }));
        const restarted = events.find((e) => e.type === 'restarted');
        assert.equal(restarted?.type === 'restarted' && restarted.cause, 'FILE_CHANGED');
        await assertStored(key, await fs.readFile(file.path));
        assert.equal((await store.list()).length, 0);
      });
    }
  });

  describe('an empty file', () => {
    for (const [how, threshold] of [['in one Put Object', 8 * MiB], ['as a multipart upload of one empty part', 0]] as const) {
      it(`uploads ${how}, byte-identical`, async () => {
        const file = await writeFile(0);
        const key = `empty/${threshold}.bin`;
        const result = await uploadFile(request(file.path, key, { multipartThreshold: threshold }));
        assert.equal(result.bytes, 0);
        assert.equal(result.crc64, '0');
        assert.equal(result.crc64Verified, true);
        assert.equal(emu.objectInfo(key)?.size, 0);
        await assertStored(key, Buffer.alloc(0));
      });
    }
  });

  describe('answers COS would never give', () => {
    /** Rewrites the answers to `operation` (all, or the first `times`) with `rewrite`, passing the rest through. */
    function rewriteAnswers(operation: string, rewrite: ProxyHandler, times = Infinity): { hits: () => number } {
      let hits = 0;
      proxy.setHandler(async (req, forward) => {
        if (req.operation === operation && hits < times) {
          hits++;
          return rewrite(req, forward);
        }
        return passThrough(await forward());
      });
      return { hits: () => hits };
    }

    const truncated: ProxyHandler = async (_req, forward) => {
      const answer = await forward();
      return passThrough({ ...answer, body: answer.body.subarray(0, Math.floor(answer.body.length / 2)) });
    };

    const proxyPage = (status: number) =>
      Buffer.from(`<!DOCTYPE html>\n<html><head><title>${status} Bad Gateway</title></head><body><h1>${status}</h1><p>The proxy could not reach the server.</p></body></html>`);

    const htmlAnswer =
      (status: number): ProxyHandler =>
      async () => ({ kind: 'answer', status, headers: [['Content-Type', 'text/html'], ['Content-Length', String(proxyPage(status).length)]], body: proxyPage(status) });

    it('truncated XML from Initiate: BAD_RESPONSE naming it, nothing to resume, a rerun completes', async () => {
      const file = await writeFile(2 * MiB + 3);
      const key = 'xml/initiate.bin';
      const store = await newStore();
      rewriteAnswers('initiate', truncated);
      const error = await failure(uploadFile(viaProxy(request(file.path, key, {}, { checkpoints: store }))));
      assert.equal(error.code, 'BAD_RESPONSE');
      assert.match(error.message, /Initiate Multipart Upload returned malformed or truncated XML/);
      assert.ok(error.requestId, 'the request id is kept for support');
      assert.equal((await store.list()).length, 0, 'no upload id was learnt, so there is nothing to resume');
      proxy.setHandler(async (_req, forward) => passThrough(await forward()));
      await uploadFile(viaProxy(request(file.path, key, {}, { checkpoints: store })));
      await assertStored(key, file.data);
    });

    it('truncated XML from List Parts during a resume: BAD_RESPONSE, the checkpoint kept, the next resume completes', async () => {
      const file = await writeFile(3 * MiB + 3);
      const key = 'xml/list-parts.bin';
      const store = await newStore();
      emu.faults.add({ operation: 'uploadPart', partNumber: 3, fault: 'status', status: 400, code: 'InvalidArgument' });
      await failure(uploadFile(viaProxy(request(file.path, key, {}, { checkpoints: store }))));
      const rule = rewriteAnswers('listParts', truncated);
      const error = await failure(uploadFile(viaProxy(request(file.path, key, {}, { checkpoints: store }))));
      assert.equal(rule.hits(), 1, 'not retried: a malformed list is not a network hiccup');
      assert.equal(error.code, 'BAD_RESPONSE');
      assert.match(error.message, /List Parts returned malformed or truncated XML/);
      const [saved] = await store.list();
      assert.equal(saved?.checkpoint.parts.length, 2, 'the checkpoint is kept as it was');
      proxy.setHandler(async (_req, forward) => passThrough(await forward()));
      const result = await uploadFile(viaProxy(request(file.path, key, {}, { checkpoints: store })));
      assert.equal(result.resumedParts, 2);
      await assertStored(key, file.data);
    });

    it('a truncated Complete answer is retried; the object is then found complete and verified', async () => {
      const file = await writeFile(2 * MiB + 3);
      const key = 'xml/complete.bin';
      const rule = rewriteAnswers('complete', truncated, 1);
      const result = await uploadFile(viaProxy(request(file.path, key)));
      assert.equal(rule.hits(), 1);
      assert.equal(result.crc64Verified, true);
      await assertStored(key, file.data);
    });

    it('a 200 Complete whose body is a non-retryable <Error>: fails with that error, the upload and checkpoint kept, the resume completes', async () => {
      const file = await writeFile(2 * MiB + 3);
      const key = 'xml/complete-error.bin';
      const store = await newStore();
      const doc = Buffer.from('<?xml version="1.0"?>\n<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found.</Message><RequestId>req-in-200</RequestId></Error>');
      rewriteAnswers('complete', async () => ({ kind: 'answer', status: 200, headers: [['Content-Type', 'application/xml'], ['Content-Length', String(doc.length)]], body: doc }), 1);
      const error = await failure(uploadFile(viaProxy(request(file.path, key, {}, { checkpoints: store }))));
      assert.equal(error.code, 'SERVICE_ERROR');
      assert.match(error.message, /Complete Multipart Upload failed with InvalidPart \(HTTP 200\): One or more of the specified parts could not be found/);
      assert.equal(error.requestId, 'req-in-200');
      assert.equal(emu.objectInfo(key), undefined, 'no object');
      assert.equal((await store.list()).length, 1, 'the checkpoint is kept');
      const result = await uploadFile(viaProxy(request(file.path, key, {}, { checkpoints: store })));
      assert.equal(result.resumedParts, 3);
      await assertStored(key, file.data);
    });

    it('an HTML page from a proxy with 200 instead of the Initiate answer: BAD_RESPONSE that says so', async () => {
      const file = await writeFile(MiB + 1);
      rewriteAnswers('initiate', htmlAnswer(200));
      const error = await failure(uploadFile(viaProxy(request(file.path, 'html/200.bin'))));
      assert.equal(error.code, 'BAD_RESPONSE');
      assert.match(error.message, /returned an HTML page instead of COS XML.*proxy or captive portal/);
    });

    it('an HTML 403 page from a proxy is not mistaken for a COS access denial', async () => {
      const file = await writeFile(MiB + 1);
      rewriteAnswers('initiate', htmlAnswer(403));
      const error = await failure(uploadFile(viaProxy(request(file.path, 'html/403.bin'))));
      assert.equal(error.code, 'SERVICE_ERROR');
      assert.equal(error.retryable, false);
      assert.match(error.message, /HTTP 403.*HTML page, not a COS document: a proxy or captive portal/);
    });

    it('a 502 HTML page from a proxy is retried; when it persists, the message says a proxy answered, and the resume completes', async () => {
      const file = await writeFile(3 * MiB + 3);
      const key = 'html/502.bin';
      const once = rewriteAnswers('uploadPart', htmlAnswer(502), 1);
      await uploadFile(viaProxy(request(file.path, key)));
      assert.equal(once.hits(), 1);
      await assertStored(key, file.data);

      const persistentKey = 'html/502-persistent.bin';
      const store = await newStore();
      let partOneDone = false;
      proxy.setHandler(async (req, forward) => {
        if (req.operation === 'uploadPart' && partOneDone) return htmlAnswer(502)(req, forward);
        if (req.operation === 'uploadPart') partOneDone = true;
        return passThrough(await forward());
      });
      const error = await failure(uploadFile(viaProxy(request(file.path, persistentKey, {}, { checkpoints: store }))));
      assert.equal(error.code, 'SERVICE_ERROR');
      assert.match(error.message, /Upload Part 2 failed with HTTP 502.*HTML error page.*proxy/);
      assert.equal(emu.objectInfo(persistentKey), undefined);
      assert.equal((await store.list())[0]?.checkpoint.parts.length, 1, 'part 1 is kept in the checkpoint');
      proxy.setHandler(async (_req, forward) => passThrough(await forward()));
      const result = await uploadFile(viaProxy(request(file.path, persistentKey, {}, { checkpoints: store })));
      assert.equal(result.resumedParts, 1);
      await assertStored(persistentKey, file.data);
    });

    it('with Content-MD5, an ETag that never matches: INTEGRITY naming the part, no Complete, the checkpoint kept, the resume completes', async () => {
      const file = await writeFile(3 * MiB + 3);
      const key = 'integrity/etag.bin';
      const store = await newStore();
      const rule = rewriteAnswers('uploadPart', async (req, forward) => {
        const answer = await forward();
        if (req.partNumber !== 2) return passThrough(answer);
        return passThrough({ ...answer, headers: withHeader(answer.headers, 'ETag', `"${'0'.repeat(32)}"`) });
      });
      const error = await failure(uploadFile(viaProxy(request(file.path, key, { contentMd5: true }, { checkpoints: store }))));
      assert.ok(rule.hits() >= 2);
      assert.equal(error.code, 'INTEGRITY');
      assert.match(error.message, /ETag \(MD5\) of part 2 does not match: expected "[0-9a-f]{32}", COS returned "0{32}"/);
      assert.equal(requestsFor(key, 'complete').length, 0, 'no Complete was sent');
      assert.equal(requestsFor(key, 'uploadPart').filter((e) => e.partNumber === 2).length, 3, 'part 2 was sent once and again twice (retries: 2)');
      assert.equal((await store.list()).length, 1, 'the checkpoint is kept');
      proxy.setHandler(async (_req, forward) => passThrough(await forward()));
      const result = await uploadFile(viaProxy(request(file.path, key, {}, { checkpoints: store })));
      assert.ok(result.resumedParts >= 1);
      await assertStored(key, file.data);
    });

    it('without Content-MD5, an ETag that never matches: Complete refuses it, the part goes once more, then InvalidPart naming it; the resume completes', async () => {
      const file = await writeFile(3 * MiB + 3);
      const key = 'integrity/etag-no-md5.bin';
      const store = await newStore();
      rewriteAnswers('uploadPart', async (req, forward) => {
        const answer = await forward();
        if (req.partNumber !== 2) return passThrough(answer);
        return passThrough({ ...answer, headers: withHeader(answer.headers, 'ETag', `"${'0'.repeat(32)}"`) });
      });
      const error = await failure(uploadFile(viaProxy(request(file.path, key, {}, { checkpoints: store }))));
      assert.equal(error.code, 'SERVICE_ERROR');
      assert.match(error.message, /Complete Multipart Upload failed with InvalidPart .*part 2/);
      assert.deepEqual(
        requestsFor(key, 'complete').map((e) => e.status),
        [400, 400],
        'Complete refused the list, part 2 went again, Complete refused it again',
      );
      assert.equal(requestsFor(key, 'uploadPart').filter((e) => e.partNumber === 2).length, 2);
      assert.equal(requestsFor(key, 'uploadPart').filter((e) => e.partNumber === 1).length, 1, 'the parts COS lists as recorded are not sent again');
      assert.equal(emu.objectInfo(key), undefined, 'nothing was completed');
      assert.equal((await store.list()).length, 1, 'the checkpoint is kept');
      proxy.setHandler(async (_req, forward) => passThrough(await forward()));
      const result = await uploadFile(viaProxy(request(file.path, key, {}, { checkpoints: store })));
      // Part 2's recorded ETag is wrong, but COS holds the file's bytes under its real one: re-hashed and adopted.
      assert.equal(result.resumedParts, 4, 'all 4 parts kept');
      assert.equal(requestsFor(key, 'uploadPart').filter((e) => e.partNumber === 2).length, 2, 'part 2 was not sent a third time');
      await assertStored(key, file.data);
    });

    it('a CRC64 that never matches: INTEGRITY naming the part, no Complete, the checkpoint kept, the resume completes', async () => {
      const file = await writeFile(3 * MiB + 3);
      const key = 'integrity/crc.bin';
      const store = await newStore();
      const rule = emu.faults.add({ operation: 'uploadPart', partNumber: 3, fault: 'wrongCrc', times: 'always' });
      const error = await failure(uploadFile(request(file.path, key, {}, { checkpoints: store })));
      assert.equal(rule.hits, 3, 'sent once and again twice (retries: 2)');
      assert.equal(error.code, 'INTEGRITY');
      assert.match(error.message, /CRC64 of part 3 does not match: expected \d+, COS returned \d+/);
      assert.equal(requestsFor(key, 'complete').length, 0);
      emu.faults.clear();
      const result = await uploadFile(request(file.path, key, {}, { checkpoints: store }));
      // COS does hold part 3 (only its CRC64 answer was wrong): re-read, its MD5 is the ETag COS lists, adopted.
      assert.equal(result.resumedParts, 3);
      await assertStored(key, file.data);
    });

    it('a whole-object CRC64 that does not match after Complete is an INTEGRITY failure, never a success', async () => {
      const file = await writeFile(2 * MiB + 3);
      const key = 'integrity/object-crc.bin';
      rewriteAnswers('complete', async (_req, forward) => {
        const answer = await forward();
        const crc = headerOf(answer.headers, 'x-cos-hash-crc64ecma') ?? '0';
        return passThrough({ ...answer, headers: withHeader(answer.headers, 'x-cos-hash-crc64ecma', String(BigInt(crc) ^ 1n)) });
      });
      const error = await failure(uploadFile(viaProxy(request(file.path, key))));
      assert.equal(error.code, 'INTEGRITY');
      assert.match(error.message, /Whole-object CRC64 after Complete Multipart Upload does not match/);
    });
  });

  describe('the CLI', () => {
    let env: NodeJS.ProcessEnv;
    before(async () => {
      await ensureBundle();
      env = baseEnv({ COS_SECRET_ID: emu.credentials.secretId, COS_SECRET_KEY: emu.credentials.secretKey });
    });
    afterEach(killLiveChildren);

    const target = () => ['--bucket', emu.bucket, '--region', emu.region, '--endpoint', emu.url, '--state-dir', path.join(work, 'cli-state')];

    it('refuses bad input with exit code 2 or 1, one clear line, and no request', async () => {
      const file = (await writeFile(2 * MiB)).path;
      const cases: Array<[string, string[], number, RegExp, NodeJS.ProcessEnv?]> = [
        ['missing file', ['upload', path.join(work, 'nope.bin'), ...target()], 1, /^error FILE_NOT_FOUND: .*does not exist: .*nope\.bin$/m],
        ['folder upload with --delete', ['upload', work, ...target(), '--delete'], 2, /use cos-upload sync <dir> --delete/],
        ['sync of a missing folder', ['sync', path.join(work, 'nope'), ...target()], 1, /^error FILE_NOT_FOUND: The folder to sync does not exist: .*nope$/m],
        ['key too long', ['upload', file, '--key', 'k'.repeat(851), ...target()], 2, /^error INVALID_ARGUMENT: Object key is 851 bytes/m],
        ['key with a control character', ['upload', file, '--key', 'a\tb', ...target()], 2, /^error INVALID_ARGUMENT: Object key contains the control character U\+0009/m],
        ['bad bucket', ['upload', file, ...target(), '--bucket', 'nobucket'], 2, /^error INVALID_ARGUMENT: Bucket name is invalid: "nobucket"/m],
        ['bad region', ['upload', file, ...target(), '--region', 'Guangzhou'], 2, /^error INVALID_ARGUMENT: Region is invalid: "Guangzhou"/m],
        ['bad endpoint', ['upload', file, ...target(), '--endpoint', 'cos.example.com'], 2, /^error INVALID_ARGUMENT: Endpoint is not a URL/m],
        ['part size too small', ['upload', file, ...target(), '--part-size', '512KiB'], 2, /^error INVALID_ARGUMENT: Part size 524288 bytes is out of range/m],
        ['part size not a size', ['upload', file, ...target(), '--part-size', 'big'], 2, /--part-size takes a size/],
        ['concurrency 0', ['upload', file, ...target(), '--concurrency', '0'], 2, /--concurrency must be from 1/],
        ['concurrency 100', ['upload', file, ...target(), '--concurrency', '100'], 2, /concurrency 100 is out of range: use a whole number from 1 to 64/],
        ['traffic limit too low', ['upload', file, ...target(), '--traffic-limit', '1000'], 2, /trafficLimit 1000 bit\/s is out of range/],
        ['traffic limit in bytes', ['upload', file, ...target(), '--traffic-limit', '10MB'], 2, /--traffic-limit takes bits per second/],
        ['SSE-C key of 16 bytes', ['upload', file, ...target(), '--sse', 'SSE-C'], 2, /COS_SSE_C_KEY must be the base64 of exactly 32 bytes/, { COS_SSE_C_KEY: randomBytes(16).toString('base64') }],
        ['SSE-C without a key', ['upload', file, ...target(), '--sse', 'SSE-C'], 2, /set COS_SSE_C_KEY/],
      ];
      const sent = emu.log.length;
      for (const [what, args, code, message, extraEnv] of cases) {
        const result = await runCli(args, { ...env, ...extraEnv });
        assert.equal(result.code, code, `${what}: exit ${String(result.code)}\n${result.stderr}`);
        assert.match(result.stderr, message, what);
        assert.equal(result.stdout, '', `${what}: nothing on stdout`);
      }
      assert.equal(emu.log.length, sent, 'no request was sent');
    });

    it('an unreadable file: FILE_UNREADABLE naming the permission problem, and no request', async () => {
      // As root every file is readable, so the CLI runs as nobody then.
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-unreadable-'));
      try {
        await fs.chmod(dir, 0o777);
        const file = path.join(dir, 'secret.bin');
        await fs.writeFile(file, randomBytes(MiB + 1));
        await fs.chmod(file, 0o000);
        const args = ['upload', file, '--bucket', emu.bucket, '--region', emu.region, '--endpoint', emu.url, '--state-dir', path.join(dir, 'state')];
        const sent = emu.log.length;
        const result = process.getuid?.() === 0 ? await runAsNobody(args, env) : await runCli(args, env);
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, /^error FILE_UNREADABLE: The file cannot be read \(permission denied\); check its permissions: .*secret\.bin$/m);
        assert.equal(emu.log.length, sent, 'no request was sent');
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  });
});

const NOBODY = 65534;

/** `node dist/cli.js ...args` as the unprivileged user nobody (for permission tests run as root). */
function runAsNobody(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, HOME: os.tmpdir() }, uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
