import * as assert from 'node:assert/strict';
import { ConfigError, CosError } from '../../src/core/errors';
import {
  COS_REGIONS,
  isLoopbackHost,
  objectPath,
  resolveEndpoint,
  validateBucket,
  validateEndpoint,
  validateObjectKey,
  validateRegion,
} from '../../src/core/endpoint';

/** Asserts a ConfigError on `field` whose message matches every pattern. */
function expectConfigError(fn: () => unknown, field: string, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.ok(CosError.is(e));
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.equal(e.field, field);
    for (const pattern of patterns) assert.match(e.message, pattern);
    return true;
  });
}

describe('endpoint', () => {
  describe('validateBucket', () => {
    it('accepts <name>-<appid> buckets', () => {
      for (const bucket of ['examplebucket-1250000000', 'examplebucket-1-1250000000', '1-newproject-1250000000', 'a-1', 'x'.repeat(49) + '-1250000000']) {
        assert.doesNotThrow(() => validateBucket(bucket), bucket);
      }
    });

    it('refuses malformed names, naming the value and the rule', () => {
      const rule = /Use <name>-<appid>, lowercase letters, digits and hyphens, e\.g\. examplebucket-1250000000\.$/;
      for (const bucket of [
        'examplebucket',
        'ExampleBucket-1250000000',
        '-examplebucket-1250000000',
        'examplebucket--1250000000',
        'example_bucket-1250000000',
        'example.bucket-1250000000',
        'examplebucket-12500a0000',
        'examplebucket-',
        '-1250000000',
        ' examplebucket-1250000000',
        'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com',
      ]) {
        expectConfigError(() => validateBucket(bucket), 'bucket', new RegExp(`^Bucket name is invalid: ${JSON.stringify(bucket).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\. `), rule);
      }
      expectConfigError(() => validateBucket(''), 'bucket', /^Bucket name is empty\./, rule);
    });

    it('refuses names longer than 60 characters', () => {
      const bucket = 'x'.repeat(50) + '-1250000000';
      expectConfigError(() => validateBucket(bucket), 'bucket', /^Bucket name is longer than 60 characters: "x{50}-1250000000"/);
    });
  });

  describe('validateRegion', () => {
    it('accepts known and unknown well-formed regions', () => {
      for (const region of ['ap-guangzhou', 'na-siliconvalley', 'ap-beijing-1', 'ap-shanghai-fsi', 'xx-newplace2']) {
        assert.doesNotThrow(() => validateRegion(region), region);
      }
    });

    it('refuses malformed regions, naming the value and the rule', () => {
      for (const region of ['AP-GUANGZHOU', 'ap_guangzhou', 'cos.ap-guangzhou', 'ap--guangzhou', '-ap', 'ap-', 'ap guangzhou', 'a'.repeat(51)]) {
        expectConfigError(() => validateRegion(region), 'region', /^Region is invalid: "/, /Use a COS region ID such as ap-guangzhou/);
      }
      expectConfigError(() => validateRegion('cos.ap-guangzhou'), 'region', /: "cos\.ap-guangzhou"\./);
      expectConfigError(() => validateRegion(''), 'region', /^Region is empty\./);
      expectConfigError(() => validateRegion('accelerate'), 'region', /cannot be "accelerate".*global acceleration/);
    });

    it('lists the public regions, all well-formed and unique', () => {
      const ids = COS_REGIONS.map((r) => r.id);
      for (const id of ['ap-beijing', 'ap-shanghai', 'ap-guangzhou', 'ap-hongkong', 'ap-singapore', 'na-siliconvalley', 'eu-frankfurt', 'sa-saopaulo']) {
        assert.ok(ids.includes(id), id);
      }
      assert.equal(new Set(ids).size, ids.length);
      for (const region of COS_REGIONS) {
        assert.doesNotThrow(() => validateRegion(region.id));
        assert.ok(region.label.length > 0);
      }
      assert.ok(Object.isFrozen(COS_REGIONS));
    });
  });

  describe('validateObjectKey', () => {
    it('accepts ordinary, nested, unicode and odd-but-safe keys', () => {
      for (const key of ['a.txt', 'dir/sub/file.bin', '中文/文件 名.txt', 'emoji😀.png', 'a+b%20c?d#e&f=g', '0123', '.hidden', 'a..b/c', 'dir//double', 'x'.repeat(850), '中'.repeat(283)]) {
        assert.doesNotThrow(() => validateObjectKey(key), key);
      }
    });

    it('refuses each unsafe shape and names the problem', () => {
      expectConfigError(() => validateObjectKey(''), 'key', /^Object key is empty/);
      expectConfigError(() => validateObjectKey('x'.repeat(851)), 'key', /is 851 bytes of UTF-8, more than the 850 COS allows: "x{120}…"$/);
      expectConfigError(() => validateObjectKey('中'.repeat(284)), 'key', /is 852 bytes of UTF-8/);
      expectConfigError(() => validateObjectKey('a\nb'), 'key', /contains the control character U\+000A at position 1: "a\\nb"$/);
      expectConfigError(() => validateObjectKey('a\u007fb'), 'key', /U\+007F/);
      expectConfigError(() => validateObjectKey('a\u0085b'), 'key', /U\+0085/);
      expectConfigError(() => validateObjectKey('/a.txt'), 'key', /must not start with "\/": "\/a\.txt"$/);
      expectConfigError(() => validateObjectKey('a/../b'), 'key', /must not contain "\." or "\.\." path segments.*: "a\/\.\.\/b"$/);
      expectConfigError(() => validateObjectKey('./a'), 'key', /path segments/);
      expectConfigError(() => validateObjectKey('a/..'), 'key', /path segments/);
      expectConfigError(() => validateObjectKey('dir/'), 'key', /must not end with "\/", which COS shows as a folder: "dir\/"$/);
      expectConfigError(() => validateObjectKey('a\ud800b'), 'key', /not valid Unicode \(it contains a lone surrogate\)/);
      expectConfigError(() => validateObjectKey('a\udc00'), 'key', /lone surrogate/);
    });
  });

  describe('validateEndpoint', () => {
    it('accepts http and https origins and returns the URL', () => {
      assert.equal(validateEndpoint('https://cos.example.com').origin, 'https://cos.example.com');
      assert.equal(validateEndpoint('http://127.0.0.1:9000/').host, '127.0.0.1:9000');
      assert.equal(validateEndpoint('http://[::1]:8080').hostname, '[::1]');
      assert.equal(validateEndpoint('HTTPS://CDN.Example.com:443').origin, 'https://cdn.example.com');
    });

    it('refuses other schemes, paths, queries, fragments and non-URLs', () => {
      expectConfigError(() => validateEndpoint(''), 'endpoint', /^Endpoint is empty\./);
      expectConfigError(() => validateEndpoint('cos.example.com'), 'endpoint', /^Endpoint is not a URL: "cos\.example\.com"\. Use an http or https origin/);
      expectConfigError(() => validateEndpoint('ftp://cos.example.com'), 'endpoint', /must use http or https, not ftp: "ftp:\/\/cos\.example\.com"/);
      expectConfigError(() => validateEndpoint('https://cos.example.com/bucket'), 'endpoint', /origin without path, query or fragment: "https:\/\/cos\.example\.com\/bucket"/);
      expectConfigError(() => validateEndpoint('https://cos.example.com?x=1'), 'endpoint', /without path, query/);
      expectConfigError(() => validateEndpoint('https://cos.example.com/?'), 'endpoint', /without path, query/);
      expectConfigError(() => validateEndpoint('https://cos.example.com#top'), 'endpoint', /without path, query/);
    });

    it('refuses credentials in the URL without echoing them', () => {
      for (const endpoint of ['https://user:hunter2@cos.example.com', 'https://hunter2@cos.example.com', 'user:hunter2@cos.example.com', 'http://u:hunter2/x@h']) {
        assert.throws(
          () => validateEndpoint(endpoint),
          (e: unknown) => e instanceof ConfigError && e.field === 'endpoint' && !e.message.includes('hunter2'),
          endpoint,
        );
      }
      expectConfigError(() => validateEndpoint('https://user:hunter2@cos.example.com'), 'endpoint', /must not contain a user name or password.*"https:\/\/\*\*\*@cos\.example\.com"/);
    });
  });

  describe('resolveEndpoint', () => {
    it('uses the regional domain by default', () => {
      assert.deepEqual(resolveEndpoint({ bucket: 'examplebucket-1250000000', region: 'ap-guangzhou' }), {
        origin: 'https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com',
        host: 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com',
      });
    });

    it('uses the global acceleration domain when asked', () => {
      assert.deepEqual(resolveEndpoint({ bucket: 'examplebucket-1250000000', region: 'ap-guangzhou', accelerate: true }), {
        origin: 'https://examplebucket-1250000000.cos.accelerate.myqcloud.com',
        host: 'examplebucket-1250000000.cos.accelerate.myqcloud.com',
      });
    });

    it('uses a custom endpoint over everything else, port included in Host', () => {
      assert.deepEqual(resolveEndpoint({ bucket: 'examplebucket-1250000000', region: 'ap-guangzhou', accelerate: true, endpoint: 'http://127.0.0.1:9000' }), {
        origin: 'http://127.0.0.1:9000',
        host: '127.0.0.1:9000',
      });
      assert.deepEqual(resolveEndpoint({ bucket: 'b-1', region: 'r', endpoint: 'https://files.example.com:443/' }), {
        origin: 'https://files.example.com',
        host: 'files.example.com',
      });
    });

    it('validates the bucket, region and endpoint first', () => {
      expectConfigError(() => resolveEndpoint({ bucket: 'Bad', region: 'ap-guangzhou' }), 'bucket', /"Bad"/);
      expectConfigError(() => resolveEndpoint({ bucket: 'b-1', region: 'Guangzhou' }), 'region', /"Guangzhou"/);
      expectConfigError(() => resolveEndpoint({ bucket: 'b-1', region: 'ap-guangzhou', endpoint: 'ftp://x' }), 'endpoint', /http or https/);
    });
  });

  describe('objectPath', () => {
    it('percent-encodes each segment and keeps the separators', () => {
      assert.equal(objectPath('dir/a b.txt'), '/dir/a%20b.txt');
      assert.equal(objectPath("中文/x+y%z?#&=!'()*~.txt"), "/%E4%B8%AD%E6%96%87/x%2By%25z%3F%23%26%3D%21%27%28%29%2A~.txt");
      assert.equal(objectPath('a//b'), '/a//b');
    });

    it('decodes back to the key the signer signs', () => {
      for (const key of ['dir/a b.txt', '中文/😀 %2F+?.bin', 'a//b/c', "it's (1).txt"]) {
        assert.equal(decodeURIComponent(objectPath(key)), `/${key}`);
        // URL parsing must leave the path exactly as built: nothing normalized away.
        assert.equal(new URL(`https://h${objectPath(key)}`).pathname, objectPath(key));
      }
    });
  });

  describe('isLoopbackHost', () => {
    it('recognises loopback names and addresses', () => {
      for (const host of ['localhost', 'LOCALHOST', 'localhost.', '127.0.0.1', '127.255.1.2', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '[::ffff:7f00:1]']) {
        assert.equal(isLoopbackHost(host), true, host);
      }
    });

    it('rejects everything else', () => {
      for (const host of ['example.com', 'localhost.example.com', '128.0.0.1', '10.0.0.1', '0.0.0.0', '::', '::2', '::ffff:10.0.0.1', 'fe80::1%eth0', '127.0.0.1.nip.io', '']) {
        assert.equal(isLoopbackHost(host), false, host);
      }
    });
  });
});
