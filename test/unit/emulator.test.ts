/**
 * Tests of the COS emulator itself. Requests are built with undici and signed with the official
 * SDK's COS.getAuthorization, never with the client's src/core code, so these tests check the
 * emulator against COS's own reference signer.
 */

import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import COS from 'cos-nodejs-sdk-v5';
import { Agent, request } from 'undici';
import { TokenBucket } from '../../src/emulator/body';
import { crc64CombineAll, crc64Of, crc64Engine, createCrc64 } from '../../src/emulator/crc64';
import { parseCompleteBody } from '../../src/emulator/xml';
import {
  parseEmulatorArgs,
  runEmulatorCli,
  startEmulator,
  type EmulatorCredentials,
  type RequestLogEntry,
  type RunningEmulator,
} from '../../src/emulator';

// The native addon, used directly as the independent reference for CRC64 values.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nativeCrc = require('crc64-ecma182') as { crc64(buf: Buffer): Buffer; toUInt64String(buf: Buffer): string };
const referenceCrc = (buf: Buffer): string => nativeCrc.toUInt64String(nativeCrc.crc64(buf));
const md5Hex = (buf: Buffer): string => createHash('md5').update(buf).digest('hex');
const md5B64 = (buf: Buffer): string => createHash('md5').update(buf).digest('base64');

const agent = new Agent({ keepAliveTimeout: 1000, connections: 32 });
// Root hook: every describe below sends through this agent.
after(() => agent.close());

interface CallOptions {
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** How to sign: Authorization header (default), query string (presigned), or not at all. */
  auth?: 'header' | 'query' | 'none';
  creds?: EmulatorCredentials;
  keyTime?: string;
  /** Sign these query params instead of the ones sent (to tamper with a request). */
  signQuery?: Record<string, string>;
  /** Host header to send and sign (default the emulator's host:port). */
  host?: string;
  signal?: AbortSignal;
  /** Leave host out of the signed headers. */
  unsignedHost?: boolean;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
}

function encodePath(key: string): string {
  return '/' + key.split('/').map(encodeURIComponent).join('/');
}

function queryString(q: Record<string, string>): string {
  return Object.entries(q)
    .map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&');
}

async function call(emu: RunningEmulator, method: string, key: string, o: CallOptions = {}): Promise<Reply> {
  const creds = o.creds ?? emu.credentials;
  const host = o.host ?? new URL(emu.url).host;
  const query = o.query ?? {};
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.host) headers.host = o.host;
  if (creds.sessionToken && o.auth !== 'query') headers['x-cos-security-token'] = creds.sessionToken;
  let qs = queryString(query);
  if (o.auth !== 'none') {
    const signHeaders: Record<string, string> = o.unsignedHost ? { ...headers } : { host, ...headers };
    if (o.unsignedHost) delete signHeaders.host;
    const authorization = COS.getAuthorization({
      SecretId: creds.secretId,
      SecretKey: creds.secretKey,
      Method: method as COS.Method,
      Pathname: '/' + key,
      Query: o.signQuery ?? query,
      Headers: signHeaders,
      ...(o.keyTime ? { KeyTime: o.keyTime } : {}),
    });
    if (o.auth === 'query') {
      qs = [qs, authorization, creds.sessionToken ? `x-cos-security-token=${encodeURIComponent(creds.sessionToken)}` : '']
        .filter((s) => s !== '')
        .join('&');
    } else {
      headers.authorization = authorization;
    }
  }
  const url = `${emu.url}${encodePath(key)}${qs ? '?' + qs : ''}`;
  const res = await request(url, {
    method: method as 'GET',
    headers,
    body: o.body,
    dispatcher: agent,
    signal: o.signal,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(',') : v;
  return { status: res.statusCode, headers: flat, body, text: body.toString('utf8') };
}

function xmlField(text: string, name: string): string | undefined {
  return new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(text)?.[1];
}

function xmlFields(text: string, name: string): string[] {
  return [...text.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]);
}

function assertCosError(r: Reply, status: number, code: string): void {
  assert.equal(r.status, status, `status (body: ${r.text})`);
  assert.equal(xmlField(r.text, 'Code'), code, r.text);
  assert.ok(r.headers['x-cos-request-id'], 'x-cos-request-id header');
  assert.equal(xmlField(r.text, 'RequestId'), r.headers['x-cos-request-id']);
  assert.ok(xmlField(r.text, 'TraceId'));
  assert.ok(xmlField(r.text, 'Message'));
  assert.ok(xmlField(r.text, 'Resource'));
}

async function initiate(emu: RunningEmulator, key: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await call(emu, 'POST', key, { query: { uploads: '' }, headers });
  assert.equal(r.status, 200, r.text);
  const id = xmlField(r.text, 'UploadId');
  assert.ok(id);
  return id;
}

function putPart(emu: RunningEmulator, key: string, uploadId: string, n: number, data: Buffer, headers: Record<string, string> = {}, extra: CallOptions = {}): Promise<Reply> {
  return call(emu, 'PUT', key, { query: { partNumber: String(n), uploadId }, headers: { 'content-length': String(data.length), ...headers }, body: data, ...extra });
}

function completeBody(parts: Array<{ n: number; etag: string }>): string {
  return `<CompleteMultipartUpload>${parts.map((p) => `<Part><PartNumber>${p.n}</PartNumber><ETag>${p.etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
}

function completeUpload(emu: RunningEmulator, key: string, uploadId: string, parts: Array<{ n: number; etag: string }>, headers: Record<string, string> = {}): Promise<Reply> {
  return call(emu, 'POST', key, { query: { uploadId }, body: completeBody(parts), headers });
}

/** Uploads `parts` to a fresh upload; returns the id and the ETags. */
async function uploadParts(emu: RunningEmulator, key: string, parts: Buffer[]): Promise<{ uploadId: string; etags: string[] }> {
  const uploadId = await initiate(emu, key);
  const etags: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const r = await putPart(emu, key, uploadId, i + 1, parts[i]);
    assert.equal(r.status, 200, r.text);
    etags.push(r.headers.etag);
  }
  return { uploadId, etags };
}

async function waitFor<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

function lastEntry(emu: RunningEmulator, pred: (e: RequestLogEntry) => boolean): RequestLogEntry | undefined {
  return [...emu.log].reverse().find(pred);
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.cause?.code ?? e.code;
}

