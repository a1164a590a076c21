/**
 * Fuzzing the answers, not just the XML (test/unit/xml.test.ts does that): a rewriting proxy sits
 * between the real CosClient / uploadFile and the emulator and, driven by a seeded PRNG, mutates
 * statuses (any code, 1xx interim answers, unusual 2xx), the headers the client reads (ETag,
 * x-cos-hash-crc64ecma, Content-Length, Retry-After, Date, x-cos-request-id: dropped, emptied,
 * duplicated, off by one, out of range, non-ASCII, enormous), bodies (truncated, flipped, replaced
 * by HTML or an Error document) and the connection itself (closed, held, cut mid-answer). In some
 * cases it also damages an uploaded body on the way and re-signs the request, so the emulator
 * stores different bytes and answers with honest hashes of them.
 *
 * Every case must end within a bound, either in a result that is right (for uploadFile: the stored
 * object byte-identical to the file, unless COS gave no CRC64 to check it with and said so through
 * crc64Verified: false) or in a CosError with a known code and a message. A failure names its seed
 * and case number; rerun one with RESPONSE_FUZZ_SEED=<seed>.
 */

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { CosClient } from '../../src/core/cosClient';
import { staticCredentials } from '../../src/core/credentials';
import { CosError, type CosErrorCode } from '../../src/core/errors';
import { uploadFile } from '../../src/core/multipartUpload';
import { signAuthorization } from '../../src/core/signer';
import type { Credentials } from '../../src/core/types';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { headerOf, passThrough, startMutatingProxy, withHeader, type MutatingProxy, type ProxiedRequest, type ProxyReply, type UpstreamAnswer } from '../faultMatrix/mutatingProxy';
import { prng, type Rand } from '../seededRandom';

const MiB = 1024 * 1024;
const CODES: ReadonlySet<CosErrorCode> = new Set<CosErrorCode>([
  'INVALID_ARGUMENT',
  'FILE_NOT_FOUND',
  'FILE_NOT_A_FILE',
  'FILE_UNREADABLE',
  'FILE_CHANGED',
  'SERVICE_ERROR',
  'ACCESS_DENIED',
  'INVALID_SECRET_ID',
  'SIGNATURE_MISMATCH',
  'CLOCK_SKEW',
  'CREDENTIALS_EXPIRED',
  'NO_SUCH_BUCKET',
  'NO_SUCH_UPLOAD',
  'OBJECT_EXISTS',
  'NETWORK',
  'TIMEOUT',
  'BAD_RESPONSE',
  'INTEGRITY',
  'CHECKPOINT',
]);
/** No case may take longer; the slowest legitimate one waits out a few 1 s timeouts and backoffs. */
const CASE_LIMIT_MS = 15_000;



const int = (rand: Rand, max: number) => Math.floor(rand() * max);
const pick = <T>(rand: Rand, items: readonly T[]): T => items[int(rand, items.length)];
const chance = (rand: Rand, p: number) => rand() < p;
const hex = (rand: Rand, n: number) => Array.from({ length: n }, () => '0123456789abcdef'[int(rand, 16)]).join('');
const latin1Junk = (rand: Rand, n: number) => Array.from({ length: n }, () => String.fromCharCode(0x80 + int(rand, 0x80))).join('');

const STATUSES = [100, 101, 200, 201, 202, 204, 206, 299, 301, 302, 304, 307, 400, 401, 403, 404, 405, 408, 409, 412, 416, 429, 500, 501, 502, 503, 504, 599, 999];
const COS_CODES = [
  'InternalError',
  'SlowDown',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'AccessDenied',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'NoSuchUpload',
  'NoSuchBucket',
  'BadDigest',
  'InvalidPart',
  'EntityTooSmall',
  'InvalidArgument',
  'FileAlreadyExists',
  'SomethingNew',
];

