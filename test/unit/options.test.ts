import { strict as assert } from 'node:assert';
import { CosError } from '../../src/core/errors';
import { defaultUploadOptions, resolveUploadOptions } from '../../src/core/options';
import { completeHeaders, objectHeaders, partHeaders, sseHeaders } from '../../src/core/uploadHeaders';

function rejects(partial: Parameters<typeof resolveUploadOptions>[0], field: string, text: RegExp): void {
  assert.throws(
    () => resolveUploadOptions(partial),
    (error: unknown) => CosError.is(error) && error.code === 'INVALID_ARGUMENT' && (error as unknown as { field: string }).field === field && text.test(error.message),
  );
}

describe('options', () => {
  it('fills defaults and keeps a chosen concurrency fixed unless a maximum is given', () => {
    assert.deepEqual(resolveUploadOptions(), defaultUploadOptions());
    const fixed = resolveUploadOptions({ concurrency: 3 });
    assert.equal(fixed.maxConcurrency, 3);
    const adaptive = resolveUploadOptions({ concurrency: 3, maxConcurrency: 12 });
    assert.equal(adaptive.maxConcurrency, 12);
    assert.equal(resolveUploadOptions({ partSize: undefined }).partSize, 'auto');
  });

  it('leaves Content-MD5 off unless asked, and refuses a value that is not a boolean', () => {
    assert.equal(defaultUploadOptions().contentMd5, false);
    assert.equal(resolveUploadOptions({ contentMd5: true }).contentMd5, true);
    rejects({ contentMd5: 'yes' as unknown as boolean }, 'contentMd5', /true or false/);
  });

  it('names the option and the allowed range when one is out of range', () => {
    rejects({ partSize: 512 * 1024 }, 'partSize', /1 MiB .* 5 GiB/);
    rejects({ partSize: 6 * 1024 ** 3 }, 'partSize', /out of range/);
    rejects({ concurrency: 0 }, 'concurrency', /from 1 to 64/);
    rejects({ concurrency: 2.5 }, 'concurrency', /whole number/);
    rejects({ concurrency: 8, maxConcurrency: 4 }, 'maxConcurrency', /from 8/);
    rejects({ retries: -1 }, 'retries', /from 0/);
    rejects({ trafficLimit: 819_199 }, 'trafficLimit', /819200 to 838860800 bit\/s/);
    rejects({ trafficLimit: 838_860_801 }, 'trafficLimit', /819200/);
    rejects({ metadata: { 'bad name': 'x' } }, 'metadata', /bad name/);
    rejects({ metadata: { ok: 'line\nbreak' } }, 'metadata', /line break/);
    rejects({ storageClass: 'standard ia' }, 'storageClass', /STANDARD_IA/);
  });

  it('rejects an SSE-C key that is not 32 bytes without echoing it', () => {
    const short = Buffer.alloc(16, 1).toString('base64');
    assert.throws(
      () => resolveUploadOptions({ sse: { type: 'SSE-C', key: short } }),
      (error: unknown) => CosError.is(error) && /32 bytes/.test(error.message) && !error.message.includes(short),
    );
    assert.doesNotThrow(() => resolveUploadOptions({ sse: { type: 'SSE-C', key: Buffer.alloc(32).toString('base64') } }));
  });
});

describe('upload headers', () => {
  const ssecKey = Buffer.alloc(32, 9).toString('base64');

  it('derives Content-Type from the key, and carries storage class, metadata and overwrite guard', () => {
    const headers = objectHeaders('docs/readme.md', resolveUploadOptions({ storageClass: 'STANDARD_IA', metadata: { Project: 'x' }, forbidOverwrite: true }));
    assert.equal(headers['content-type'], 'text/markdown; charset=utf-8');
    assert.equal(headers['x-cos-storage-class'], 'STANDARD_IA');
    assert.equal(headers['x-cos-meta-project'], 'x');
    assert.equal(headers['x-cos-forbid-overwrite'], 'true');
    assert.equal(objectHeaders('blob', resolveUploadOptions())['content-type'], 'application/octet-stream');
  });

  it('sends SSE-C on the object and on every part, SSE-COS/KMS only on the object', () => {
    const ssec = sseHeaders({ type: 'SSE-C', key: ssecKey }, 'part');
    assert.equal(ssec['x-cos-server-side-encryption-customer-algorithm'], 'AES256');
    assert.equal(ssec['x-cos-server-side-encryption-customer-key-md5'].length, 24);
    assert.deepEqual(sseHeaders({ type: 'SSE-COS' }, 'part'), {});
    assert.equal(sseHeaders({ type: 'SSE-COS' }, 'object')['x-cos-server-side-encryption'], 'AES256');
    const kms = sseHeaders({ type: 'SSE-KMS', kmsKeyId: 'k1', context: 'e30=' }, 'object');
    assert.equal(kms['x-cos-server-side-encryption'], 'cos/kms');
    assert.equal(kms['x-cos-server-side-encryption-cos-kms-key-id'], 'k1');
  });

  it('puts traffic limit and part-size guards on parts, part-count guards on Complete', () => {
    const options = resolveUploadOptions({ trafficLimit: 1_000_000, partSizeMax: 9, partSizeMin: 1, partCountMax: 5, partCountMin: 2 });
    assert.deepEqual(partHeaders(options), { 'x-cos-traffic-limit': '1000000', 'x-cos-psize-max': '9', 'x-cos-psize-min': '1' });
    assert.deepEqual(completeHeaders(options), { 'x-cos-pnum-max': '5', 'x-cos-pnum-min': '2' });
  });
});
