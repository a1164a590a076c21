/**
 * The emulator keeps the object headers of Put Object and Initiate Multipart Upload and returns
 * them on Head and Get, as COS does (x-cos-tagging as x-cos-tagging-count), with the official
 * cos-nodejs-sdk-v5 as the client. Nothing here uses src/core.
 */

import * as assert from 'node:assert/strict';
import COS from 'cos-nodejs-sdk-v5';
import { startEmulator, type RunningEmulator } from '../../src/emulator';

function sdk(emu: RunningEmulator): COS {
  const { secretId, secretKey } = emu.credentials;
  return new COS({ SecretId: secretId, SecretKey: secretKey, Domain: new URL(emu.url).host, Protocol: 'http:' });
}

function promisify<P, R>(fn: (params: P, cb: (err: unknown, data: R) => void) => void, params: P): Promise<R> {
  return new Promise<R>((resolve, reject) => fn(params, (err, data) => (err ? reject(err as Error) : resolve(data))));
}

const EXPIRES = 'Wed, 21 Oct 2026 07:28:00 GMT';
const DESCRIBED = {
  CacheControl: 'max-age=31536000, immutable',
  ContentDisposition: 'attachment; filename="report.pdf"',
  ContentEncoding: 'gzip',
  ContentType: 'application/pdf',
  Expires: EXPIRES,
  StorageClass: 'STANDARD_IA' as const,
  'x-cos-meta-team': 'web',
  Headers: { 'Content-Language': 'zh-CN', 'x-cos-tagging': 'env=prod&team=web' },
};

function assertDescribed(headers: Record<string, string | undefined> | undefined): void {
  assert.ok(headers);
  assert.equal(headers['cache-control'], DESCRIBED.CacheControl);
  assert.equal(headers['content-disposition'], DESCRIBED.ContentDisposition);
  assert.equal(headers['content-encoding'], 'gzip');
  assert.equal(headers['content-language'], 'zh-CN');
  assert.equal(headers['content-type'], 'application/pdf');
  assert.equal(headers.expires, EXPIRES);
  assert.equal(headers['x-cos-storage-class'], 'STANDARD_IA');
  assert.equal(headers['x-cos-meta-team'], 'web');
  assert.equal(headers['x-cos-tagging-count'], '2');
  assert.equal(headers['x-cos-tagging'], undefined, 'the tags themselves are not returned on Head/Get');
}

describe('COS emulator object headers (official SDK as the client)', function () {
  this.timeout(20000);
  let emu: RunningEmulator;
  let cos: COS;
  const where = (): { Bucket: string; Region: string } => ({ Bucket: emu.bucket, Region: emu.region });

  beforeEach(async () => {
    emu = await startEmulator();
    cos = sdk(emu);
  });
  afterEach(() => emu.close());

  it('Put Object keeps the headers; headObject and getObject return them', async () => {
    await promisify(cos.putObject.bind(cos), { ...where(), Key: 'r.pdf', Body: Buffer.from('pdf bytes'), ...DESCRIBED });
    const head: COS.HeadObjectResult = await promisify(cos.headObject.bind(cos), { ...where(), Key: 'r.pdf' });
    assertDescribed(head.headers as Record<string, string>);
    const got: COS.GetObjectResult = await promisify(cos.getObject.bind(cos), { ...where(), Key: 'r.pdf' });
    assertDescribed(got.headers as Record<string, string>);
    assert.equal(got.Body.toString(), 'pdf bytes');
    assert.deepEqual(emu.objectInfo('r.pdf')?.headers, {
      'cache-control': DESCRIBED.CacheControl,
      'content-disposition': DESCRIBED.ContentDisposition,
      'content-encoding': 'gzip',
      'content-language': 'zh-CN',
      expires: EXPIRES,
    });
    assert.equal(emu.objectInfo('r.pdf')?.tagging, 'env=prod&team=web');
  });

  it('Initiate Multipart Upload keeps them for the completed object', async () => {
    const init: COS.MultipartInitResult = await promisify(cos.multipartInit.bind(cos), { ...where(), Key: 'big.pdf', ...DESCRIBED });
    const part: COS.MultipartUploadResult = await promisify(cos.multipartUpload.bind(cos), { ...where(), Key: 'big.pdf', UploadId: init.UploadId, PartNumber: 1, Body: Buffer.from('one part') });
    await promisify(cos.multipartComplete.bind(cos), { ...where(), Key: 'big.pdf', UploadId: init.UploadId, Parts: [{ PartNumber: 1, ETag: part.ETag }] });
    const head: COS.HeadObjectResult = await promisify(cos.headObject.bind(cos), { ...where(), Key: 'big.pdf' });
    assertDescribed(head.headers as Record<string, string>);
  });

  it('an object without tags or descriptive headers returns none of them', async () => {
    await promisify(cos.putObject.bind(cos), { ...where(), Key: 'plain.bin', Body: Buffer.from('x') });
    const head: COS.HeadObjectResult = await promisify(cos.headObject.bind(cos), { ...where(), Key: 'plain.bin' });
    const h = head.headers as Record<string, string>;
    for (const name of ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires', 'x-cos-tagging-count', 'x-cos-storage-class']) {
      assert.equal(h[name], undefined, name);
    }
  });

  const badTags: Array<[string, string]> = [
    ['11 tags', Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&')],
    ['a key twice', 'a=1&a=2'],
    ['a tag without =', 'novalue'],
    ['an empty key', '=v'],
  ];
  for (const [what, tagging] of badTags) {
    it(`refuses x-cos-tagging with ${what} (400 InvalidArgument), storing nothing`, async () => {
      await assert.rejects(
        promisify(cos.putObject.bind(cos), { ...where(), Key: 't.txt', Body: Buffer.from('x'), Headers: { 'x-cos-tagging': tagging } }),
        (err: { statusCode?: number; code?: string }) => {
          assert.equal(err.statusCode, 400);
          assert.equal(err.code, 'InvalidArgument');
          return true;
        },
      );
      assert.equal(emu.objectInfo('t.txt'), undefined);
    });
  }
});
