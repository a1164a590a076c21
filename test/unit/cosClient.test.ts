import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CosClient } from '../../src/core/cosClient';
import { staticCredentials } from '../../src/core/credentials';
import { CosError, CosServiceError } from '../../src/core/errors';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** A scripted server: each request takes the next handler, so a test states every answer in order. */
async function scripted(handlers: Handler[]): Promise<{ url: string; server: Server; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(req);
      const handler = handlers.shift();
      if (!handler) {
        res.statusCode = 599;
        res.end('unexpected request');
        return;
      }
      handler(req, res, Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen };
}

const creds = { secretId: 'AKIDtest', secretKey: 'secret-value-never-shown' };
const errorXml = (code: string, message = 'm') =>
  `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>rid-${code}</RequestId></Error>`;

describe('CosClient', function () {
  this.timeout(10_000);
  let server: Server | undefined;
  let client: CosClient | undefined;
  afterEach(async () => {
    await client?.close();
    server?.close();
  });

  async function setup(handlers: Handler[], retries = 3) {
    const s = await scripted(handlers);
    server = s.server;
    client = new CosClient({
      target: { bucket: 'examplebucket-1250000000', region: 'ap-guangzhou', endpoint: s.url },
      credentials: staticCredentials(creds),
      retry: { retries, baseDelayMs: 1, maxDelayMs: 5 },
      requestTimeoutMs: 2_000,
    });
    return { client, seen: s.seen };
  }

  it('signs every request and never sends the secret key', async () => {
    const { client, seen } = await setup([(_q, res) => res.writeHead(200, { etag: '"abc"', 'x-cos-request-id': 'r1' }).end()]);
    const result = await client.putObject('a b/c.txt', Buffer.from('hi'), { 'content-md5': 'x' });
    assert.equal(result.etag, '"abc"');
    assert.equal(result.requestId, 'r1');
    assert.match(String(seen[0].headers.authorization), /^q-sign-algorithm=sha1&q-ak=AKIDtest&/);
    assert.equal(seen[0].url, '/a%20b/c.txt');
    assert.ok(!JSON.stringify(seen[0].headers).includes(creds.secretKey));
  });

  it('reads an <Error> inside a 200 Complete answer as a failure, and retries it when retryable', async () => {
    const okBody = '<CompleteMultipartUploadResult><Location>l</Location><Bucket>b</Bucket><Key>k</Key><ETag>"e-2"</ETag></CompleteMultipartUploadResult>';
    const { client, seen } = await setup([
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.write('   \n');
        res.end(errorXml('InternalError'));
      },
      (_q, res) => res.writeHead(200, { 'x-cos-hash-crc64ecma': '42' }).end(okBody),
    ]);
    const result = await client.completeMultipartUpload('k', 'u', [{ partNumber: 2, etag: '"b"' }, { partNumber: 1, etag: '"a"' }], {});
    assert.equal(result.etag, '"e-2"');
    assert.equal(result.crc64, '42');
    assert.equal(seen.length, 2);
  });

  it('fails a 200 Complete with a non-retryable <Error> as a service error', async () => {
    const { client } = await setup([(_q, res) => res.writeHead(200).end(errorXml('InvalidPart', 'part 3 missing'))]);
    await assert.rejects(client.completeMultipartUpload('k', 'u', [{ partNumber: 1, etag: '"a"' }], {}), (e: unknown) => {
      assert.ok(e instanceof CosServiceError);
      assert.equal(e.cosCode, 'InvalidPart');
      assert.equal(e.requestId, 'rid-InvalidPart');
      assert.match(e.message, /Complete Multipart Upload failed with InvalidPart \(HTTP 200\): part 3 missing/);
      return true;
    });
  });

  it('names an HTML page from a proxy, and retries it when it is a 5xx', async () => {
    const html = '<!DOCTYPE html><html><body>Proxy says no</body></html>';
    const ok = '<InitiateMultipartUploadResult><UploadId>u9</UploadId></InitiateMultipartUploadResult>';
    const { client, seen } = await setup([
      (_q, res) => res.writeHead(502, { 'content-type': 'text/html' }).end(html),
      (_q, res) => res.writeHead(200).end(ok),
      (_q, res) => res.writeHead(403, { 'content-type': 'text/html' }).end(html),
    ]);
    assert.equal((await client.initiateMultipartUpload('k', {})).uploadId, 'u9');
    assert.equal(seen.length, 2, 'the 502 page was retried');
    await assert.rejects(client.initiateMultipartUpload('k', {}), (e: unknown) => CosError.is(e) && !e.retryable && /HTML page/.test(e.message));
  });

  it('retries 5xx with Retry-After and gives up after the configured retries', async () => {
    const busy: Handler = (_q, res) => res.writeHead(503, { 'retry-after': '0' }).end(errorXml('SlowDown'));
    const { client, seen } = await setup([busy, busy, busy], 2);
    await assert.rejects(client.initiateMultipartUpload('k', {}), (e: unknown) => CosError.is(e) && e.retryable && /SlowDown/.test(e.message));
    assert.equal(seen.length, 3, 'one try plus two retries');
  });

  it('learns the clock offset from RequestTimeTooSkewed and signs with the server time', async () => {
    const serverDate = new Date(Date.now() + 3_600_000).toUTCString();
    const { client, seen } = await setup([
      (_q, res) => res.writeHead(403, { date: serverDate }).end(errorXml('RequestTimeTooSkewed')),
      (_q, res) => res.writeHead(200).end('<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>'),
    ]);
    const { uploadId } = await client.initiateMultipartUpload('k', {});
    assert.equal(uploadId, 'u1');
    assert.ok(Math.abs(client.clockOffset - 3_600_000) < 5_000);
    const signTime = /q-sign-time=(\d+);/.exec(String(seen[1].headers.authorization));
    assert.ok(signTime && Math.abs(Number(signTime[1]) * 1000 - (Date.now() + 3_600_000)) < 10_000);
  });

  it('maps expired temporary credentials to CREDENTIALS_EXPIRED and continues after a refresh', async () => {
    const s = await scripted([
      (_q, res) => res.writeHead(400).end(errorXml('ExpiredToken')),
      (req, res) => res.writeHead(200).end(`<InitiateMultipartUploadResult><UploadId>${String(req.headers['x-cos-security-token'])}</UploadId></InitiateMultipartUploadResult>`),
    ]);
    server = s.server;
    let token = 'old-token';
    client = new CosClient({
      target: { bucket: 'examplebucket-1250000000', region: 'ap-guangzhou', endpoint: s.url },
      credentials: { get: async () => ({ ...creds, sessionToken: token }), refresh: async () => ({ ...creds, sessionToken: (token = 'new-token') }) },
      retry: { retries: 0 },
    });
    const { uploadId } = await client.initiateMultipartUpload('k', {});
    assert.equal(uploadId, 'new-token');
  });

  it('pages List Parts and refuses a page loop', async () => {
    const page = (parts: number[], next?: string) =>
      `<ListPartsResult><IsTruncated>${next ? 'true' : 'false'}</IsTruncated>${next ? `<NextPartNumberMarker>${next}</NextPartNumberMarker>` : ''}${parts
        .map((n) => `<Part><PartNumber>${n}</PartNumber><ETag>"e${n}"</ETag><Size>5</Size></Part>`)
        .join('')}</ListPartsResult>`;
    const { client, seen } = await setup([(_q, res) => res.end(page([1, 2], '2')), (_q, res) => res.end(page([3]))]);
    const parts = await client.listParts('k', 'u');
    assert.deepEqual(parts.map((p) => p.partNumber), [1, 2, 3]);
    assert.match(String(seen[1].url), /part-number-marker=2/);
    await client.close();
    server?.close();
    const loop = await setup([(_q, res) => res.end(page([1], '1')), (_q, res) => res.end(page([1], '1'))]);
    await assert.rejects(loop.client.listParts('k', 'u'), (e: unknown) => CosError.is(e) && e.code === 'BAD_RESPONSE');
  });

  it('treats a missing ETag on a written part as a bad response', async () => {
    const { client } = await setup([(_q, res) => res.writeHead(200).end()]);
    await assert.rejects(
      client.uploadPart({ key: 'k', uploadId: 'u', partNumber: 1, data: Buffer.alloc(3), contentMd5: 'x' }),
      (e: unknown) => CosError.is(e) && e.code === 'BAD_RESPONSE' && /ETag/.test(e.message),
    );
  });

  it('stops an in-flight request promptly when the signal aborts', async () => {
    const { client } = await setup([() => undefined]);
    const controller = new AbortController();
    const t0 = Date.now();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(client.initiateMultipartUpload('k', {}, controller.signal), (e: unknown) => CosError.is(e) && e.code === 'ABORTED');
    assert.ok(Date.now() - t0 < 1_000);
  });

  it('returns undefined from Head Object on 404', async () => {
    const { client } = await setup([(_q, res) => res.writeHead(404).end()]);
    assert.equal(await client.headObject('missing'), undefined);
  });
});