describe('COS emulator', function () {
  this.timeout(15000);
  let emu: RunningEmulator;

  before(async () => {
    emu = await startEmulator({ minPartSize: 1024, control: true });
  });
  afterEach(() => emu.faults.clear());
  after(() => emu.close());

  describe('CRC64 module', () => {
    it('matches the ECMA-182 check value and the native addon in both engines', () => {
      assert.equal(crc64Of(Buffer.from('123456789'), 'typescript'), 11051210869376104954n);
      assert.equal(crc64Engine, 'native');
      for (const n of [0, 1, 7, 8, 9, 63, 64, 65, 4097]) {
        const b = randomBytes(n);
        assert.equal(crc64Of(b, 'typescript').toString(), referenceCrc(b), `length ${n}`);
        assert.equal(crc64Of(b, 'native').toString(), referenceCrc(b), `length ${n}`);
      }
      const h = createCrc64('typescript');
      const b = randomBytes(1000);
      h.update(b.subarray(0, 333));
      h.update(b.subarray(333));
      assert.equal(h.digest().toString(), referenceCrc(b));
    });

    it('combines part CRCs into the CRC of the concatenation', () => {
      const parts = [randomBytes(1 << 16), randomBytes(1), randomBytes(0), randomBytes(12345)];
      const combined = crc64CombineAll(parts.map((p) => ({ crc64: BigInt(referenceCrc(p)), size: p.length })));
      assert.equal(combined.toString(), referenceCrc(Buffer.concat(parts)));
    });
  });

  describe('Complete body parser', () => {
    it('tolerates a declaration, namespaces, comments, entities and element order', () => {
      const parsed = parseCompleteBody(
        `<?xml version="1.0"?>\n<CompleteMultipartUpload xmlns="http://x"><!-- c --><Part><ETag>&quot;ab&quot;</ETag><PartNumber> 1 </PartNumber></Part>\n<Part><PartNumber>2</PartNumber><ETag>"cd"</ETag></Part></CompleteMultipartUpload>`,
      );
      assert.deepEqual(parsed, [
        { partNumber: 1, etag: '"ab"' },
        { partNumber: 2, etag: '"cd"' },
      ]);
      assert.equal(parseCompleteBody('<CompleteMultipartUpload></CompleteMultipartUpload>'), undefined);
      assert.equal(parseCompleteBody('not xml'), undefined);
      assert.equal(parseCompleteBody('<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>'), undefined);
    });
  });

  describe('multipart round trip', () => {
    it('stores the object and reports ETag and CRC64 like COS (default 1 MiB minimum part)', async () => {
      const big = await startEmulator();
      try {
        const key = 'dir/round trip+ü.bin';
        const parts = [randomBytes(1024 * 1024), randomBytes(1024 * 1024), randomBytes(100 * 1024 + 7)];
        const whole = Buffer.concat(parts);
        const uploadId = await initiate(big, key, { 'content-type': 'application/x-test', 'x-cos-meta-origin': 'emulator-test' });
        const etags: string[] = [];
        for (let i = 0; i < parts.length; i++) {
          const r = await putPart(big, key, uploadId, i + 1, parts[i], { 'content-md5': md5B64(parts[i]) });
          assert.equal(r.status, 200);
          assert.equal(r.headers.etag, `"${md5Hex(parts[i])}"`);
          assert.equal(r.headers['x-cos-hash-crc64ecma'], referenceCrc(parts[i]));
          assert.ok(r.headers['x-cos-request-id']);
          assert.ok(r.headers.date);
          etags.push(r.headers.etag);
        }
        const listed = await call(big, 'GET', key, { query: { uploadId } });
        assert.equal(listed.status, 200);
        assert.deepEqual(xmlFields(listed.text, 'PartNumber'), ['1', '2', '3']);
        assert.deepEqual(xmlFields(listed.text, 'Size'), parts.map((p) => String(p.length)));

        const done = await completeUpload(
          big,
          key,
          uploadId,
          etags.map((etag, i) => ({ n: i + 1, etag })),
        );
        assert.equal(done.status, 200);
        assert.match(done.text, /^\s+<\?xml/, 'whitespace comes before the XML');
        assert.match(done.text, /<\/CompleteMultipartUploadResult>$/);
        assert.equal(done.headers['x-cos-hash-crc64ecma'], referenceCrc(whole));
        assert.equal(xmlField(done.text, 'Key'), key);
        const md5s = Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()));
        assert.equal(xmlField(done.text, 'ETag'), `&quot;${md5Hex(md5s)}-3&quot;`);

        const head = await call(big, 'HEAD', key);
        assert.equal(head.status, 200);
        assert.equal(head.headers['content-length'], String(whole.length));
        assert.equal(head.headers['x-cos-hash-crc64ecma'], referenceCrc(whole));
        assert.equal(head.headers['content-type'], 'application/x-test');
        assert.equal(head.headers['x-cos-meta-origin'], 'emulator-test');
        assert.ok(head.headers['last-modified']);
        assert.equal(head.headers.etag, `"${md5Hex(md5s)}-3"`);

        const got = await call(big, 'GET', key);
        assert.equal(got.status, 200);
        assert.ok(got.body.equals(whole));
        assert.ok((await big.readObject(key)).equals(whole));
        assert.equal(await big.objectSha256(key), createHash('sha256').update(whole).digest('hex'));
        assert.ok(big.objectPath(key));
        assert.equal(big.objectInfo(key)?.crc64, referenceCrc(whole));
        assert.deepEqual(big.listUploads(), []);
        const after = await call(big, 'GET', key, { query: { uploadId } });
        assertCosError(after, 404, 'NoSuchUpload');
      } finally {
        await big.close();
      }
    });

    it('aborts an upload with 204 and forgets it', async () => {
      const { uploadId } = await uploadParts(emu, 'abort/me', [randomBytes(10)]);
      const r = await call(emu, 'DELETE', 'abort/me', { query: { uploadId } });
      assert.equal(r.status, 204);
      assert.equal(emu.listUploads().filter((u) => u.uploadId === uploadId).length, 0);
      assertCosError(await call(emu, 'DELETE', 'abort/me', { query: { uploadId } }), 404, 'NoSuchUpload');
    });

    it('answers Put Object with ETag and CRC64 and checks Content-MD5', async () => {
      const data = randomBytes(5000);
      const r = await call(emu, 'PUT', 'put/one', { body: data, headers: { 'content-md5': md5B64(data) } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.etag, `"${md5Hex(data)}"`);
      assert.equal(r.headers['x-cos-hash-crc64ecma'], referenceCrc(data));
      assertCosError(await call(emu, 'PUT', 'put/two', { body: data, headers: { 'content-md5': md5B64(Buffer.from('x')) } }), 400, 'BadDigest');
      assert.equal(emu.objectInfo('put/two'), undefined);
      const missing = await call(emu, 'HEAD', 'put/missing');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.length, 0);
      assert.ok(missing.headers['x-cos-request-id']);
    });

    it('answers Head Bucket and pages List Objects', async () => {
      assert.equal((await call(emu, 'HEAD', '')).status, 200);
      const anonymous = await call(emu, 'HEAD', '', { auth: 'none' });
      assert.equal(anonymous.status, 403);
      assert.ok(anonymous.headers['x-cos-request-id']);
      for (const k of ['list/a', 'list/b', 'list/sub/c', 'list/sub/d', 'list/z']) assert.equal((await call(emu, 'PUT', k, { body: k })).status, 200);
      const keys: string[] = [];
      let marker = '';
      for (;;) {
        const r = await call(emu, 'GET', '', { query: { prefix: 'list/', delimiter: '/', 'max-keys': '2', marker } });
        assert.equal(r.status, 200, r.text);
        keys.push(...xmlFields(r.text, 'Key'), ...xmlFields(r.text.replace(/<Prefix>list\/<\/Prefix>/, ''), 'Prefix'));
        if (xmlField(r.text, 'IsTruncated') !== 'true') break;
        marker = xmlField(r.text, 'NextMarker') as string;
      }
      assert.deepEqual(keys.sort(), ['list/a', 'list/b', 'list/sub/', 'list/z']);
    });

    it('accepts virtual-host style Host headers for its own bucket only', async () => {
      const ok = await call(emu, 'PUT', 'host/style', { body: 'x', host: `${emu.bucket}.cos.${emu.region}.myqcloud.com` });
      assert.equal(ok.status, 200);
      const other = await call(emu, 'PUT', 'host/style', { body: 'x', host: `otherbucket-1250000000.cos.${emu.region}.myqcloud.com` });
      assertCosError(other, 404, 'NoSuchBucket');
    });
  });

  describe('Upload Part validation', () => {
    let uploadId: string;
    const key = 'validate/part';
    before(async () => {
      uploadId = await initiate(emu, key);
    });

    it('rejects part numbers outside 1..10000', async () => {
      for (const n of [0, 10001]) assertCosError(await putPart(emu, key, uploadId, n, Buffer.from('a')), 400, 'InvalidArgument');
      assert.equal((await putPart(emu, key, uploadId, 10000, Buffer.from('a'))).status, 200);
    });

    it('answers NoSuchUpload for an unknown upload id or another key', async () => {
      assertCosError(await putPart(emu, key, 'nope', 1, Buffer.from('a')), 404, 'NoSuchUpload');
      assertCosError(await putPart(emu, 'validate/other', uploadId, 1, Buffer.from('a')), 404, 'NoSuchUpload');
    });

    it('answers BadDigest when Content-MD5 does not match, and keeps no part', async () => {
      const data = randomBytes(2000);
      assertCosError(await putPart(emu, key, uploadId, 7, data, { 'content-md5': md5B64(randomBytes(5)) }), 400, 'BadDigest');
      assertCosError(await putPart(emu, key, uploadId, 7, data, { 'content-md5': 'not-base64-md5' }), 400, 'InvalidDigest');
      const listed = await call(emu, 'GET', key, { query: { uploadId } });
      assert.ok(!xmlFields(listed.text, 'PartNumber').includes('7'));
    });

    it('checks x-cos-traffic-limit range and x-cos-psize-max/min', async () => {
      assertCosError(await putPart(emu, key, uploadId, 2, Buffer.from('a'), { 'x-cos-traffic-limit': '819199' }), 400, 'InvalidArgument');
      assertCosError(await putPart(emu, key, uploadId, 2, Buffer.from('a'), { 'x-cos-traffic-limit': '838860801' }), 400, 'InvalidArgument');
      assert.equal((await putPart(emu, key, uploadId, 2, Buffer.from('a'), { 'x-cos-traffic-limit': '838860800' })).status, 200);
      assertCosError(await putPart(emu, key, uploadId, 3, randomBytes(100), { 'x-cos-psize-max': '99' }), 400, 'InvalidArgument');
      assertCosError(await putPart(emu, key, uploadId, 3, randomBytes(100), { 'x-cos-psize-min': '101' }), 400, 'InvalidArgument');
      assert.equal((await putPart(emu, key, uploadId, 3, randomBytes(100), { 'x-cos-psize-max': '100', 'x-cos-psize-min': '100' })).status, 200);
    });

    it('throttles a part to its x-cos-traffic-limit', async () => {
      const limitBits = 819200; // 102400 bytes/s
      const data = randomBytes(120 * 1024);
      const r = await putPart(emu, key, uploadId, 4, data, { 'x-cos-traffic-limit': String(limitBits) });
      assert.equal(r.status, 200);
      const entry = lastEntry(emu, (e) => e.requestId === r.headers['x-cos-request-id']);
      // Lower bound only: the bytes beyond the 16 KiB burst cannot arrive faster than the limit.
      const minMs = ((data.length - 16 * 1024) / (limitBits / 8)) * 1000;
      assert.ok(entry && entry.durationMs >= minMs * 0.9, `took ${entry?.durationMs} ms, expected at least ${minMs}`);
    });

    it('token bucket starts empty, so no request gets a free burst above the limit', () => {
      const bucket = new TokenBucket(1000 * 1024);
      // 1 KiB at 1000 KiB/s is 1 ms of traffic, owed at once: nothing was granted up front.
      const first = bucket.take(1024);
      assert.ok(first > 0.5 && first <= 1, `wait ${first}`);
      // 1 MiB more is ~1024 ms of traffic on top (a few µs may have refilled meanwhile).
      const wait = bucket.take(1024 * 1024);
      assert.ok(wait > 1000 && wait <= 1025, `wait ${wait}`);
    });

    it('requires the SSE-C key on parts of an SSE-C upload', async () => {
      const keyBytes = randomBytes(32);
      const sseC = {
        'x-cos-server-side-encryption-customer-algorithm': 'AES256',
        'x-cos-server-side-encryption-customer-key': keyBytes.toString('base64'),
        'x-cos-server-side-encryption-customer-key-MD5': md5B64(keyBytes),
      };
      const id = await initiate(emu, 'sse/c', sseC);
      assertCosError(await putPart(emu, 'sse/c', id, 1, Buffer.from('a')), 400, 'InvalidArgument');
      const otherKey = randomBytes(32);
      const wrong = {
        ...sseC,
        'x-cos-server-side-encryption-customer-key': otherKey.toString('base64'),
        'x-cos-server-side-encryption-customer-key-MD5': md5B64(otherKey),
      };
      assertCosError(await putPart(emu, 'sse/c', id, 1, Buffer.from('a'), wrong), 403, 'AccessDenied');
      const badMd5 = { ...sseC, 'x-cos-server-side-encryption-customer-key-MD5': md5B64(otherKey) };
      assertCosError(await putPart(emu, 'sse/c', id, 1, Buffer.from('a'), badMd5), 400, 'InvalidArgument');
      const ok = await putPart(emu, 'sse/c', id, 1, Buffer.from('a'), sseC);
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['x-cos-server-side-encryption-customer-algorithm'], 'AES256');
      assert.equal(ok.headers['x-cos-server-side-encryption-customer-key-md5'], md5B64(keyBytes));
    });

    it('echoes SSE-COS and SSE-KMS on parts', async () => {
      const id = await initiate(emu, 'sse/cos', { 'x-cos-server-side-encryption': 'AES256' });
      const r = await putPart(emu, 'sse/cos', id, 1, Buffer.from('a'));
      assert.equal(r.headers['x-cos-server-side-encryption'], 'AES256');
      const kms = await initiate(emu, 'sse/kms', { 'x-cos-server-side-encryption': 'cos/kms', 'x-cos-server-side-encryption-cos-kms-key-id': 'k-1' });
      const rk = await putPart(emu, 'sse/kms', kms, 1, Buffer.from('a'));
      assert.equal(rk.headers['x-cos-server-side-encryption'], 'cos/kms');
      assert.equal(rk.headers['x-cos-server-side-encryption-cos-kms-key-id'], 'k-1');
      assertCosError(await call(emu, 'POST', 'sse/bad', { query: { uploads: '' }, headers: { 'x-cos-server-side-encryption': 'DES' } }), 400, 'InvalidArgument');
    });
  });

  describe('Complete validation', () => {
    const big = 2048; // above minPartSize 1024
    async function threeParts(key: string): Promise<{ uploadId: string; etags: string[] }> {
      return uploadParts(emu, key, [randomBytes(big), randomBytes(big), randomBytes(10)]);
    }

    it('InvalidPartOrder when parts are not ascending', async () => {
      const { uploadId, etags } = await threeParts('complete/order');
      const r = await completeUpload(emu, 'complete/order', uploadId, [
        { n: 2, etag: etags[1] },
        { n: 1, etag: etags[0] },
        { n: 3, etag: etags[2] },
      ]);
      assertCosError(r, 400, 'InvalidPartOrder');
    });

    it('InvalidPart when numbers are not continuous from 1, a part is missing, or an ETag differs', async () => {
      const { uploadId, etags } = await threeParts('complete/gap');
      assertCosError(await completeUpload(emu, 'complete/gap', uploadId, [{ n: 1, etag: etags[0] }, { n: 3, etag: etags[2] }]), 400, 'InvalidPart');
      assertCosError(await completeUpload(emu, 'complete/gap', uploadId, [{ n: 2, etag: etags[1] }, { n: 3, etag: etags[2] }]), 400, 'InvalidPart');
      assertCosError(
        await completeUpload(emu, 'complete/gap', uploadId, [
          { n: 1, etag: etags[0] },
          { n: 2, etag: '"00000000000000000000000000000000"' },
        ]),
        400,
        'InvalidPart',
      );
      const missing = await initiate(emu, 'complete/missing');
      assertCosError(await completeUpload(emu, 'complete/missing', missing, [{ n: 1, etag: etags[0] }]), 400, 'InvalidPart');
      // The upload is intact after the failures: the right list completes it.
      const ok = await completeUpload(emu, 'complete/gap', uploadId, etags.map((etag, i) => ({ n: i + 1, etag })));
      assert.equal(ok.status, 200, ok.text);
      assert.match(ok.text, /<CompleteMultipartUploadResult>/);
    });

    it('EntityTooSmall when a non-last part is under the minimum', async () => {
      const { uploadId, etags } = await uploadParts(emu, 'complete/small', [randomBytes(1023), randomBytes(big)]);
      const r = await completeUpload(emu, 'complete/small', uploadId, etags.map((etag, i) => ({ n: i + 1, etag })));
      assertCosError(r, 400, 'EntityTooSmall');
    });

    it('MalformedXML, NoSuchUpload and x-cos-pnum-max', async () => {
      const { uploadId, etags } = await threeParts('complete/misc');
      assertCosError(await call(emu, 'POST', 'complete/misc', { query: { uploadId }, body: '<html>' }), 400, 'MalformedXML');
      assertCosError(await completeUpload(emu, 'complete/misc', 'unknown-id', [{ n: 1, etag: etags[0] }]), 404, 'NoSuchUpload');
      const all = etags.map((etag, i) => ({ n: i + 1, etag }));
      assertCosError(await completeUpload(emu, 'complete/misc', uploadId, all, { 'x-cos-pnum-max': '2' }), 400, 'InvalidArgument');
      assert.equal((await completeUpload(emu, 'complete/misc', uploadId, all, { 'x-cos-pnum-max': '3' })).status, 200);
    });

    it('x-cos-forbid-overwrite: 409 FileAlreadyExists at Initiate, Complete and Put Object', async () => {
      const key = 'complete/forbid';
      assert.equal((await call(emu, 'PUT', key, { body: 'first' })).status, 200);
      assertCosError(await call(emu, 'POST', key, { query: { uploads: '' }, headers: { 'x-cos-forbid-overwrite': 'true' } }), 409, 'FileAlreadyExists');
      assertCosError(await call(emu, 'PUT', key, { body: 'second', headers: { 'x-cos-forbid-overwrite': 'true' } }), 409, 'FileAlreadyExists');
      const key2 = 'complete/forbid-late';
      const uploadId = await initiate(emu, key2, { 'x-cos-forbid-overwrite': 'true' });
      const part = await putPart(emu, key2, uploadId, 1, Buffer.from('part'));
      assert.equal((await call(emu, 'PUT', key2, { body: 'appeared meanwhile' })).status, 200);
      assertCosError(await completeUpload(emu, key2, uploadId, [{ n: 1, etag: part.headers.etag }]), 409, 'FileAlreadyExists');
      assert.equal((await call(emu, 'GET', key)).text, 'first');
    });
  });

  describe('paging', () => {
    it('List Parts pages with max-parts and part-number-marker', async () => {
      const parts = Array.from({ length: 5 }, () => randomBytes(3));
      const { uploadId } = await uploadParts(emu, 'paging/parts', parts);
      const seen: string[] = [];
      let marker = '0';
      let pages = 0;
      for (;;) {
        const r = await call(emu, 'GET', 'paging/parts', { query: { uploadId, 'max-parts': '2', 'part-number-marker': marker } });
        assert.equal(r.status, 200);
        pages++;
        seen.push(...xmlFields(r.text, 'PartNumber'));
        assert.equal(xmlField(r.text, 'MaxParts'), '2');
        if (xmlField(r.text, 'IsTruncated') !== 'true') break;
        marker = xmlField(r.text, 'NextPartNumberMarker') as string;
      }
      assert.deepEqual(seen, ['1', '2', '3', '4', '5']);
      assert.equal(pages, 3);
      const capped = await call(emu, 'GET', 'paging/parts', { query: { uploadId, 'max-parts': '5000' } });
      assert.equal(xmlField(capped.text, 'MaxParts'), '1000');
      assertCosError(await call(emu, 'GET', 'paging/parts', { query: { uploadId, 'max-parts': 'x' } }), 400, 'InvalidArgument');
    });

    it('List Multipart Uploads pages with key-marker / upload-id-marker and filters by prefix', async () => {
      const own = await startEmulator();
      try {
        const ids = new Map<string, string[]>();
        for (const key of ['p/a', 'p/b', 'p/b', 'p/c', 'q/x']) {
          const id = await initiate(own, key);
          ids.set(key, [...(ids.get(key) ?? []), id]);
        }
        const seen: Array<[string, string]> = [];
        let markers: Record<string, string> = {};
        let pages = 0;
        for (;;) {
          const page = await call(own, 'GET', '', { query: { uploads: '', prefix: 'p/', 'max-uploads': '2', ...markers } });
          assert.equal(page.status, 200, page.text);
          pages++;
          const keys = xmlFields(page.text, 'Key');
          const uploadIds = xmlFields(page.text, 'UploadId');
          keys.forEach((k, i) => seen.push([k, uploadIds[i]]));
          for (const initiated of xmlFields(page.text, 'Initiated')) assert.ok(!Number.isNaN(Date.parse(initiated)));
          if (xmlField(page.text, 'IsTruncated') !== 'true') break;
          markers = {
            'key-marker': xmlField(page.text, 'NextKeyMarker') as string,
            'upload-id-marker': xmlField(page.text, 'NextUploadIdMarker') as string,
          };
        }
        assert.equal(pages, 2);
        assert.deepEqual(seen, [
          ['p/a', ids.get('p/a')?.[0]],
          ['p/b', ids.get('p/b')?.[0]],
          ['p/b', ids.get('p/b')?.[1]],
          ['p/c', ids.get('p/c')?.[0]],
        ]);
      } finally {
        await own.close();
      }
    });
  });

  describe('signature checks', () => {
    it('accepts the SDK signature and rejects an unknown SecretId or a wrong key', async () => {
      assert.equal((await call(emu, 'PUT', 'sig/ok', { body: 'x' })).status, 200);
      const creds = emu.credentials;
      assertCosError(await call(emu, 'PUT', 'sig/x', { body: 'x', creds: { ...creds, secretId: 'AKIDunknown' } }), 403, 'InvalidAccessKeyId');
      assertCosError(await call(emu, 'PUT', 'sig/x', { body: 'x', creds: { ...creds, secretKey: 'wrong' } }), 403, 'SignatureDoesNotMatch');
      assertCosError(await call(emu, 'PUT', 'sig/x', { body: 'x', auth: 'none' }), 403, 'AccessDenied');
    });

    it('detects a tampered query parameter, header or path', async () => {
      const uploadId = await initiate(emu, 'sig/tamper');
      const r = await putPart(emu, 'sig/tamper', uploadId, 2, Buffer.from('a'), {}, { signQuery: { partNumber: '1', uploadId } });
      assertCosError(r, 403, 'SignatureDoesNotMatch');
      const auth = COS.getAuthorization({
        SecretId: emu.credentials.secretId,
        SecretKey: emu.credentials.secretKey,
        Method: 'put',
        Pathname: '/sig/other',
        Headers: { host: new URL(emu.url).host },
      });
      const res = await request(`${emu.url}/sig/tamper`, { method: 'PUT', headers: { authorization: auth }, body: 'x', dispatcher: agent });
      assert.equal(res.statusCode, 403);
      assert.match(await res.body.text(), /SignatureDoesNotMatch/);
      // A signed header (content-md5) changed after signing.
      const data = Buffer.from('payload');
      const signed = COS.getAuthorization({
        SecretId: emu.credentials.secretId,
        SecretKey: emu.credentials.secretKey,
        Method: 'put',
        Pathname: '/sig/hdr',
        Headers: { host: new URL(emu.url).host, 'x-cos-meta-a': '1' },
      });
      const res2 = await request(`${emu.url}/sig/hdr`, { method: 'PUT', headers: { authorization: signed, 'x-cos-meta-a': '2' }, body: data, dispatcher: agent });
      assert.equal(res2.statusCode, 403);
      assert.match(await res2.body.text(), /SignatureDoesNotMatch/);
    });

    it('requires host in q-header-list', async () => {
      assertCosError(await call(emu, 'PUT', 'sig/nohost', { body: 'x', unsignedHost: true }), 403, 'AccessDenied');
    });

    it('answers AccessDenied "Request has expired" and RequestTimeTooSkewed from the key time', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await call(emu, 'PUT', 'sig/time', { body: 'x', keyTime: `${now - 3600};${now - 1800}` });
      assertCosError(expired, 403, 'AccessDenied');
      assert.equal(xmlField(expired.text, 'Message'), 'Request has expired');
      assertCosError(await call(emu, 'PUT', 'sig/time', { body: 'x', keyTime: `${now + 1800};${now + 3600}` }), 403, 'RequestTimeTooSkewed');
      assertCosError(await call(emu, 'PUT', 'sig/time', { body: 'x', headers: { date: new Date(Date.now() - 20 * 60_000).toUTCString() } }), 403, 'RequestTimeTooSkewed');
      assert.equal((await call(emu, 'PUT', 'sig/time', { body: 'x', headers: { date: new Date().toUTCString() } })).status, 200);
    });

    it('applies the emulated clock skew to time checks and to the Date header', async () => {
      const skewed = await startEmulator({ clockSkewMs: 30 * 60_000 });
      try {
        const r = await call(skewed, 'PUT', 'skew/a', { body: 'x' });
        assertCosError(r, 403, 'AccessDenied');
        assert.equal(xmlField(r.text, 'Message'), 'Request has expired');
        const serverNow = Date.parse(r.headers.date);
        assert.ok(serverNow - Date.now() > 25 * 60_000, `Date header ${r.headers.date} carries the skew`);
        skewed.setClockSkew(-30 * 60_000);
        assertCosError(await call(skewed, 'PUT', 'skew/a', { body: 'x' }), 403, 'RequestTimeTooSkewed');
        skewed.setClockSkew(0);
        assert.equal((await call(skewed, 'PUT', 'skew/a', { body: 'x' })).status, 200);
      } finally {
        await skewed.close();
      }
    });

    it('accepts query-string (presigned) signatures', async () => {
      const data = randomBytes(100);
      assert.equal((await call(emu, 'PUT', 'presigned/obj', { body: data })).status, 200);
      const r = await call(emu, 'GET', 'presigned/obj', { auth: 'query' });
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(data));
      const uploadId = await initiate(emu, 'presigned/part');
      const part = await putPart(emu, 'presigned/part', uploadId, 1, data, {}, { auth: 'query' });
      assert.equal(part.status, 200);
      assert.equal(part.headers.etag, `"${md5Hex(data)}"`);
      const wrong = await call(emu, 'GET', 'presigned/obj', { auth: 'query', creds: { ...emu.credentials, secretKey: 'nope' } });
      assertCosError(wrong, 403, 'SignatureDoesNotMatch');
    });

    it('checks the session token of temporary credentials and their expiry', async () => {
      const temp: EmulatorCredentials = { secretId: 'AKIDtemporary1', secretKey: 'temp-secret', sessionToken: 'token-1' };
      const sts = await startEmulator({ credentials: temp });
      try {
        assert.equal((await call(sts, 'PUT', 'sts/a', { body: 'x' })).status, 200);
        assert.equal((await call(sts, 'GET', 'sts/a', { auth: 'query' })).status, 200);
        assertCosError(await call(sts, 'PUT', 'sts/a', { body: 'x', creds: { ...temp, sessionToken: undefined } }), 403, 'InvalidAccessKeyId');
        assertCosError(await call(sts, 'PUT', 'sts/a', { body: 'x', creds: { ...temp, sessionToken: 'other' } }), 403, 'InvalidAccessKeyId');
        const fresh = sts.expireSessionToken();
        assert.ok(fresh.sessionToken);
        assert.notEqual(fresh.secretId, temp.secretId);
        const old = await call(sts, 'PUT', 'sts/a', { body: 'x', creds: temp });
        assertCosError(old, 403, 'InvalidAccessKeyId');
        assert.match(xmlField(old.text, 'Message') ?? '', /expired/i);
        assert.equal((await call(sts, 'PUT', 'sts/a', { body: 'x', creds: fresh })).status, 200);
      } finally {
        await sts.close();
      }
      const s3Style = await startEmulator({ credentials: temp, expiredTokenStyle: 'ExpiredToken' });
      try {
        s3Style.expireSessionToken();
        assertCosError(await call(s3Style, 'PUT', 'sts/b', { body: 'x', creds: temp }), 400, 'ExpiredToken');
      } finally {
        await s3Style.close();
      }
    });
  });

  describe('faults', () => {
    it('status: 503 SlowDown with Retry-After, and the part is not stored', async () => {
      const uploadId = await initiate(emu, 'fault/status');
      emu.faults.add({ operation: 'uploadPart', fault: 'status', status: 503, code: 'SlowDown', retryAfter: 2 });
      const r = await putPart(emu, 'fault/status', uploadId, 1, randomBytes(1000));
      assertCosError(r, 503, 'SlowDown');
      assert.equal(r.headers['retry-after'], '2');
      assert.ok(r.headers['x-cos-trace-id']);
      assert.equal(emu.listUploads().find((u) => u.uploadId === uploadId)?.parts, 0);
      assert.equal((await putPart(emu, 'fault/status', uploadId, 1, randomBytes(1000))).status, 200, 'times defaults to 1');
    });

    it('after/times/partNumber select which requests are hit', async () => {
      const uploadId = await initiate(emu, 'fault/select');
      const rule = emu.faults.add({ operation: 'uploadPart', partNumber: 2, fault: 'status', status: 500, after: 1, times: 2 });
      const statuses: number[] = [];
      statuses.push((await putPart(emu, 'fault/select', uploadId, 1, Buffer.from('a'))).status);
      for (let i = 0; i < 4; i++) statuses.push((await putPart(emu, 'fault/select', uploadId, 2, Buffer.from('a'))).status);
      assert.deepEqual(statuses, [200, 200, 500, 500, 200]);
      assert.equal(rule.hits, 2);
      assert.equal(rule.active, false);
    });

    it('reset at request: the connection drops mid-body and no part is stored', async () => {
      const uploadId = await initiate(emu, 'fault/reset');
      emu.faults.add({ operation: 'uploadPart', fault: 'reset' });
      const data = randomBytes(4 * 1024 * 1024);
      await assert.rejects(putPart(emu, 'fault/reset', uploadId, 1, data));
      const entry = await waitFor(() => lastEntry(emu, (e) => e.uploadId === uploadId && e.faultApplied === 'reset'), 'reset log entry');
      assert.equal(entry.status, 0);
      assert.equal(entry.interrupted, true);
      assert.ok(entry.bytes > 0 && entry.bytes < data.length, `received ${entry.bytes}`);
      assert.equal(emu.listUploads().find((u) => u.uploadId === uploadId)?.parts, 0);
    });

    it('reset at response: the part is stored but the answer never arrives', async () => {
      const uploadId = await initiate(emu, 'fault/reset2');
      emu.faults.add({ operation: 'uploadPart', fault: 'reset', at: 'response' });
      await assert.rejects(putPart(emu, 'fault/reset2', uploadId, 1, randomBytes(1000)));
      assert.equal(emu.listUploads().find((u) => u.uploadId === uploadId)?.parts, 1);
      emu.faults.add({ operation: 'head', fault: 'reset' });
      await assert.rejects(call(emu, 'HEAD', 'put/one'));
    });

    it('stall with ms delays the answer; stall without ms holds it until the client gives up', async () => {
      emu.faults.add({ operation: 'head', fault: 'stall', ms: 150 });
      const r = await call(emu, 'HEAD', 'put/one');
      assert.equal(r.status, 200);
      assert.equal(lastEntry(emu, (e) => e.requestId === r.headers['x-cos-request-id'])?.faultApplied, 'stall');
      emu.faults.add({ operation: 'listUploads', fault: 'stall' });
      const before = emu.log.length;
      await assert.rejects(call(emu, 'GET', '', { query: { uploads: '' }, signal: AbortSignal.timeout(200) }));
      const entry = await waitFor(() => emu.log.slice(before).find((e) => e.faultApplied === 'stall'), 'stalled entry');
      assert.equal(entry.status, 0);
      assert.equal(entry.interrupted, true);
    });

    it('wrongCrc and wrongEtag alter only the answer', async () => {
      const uploadId = await initiate(emu, 'fault/wrong');
      const data = randomBytes(3000);
      emu.faults.add({ operation: 'uploadPart', fault: 'wrongCrc' });
      const a = await putPart(emu, 'fault/wrong', uploadId, 1, data);
      assert.equal(a.status, 200);
      assert.notEqual(a.headers['x-cos-hash-crc64ecma'], referenceCrc(data));
      assert.match(a.headers['x-cos-hash-crc64ecma'], /^\d+$/);
      assert.equal(a.headers.etag, `"${md5Hex(data)}"`);
      emu.faults.add({ operation: 'uploadPart', fault: 'wrongEtag' });
      const b = await putPart(emu, 'fault/wrong', uploadId, 1, data);
      assert.notEqual(b.headers.etag, `"${md5Hex(data)}"`);
      assert.equal(b.headers['x-cos-hash-crc64ecma'], referenceCrc(data));
      const listed = await call(emu, 'GET', 'fault/wrong', { query: { uploadId } });
      assert.equal(xmlField(listed.text, 'ETag'), `&quot;${md5Hex(data)}&quot;`, 'the stored ETag is the real one');
      emu.faults.add({ operation: 'complete', fault: 'wrongCrc' });
      const done = await completeUpload(emu, 'fault/wrong', uploadId, [{ n: 1, etag: `"${md5Hex(data)}"` }]);
      assert.equal(done.status, 200);
      assert.notEqual(done.headers['x-cos-hash-crc64ecma'], referenceCrc(data));
      assert.equal(emu.objectInfo('fault/wrong')?.crc64, referenceCrc(data));
    });

    it('completeErrorIn200: 200, whitespace, then an <Error>; the upload survives', async () => {
      const data = randomBytes(100);
      const { uploadId, etags } = await uploadParts(emu, 'fault/in200', [data]);
      emu.faults.add({ operation: 'complete', fault: 'completeErrorIn200' });
      const r = await completeUpload(emu, 'fault/in200', uploadId, [{ n: 1, etag: etags[0] }]);
      assert.equal(r.status, 200);
      assert.match(r.text, /^\s+<\?xml[^>]*>\s*<Error>/);
      assert.equal(xmlField(r.text, 'Code'), 'InternalError');
      assert.equal(xmlField(r.text, 'RequestId'), r.headers['x-cos-request-id']);
      assert.ok(emu.listUploads().some((u) => u.uploadId === uploadId));
      assert.equal(emu.objectInfo('fault/in200'), undefined);
      const again = await completeUpload(emu, 'fault/in200', uploadId, [{ n: 1, etag: etags[0] }]);
      assert.match(again.text, /<CompleteMultipartUploadResult>/);
      assert.equal(again.headers['x-cos-hash-crc64ecma'], referenceCrc(data));
    });

    it('garbage: 200 with an HTML body and no effect', async () => {
      const uploadId = await initiate(emu, 'fault/garbage');
      emu.faults.add({ operation: 'uploadPart', fault: 'garbage' });
      const r = await putPart(emu, 'fault/garbage', uploadId, 1, randomBytes(100));
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'], /text\/html/);
      assert.match(r.text, /<html>/);
      assert.equal(r.headers.etag, undefined);
      assert.equal(emu.listUploads().find((u) => u.uploadId === uploadId)?.parts, 0);
    });

    it('expiredToken answers like expired temporary credentials', async () => {
      emu.faults.add({ operation: 'any', fault: 'expiredToken' });
      const r = await call(emu, 'PUT', 'fault/expired', { body: 'x' });
      assertCosError(r, 403, 'InvalidAccessKeyId');
      assert.match(xmlField(r.text, 'Message') ?? '', /expired/i);
      assert.equal(emu.objectInfo('fault/expired'), undefined);
    });

    it('refuse closes the connection at once', async () => {
      emu.faults.add({ operation: 'listUploads', fault: 'refuse' });
      await assert.rejects(call(emu, 'GET', '', { query: { uploads: '' } }));
      const entry = await waitFor(() => lastEntry(emu, (e) => e.faultApplied === 'refuse'), 'refuse entry');
      assert.equal(entry.status, 0);
      assert.equal((await call(emu, 'GET', '', { query: { uploads: '' } })).status, 200);
    });

    it('pause() refuses connections until resume() on the same port', async () => {
      const port = emu.port;
      await emu.pause();
      try {
        await assert.rejects(call(emu, 'HEAD', 'put/one'), (err: unknown) => {
          assert.equal(errorCode(err), 'ECONNREFUSED');
          return true;
        });
      } finally {
        await emu.resume();
      }
      assert.equal(emu.port, port);
      assert.equal((await call(emu, 'HEAD', 'put/one')).status, 200);
    });

    it('is scriptable over HTTP at /_emulator/faults and /_emulator/log', async () => {
      const add = await request(`${emu.url}/_emulator/faults`, {
        method: 'POST',
        body: JSON.stringify([{ operation: 'putObject', fault: 'status', status: 500 }]),
        headers: { 'content-type': 'application/json' },
        dispatcher: agent,
      });
      assert.equal(add.statusCode, 200);
      const added = (await add.body.json()) as Array<{ id: string }>;
      assert.equal(added.length, 1);
      assertCosError(await call(emu, 'PUT', 'http/fault', { body: 'x' }), 500, 'InternalError');
      const bad = await request(`${emu.url}/_emulator/faults`, { method: 'POST', body: '{"operation":"nope","fault":"reset"}', dispatcher: agent });
      assert.equal(bad.statusCode, 400);
      assert.match(((await bad.body.json()) as { error: string }).error, /Unknown fault operation/);
      const log = await request(`${emu.url}/_emulator/log`, { dispatcher: agent });
      const entries = (await log.body.json()) as RequestLogEntry[];
      assert.equal(entries.length, emu.log.length);
      assert.equal(entries[entries.length - 1].requestId, emu.log[emu.log.length - 1].requestId);
      assert.equal(entries[entries.length - 1].faultApplied, 'status');
      const cleared = await request(`${emu.url}/_emulator/faults`, { method: 'DELETE', dispatcher: agent });
      assert.deepEqual(await cleared.body.json(), []);
    });
    it('exposes info, clock, network and credentials over HTTP', async () => {
      const own = await startEmulator({ credentials: { secretId: 'AKIDcontrol', secretKey: 'k', sessionToken: 't0' }, control: true });
      const control = async (method: string, route: string, body?: unknown): Promise<Record<string, unknown>> => {
        const r = await request(`${own.url}/_emulator/${route}`, { method: method as 'GET', body: body === undefined ? undefined : JSON.stringify(body), dispatcher: agent });
        assert.equal(r.statusCode, 200);
        return (await r.body.json()) as Record<string, unknown>;
      };
      try {
        const info = await control('GET', 'info');
        assert.equal(info.bucket, own.bucket);
        assert.equal(info.url, own.url);
        assert.deepEqual(await control('POST', 'clock', { skewMs: 60_000 }), { clockSkewMs: 60_000 });
        assert.equal(own.clockSkewMs, 60_000);
        assert.deepEqual(await control('POST', 'network', { latencyMs: 5, connMbps: 100 }), { latencyMs: 5, connMbps: 100 });
        assert.deepEqual(own.network, { latencyMs: 5, connMbps: 100 });
        const fresh = await control('POST', 'credentials/expire');
        assert.equal(fresh.secretId, own.credentials.secretId);
        assert.notEqual(fresh.secretId, 'AKIDcontrol');
        const set = await control('PUT', 'credentials', { secretId: 'AKIDnew', secretKey: 'k2' });
        assert.equal(set.secretId, 'AKIDnew');
        assert.equal(own.credentials.sessionToken, undefined);
      } finally {
        await own.close();
      }
    });
  });

  describe('request log', () => {
    it('records operation, part, upload, status, request id, ETag, CRC64 and bytes', async () => {
      emu.clearLog();
      const data = randomBytes(4321);
      const { uploadId, etags } = await uploadParts(emu, 'log/obj', [data]);
      const r = await completeUpload(emu, 'log/obj', uploadId, [{ n: 1, etag: etags[0] }]);
      assert.equal(r.status, 200);
      await waitFor(() => (emu.log.length >= 3 ? true : undefined), 'three entries');
      assert.deepEqual(
        emu.log.map((e) => e.operation),
        ['initiate', 'uploadPart', 'complete'],
      );
      const part = emu.log[1];
      assert.equal(part.partNumber, 1);
      assert.equal(part.uploadId, uploadId);
      assert.equal(part.status, 200);
      assert.equal(part.etag, etags[0]);
      assert.equal(part.crc64, referenceCrc(data));
      assert.equal(part.bytes, data.length);
      assert.match(part.requestId, /^[A-Za-z0-9+/=]+$/);
      assert.equal(new Set(emu.log.map((e) => e.requestId)).size, 3, 'request ids are unique');
      assert.equal(emu.log[2].requestId, r.headers['x-cos-request-id']);
      assert.equal(emu.log[2].crc64, referenceCrc(data));
      assert.ok(!Number.isNaN(Date.parse(emu.log[0].time)));
      const partsSent = emu.log.filter((e) => e.operation === 'uploadPart').map((e) => e.partNumber);
      assert.equal(new Set(partsSent).size, partsSent.length, 'no part was sent twice');
    });
  });

  describe('network model and discard mode', () => {
    it('delays answers by latencyMs', async () => {
      emu.setNetwork({ latencyMs: 120 });
      try {
        const r = await call(emu, 'HEAD', 'put/one');
        const entry = lastEntry(emu, (e) => e.requestId === r.headers['x-cos-request-id']);
        assert.ok(entry && entry.durationMs >= 110, `durationMs ${entry?.durationMs}`);
      } finally {
        emu.setNetwork({ latencyMs: 0 });
      }
    });

    it('paces request bodies to connMbps per connection', async () => {
      const slow = await startEmulator({ connMbps: 8 }); // 1 MB/s, 100 KB burst
      try {
        const data = randomBytes(400 * 1000);
        const r = await call(slow, 'PUT', 'paced/obj', { body: data });
        assert.equal(r.status, 200);
        assert.equal(r.headers['x-cos-hash-crc64ecma'], referenceCrc(data));
        const entry = lastEntry(slow, (e) => e.operation === 'putObject');
        // Lower bound only: 300 KB beyond the burst cannot arrive in less than 300 ms at 1 MB/s.
        assert.ok(entry && entry.durationMs >= 270, `durationMs ${entry?.durationMs}`);
      } finally {
        await slow.close();
      }
    });

    it('discard keeps sizes and hashes, not bytes, and says so on Get Object', async () => {
      const d = await startEmulator({ discard: true, minPartSize: 10 });
      try {
        const parts = [randomBytes(50), randomBytes(20)];
        const { uploadId, etags } = await uploadParts(d, 'discard/obj', parts);
        const done = await completeUpload(d, 'discard/obj', uploadId, etags.map((etag, i) => ({ n: i + 1, etag })));
        assert.equal(done.headers['x-cos-hash-crc64ecma'], referenceCrc(Buffer.concat(parts)));
        const head = await call(d, 'HEAD', 'discard/obj');
        assert.equal(head.headers['content-length'], '70');
        const get = await call(d, 'GET', 'discard/obj');
        assertCosError(get, 501, 'NotImplemented');
        assert.match(xmlField(get.text, 'Message') ?? '', /discard/);
        await assert.rejects(d.readObject('discard/obj'), /discard mode/);
        assert.equal(d.objectPath('discard/obj'), undefined);
      } finally {
        await d.close();
      }
    });
  });

  describe('command line', () => {
    it('parses flags and rejects unknown ones', () => {
      assert.deepEqual(parseEmulatorArgs(['--port', '9000', '--dir=/tmp/x', '--latency-ms', '40', '--conn-mbps', '200', '--discard']), {
        port: 9000,
        dataDir: '/tmp/x',
        latencyMs: 40,
        connMbps: 200,
        discard: true,
      });
      assert.throws(() => parseEmulatorArgs(['--bogus']), /Unknown emulator option/);
      assert.throws(() => parseEmulatorArgs(['--port', 'x']), /--port/);
      assert.throws(() => parseEmulatorArgs(['--secret-id', 'a']), /go together/);
    });

    it('starts, prints URL, bucket, region and credentials, and stops on abort', async () => {
      const out: string[] = [];
      const stop = new AbortController();
      let started: RunningEmulator | undefined;
      const exit = runEmulatorCli(['--bucket', 'clibucket-1250000000', '--region', 'ap-beijing'], {
        stdout: (t) => out.push(t),
        stderr: (t) => out.push(t),
        handleSignals: false,
        signal: stop.signal,
        onStarted: (e) => {
          started = e;
        },
      });
      const running = await waitFor(() => started, 'CLI start');
      const banner = out.join('');
      assert.match(banner, new RegExp(`listening: ${running.url.replace(/[.]/g, '\\.')}`));
      assert.match(banner, /clibucket-1250000000/);
      assert.match(banner, /ap-beijing/);
      assert.ok(banner.includes(running.credentials.secretId));
      assert.equal((await call(running, 'PUT', 'cli/a', { body: 'x' })).status, 200);
      stop.abort();
      assert.equal(await exit, 0);
      await assert.rejects(call(running, 'HEAD', 'cli/a'), (err: unknown) => errorCode(err) === 'ECONNREFUSED');
      assert.equal(await runEmulatorCli(['--nope'], { stdout: () => {}, stderr: () => {} }), 2);
    });
  });
});

