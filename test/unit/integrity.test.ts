import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { crc64, typescriptCrc64 } from '../../src/core/crc64';
import { combinePartCrcs, digestPart, etagMatchesMd5 } from '../../src/core/integrity';

function patterned(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    // xorshift32: cheap, deterministic, not all zeros.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

describe('integrity', () => {
  describe('digestPart', () => {
    it('gives the known MD5 and CRC64 of "123456789"', () => {
      const digest = digestPart(Buffer.from('123456789'));
      assert.equal(digest.md5?.hex, '25f9e794323b453885f5181f1b624d0b');
      assert.equal(digest.md5?.base64, Buffer.from('25f9e794323b453885f5181f1b624d0b', 'hex').toString('base64'));
      assert.equal(digest.crc64, 11051210869376104954n);
    });

    it('gives the MD5 of nothing and CRC 0 for an empty part', () => {
      const digest = digestPart(new Uint8Array(0));
      assert.equal(digest.md5?.hex, 'd41d8cd98f00b204e9800998ecf8427e');
      assert.equal(digest.md5?.base64, '1B2M2Y8AsgTpgAmY7PhCfg==');
      assert.equal(digest.crc64, 0n);
    });

    it('computes CRC64 alone when MD5 is not asked for', () => {
      const data = patterned(70_000, 9);
      const digest = digestPart(data, undefined, false);
      assert.equal(digest.md5, undefined);
      assert.equal(digest.crc64, digestPart(data).crc64);
    });

    it('hashes only the bytes of a view, not the whole backing buffer', () => {
      const backing = patterned(10_000, 3);
      const view = new Uint8Array(backing.buffer, 1001, 5000);
      const copy = Buffer.from(view);
      const digest = digestPart(view, typescriptCrc64);
      assert.equal(digest.md5?.hex, createHash('md5').update(copy).digest('hex'));
      assert.equal(digest.crc64, crc64(copy));
    });
  });

  describe('etagMatchesMd5', () => {
    const md5 = '39270a968a357d24207e9911162507eb';

    it('matches a quoted ETag as COS sends it', () => {
      assert.equal(etagMatchesMd5('"39270a968a357d24207e9911162507eb"', md5), 'match');
    });

    it('ignores case and surrounding space, and accepts an unquoted ETag', () => {
      assert.equal(etagMatchesMd5(' "39270A968A357D24207E9911162507EB" ', md5), 'match');
      assert.equal(etagMatchesMd5('39270a968a357d24207e9911162507eb', md5.toUpperCase()), 'match');
    });

    it('reports a different MD5 as a mismatch', () => {
      assert.equal(etagMatchesMd5('"108f528eb63b65e734f27ae331f5ffaa"', md5), 'mismatch');
    });

    it('says not-md5 for ETags that cannot be an MD5 (multipart, KMS-style, absent, empty)', () => {
      for (const etag of [
        undefined,
        '',
        '""',
        '"39270a968a357d24207e9911162507eb-3"',
        '"0a3b2c"',
        '"39270a968a357d24207e9911162507ebff"',
        '"zz270a968a357d24207e9911162507eb"',
      ]) {
        assert.equal(etagMatchesMd5(etag, md5), 'not-md5', String(etag));
      }
    });
  });

  describe('combinePartCrcs', () => {
    it('equals the CRC of the whole object for parts of different sizes', () => {
      const data = patterned(3 * 65_536 + 777, 11);
      const sizes = [65_536, 65_536, 65_536, 777];
      const parts: Array<{ crc64: bigint; size: number }> = [];
      let offset = 0;
      for (const size of sizes) {
        parts.push({ crc64: crc64(data.subarray(offset, offset + size)), size });
        offset += size;
      }
      assert.equal(combinePartCrcs(parts), crc64(data));
    });

    it('depends on part order', () => {
      const a = patterned(1000, 1);
      const b = patterned(2000, 2);
      const forward = combinePartCrcs([
        { crc64: crc64(a), size: a.length },
        { crc64: crc64(b), size: b.length },
      ]);
      const backward = combinePartCrcs([
        { crc64: crc64(b), size: b.length },
        { crc64: crc64(a), size: a.length },
      ]);
      assert.equal(forward, crc64(Buffer.concat([a, b])));
      assert.notEqual(forward, backward);
    });

    it('gives 0 for no parts and the part CRC for a single part, empty parts included', () => {
      assert.equal(combinePartCrcs([]), 0n);
      const only = patterned(123, 9);
      assert.equal(combinePartCrcs([{ crc64: crc64(only), size: only.length }]), crc64(only));
      assert.equal(combinePartCrcs([{ crc64: 0n, size: 0 }]), 0n);
    });
  });
});