function errorDoc(rand: Rand): string {
  const code = pick(rand, COS_CODES);
  const message = code === 'AccessDenied' && chance(rand, 0.5) ? 'Request has expired' : pick(rand, ['m', '', 'x'.repeat(2000), '<&>']);
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>${hex(rand, 16)}</RequestId></Error>`;
}

function mutateEtag(rand: Rand, etag: string | undefined): string | undefined {
  const e = etag ?? '"d41d8cd98f00b204e9800998ecf8427e"';
  return pick(rand, [
    () => undefined,
    () => '',
    () => e.toUpperCase(),
    () => e.replace(/"/g, ''),
    () => `W/${e}`,
    () => `"${hex(rand, 32)}"`,
    () => `"${hex(rand, 31)}"`,
    () => `${e}, ${e}`,
    () => `  ${e}  `,
    () => 'x'.repeat(5000),
    () => `"${latin1Junk(rand, 8)}"`,
    () => `${e}-2`,
  ])();
}

function mutateCrc(rand: Rand, crc: string | undefined): string | undefined {
  const c = crc ?? '0';
  const n = /^\d+$/.test(c) ? BigInt(c) : 0n;
  return pick(rand, [
    () => undefined,
    () => '',
    () => String(n + 1n),
    () => `0${c}`,
    () => `0x${n.toString(16)}`,
    () => `-${c}`,
    () => String(2n ** 64n),
    () => String(n + 2n ** 64n),
    () => ` ${c} `,
    () => 'abc',
    () => `${c}, ${c}`,
    () => '9'.repeat(40),
    () => latin1Junk(rand, 5),
  ])();
}

function mutateDate(rand: Rand): string | undefined {
  return pick(rand, [
    () => undefined,
    () => 'garbage',
    () => new Date(4_102_444_800_000).toUTCString(),
    () => 'Thu, 01 Jan 1970 00:00:00 GMT',
    () => new Date(Date.now() + 3_600_000).toUTCString(),
    () => new Date(Date.now() - 3_600_000).toUTCString(),
    () => new Date().toUTCString(),
    () => '',
  ])();
}

/** Retry-After values that cannot hold a case up for long: the client honours up to 60 s. */
function mutateRetryAfter(rand: Rand): string {
  return pick(rand, ['0', '-1', 'soon', '', '0.5', 'Wed, 21 Oct 2015 07:28:00 GMT', new Date(Date.now() + 200).toUTCString(), ' 0 ', '0, 0']);
}

function mutateRequestId(rand: Rand): string | undefined {
  return pick(rand, [() => undefined, () => '', () => 'r'.repeat(10_000), () => latin1Junk(rand, 20), () => '<script>alert(1)</script>', () => 'a, b'])();
}

function htmlPage(status: number): Buffer {
  return Buffer.from(`<!DOCTYPE html><html><head><title>${status}</title></head><body><h1>${status} from a proxy</h1></body></html>`);
}

function mutateBody(rand: Rand, body: Buffer): Buffer {
  return pick(rand, [
    () => body.subarray(0, int(rand, body.length + 1)),
    () => {
      const copy = Buffer.from(body);
      for (let i = 0; i < 1 + int(rand, 4) && copy.length; i++) copy[int(rand, copy.length)] ^= 1 << int(rand, 8);
      return copy;
    },
    () => Buffer.alloc(0),
    () => htmlPage(200),
    () => Buffer.from(errorDoc(rand)),
    () => Buffer.concat([body, body]),
    () => Buffer.from(`   \n${body.toString('latin1')}`, 'latin1'),
    () => randomBytesFrom(rand, int(rand, 300)),
  ])();
}

function randomBytesFrom(rand: Rand, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => int(rand, 256)));
}

/** The request's body damaged on the way, Content-MD5 and signature made to match, as a broken middlebox would. */
function damagedRequest(rand: Rand, req: ProxiedRequest, credentials: Credentials): { headers: Record<string, string>; body: Buffer } {
  const body = Buffer.from(req.body);
  body[int(rand, body.length)] ^= 1 << int(rand, 8);
  const headers: Record<string, string> = { ...req.headers, 'content-md5': createHash('md5').update(body).digest('base64') };
  delete headers.authorization;
  const q = req.target.indexOf('?');
  const pathname = decodeURIComponent(q >= 0 ? req.target.slice(0, q) : req.target);
  const query: Record<string, string> = {};
  for (const pair of (q >= 0 ? req.target.slice(q + 1) : '').split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    query[decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq))] = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
  }
  headers.authorization = signAuthorization({ method: req.method, pathname, query, headers }, { credentials });
  return { headers, body };
}

interface CaseLog {
  mutations: string[];
  /** An uploaded body was damaged before it reached the server. */
  damaged: boolean;
}

/**
 * The proxy's behaviour for one case: each answer is mutated with probability `rate`, in one or
 * two ways picked by `rand`. What was done is written to `log` for the failure message.
 */
function mutator(rand: Rand, rate: number, log: CaseLog, credentials: () => Credentials) {
  return async (req: ProxiedRequest, forward: (changed?: { headers?: Record<string, string>; body?: Buffer }) => Promise<UpstreamAnswer>): Promise<ProxyReply> => {
    if (!chance(rand, rate)) return passThrough(await forward());
    const op = `${req.operation}${req.partNumber ? ` ${req.partNumber}` : ''}`;
    const kind = int(rand, 10);
    const note = (what: string) => log.mutations.push(`${op}: ${what}`);
    switch (kind) {
      case 0: {
        // The proxy answers by itself; the server never sees the request.
        const status = pick(rand, STATUSES.filter((s) => s >= 200));
        const body = pick(rand, [() => Buffer.from(errorDoc(rand)), () => htmlPage(status), () => Buffer.alloc(0), () => randomBytesFrom(rand, 50)])();
        const headers: Array<[string, string]> = [['Content-Length', String(body.length)]];
        if (chance(rand, 0.5)) headers.push(['Retry-After', mutateRetryAfter(rand)]);
        const date = mutateDate(rand);
        if (date !== undefined) headers.push(['Date', date]);
        note(`answered ${status} without forwarding`);
        return { kind: 'answer', status, headers, body };
      }
      case 1: {
        const answer = await forward();
        const status = pick(rand, STATUSES.filter((s) => s >= 200));
        note(`forwarded, then status ${answer.status} → ${status}`);
        const reply = passThrough(answer);
        return reply.kind === 'answer' ? { ...reply, status, headers: chance(rand, 0.5) ? withHeader(reply.headers, 'Retry-After', mutateRetryAfter(rand)) : reply.headers } : reply;
      }
      case 2:
      case 3: {
        const answer = await forward();
        let headers = answer.headers;
        const which = pick(rand, ['etag', 'crc', 'date', 'request-id', 'duplicate', 'content-length'] as const);
        if (which === 'etag') headers = withHeader(headers, 'ETag', mutateEtag(rand, headerOf(headers, 'etag')));
        if (which === 'crc') headers = withHeader(headers, 'x-cos-hash-crc64ecma', mutateCrc(rand, headerOf(headers, 'x-cos-hash-crc64ecma')));
        if (which === 'date') headers = withHeader(headers, 'Date', mutateDate(rand));
        if (which === 'request-id') headers = withHeader(headers, 'x-cos-request-id', mutateRequestId(rand));
        if (which === 'duplicate') headers = [...headers, ...headers.filter(([n]) => /etag|crc64|request-id/i.test(n)).map(([n, v]): [string, string] => [n, `${v}0`])];
        note(`forwarded, ${which} header mutated`);
        const reply = passThrough({ ...answer, headers });
        if (which !== 'content-length' || reply.kind !== 'answer') return reply;
        const length = answer.body.length;
        const lie = pick(rand, [String(length + 1 + int(rand, 100)), String(Math.max(0, length - 1 - int(rand, 10))), 'abc', '-1', `${length}, ${length + 1}`, '', '99999999999']);
        return { ...reply, headers: withHeader(reply.headers, 'Content-Length', lie), then: pick(rand, ['close', 'hold', 'keep'] as const) };
      }
      case 4: {
        const answer = await forward();
        note('forwarded, body mutated');
        return passThrough({ ...answer, body: mutateBody(rand, answer.body) });
      }
      case 5: {
        const forwarded = chance(rand, 0.5);
        if (forwarded) await forward().catch(() => undefined);
        const how = pick(rand, ['close', 'stall'] as const);
        note(`${forwarded ? 'forwarded, then ' : ''}${how}`);
        return { kind: how };
      }
      case 6: {
        const answer = await forward();
        const reply = passThrough(answer);
        if (reply.kind !== 'answer') return reply;
        const cut = int(rand, 200);
        note(`forwarded, answer cut after ${cut} bytes`);
        return { ...reply, cutAfter: cut };
      }
      case 7: {
        const answer = await forward();
        const reply = passThrough(answer);
        if (reply.kind !== 'answer') return reply;
        const interim = pick(rand, [[100], [100, 100], [103], [101]]);
        note(`forwarded, ${interim.join('+')} before the answer`);
        return { ...reply, informational: interim };
      }
      default: {
        if ((req.operation === 'uploadPart' || req.operation === 'putObject') && req.body.length > 0) {
          log.damaged = true;
          note('body damaged on the way (and re-signed)');
          return passThrough(await forward(damagedRequest(rand, req, credentials())));
        }
        note('passed through');
        return passThrough(await forward());
      }
    }
  };
}

/** Settles `work` or fails after `ms`, aborting it through `controller`. */
async function bounded<T>(work: (signal: AbortSignal) => Promise<T>, ms: number, what: string): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`${what} did not settle within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), limit]);
  } finally {
    clearTimeout(timer);
  }
}