describe('COS emulator embedded in an editor', function () {
  this.timeout(10_000);

  it('answers only requests addressed to loopback or the bucket host (no DNS rebinding)', async () => {
    const emu = await startEmulator({ embedded: true, control: true });
    try {
      // A DNS-rebinding page reaches 127.0.0.1 with its own host name in the Host header.
      for (const path of ['/_emulator/info', '/any-key']) {
        const rebound = await request(`${emu.url}${path}`, { headers: { host: 'attacker.example:80' } });
        assert.equal(rebound.statusCode, 403);
        const text = await rebound.body.text();
        assert.match(text, /only answers requests addressed to 127\.0\.0\.1/);
        assert.doesNotMatch(text, new RegExp(emu.credentials.secretKey));
      }
      const info = await request(`${emu.url}/_emulator/info`);
      await info.body.dump();
      assert.equal(info.statusCode, 200, 'a test harness on loopback still reaches the control routes it asked for');
      // Unsigned, a loopback request is refused too, but by the COS routes (signature check), with a request id.
      const local = await request(`${emu.url}/any-key`);
      assert.match(await local.body.text(), /<Error>/);
      assert.ok(local.headers['x-cos-request-id'], 'a loopback request reaches the COS routes');
      const bucketHost = await request(`${emu.url}/any-key`, { headers: { host: `${emu.bucket}.cos.${emu.region}.myqcloud.com` } });
      await bucketHost.body.dump();
      assert.ok(bucketHost.headers['x-cos-request-id'], 'the bucket host is accepted');
    } finally {
      await emu.close();
    }
  });

});

