/**
 * The emulator's bucket operations (GET Bucket, Delete Multiple Objects), driven by the official
 * cos-nodejs-sdk-v5 as the client, plus raw requests for what the SDK will not send (a missing
 * Content-MD5, more than 1,000 keys). Nothing here uses src/core.
 */

import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import COS from 'cos-nodejs-sdk-v5';
import { request } from 'undici';
import { parseDeleteBody } from '../../src/emulator/bucket';
import { startEmulator, type RunningEmulator } from '../../src/emulator';

function sdk(emu: RunningEmulator): COS {
  const { secretId, secretKey } = emu.credentials;
  // The emulator is addressed by IP with path /<key>, as a custom domain is.
  return new COS({ SecretId: secretId, SecretKey: secretKey, Domain: new URL(emu.url).host, Protocol: 'http:' });
}

function promisify<P, R>(fn: (params: P, cb: (err: unknown, data: R) => void) => void, params: P): Promise<R> {
  return new Promise<R>((resolve, reject) => fn(params, (err, data) => (err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(data))));
}

async function put(cos: COS, emu: RunningEmulator, key: string, body: string): Promise<void> {
  await promisify(cos.putObject.bind(cos), { Bucket: emu.bucket, Region: emu.region, Key: key, Body: Buffer.from(body) });
}

async function getBucket(cos: COS, emu: RunningEmulator, params: Partial<COS.GetBucketParams>): Promise<COS.GetBucketResult> {
  return promisify(cos.getBucket.bind(cos), { Bucket: emu.bucket, Region: emu.region, ...params });
}

const KEYS = ['a/1.txt', 'a/2.txt', 'a/sub/3.txt', 'a/sub/4.txt', 'a/z.txt', 'b/5.txt', 'a/with space+%?#&=.txt', 'a/汉字.txt', 'top.txt'];

