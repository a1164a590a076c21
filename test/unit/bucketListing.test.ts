import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import {
  buildDeleteBody,
  decodeListedName,
  listAll,
  listObjectsQuery,
  parseDeleteResult,
  parseListBucketResult,
  type ObjectListingPage,
} from '../../src/core/bucketListing';
import { CosClient } from '../../src/core/cosClient';
import { staticCredentials } from '../../src/core/credentials';
import { CosError } from '../../src/core/errors';
import { startEmulator, type RunningEmulator } from '../../src/emulator';

const listing = (inner: string, encoded = true): string =>
  `<?xml version='1.0' encoding='utf-8' ?>\n<ListBucketResult><Name>b-1250000000</Name>${encoded ? '<EncodingType>url</EncodingType>' : ''}<Prefix></Prefix><Marker></Marker><MaxKeys>1000</MaxKeys>${inner}</ListBucketResult>`;
const contents = (key: string, size = 3, etag = '&quot;abc&quot;'): string =>
  `<Contents><Key>${key}</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>${etag}</ETag><Size>${size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;

function badResponse(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => CosError.is(e) && e.code === 'BAD_RESPONSE');
}

describe('bucket listing (GET Bucket / Delete Multiple parsing)', () => {
  describe('listObjectsQuery', () => {
    it('always asks for url encoding and 1000 keys, adding only what is given', () => {
      assert.deepEqual(listObjectsQuery({}), { 'encoding-type': 'url', 'max-keys': '1000' });
      assert.deepEqual(listObjectsQuery({ prefix: 'p/', delimiter: '/', marker: 'p/a', maxKeys: 2 }), {
        'encoding-type': 'url',
        'max-keys': '2',
        prefix: 'p/',
        delimiter: '/',
        marker: 'p/a',
      });
      for (const bad of [0, 1001, 1.5]) assert.throws(() => listObjectsQuery({ maxKeys: bad }), (e: unknown) => CosError.is(e) && e.code === 'INVALID_ARGUMENT');
    });
  });

  describe('parseListBucketResult', () => {
    it('decodes url-encoded keys, prefixes and NextMarker (spaces, unicode, +%?#&=)', () => {
      const key = 'dir/a b+c%d?e#f&g=h 汉字.txt';
      const body = listing(
        `<IsTruncated>true</IsTruncated><NextMarker>${encodeURIComponent('dir/sub/')}</NextMarker>${contents(encodeURIComponent(key), 12)}` +
          `<CommonPrefixes><Prefix>${encodeURIComponent('dir/sub/')}</Prefix></CommonPrefixes>`,
      );
      const page = parseListBucketResult(body);
      assert.deepEqual(page.objects, [{ key, size: 12, etag: '"abc"', lastModified: '2026-01-02T03:04:05.000Z', storageClass: 'STANDARD' }]);
      assert.deepEqual(page.commonPrefixes, ['dir/sub/']);
      assert.equal(page.isTruncated, true);
      assert.equal(page.nextMarker, 'dir/sub/');
    });

    it('reads a form-encoded space (+) as a space and %2B as a plus', () => {
      assert.equal(decodeListedName('a+b%2Bc', 'List Objects'), 'a b+c');
      badResponse(() => decodeListedName('%E0%A4%A', 'List Objects'));
    });

    it('leaves keys alone when the answer is not url-encoded, spaces at the ends included', () => {
      const page = parseListBucketResult(listing(`<IsTruncated>false</IsTruncated>${contents(' a%20b ')}`, false));
      assert.equal(page.objects[0].key, ' a%20b ');
      assert.equal(page.nextMarker, undefined);
    });

    it('continues from the last key when a truncated page has no NextMarker', () => {
      const page = parseListBucketResult(listing(`<IsTruncated>true</IsTruncated>${contents('a')}${contents('b')}`));
      assert.equal(page.nextMarker, 'b');
    });

    it('refuses answers that cannot be trusted', () => {
      badResponse(() => parseListBucketResult(listing('<IsTruncated>true</IsTruncated>')));
      badResponse(() => parseListBucketResult(listing(`<IsTruncated>false</IsTruncated>${contents('a', -1)}`)));
      badResponse(() => parseListBucketResult(listing('<IsTruncated>false</IsTruncated><Contents><Size>1</Size><ETag>x</ETag></Contents>')));
      badResponse(() => parseListBucketResult(listing(`<IsTruncated>false</IsTruncated>${contents('a')}`).slice(0, -20)));
      badResponse(() => parseListBucketResult('<ListAllMyBucketsResult/>'));
    });
  });

  describe('listAll', () => {
    it('pages through NextMarker until a page is not truncated', async () => {
      const pages: ObjectListingPage[] = [
        { objects: [{ key: 'a', size: 1, etag: 'x' }], commonPrefixes: [], isTruncated: true, nextMarker: 'a' },
        { objects: [{ key: 'b', size: 1, etag: 'x' }], commonPrefixes: [], isTruncated: true, nextMarker: 'b' },
        { objects: [{ key: 'c', size: 1, etag: 'x' }], commonPrefixes: [], isTruncated: false },
      ];
      const markers: Array<string | undefined> = [];
      const all = await listAll(async (marker) => {
        markers.push(marker);
        return pages[markers.length - 1];
      });
      assert.deepEqual(
        all.map((o) => o.key),
        ['a', 'b', 'c'],
      );
      assert.deepEqual(markers, [undefined, 'a', 'b']);
    });

    it('stops with BAD_RESPONSE when the marker does not move', async () => {
      const stuck: ObjectListingPage = { objects: [], commonPrefixes: [], isTruncated: true, nextMarker: 'a' };
      await assert.rejects(
        listAll(async () => stuck),
        (e: unknown) => CosError.is(e) && e.code === 'BAD_RESPONSE',
      );
    });
  });

  describe('Delete Multiple', () => {
    it('builds a Quiet body with escaped keys and its Content-MD5', () => {
      const { body, contentMd5 } = buildDeleteBody(['a&b', '<c>', 'd "e"']);
      assert.match(body, /<Quiet>true<\/Quiet>/);
      assert.match(body, /<Key>a&amp;b<\/Key><\/Object><Object><Key>&lt;c&gt;<\/Key>/);
      assert.equal(contentMd5, createHash('md5').update(body).digest('base64'));
      for (const keys of [[], Array.from({ length: 1001 }, (_, i) => `k${i}`), ['x', 'x']]) {
        assert.throws(() => buildDeleteBody(keys), (e: unknown) => CosError.is(e) && e.code === 'INVALID_ARGUMENT');
      }
    });

    it('reports every sent key not refused as deleted, and each refusal with its code', () => {
      const body = `<DeleteResult><Error><Key>b&amp;c</Key><Code>AccessDenied</Code><Message>Access Denied.</Message></Error></DeleteResult>`;
      assert.deepEqual(parseDeleteResult(body, ['a', 'b&c', 'd']), {
        deleted: ['a', 'd'],
        refused: [{ key: 'b&c', code: 'AccessDenied', message: 'Access Denied.' }],
      });
      assert.deepEqual(parseDeleteResult('<DeleteResult><Deleted><Key>a</Key></Deleted></DeleteResult>', ['a']), { deleted: ['a'], refused: [] });
      badResponse(() => parseDeleteResult('<DeleteResult><Error><Key>zzz</Key><Code>X</Code></Error></DeleteResult>', ['a']));
      badResponse(() => parseDeleteResult('<DeleteResult><Deleted><Key>zzz</Key></Deleted></DeleteResult>', ['a']));
    });
  });

  describe('CosClient against the emulator', function () {
    this.timeout(20_000);
    let emu: RunningEmulator;
    let client: CosClient;
    const keys = Array.from({ length: 25 }, (_, i) => `p/${String(i).padStart(2, '0')} +%?#&=汉.txt`);

    before(async () => {
      emu = await startEmulator();
      client = new CosClient({ target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url }, credentials: staticCredentials(emu.credentials) });
      for (const key of [...keys, 'q/other']) await client.putObject(key, Buffer.from(key), {});
    });
    after(async () => {
      await client.close();
      await emu.close();
    });

    it('listAllObjects pages through every key under the prefix', async () => {
      const pages: number[] = [];
      const all = await listAll(
        (marker) => client.listObjectsPage({ prefix: 'p/', marker, maxKeys: 7 }),
        (page) => pages.push(page.objects.length),
      );
      assert.deepEqual(
        all.map((o) => o.key),
        keys,
      );
      assert.deepEqual(pages, [7, 7, 7, 4]);
      assert.equal(all[3].size, Buffer.byteLength(keys[3]));
      assert.equal((await client.listAllObjects('p/')).length, 25);
    });

    it('deleteObjects deletes and reports refused keys', async () => {
      emu.denyDelete([keys[1]]);
      const result = await client.deleteObjects([keys[0], keys[1], 'never/was']);
      assert.deepEqual(result.deleted, [keys[0], 'never/was']);
      assert.deepEqual(
        result.refused.map((r) => [r.key, r.code]),
        [[keys[1], 'AccessDenied']],
      );
      assert.equal(emu.objectInfo(keys[0]), undefined);
      assert.ok(emu.objectInfo(keys[1]));
    });
  });
});