describe('COS emulator control API', function () {
  this.timeout(10_000);

  for (const embedded of [false, true]) {
    it(`is absent unless asked for${embedded ? ' (embedded, as in the editor)' : ''}: /_emulator/ gets what COS would answer`, async () => {
      const emu = await startEmulator({ embedded });
      try {
        assert.equal(emu.control, false);
        // Unsigned, as a harness would send it: refused by the signature check, as COS refuses it.
        const info = await call(emu, 'GET', '_emulator/info', { auth: 'none' });
        assertCosError(info, 403, 'AccessDenied');
        assert.doesNotMatch(info.text, new RegExp(emu.credentials.secretKey));
        const fault = await call(emu, 'POST', '_emulator/faults', { auth: 'none', body: JSON.stringify({ operation: 'any', fault: 'refuse' }) });
        assertCosError(fault, 403, 'AccessDenied');
        assert.deepEqual(emu.faults.list(), [], 'a fault rule was added over HTTP');
        assertCosError(await call(emu, 'POST', '_emulator/clock', { auth: 'none', body: '{"skewMs":60000}' }), 403, 'AccessDenied');
        assert.equal(emu.clockSkewMs, 0);
        const before = emu.credentials;
        assertCosError(await call(emu, 'POST', '_emulator/credentials/expire', { auth: 'none' }), 403, 'AccessDenied');
        assert.deepEqual(emu.credentials, before);
        // Signed, it is an object key like any other.
        assertCosError(await call(emu, 'GET', '_emulator/info'), 404, 'NoSuchKey');
      } finally {
        await emu.close();
      }
    });
  }

  it('is served when the embedding code asks for it', async () => {
    const emu = await startEmulator({ control: true });
    try {
      assert.equal(emu.control, true);
      const info = await request(`${emu.url}/_emulator/info`);
      assert.equal(info.statusCode, 200);
      assert.equal(((await info.body.json()) as { bucket: string }).bucket, emu.bucket);
    } finally {
      await emu.close();
    }
  });

  for (const argv of [[], ['--control']]) {
    it(`\`cos-upload emulator${argv.length ? ' --control' : ''}\` ${argv.length ? 'serves' : 'does not serve'} the control API, and says so`, async () => {
      const stop = new AbortController();
      let out = '';
      let started: RunningEmulator | undefined;
      const exit = runEmulatorCli([...argv, '--port', '0', '--json'], {
        stdout: (t) => (out += t),
        stderr: () => {},
        signal: stop.signal,
        handleSignals: false,
        onStarted: (e) => {
          started = e;
        },
      });
      try {
        const running = await waitFor(() => started, 'CLI start');
        const line = JSON.parse(out) as { control?: string };
        const res = await request(`${running.url}/_emulator/info`);
        await res.body.dump();
        if (argv.length) {
          assert.equal(line.control, `${running.url}/_emulator/`);
          assert.equal(res.statusCode, 200);
        } else {
          assert.equal(line.control, undefined, 'the --json line offers a control API that is not served');
          assert.equal(res.statusCode, 403);
        }
      } finally {
        stop.abort();
        assert.equal(await exit, 0);
      }
    });
  }
});