describe('COS emulator bucket operations (official SDK as the client)', function () {
  this.timeout(20000);
  let emu: RunningEmulator;
  let cos: COS;

  beforeEach(async () => {
    emu = await startEmulator();
    cos = sdk(emu);
    for (const key of KEYS) await put(cos, emu, key, `body of ${key}`);
  });
  afterEach(() => emu.close());

  it('getBucket lists everything under a prefix with Key, Size, ETag, LastModified and StorageClass', async () => {
    const r = await getBucket(cos, emu, { Prefix: 'a/' });
    const keys = r.Contents.map((c) => c.Key);
    assert.deepEqual(keys, KEYS.filter((k) => k.startsWith('a/')).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    assert.equal(r.IsTruncated, 'false');
    const one = r.Contents.find((c) => c.Key === 'a/1.txt');
    assert.ok(one);
    assert.equal(one.Size, String(Buffer.byteLength('body of a/1.txt')));
    assert.equal(one.ETag, `"${createHash('md5').update('body of a/1.txt').digest('hex')}"`);
    assert.equal(one.StorageClass, 'STANDARD');
    assert.ok(!Number.isNaN(Date.parse(one.LastModified)));
  });

  it('getBucket rolls keys up into CommonPrefixes at the delimiter', async () => {
    const r = await getBucket(cos, emu, { Prefix: 'a/', Delimiter: '/' });
    assert.deepEqual(
      r.CommonPrefixes.map((p) => p.Prefix),
      ['a/sub/'],
    );
    assert.ok(!r.Contents.some((c) => c.Key.startsWith('a/sub/')));
    assert.equal(r.Contents.length, 5);
  });

  it('pages with max-keys and NextMarker, a common prefix counting as one entry', async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    for (;;) {
      const r = await getBucket(cos, emu, { Prefix: 'a/', Delimiter: '/', MaxKeys: 2, ...(marker ? { Marker: marker } : {}) });
      pages++;
      seen.push(...r.Contents.map((c) => c.Key), ...r.CommonPrefixes.map((p) => p.Prefix));
      assert.ok(r.Contents.length + r.CommonPrefixes.length <= 2);
      if (r.IsTruncated !== 'true') break;
      assert.ok(r.NextMarker, 'a truncated page names its NextMarker');
      marker = r.NextMarker;
    }
    assert.equal(pages, 3);
    assert.deepEqual([...seen].sort(), ['a/1.txt', 'a/2.txt', 'a/sub/', 'a/with space+%?#&=.txt', 'a/z.txt', 'a/汉字.txt'].sort());
  });

  it('caps max-keys at 1000 and defaults to it', async () => {
    assert.equal((await getBucket(cos, emu, { MaxKeys: 5000 })).MaxKeys, '1000');
    assert.equal((await getBucket(cos, emu, {})).MaxKeys, '1000');
  });

  it('encoding-type=url percent-encodes keys, prefix and markers', async () => {
    const r = await getBucket(cos, emu, { Prefix: 'a/', EncodingType: 'url', MaxKeys: 5 });
    assert.equal(r.EncodingType, 'url');
    const keys = r.Contents.map((c) => c.Key);
    assert.ok(keys.includes(encodeURIComponent('a/with space+%?#&=.txt')), keys.join(' '));
    assert.ok(keys.every((k) => !/[ ?#&=]/.test(k)));
    assert.equal(r.Prefix, encodeURIComponent('a/'));
    assert.equal(decodeURIComponent(r.NextMarker as string), 'a/with space+%?#&=.txt');
  });

  it('deleteMultipleObject verbose lists each deleted key (a missing key counts as deleted)', async () => {
    const r = await promisify<COS.DeleteMultipleObjectParams, COS.DeleteMultipleObjectResult>(cos.deleteMultipleObject.bind(cos), {
      Bucket: emu.bucket,
      Region: emu.region,
      Objects: [{ Key: 'a/1.txt' }, { Key: 'a/with space+%?#&=.txt' }, { Key: 'never/was' }],
    });
    assert.deepEqual(r.Deleted.map((d) => d.Key).sort(), ['a/1.txt', 'a/with space+%?#&=.txt', 'never/was']);
    assert.deepEqual(r.Error, []);
    assert.equal(emu.objectInfo('a/1.txt'), undefined);
    assert.equal(emu.objectInfo('a/with space+%?#&=.txt'), undefined);
    assert.ok(emu.objectInfo('a/2.txt'));
  });

  it('deleteMultipleObject quiet lists only the refused keys, with their code', async () => {
    emu.denyDelete(['a/2.txt']);
    const r = await promisify<COS.DeleteMultipleObjectParams, COS.DeleteMultipleObjectResult>(cos.deleteMultipleObject.bind(cos), {
      Bucket: emu.bucket,
      Region: emu.region,
      Quiet: true,
      Objects: [{ Key: 'a/1.txt' }, { Key: 'a/2.txt' }, { Key: 'a/汉字.txt' }],
    });
    assert.deepEqual(r.Deleted, []);
    assert.deepEqual(
      r.Error.map((e) => [e.Key, e.Code]),
      [['a/2.txt', 'AccessDenied']],
    );
    assert.ok(emu.objectInfo('a/2.txt'), 'a refused key stays');
    assert.equal(emu.objectInfo('a/汉字.txt'), undefined);
  });

  describe('raw requests', () => {
    async function postDelete(body: string, md5?: string): Promise<{ status: number; text: string }> {
      const headers: Record<string, string> = { 'content-type': 'application/xml' };
      if (md5 !== undefined) headers['content-md5'] = md5;
      const { secretId, secretKey } = emu.credentials;
      const host = new URL(emu.url).host;
      headers.host = host;
      headers.authorization = COS.getAuthorization({ SecretId: secretId, SecretKey: secretKey, Method: 'POST', Key: '', Query: { delete: '' }, Headers: headers });
      const r = await request(`${emu.url}/?delete`, { method: 'POST', headers, body });
      return { status: r.statusCode, text: await r.body.text() };
    }
    const md5 = (s: string): string => createHash('md5').update(s).digest('base64');
    const doc = (keys: string[]): string => `<Delete><Quiet>false</Quiet>${keys.map((k) => `<Object><Key>${k}</Key></Object>`).join('')}</Delete>`;

    it('refuses a Delete Multiple without Content-MD5 or with a wrong one, deleting nothing', async () => {
      const body = doc(['a/1.txt']);
      const missing = await postDelete(body);
      assert.equal(missing.status, 400);
      assert.match(missing.text, /<Code>MissingContentMD5<\/Code>/);
      const wrong = await postDelete(body, md5('other'));
      assert.equal(wrong.status, 400);
      assert.match(wrong.text, /<Code>BadDigest<\/Code>/);
      assert.ok(emu.objectInfo('a/1.txt'));
    });

    it('refuses more than 1000 keys in one request', async () => {
      const body = doc(Array.from({ length: 1001 }, (_, i) => `k${i}`));
      const r = await postDelete(body, md5(body));
      assert.equal(r.status, 400);
      assert.match(r.text, /<Code>MalformedXML<\/Code>/);
      const ok = doc(Array.from({ length: 1000 }, (_, i) => `k${i}`));
      assert.equal((await postDelete(ok, md5(ok))).status, 200);
    });
  });

  it('parses a Delete body in any element order, unescaping keys', () => {
    assert.deepEqual(parseDeleteBody('<Delete><Object><Key>a&amp;b</Key></Object><Quiet>TRUE</Quiet></Delete>'), { quiet: true, keys: ['a&b'] });
    assert.deepEqual(parseDeleteBody('<Delete><Object><Key>x</Key></Object></Delete>'), { quiet: false, keys: ['x'] });
    assert.equal(parseDeleteBody('<Delete><Quiet>maybe</Quiet></Delete>'), undefined);
    assert.equal(parseDeleteBody('<Other/>'), undefined);
  });
});