function assertTypedError(error: unknown, context: string): asserts error is CosError {
  assert.ok(CosError.is(error), `${context}: not a CosError: ${inspect(error)}`);
  assert.ok(CODES.has(error.code), `${context}: unexpected code ${error.code}: ${error.message}`);
  assert.ok(typeof error.message === 'string' && error.message.length > 0, `${context}: empty message`);
}

/** Runs `task` over `items`, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** The object key a request is for: the decoded path. */
function keyOf(req: ProxiedRequest): string {
  const q = req.target.indexOf('?');
  return decodeURIComponent((q >= 0 ? req.target.slice(0, q) : req.target).slice(1));
}

describe('response fuzz: mutated statuses, headers, bodies and connections', function () {
  this.timeout(60_000);
  let emu: RunningEmulator;
  let proxy: MutatingProxy;
  let work: string;
  const baseSeed = process.env.RESPONSE_FUZZ_SEED ? Number(process.env.RESPONSE_FUZZ_SEED) : 0xc05f;
  /** Cases run side by side; each key's requests go to its own case's mutator. */
  const mutators = new Map<string, ReturnType<typeof mutator>>();
  /** Several cases at once: most of a case's time is spent waiting out timeouts and backoffs. */
  const WIDTH = 8;

  before(async () => {
    emu = await startEmulator();
    proxy = await startMutatingProxy(emu.url, async (req, forward) => {
      const mutate = mutators.get(keyOf(req));
      return mutate ? mutate(req, forward) : passThrough(await forward());
    });
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-response-fuzz-'));
  });
  after(async () => {
    await proxy?.close();
    await emu?.close();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  const target = () => ({ bucket: emu.bucket, region: emu.region, endpoint: proxy.url });

  describe('through uploadFile', () => {
    const BATCHES = 3;
    const CASES_PER_BATCH = 60;
    const outcomes = { success: 0, unverified: 0, failure: 0, damaged: 0 };

    async function uploadCase(seed: number): Promise<void> {
      const rand = prng(seed);
      const size = pick(rand, [0, 1, 4096, MiB + 1, 2 * MiB + int(rand, 1000)]);
      // The bytes need not come from the seed: only the proxy's choices decide what happens.
      const data = randomBytes(size);
      const file = path.join(work, `u${seed}.bin`);
      await fs.writeFile(file, data);
      const key = `fuzz/u-${seed}.bin`;
      const log: CaseLog = { mutations: [], damaged: false };
      mutators.set(key, mutator(rand, pick(rand, [0.1, 0.25, 0.5]), log, () => emu.credentials));
      const context = () => `seed ${seed} (size ${size}): ${log.mutations.join('; ') || 'no mutation'}`;
      const outcome = await bounded(
        (signal) =>
          uploadFile({
            filePath: file,
            key,
            target: target(),
            credentials: staticCredentials(emu.credentials),
            options: {
              partSize: MiB,
              multipartThreshold: chance(rand, 0.8) ? 0 : 8 * MiB,
              concurrency: 1 + int(rand, 2),
              retries: pick(rand, [0, 1, 1, 2]),
              requestTimeoutMs: 500,
            },
            signal,
          }).then(
            (result) => ({ result }),
            (error: unknown) => ({ error }),
          ),
        CASE_LIMIT_MS,
        context(),
      );
      mutators.delete(key);
      await fs.rm(file, { force: true });
      if (log.damaged) outcomes.damaged++;
      if ('error' in outcome) {
        assertTypedError(outcome.error, context());
        outcomes.failure++;
        return;
      }
      const { result } = outcome;
      assert.equal(result.bytes, size, context());
      const stored = await emu.readObject(key).catch(() => undefined);
      const identical = stored !== undefined && stored.equals(data);
      if (result.crc64Verified) {
        assert.ok(identical, `reported verified, but the stored object differs: ${context()}`);
        outcomes.success++;
      } else {
        // COS gave no CRC64 to check with: allowed, and said so. The object must still be right unless bytes were damaged.
        assert.ok(identical || log.damaged, `unverified, and the stored object differs with no damage on the way: ${context()}`);
        outcomes.unverified++;
      }
    }

    for (let batch = 0; batch < BATCHES; batch++) {
      it(`batch ${batch + 1}/${BATCHES}: ${CASES_PER_BATCH} uploads end byte-identical or in a CosError, each within ${CASE_LIMIT_MS / 1000} s`, async () => {
        const seeds = Array.from({ length: CASES_PER_BATCH }, (_, n) => baseSeed + batch * 1000 + n);
        await inParallel(seeds, WIDTH, uploadCase);
      });
    }

    it('covered both ends: many successes, many typed failures, damaged bodies among them', () => {
      assert.equal(outcomes.success + outcomes.unverified + outcomes.failure, BATCHES * CASES_PER_BATCH);
      assert.ok(outcomes.success >= BATCHES * CASES_PER_BATCH * 0.2, `successes: ${JSON.stringify(outcomes)}`);
      assert.ok(outcomes.failure >= BATCHES * CASES_PER_BATCH * 0.1, `failures: ${JSON.stringify(outcomes)}`);
      assert.ok(outcomes.damaged >= 5, `damaged bodies: ${JSON.stringify(outcomes)}`);
    });
  });

  describe('through CosClient calls', () => {
    const CASES = 400;
    let admin: CosClient;
    const seen = { ok: 0, failed: 0 };

    before(() => {
      admin = new CosClient({ target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url }, credentials: staticCredentials(emu.credentials) });
    });
    after(async () => {
      await admin?.close();
    });

    /** An upload with part 1 stored, made directly on the emulator. */
    async function uploadWithPart(key: string): Promise<{ uploadId: string; etag: string }> {
      const { uploadId } = await admin.initiateMultipartUpload(key, {});
      const { etag } = await admin.uploadPart({ key, uploadId, partNumber: 1, data: Buffer.from('x'), contentMd5: createHash('md5').update('x').digest('base64') });
      return { uploadId, etag };
    }

    async function clientCase(seed: number): Promise<void> {
      const rand = prng(seed);
      const key = `fuzz/c-${seed}.bin`;
      const call = pick(rand, ['initiate', 'uploadPart', 'listParts', 'complete', 'head', 'put'] as const);
      const upload = call === 'uploadPart' || call === 'listParts' || call === 'complete' ? await uploadWithPart(key) : undefined;
      if (call === 'head') await admin.putObject(key, randomBytes(int(rand, 100)), {});
      const log: CaseLog = { mutations: [], damaged: false };
      mutators.set(key, mutator(rand, 0.7, log, () => emu.credentials));
      const client = new CosClient({
        target: target(),
        credentials: staticCredentials(emu.credentials),
        retry: { retries: int(rand, 3), baseDelayMs: 1, maxDelayMs: 5 },
        requestTimeoutMs: 250,
      });
      const context = () => `seed ${seed} ${call}: ${log.mutations.join('; ') || 'no mutation'}`;
      const data = randomBytesFrom(rand, 1 + int(rand, 2000));
      const md5 = createHash('md5').update(data).digest('base64');
      try {
        await bounded(
          async (signal) => {
            switch (call) {
              case 'initiate': {
                const r = await client.initiateMultipartUpload(key, {}, signal);
                assert.ok(r.uploadId.length > 0, context());
                return;
              }
              case 'uploadPart': {
                const r = await client.uploadPart({ key, uploadId: upload?.uploadId ?? '', partNumber: 2 + int(rand, 50), data, contentMd5: md5 }, signal);
                assert.ok(typeof r.etag === 'string' && r.etag.length > 0, context());
                assert.ok(r.crc64 === undefined || typeof r.crc64 === 'string', context());
                return;
              }
              case 'listParts': {
                const parts = await client.listParts(key, upload?.uploadId ?? '', signal);
                for (const p of parts) {
                  assert.ok(Number.isSafeInteger(p.partNumber) && p.partNumber >= 1 && p.partNumber <= 10_000, context());
                  assert.ok(Number.isSafeInteger(p.size) && p.size >= 0 && p.etag.length > 0, context());
                }
                return;
              }
              case 'complete': {
                const r = await client.completeMultipartUpload(key, upload?.uploadId ?? '', [{ partNumber: 1, etag: upload?.etag ?? '' }], {}, signal);
                assert.ok(typeof r.etag === 'string' && r.etag.length > 0, context());
                return;
              }
              case 'head': {
                const r = await client.headObject(key, signal);
                assert.ok(r === undefined || (typeof r.size === 'number' && typeof r.etag === 'string'), context());
                return;
              }
              case 'put': {
                const r = await client.putObject(key, data, { 'content-md5': md5 }, signal);
                assert.ok(typeof r.etag === 'string' && r.etag.length > 0, context());
                return;
              }
            }
          },
          CASE_LIMIT_MS,
          context(),
        );
        seen.ok++;
      } catch (error) {
        if (error instanceof assert.AssertionError || (error instanceof Error && /did not settle/.test(error.message))) throw error;
        assertTypedError(error, context());
        seen.failed++;
      } finally {
        mutators.delete(key);
        await client.close();
      }
    }

    it(`${CASES} calls (Initiate, Upload Part, List Parts, Complete, Head, Put) end in a well-formed result or a CosError, each within ${CASE_LIMIT_MS / 1000} s`, async () => {
      const seeds = Array.from({ length: CASES }, (_, n) => baseSeed + 100_000 + n);
      await inParallel(seeds, WIDTH, clientCase);
      assert.ok(seen.ok > CASES * 0.2 && seen.failed > CASES * 0.2, `both outcomes are exercised: ${JSON.stringify(seen)}`);
    });
  });
});
