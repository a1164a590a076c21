import * as assert from 'node:assert/strict';
import COS from 'cos-nodejs-sdk-v5';
import { CosError } from '../../src/core/errors';
import { cosUriEncode, headersToSign, presignQuery, signAuthorization } from '../../src/core/signer';
import type { Credentials } from '../../src/core/types';
import { prng, type Rand } from '../seededRandom';


const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)];
const int = (rand: Rand, min: number, max: number): number => min + Math.floor(rand() * (max - min + 1));

const KEY_ATOMS = ['a', 'Z', '0', '9', ' ', '中', '文', '😀', '+', '%', '/', '?', '#', '&', '=', '~', '!', '*', "'", '(', ')', '.', '-', '_', ';', ':', '@', '$', ',', 'é'];
const VALUE_ATOMS = [...KEY_ATOMS.filter((c) => c !== '/'), '/', '"', '<', 'x', 'y', '1'];

function randomText(rand: Rand, atoms: readonly string[], min: number, max: number): string {
  let text = '';
  const length = int(rand, min, max);
  for (let i = 0; i < length; i++) text += pick(rand, atoms);
  return text;
}

function randomCase(rand: Rand, name: string): string {
  const mode = int(rand, 0, 2);
  if (mode === 0) return name;
  if (mode === 1) return name.toUpperCase();
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

interface RandomRequest {
  method: string;
  key: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  credentials: Credentials;
  nowMs: number;
  expiresSeconds: number;
}

function randomRequest(rand: Rand): RandomRequest {
  const query: Record<string, string> = {};
  const queryPool: Array<[string, () => string]> = [
    ['uploadId', () => randomText(rand, ['0', 'a', 'f', '9', 'b'], 10, 60)],
    ['partNumber', () => String(int(rand, 1, 10000))],
    ['uploads', () => ''],
    ['prefix', () => randomText(rand, VALUE_ATOMS, 0, 12)],
    ['delimiter', () => '/'],
    ['max-parts', () => String(int(rand, 1, 1000))],
    ['part-number-marker', () => String(int(rand, 0, 9999))],
    ['encoding-type', () => 'url'],
    ['key-marker', () => randomText(rand, VALUE_ATOMS, 0, 10)],
    ['upload-id-marker', () => randomText(rand, ['1', 'c'], 0, 20)],
    ['response-content-disposition', () => `attachment; filename="${randomText(rand, VALUE_ATOMS, 1, 6)}"`],
    ['versionId', () => randomText(rand, ['M', 'T', 'g', '4'], 5, 20)],
  ];
  for (const [name, value] of queryPool) if (rand() < 0.35) query[name] = value();

  const headers: Record<string, string> = {};
  const headerPool: Array<[string, () => string]> = [
    ['host', () => `examplebucket-${int(rand, 1250000000, 1259999999)}.cos.${pick(rand, ['ap-guangzhou', 'ap-beijing', 'na-ashburn'])}.myqcloud.com`],
    ['content-md5', () => Buffer.from(randomText(rand, VALUE_ATOMS, 16, 16)).toString('base64')],
    ['content-length', () => String(int(rand, 0, 5 * 1024 ** 3))],
    ['content-type', () => pick(rand, ['application/octet-stream', 'text/plain; charset=utf-8', 'image/png'])],
    ['x-cos-meta-note', () => randomText(rand, VALUE_ATOMS, 0, 15)],
    ['x-cos-meta-Author-Name', () => randomText(rand, VALUE_ATOMS, 1, 8)],
    ['x-cos-traffic-limit', () => String(int(rand, 819200, 838860800))],
    ['x-cos-storage-class', () => pick(rand, ['STANDARD', 'STANDARD_IA', 'ARCHIVE'])],
    ['x-cos-security-token', () => randomText(rand, ['A', 'b', '3', '-', '_', '+', '/', '='], 20, 80)],
    ['x-cos-forbid-overwrite', () => 'true'],
    // Signed by neither implementation: must not change the signature.
    ['user-agent', () => 'cos-part-uploader/0.1'],
    ['accept', () => '*/*'],
    ['connection', () => 'keep-alive'],
    ['date', () => new Date(int(rand, 0, 2e12)).toUTCString()],
  ];
  for (const [name, value] of headerPool) if (rand() < 0.4) headers[randomCase(rand, name)] = value();

  const credentials: Credentials = {
    secretId: `AKID${randomText(rand, ['a', 'B', '7', 'x'], 10, 36)}`,
    secretKey: randomText(rand, ['k', 'Q', '2', '+', '/'], 16, 40),
  };
  return {
    method: randomCase(rand, pick(rand, ['get', 'put', 'post', 'delete', 'head'])),
    key: randomText(rand, KEY_ATOMS, 1, 40),
    query,
    headers,
    credentials,
    nowMs: int(rand, 1_500_000_000_000, 2_000_000_000_000),
    expiresSeconds: int(rand, 1, 7200),
  };
}

function expectedKeyTime(nowMs: number, expiresSeconds: number): string {
  const start = Math.round(nowMs / 1000) - 1;
  return `${start};${start + expiresSeconds}`;
}

function sdkAuthorization(r: RandomRequest): string {
  return COS.getAuthorization({
    SecretId: r.credentials.secretId,
    SecretKey: r.credentials.secretKey,
    Method: r.method as COS.Method,
    Pathname: `/${r.key}`,
    Query: r.query,
    Headers: r.headers,
    KeyTime: expectedKeyTime(r.nowMs, r.expiresSeconds),
  });
}

describe('signer', () => {
  describe('signAuthorization', () => {
    it('is byte-equal to the official SDK on 300 random requests', () => {
      const rand = prng(0xc05);
      for (let i = 0; i < 300; i++) {
        const r = randomRequest(rand);
        const ours = signAuthorization(
          { method: r.method, pathname: `/${r.key}`, query: r.query, headers: r.headers },
          { credentials: r.credentials, nowMs: r.nowMs, expiresSeconds: r.expiresSeconds },
        );
        assert.equal(ours, sdkAuthorization(r), `request #${i}: ${JSON.stringify(r)}`);
      }
    });

    it('matches a pinned known answer computed once with the SDK', () => {
      const auth = signAuthorization(
        {
          method: 'PUT',
          pathname: '/dir/中文 file+(1).txt',
          query: { partNumber: '3', uploadId: '1585130821cbb7df1d11846c073ad648' },
          headers: {
            Host: 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com',
            'Content-Length': '1048576',
            'Content-MD5': 'OScKloo1fSQgfpkRFiUH6w==',
            'x-cos-traffic-limit': '819200',
            'User-Agent': 'test',
          },
        },
        {
          credentials: { secretId: 'AKIDexampleSecretId0123456789', secretKey: 'exampleSecretKey0123456789abcdef' },
          nowMs: 1_700_000_001_000,
          expiresSeconds: 900,
        },
      );
      assert.equal(
        auth,
        'q-sign-algorithm=sha1&q-ak=AKIDexampleSecretId0123456789&q-sign-time=1700000000;1700000900' +
          '&q-key-time=1700000000;1700000900&q-header-list=content-length;content-md5;host;x-cos-traffic-limit' +
          '&q-url-param-list=partnumber;uploadid&q-signature=aa5f6dc20c3e5341df47ae8e5a6653cf234be2bb',
      );
    });

    it('defaults to a 900 s window starting one second before now', () => {
      const auth = signAuthorization(
        { method: 'GET', pathname: '/a' },
        { credentials: { secretId: 'id', secretKey: 'key' }, nowMs: 1_700_000_000_499 },
      );
      assert.match(auth, /&q-sign-time=1699999999;1700000899&q-key-time=1699999999;1700000899&/);
    });

    it('uses Date.now() when no time is given', () => {
      const before = Math.round(Date.now() / 1000) - 1;
      const auth = signAuthorization({ method: 'GET', pathname: '/a' }, { credentials: { secretId: 'id', secretKey: 'key' } });
      const after = Math.round(Date.now() / 1000) - 1;
      const start = Number(/q-key-time=(\d+);/.exec(auth)?.[1]);
      assert.ok(start >= before && start <= after, `start ${start} outside [${before}, ${after}]`);
    });

    it('skips undefined query and header values as if they were absent', () => {
      const opts = { credentials: { secretId: 'id', secretKey: 'key' }, nowMs: 1_700_000_000_000 };
      const withUndefined = signAuthorization(
        { method: 'PUT', pathname: '/k', query: { uploadId: 'u', partNumber: undefined }, headers: { 'x-cos-meta-a': undefined, host: 'h' } },
        opts,
      );
      const without = signAuthorization({ method: 'PUT', pathname: '/k', query: { uploadId: 'u' }, headers: { host: 'h' } }, opts);
      assert.equal(withUndefined, without);
    });

    it('signs an empty query value, as the uploads parameter needs', () => {
      const auth = signAuthorization(
        { method: 'POST', pathname: '/k', query: { uploads: '' } },
        { credentials: { secretId: 'id', secretKey: 'key' }, nowMs: 1_700_000_000_000 },
      );
      assert.match(auth, /&q-url-param-list=uploads&/);
      assert.equal(
        auth,
        COS.getAuthorization({ SecretId: 'id', SecretKey: 'key', Method: 'POST', Pathname: '/k', Query: { uploads: '' }, KeyTime: '1699999999;1700000899' }),
      );
    });

    it('signs x-cos-security-token when the caller passes it as a header', () => {
      const auth = signAuthorization(
        { method: 'PUT', pathname: '/k', headers: { 'x-cos-security-token': 'tok', host: 'h' } },
        { credentials: { secretId: 'id', secretKey: 'key', sessionToken: 'tok' }, nowMs: 1_700_000_000_000 },
      );
      assert.match(auth, /&q-header-list=host;x-cos-security-token&/);
    });

    it('changes when the path, a signed header, a query value or the method changes', () => {
      const opts = { credentials: { secretId: 'id', secretKey: 'key' }, nowMs: 1_700_000_000_000 };
      const base = { method: 'PUT', pathname: '/a b', query: { partNumber: '1' }, headers: { 'content-md5': 'x' } };
      const sig = (req: typeof base) => /q-signature=(\w+)/.exec(signAuthorization(req, opts))?.[1];
      const original = sig(base);
      assert.notEqual(sig({ ...base, pathname: '/a%20b' }), original);
      assert.notEqual(sig({ ...base, headers: { 'content-md5': 'y' } }), original);
      assert.notEqual(sig({ ...base, query: { partNumber: '2' } }), original);
      assert.notEqual(sig({ ...base, method: 'POST' }), original);
      assert.equal(sig({ ...base, method: 'put' }), original);
    });

    it('refuses missing credentials, a bad window and ambiguous names with a CosError', () => {
      const req = { method: 'GET', pathname: '/a' };
      const expectInvalid = (fn: () => unknown, pattern: RegExp) =>
        assert.throws(fn, (e: unknown) => CosError.is(e) && e.code === 'INVALID_ARGUMENT' && pattern.test(e.message));
      expectInvalid(() => signAuthorization(req, { credentials: { secretId: '', secretKey: 'k' } }), /SecretId and a SecretKey/);
      expectInvalid(() => signAuthorization(req, { credentials: { secretId: 'i', secretKey: '' } }), /SecretId and a SecretKey/);
      expectInvalid(() => signAuthorization(req, { credentials: { secretId: 'i', secretKey: 'k' }, expiresSeconds: 0 }), /positive whole number of seconds: 0/);
      expectInvalid(() => signAuthorization(req, { credentials: { secretId: 'i', secretKey: 'k' }, expiresSeconds: 1.5 }), /: 1\.5$/);
      expectInvalid(() => signAuthorization(req, { credentials: { secretId: 'i', secretKey: 'k' }, nowMs: Number.NaN }), /finite/);
      expectInvalid(
        () => signAuthorization({ ...req, headers: { 'Content-MD5': 'a', 'content-md5': 'b' } }, { credentials: { secretId: 'i', secretKey: 'k' } }),
        /Header is given twice with different letter case: content-md5$/,
      );
      expectInvalid(
        () => signAuthorization({ ...req, query: { uploadId: 'a', UPLOADID: 'b' } }, { credentials: { secretId: 'i', secretKey: 'k' } }),
        /Query parameter is given twice/,
      );
    });

    it('never puts the secret key in its output or its errors', () => {
      const secretKey = 'VERY-SECRET-KEY-VALUE';
      const auth = signAuthorization({ method: 'GET', pathname: '/a' }, { credentials: { secretId: 'id', secretKey } });
      assert.ok(!auth.includes(secretKey));
      try {
        signAuthorization({ method: 'GET', pathname: '/a', headers: { 'x-cos-meta-a': '\ud800' } }, { credentials: { secretId: 'id', secretKey } });
        assert.fail('expected a lone surrogate to be refused');
      } catch (e) {
        assert.ok(CosError.is(e) && e.code === 'INVALID_ARGUMENT');
        assert.ok(!(e as Error).message.includes(secretKey));
      }
    });
  });

  describe('presignQuery', () => {
    /** The SDK's presigned URL, with its clock pinned by temporary credentials that carry a StartTime. */
    async function sdkPresignedQuery(r: RandomRequest, token: string, startTime: number): Promise<string> {
      const cos = new COS({
        getAuthorization: (_opts, callback) =>
          callback({
            TmpSecretId: r.credentials.secretId,
            TmpSecretKey: r.credentials.secretKey,
            SecurityToken: token,
            StartTime: startTime,
            ExpiredTime: startTime + 100_000,
          }),
      });
      const url = await new Promise<string>((resolve, reject) => {
        cos.getObjectUrl(
          {
            Bucket: 'examplebucket-1250000000',
            Region: 'ap-guangzhou',
            Key: r.key,
            Method: r.method as COS.Method,
            Expires: r.expiresSeconds,
            // Headers is read by the implementation but missing from the SDK's typings.
            ...({ Headers: r.headers } as object),
          },
          (err, data) => (err ? reject(new Error(JSON.stringify(err))) : resolve(data.Url)),
        );
      });
      return url.slice(url.indexOf('?') + 1);
    }

    it('equals the query string of the SDK getObjectUrl on 60 random requests, token included', async () => {
      const rand = prng(0x5eed);
      // The SDK only uses cached temporary keys whose StartTime is not in the future.
      const startTime = Math.floor(Date.now() / 1000) - 120;
      for (let i = 0; i < 60; i++) {
        const r = randomRequest(rand);
        // The SDK signs the query only when it is in the URL; presigned uploads put it after ours.
        r.query = {};
        // The SDK drops empty header values here, and adds Host unless one is given.
        r.headers = Object.fromEntries(Object.entries(r.headers).filter(([k, v]) => v !== '' && k.toLowerCase() !== 'host'));
        r.headers.Host = 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com';
        r.credentials.secretKey = `${r.credentials.secretKey}${i}`;
        const token = randomText(rand, ['A', 'b', '3', '-', '_', '.'], 20, 60);
        const ours = presignQuery(
          { method: r.method, pathname: `/${r.key}`, headers: r.headers },
          { credentials: { ...r.credentials, sessionToken: token }, nowMs: (startTime + 1) * 1000, expiresSeconds: r.expiresSeconds },
        );
        assert.equal(ours, await sdkPresignedQuery(r, token, startTime), `request #${i}: ${JSON.stringify(r)}`);
      }
    });

    it('carries the same signature as the header form and encodes the parameter list once more', () => {
      const req = { method: 'PUT', pathname: '/a.txt', query: { partNumber: '1', uploadId: 'abc' }, headers: { host: 'h' } };
      const opts = { credentials: { secretId: 'id', secretKey: 'key' }, nowMs: 1_700_000_000_000 };
      const query = presignQuery(req, opts);
      const header = signAuthorization(req, opts);
      assert.equal(/q-signature=(\w+)/.exec(query)?.[1], /q-signature=(\w+)/.exec(header)?.[1]);
      assert.match(query, /&q-url-param-list=partnumber%3buploadid&/);
      assert.ok(!query.includes('x-cos-security-token'));
      // A standard query parser must hand COS back the exact list it signed.
      assert.equal(new URLSearchParams(query).get('q-url-param-list'), 'partnumber;uploadid');
    });

    it('adds the session token, URL-encoded, as x-cos-security-token', () => {
      const token = 'tok+en/with=chars&more';
      const query = presignQuery(
        { method: 'GET', pathname: '/a' },
        { credentials: { secretId: 'id', secretKey: 'key', sessionToken: token }, nowMs: 1_700_000_000_000 },
      );
      assert.ok(query.endsWith('&x-cos-security-token=tok%2Ben%2Fwith%3Dchars%26more'), query);
      assert.equal(new URLSearchParams(query).get('x-cos-security-token'), token);
    });
  });

  describe('headersToSign', () => {
    it('keeps host, content-length, content-md5, content-type and x-cos-*, lowercased', () => {
      assert.deepEqual(
        headersToSign({
          Host: 'h',
          'Content-Length': '5',
          'CONTENT-MD5': 'm',
          'Content-Type': 't',
          'X-Cos-Meta-A': ' spaced ',
          'x-cos-security-token': 'tok',
          'x-cos-empty': '',
          'User-Agent': 'ua',
          Range: 'bytes=0-1',
          'Cache-Control': 'no-cache',
          'x-cos-undefined': undefined,
          'my-x-cos-thing': 'not a prefix',
        }),
        {
          host: 'h',
          'content-length': '5',
          'content-md5': 'm',
          'content-type': 't',
          'x-cos-meta-a': ' spaced ',
          'x-cos-security-token': 'tok',
          'x-cos-empty': '',
        },
      );
    });
  });

  describe('cosUriEncode', () => {
    it("encodes everything but A-Z a-z 0-9 - _ . ~, including !'()*", () => {
      assert.equal(cosUriEncode("AZaz09-_.~!'()* /+%?#&=中😀"), "AZaz09-_.~%21%27%28%29%2A%20%2F%2B%25%3F%23%26%3D%E4%B8%AD%F0%9F%98%80");
    });

    it('refuses a lone surrogate with a CosError instead of a URIError', () => {
      assert.throws(
        () => cosUriEncode('a\udc00'),
        (e: unknown) => CosError.is(e) && e.code === 'INVALID_ARGUMENT' && /lone surrogate/.test(e.message),
      );
    });
  });
});
