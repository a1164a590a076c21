import * as assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { CosError } from '../../src/core/errors';
import {
  buildCompleteBody,
  parseCompleteResult,
  parseInitiateResult,
  parseListMultipartUploadsResult,
  parseListPartsResult,
} from '../../src/core/xml';
import { parseErrorDocument } from '../../src/core/xmlReading';
import { prng } from '../seededRandom';

// Shapes from the COS API docs (Initiate 7746, List Parts 7747, Complete 7742, List Multipart Uploads 7736, Error 7730).
const INITIATE = `<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult>
	<Bucket>examplebucket-1250000000</Bucket>
	<Key>exampleobject</Key>
	<UploadId>1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361</UploadId>
</InitiateMultipartUploadResult>`;

function listPartsBody(parts: string[], extra = '<IsTruncated>false</IsTruncated>'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult>
	<Bucket>examplebucket-1250000000</Bucket>
	<Encoding-type/>
	<Key>exampleobject</Key>
	<UploadId>1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361</UploadId>
	<Owner>
		<ID>1250000000</ID>
		<DisplayName>1250000000</DisplayName>
	</Owner>
	<PartNumberMarker>0</PartNumberMarker>
	<Initiator>
		<ID>qcs::cam::uin/100000000001:uin/100000000001</ID>
		<DisplayName>100000000001</DisplayName>
	</Initiator>
	<StorageClass>STANDARD</StorageClass>
	<MaxParts>1000</MaxParts>
	${extra}
	${parts.join('\n\t')}
</ListPartsResult>`;
}

function partXml(n: number, etag: string, size: number): string {
  return `<Part>
		<PartNumber>${n}</PartNumber>
		<LastModified>2020-03-25T10:07:14.000Z</LastModified>
		<ETag>${etag}</ETag>
		<Size>${size}</Size>
	</Part>`;
}

const LIST_PARTS = listPartsBody([
  partXml(1, '&quot;39270a968a357d24207e9911162507eb&quot;', 1048576),
  partXml(2, '"108f528eb63b65e734f27ae331f5ffaa"', 13),
]);

const COMPLETE = `<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://www.qcloud.com/document/product/436/7751">
	<Location>examplebucket-1250000000.cos.ap-beijing.myqcloud.com/exampleobject</Location>
	<Bucket>examplebucket-1250000000</Bucket>
	<Key>exampleobject</Key>
	<ETag>&quot;aa259a62513358f69e98e72e59856d88-3&quot;</ETag>
</CompleteMultipartUploadResult>`;

function uploadXml(key: string, uploadId: string): string {
  return `<Upload>
		<Key>${key}</Key>
		<UploadId>${uploadId}</UploadId>
		<StorageClass>STANDARD</StorageClass>
		<Initiator>
			<ID>qcs::cam::uin/100000000001:uin/100000000001</ID>
			<DisplayName>100000000001</DisplayName>
		</Initiator>
		<Owner>
			<ID>qcs::cam::uin/100000000001:uin/100000000001</ID>
			<DisplayName>100000000001</DisplayName>
		</Owner>
		<Initiated>2020-03-25T10:07:14.000Z</Initiated>
	</Upload>`;
}

function listUploadsBody(uploads: string[], extra = '<IsTruncated>false</IsTruncated>'): string {
  return `<ListMultipartUploadsResult>
	<Bucket>examplebucket-1250000000</Bucket>
	<Encoding-Type/>
	<KeyMarker/>
	<UploadIdMarker/>
	<MaxUploads>1000</MaxUploads>
	<Prefix/>
	<Delimiter>/</Delimiter>
	${extra}
	${uploads.join('\n\t')}
	<CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes>
</ListMultipartUploadsResult>`;
}

const LIST_UPLOADS = listUploadsBody([
  uploadXml('Object', '1484726657932bcb5b17f7a98a8cad9fc36a340ff204c79bd2f51e7dddf0b6d4ad0e7bfc9c'),
  uploadXml('dir/中文 &amp; &lt;b&gt;.txt', '1484727158f2b8034e5407d18cbf28e84f754b791ecab607d25a2e52de9fee641e5f60707c'),
]);

const ERROR = `<?xml version="1.0" encoding="UTF-8"?>
<Error>
	<Code>NoSuchUpload</Code>
	<Message>The specified upload does not exist.</Message>
	<Resource>examplebucket-1250000000.cos.ap-beijing.myqcloud.com/exampleobject</Resource>
	<RequestId>NTk0MzY0MTNfZjQ3YzZiMDlfZjU0OV8xMjQ0****</RequestId>
	<TraceId>OGVmYzZiMmQzYjA2OWNhODk0NTRkMTBiOWVmMDAxODc0OWRkZjk0ZDM1NmI1M2E2MTRlY2MzZDhmNmI5MWI1OTBjYzE4MjQ0MDYwMGZhZDlmYTdhYzY3YjU2NjFmOTJjZjM3MWUwNWY2MGM1MDI3YzhmODc3MmJjNWI1Y2RmMjQ=</TraceId>
</Error>`;

const HTML = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>`;

function expectBadResponse(fn: () => unknown, pattern: RegExp, retryable = false): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(CosError.is(e), `expected a CosError, got ${String(e)}`);
    assert.equal(e.code, 'BAD_RESPONSE');
    assert.equal(e.retryable, retryable, `retryable for: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('xml', () => {
  describe('parseErrorDocument', () => {
    it('reads every field of a COS error', () => {
      const doc = parseErrorDocument(ERROR);
      assert.equal(doc?.code, 'NoSuchUpload');
      assert.equal(doc?.message, 'The specified upload does not exist.');
      assert.equal(doc?.resource, 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com/exampleobject');
      assert.equal(doc?.requestId, 'NTk0MzY0MTNfZjQ3YzZiMDlfZjU0OV8xMjQ0****');
      assert.match(doc?.traceId ?? '', /^OGVmYzZi.*=$/);
    });

    it('returns undefined for HTML, empty, plain text and other XML', () => {
      for (const body of [HTML, '', '   ', 'Service Unavailable', INITIATE, '<Error', '<<<']) {
        assert.equal(parseErrorDocument(body), undefined, JSON.stringify(body));
      }
    });

    it('keeps what it can from a truncated or empty error', () => {
      assert.deepEqual(parseErrorDocument('\n  <Error><Code>SlowDown</Code><Message>Please reduce'), { code: 'SlowDown' });
      assert.deepEqual(parseErrorDocument('<Error/>'), {});
    });

    it('decodes entities and cuts very long messages', () => {
      const doc = parseErrorDocument(`<Error><Code>A&amp;B</Code><Message>${'x'.repeat(2000)}</Message></Error>`);
      assert.equal(doc?.code, 'A&B');
      assert.equal(doc?.message?.length, 501);
      assert.ok(doc?.message?.endsWith('…'));
    });
  });

  describe('parseInitiateResult', () => {
    it('reads UploadId, Bucket and Key', () => {
      assert.deepEqual(parseInitiateResult(INITIATE), {
        uploadId: '1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361',
        bucket: 'examplebucket-1250000000',
        key: 'exampleobject',
      });
    });

    it('keeps numeric-looking keys and ids as strings, and spaces around keys', () => {
      const result = parseInitiateResult('<InitiateMultipartUploadResult><Key> 0123 </Key><UploadId>1e5</UploadId></InitiateMultipartUploadResult>');
      assert.equal(result.uploadId, '1e5');
      assert.equal(result.key, ' 0123 ');
      assert.equal(result.bucket, undefined);
      assert.ok(!('bucket' in result));
    });

    it('decodes XML entities and character references once', () => {
      const result = parseInitiateResult(
        '<InitiateMultipartUploadResult><Key>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#x4E2D;&#25991; &amp;amp; &#x1F600;</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>',
      );
      assert.equal(result.key, 'a&b <c> "d" \'e\' 中文 &amp; 😀');
    });

    it('does not expand entities declared in a DOCTYPE', () => {
      const result = parseInitiateResult(
        '<!DOCTYPE x [<!ENTITY boom "BOOM">]><InitiateMultipartUploadResult><Key>&boom;</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>',
      );
      assert.equal(result.key, '&boom;');
    });

    it('explains a body without UploadId', () => {
      expectBadResponse(
        () => parseInitiateResult('<InitiateMultipartUploadResult><Key>k</Key><UploadId>  </UploadId></InitiateMultipartUploadResult>'),
        /^Initiate Multipart Upload returned a body without UploadId: check that the endpoint is a COS endpoint$/,
      );
    });

    it('refuses HTML, empty, plain text, truncated XML, other documents, an Error and duplicates', () => {
      expectBadResponse(() => parseInitiateResult(HTML), /^Initiate Multipart Upload returned an HTML page instead of COS XML: .*"<!DOCTYPE html>/);
      expectBadResponse(() => parseInitiateResult(''), /returned an empty body where XML was expected/);
      expectBadResponse(() => parseInitiateResult('\n\t '), /returned an empty body/);
      expectBadResponse(() => parseInitiateResult('{"uploadId":"x"}'), /returned a body that is not XML: .*\{\\"uploadId/);
      expectBadResponse(() => parseInitiateResult(INITIATE.slice(0, INITIATE.length - 20)), /returned malformed or truncated XML/);
      expectBadResponse(() => parseInitiateResult(LIST_PARTS), /returned <ListPartsResult> instead of <InitiateMultipartUploadResult>/);
      expectBadResponse(() => parseInitiateResult(ERROR), /returned an Error document where InitiateMultipartUploadResult was expected: NoSuchUpload: The specified/);
      expectBadResponse(
        () => parseInitiateResult('<InitiateMultipartUploadResult><UploadId>a</UploadId><UploadId>b</UploadId></InitiateMultipartUploadResult>'),
        /more than one <UploadId>/,
      );
      expectBadResponse(
        () => parseInitiateResult('<InitiateMultipartUploadResult><UploadId><x>a</x></UploadId></InitiateMultipartUploadResult>'),
        /<UploadId> with nested elements/,
      );
    });

    it('refuses two documents run together', () => {
      expectBadResponse(() => parseInitiateResult(`${INITIATE}\n${INITIATE.replace('<?xml version="1.0" encoding="UTF-8"?>', '')}`), /malformed|more than one/);
      expectBadResponse(
        () => parseInitiateResult('<InitiateMultipartUploadResult><UploadId>a</UploadId></InitiateMultipartUploadResult><Other/>'),
        /^Initiate Multipart Upload returned more than one document: <InitiateMultipartUploadResult> followed by "Other"$/,
      );
    });

    it('passes on the request id of an Error document', () => {
      try {
        parseInitiateResult(ERROR);
        assert.fail('expected an error');
      } catch (e) {
        assert.ok(CosError.is(e));
        assert.equal(e.requestId, 'NTk0MzY0MTNfZjQ3YzZiMDlfZjU0OV8xMjQ0****');
      }
    });
  });

  describe('parseListPartsResult', () => {
    it('reads several parts, quotes of the ETag included', () => {
      assert.deepEqual(parseListPartsResult(LIST_PARTS), {
        parts: [
          { partNumber: 1, etag: '"39270a968a357d24207e9911162507eb"', size: 1048576, lastModified: '2020-03-25T10:07:14.000Z' },
          { partNumber: 2, etag: '"108f528eb63b65e734f27ae331f5ffaa"', size: 13, lastModified: '2020-03-25T10:07:14.000Z' },
        ],
        isTruncated: false,
        uploadId: '1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361',
        key: 'exampleobject',
      });
    });

    it('reads a single part as a list of one, and no parts as an empty list', () => {
      const one = parseListPartsResult(listPartsBody([partXml(7, '"e"', 5)]));
      assert.deepEqual(one.parts, [{ partNumber: 7, etag: '"e"', size: 5, lastModified: '2020-03-25T10:07:14.000Z' }]);
      assert.deepEqual(parseListPartsResult(listPartsBody([])).parts, []);
      assert.deepEqual(parseListPartsResult('<ListPartsResult/>'), { parts: [], isTruncated: false });
    });

    it('reads a truncated page with its marker', () => {
      const page = parseListPartsResult(listPartsBody([partXml(1, '"a"', 1)], '<IsTruncated>true</IsTruncated><NextPartNumberMarker>1</NextPartNumberMarker>'));
      assert.equal(page.isTruncated, true);
      assert.equal(page.nextPartNumberMarker, '1');
    });

    it('refuses a truncated page without marker, bad numbers, duplicates and missing fields', () => {
      expectBadResponse(
        () => parseListPartsResult(listPartsBody([partXml(1, '"a"', 1)], '<IsTruncated>true</IsTruncated>')),
        /^List Parts says the list is truncated but gives no NextPartNumberMarker/,
      );
      expectBadResponse(() => parseListPartsResult(listPartsBody([], '<IsTruncated>maybe</IsTruncated>')), /IsTruncated that is neither true nor false: "maybe"/);
      expectBadResponse(() => parseListPartsResult(listPartsBody([partXml(0, '"a"', 1)])), /PartNumber that is not a whole number in 1\.\.10000 \(Part #1\): "0"/);
      expectBadResponse(() => parseListPartsResult(listPartsBody([partXml(10001, '"a"', 1)])), /PartNumber .* "10001"/);
      expectBadResponse(() => parseListPartsResult(listPartsBody([partXml(1, '"a"', -1)])), /Size that is not a whole number .* "-1"/);
      expectBadResponse(() => parseListPartsResult(listPartsBody([partXml(1, '"a"', 1), partXml(2, '"b"', 1e300)])), /Size .*\(Part #2\)/);
      expectBadResponse(() => parseListPartsResult(listPartsBody([partXml(1, '"a"', 1), partXml(1, '"b"', 1)])), /listed the same part twice: part 1$/);
      expectBadResponse(() => parseListPartsResult(listPartsBody([partXml(1, '', 1)])), /returned an entry without ETag: Part #1$/);
      expectBadResponse(() => parseListPartsResult(listPartsBody(['<Part/>'])), /without PartNumber: Part #1$/);
      expectBadResponse(() => parseListPartsResult(LIST_PARTS.slice(0, LIST_PARTS.indexOf('</Part>') + 7)), /malformed or truncated XML/);
    });
  });

  describe('parseCompleteResult', () => {
    it('reads the result, even after the whitespace COS sends while it works', () => {
      const expected = {
        location: 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com/exampleobject',
        bucket: 'examplebucket-1250000000',
        key: 'exampleobject',
        etag: '"aa259a62513358f69e98e72e59856d88-3"',
      };
      assert.deepEqual(parseCompleteResult(COMPLETE), expected);
      assert.deepEqual(parseCompleteResult(`${' \n'.repeat(5000)}\t${COMPLETE}\n`), expected);
      assert.deepEqual(parseCompleteResult(`\ufeff${COMPLETE}`), expected);
    });

    it('returns the Error of a 200 response instead of throwing', () => {
      const result = parseCompleteResult(`\n\n   ${ERROR.replace('NoSuchUpload', 'InternalError')}`);
      assert.ok('error' in result);
      assert.equal(result.error.code, 'InternalError');
      assert.equal(result.error.requestId, 'NTk0MzY0MTNfZjQ3YzZiMDlfZjU0OV8xMjQ0****');
    });

    it('treats an empty or cut-off body as retryable, and a wrong one as not', () => {
      expectBadResponse(() => parseCompleteResult('      \n   '), /^Complete Multipart Upload returned an empty body/, true);
      expectBadResponse(() => parseCompleteResult(''), /returned an empty body/, true);
      expectBadResponse(() => parseCompleteResult(`   ${COMPLETE.slice(0, 150)}`), /malformed or truncated XML/, true);
      expectBadResponse(() => parseCompleteResult(HTML), /HTML page/, false);
      expectBadResponse(() => parseCompleteResult(COMPLETE.replace(/<ETag>.*<\/ETag>/, '')), /returned a body without ETag/, false);
      expectBadResponse(() => parseCompleteResult(INITIATE), /returned <InitiateMultipartUploadResult> instead of <CompleteMultipartUploadResult>/, false);
    });
  });

  describe('parseListMultipartUploadsResult', () => {
    it('reads uploads, with entities and unicode in keys', () => {
      assert.deepEqual(parseListMultipartUploadsResult(LIST_UPLOADS), {
        uploads: [
          { key: 'Object', uploadId: '1484726657932bcb5b17f7a98a8cad9fc36a340ff204c79bd2f51e7dddf0b6d4ad0e7bfc9c', storageClass: 'STANDARD', initiated: '2020-03-25T10:07:14.000Z' },
          {
            key: 'dir/中文 & <b>.txt',
            uploadId: '1484727158f2b8034e5407d18cbf28e84f754b791ecab607d25a2e52de9fee641e5f60707c',
            storageClass: 'STANDARD',
            initiated: '2020-03-25T10:07:14.000Z',
          },
        ],
        isTruncated: false,
      });
    });

    it('reads a single upload as a list of one, and keeps numeric-looking keys', () => {
      const result = parseListMultipartUploadsResult(listUploadsBody([uploadXml('1e5', 'u1')]));
      assert.equal(result.uploads.length, 1);
      assert.equal(result.uploads[0].key, '1e5');
      assert.deepEqual(parseListMultipartUploadsResult(listUploadsBody([])).uploads, []);
    });

    it('reads the markers of a truncated page and refuses one without them', () => {
      const page = parseListMultipartUploadsResult(
        listUploadsBody([uploadXml('a', 'u')], '<IsTruncated>true</IsTruncated><NextKeyMarker>a</NextKeyMarker><NextUploadIdMarker>u</NextUploadIdMarker>'),
      );
      assert.equal(page.isTruncated, true);
      assert.equal(page.nextKeyMarker, 'a');
      assert.equal(page.nextUploadIdMarker, 'u');
      expectBadResponse(
        () => parseListMultipartUploadsResult(listUploadsBody([uploadXml('a', 'u')], '<IsTruncated>true</IsTruncated><NextKeyMarker/>')),
        /^List Multipart Uploads says the list is truncated but gives no NextKeyMarker or NextUploadIdMarker/,
      );
    });

    it('refuses an upload without Key or UploadId', () => {
      expectBadResponse(() => parseListMultipartUploadsResult(listUploadsBody([uploadXml('', 'u')])), /listed an upload without a Key: Upload #1$/);
      expectBadResponse(() => parseListMultipartUploadsResult(listUploadsBody([uploadXml('k', ' ')])), /without UploadId: Upload #1$/);
    });
  });

  describe('buildCompleteBody', () => {
    const standard = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'Part' });

    it('writes parts in ascending order with escaped ETags', () => {
      const body = buildCompleteBody([
        { partNumber: 2, etag: '"b2"' },
        { partNumber: 1, etag: '"a1"' },
      ]);
      assert.equal(
        body,
        '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a1&quot;</ETag></Part>' +
          '<Part><PartNumber>2</PartNumber><ETag>&quot;b2&quot;</ETag></Part></CompleteMultipartUpload>',
      );
    });

    it('round-trips through a standard XML parser, every character preserved', () => {
      const parts = Array.from({ length: 120 }, (_, i) => ({ partNumber: i + 1, etag: `"${i.toString(16)}<&>'\\"中😀"` }));
      const shuffled = [...parts].reverse();
      const parsed = standard.parse(buildCompleteBody(shuffled)) as { CompleteMultipartUpload: { Part: Array<{ PartNumber: string; ETag: string }> } };
      assert.deepEqual(
        parsed.CompleteMultipartUpload.Part.map((p) => ({ partNumber: Number(p.PartNumber), etag: p.ETag })),
        parts,
      );
    });

    it('refuses no parts, gaps, duplicates, bad numbers and bad ETags', () => {
      const expectInvalid = (parts: Array<{ partNumber: number; etag: string }>, pattern: RegExp) =>
        assert.throws(() => buildCompleteBody(parts), (e: unknown) => CosError.is(e) && e.code === 'INVALID_ARGUMENT' && pattern.test(e.message));
      expectInvalid([], /at least one part/);
      expectInvalid([{ partNumber: 1, etag: '"a"' }, { partNumber: 3, etag: '"c"' }], /part 2 is missing$/);
      expectInvalid([{ partNumber: 2, etag: '"b"' }], /part 1 is missing$/);
      expectInvalid([{ partNumber: 1, etag: '"a"' }, { partNumber: 1, etag: '"b"' }], /part 1 is listed twice$/);
      expectInvalid([{ partNumber: 1.5, etag: '"a"' }], /outside 1\.\.10000: 1\.5$/);
      expectInvalid([{ partNumber: 0, etag: '"a"' }], /outside 1\.\.10000: 0$/);
      expectInvalid([{ partNumber: 1, etag: ' ' }], /empty or unprintable ETag: part 1$/);
      expectInvalid([{ partNumber: 1, etag: '"a\u0001"' }], /unprintable ETag/);
    });
  });

  describe('fuzz', () => {

    const SEEDS = [INITIATE, LIST_PARTS, COMPLETE, LIST_UPLOADS, ERROR, HTML, `   \n${COMPLETE}`, buildCompleteBody([{ partNumber: 1, etag: '"x"' }])];
    const ENTITIES = ['&amp;', '&lt;', '&#0;', '&#x110000;', '&#xD800;', '&#99999999999;', '&bogus;', '&amp;#38;', '&', '&#x1F600;', '&quot;'];
    const HUGE = ['9'.repeat(400), '1e308', '-1', '0x10', 'NaN', 'Infinity', '00000000000000000001', '1.5', ' 7 ', ''];
    const JUNK = [
      '<__proto__>x</__proto__>',
      '<constructor><prototype>1</prototype></constructor>',
      '<!DOCTYPE a [<!ENTITY a "&b;&b;"><!ENTITY b "xxxxxxxxxx">]>',
      '<![CDATA[<Part>]]>',
      '<!-- <UploadId>c</UploadId> -->',
      '<?pi data?>',
      '<a b="1" c=\'2\'>',
      '\u0000\uffff\ud800',
      '<Part><Part><Part></Part></Part></Part>',
      '<IsTruncated>true</IsTruncated>',
      '<UploadId>dup</UploadId>',
    ];
    type Rand = () => number;
    const int = (rand: Rand, max: number) => Math.floor(rand() * max);
    const pick = <T>(rand: Rand, items: readonly T[]): T => items[int(rand, items.length)];

    function mutate(rand: Rand, input: string): string {
      const at = int(rand, input.length + 1);
      switch (int(rand, 10)) {
        case 0:
          return input.slice(0, at);
        case 1: {
          const chars = [...input];
          for (let i = 0; i < 1 + int(rand, 4); i++) {
            const j = int(rand, chars.length);
            if (chars.length) chars[j] = String.fromCharCode((chars[j].charCodeAt(0) ^ (1 << int(rand, 8))) & 0xffff);
          }
          return chars.join('');
        }
        case 2: {
          const tags = input.match(/<([A-Za-z-]+)>[^<]*<\/\1>/g) ?? [];
          if (!tags.length) return input;
          const tag = pick(rand, tags);
          return rand() < 0.5 ? input.replace(tag, tag + tag) : input.replace(tag, '');
        }
        case 3:
          return input.slice(0, at) + pick(rand, ENTITIES) + input.slice(at);
        case 4: {
          // Replace one number, picked at random, with something a careless parser would mangle.
          const count = (input.match(/>\d+</g) ?? []).length;
          let target = int(rand, count);
          return input.replace(/>\d+</g, (m) => (target-- === 0 ? `>${pick(rand, HUGE)}<` : m));
        }
        case 5: {
          const depth = 1 + int(rand, 150);
          return input.slice(0, at) + '<j>'.repeat(depth) + 'x' + '</j>'.repeat(depth) + input.slice(at);
        }
        case 6:
          return input.slice(0, at) + pick(rand, JUNK) + input.slice(at);
        case 7:
          return Array.from({ length: int(rand, 200) }, () => String.fromCharCode(int(rand, 0x3000))).join('');
        case 8:
          return pick(rand, SEEDS) + input;
        default:
          return input.replace(/<\/?[A-Za-z-]+/, (m) => m.toLowerCase());
      }
    }

    const isString = (v: unknown) => typeof v === 'string';
    const isOptionalString = (v: unknown) => v === undefined || typeof v === 'string';
    const isNonEmptyString = (v: unknown) => typeof v === 'string' && v.length > 0;

    function checkErrorDoc(doc: unknown): void {
      if (doc === undefined) return;
      assert.equal(typeof doc, 'object');
      for (const value of Object.values(doc as object)) assert.ok(isString(value));
    }

    const checks: Array<[string, (body: string) => void]> = [
      ['parseErrorDocument', (body) => checkErrorDoc(parseErrorDocument(body))],
      [
        'parseInitiateResult',
        (body) => {
          const r = parseInitiateResult(body);
          assert.ok(isNonEmptyString(r.uploadId) && isOptionalString(r.bucket) && isOptionalString(r.key));
        },
      ],
      [
        'parseListPartsResult',
        (body) => {
          const r = parseListPartsResult(body);
          assert.equal(typeof r.isTruncated, 'boolean');
          assert.ok(Array.isArray(r.parts));
          for (const p of r.parts) {
            assert.ok(Number.isInteger(p.partNumber) && p.partNumber >= 1 && p.partNumber <= 10000);
            assert.ok(Number.isSafeInteger(p.size) && p.size >= 0);
            assert.ok(isNonEmptyString(p.etag) && isOptionalString(p.lastModified));
          }
          if (r.isTruncated) assert.ok(isNonEmptyString(r.nextPartNumberMarker));
        },
      ],
      [
        'parseCompleteResult',
        (body) => {
          const r = parseCompleteResult(body);
          if ('error' in r) checkErrorDoc(r.error);
          else assert.ok(isNonEmptyString(r.etag) && isOptionalString(r.location) && isOptionalString(r.key));
        },
      ],
      [
        'parseListMultipartUploadsResult',
        (body) => {
          const r = parseListMultipartUploadsResult(body);
          assert.equal(typeof r.isTruncated, 'boolean');
          for (const u of r.uploads) assert.ok(isNonEmptyString(u.key) && isNonEmptyString(u.uploadId));
        },
      ],
    ];

    it('returns a well-formed result or throws a CosError on 2500 mutated bodies, for every parser', function () {
      this.timeout(20_000);
      const rand = prng(0xf022);
      const outcomes = { ok: 0, cosError: 0 };
      for (let i = 0; i < 2500; i++) {
        let body = pick(rand, SEEDS);
        for (let m = 0, n = 1 + int(rand, 3); m < n; m++) body = mutate(rand, body);
        for (const [name, check] of checks) {
          try {
            check(body);
            outcomes.ok++;
          } catch (e) {
            if (name === 'parseErrorDocument' || !CosError.is(e)) {
              assert.fail(`${name} on input #${i} threw ${e instanceof Error ? e.stack : String(e)}\ninput: ${JSON.stringify(body)}`);
            }
            assert.equal(e.code, 'BAD_RESPONSE', `${name} on input #${i}: ${e.message}`);
            outcomes.cosError++;
          }
        }
      }
      // Both branches must be exercised, or the mutations are too weak (or too strong) to mean anything.
      assert.ok(outcomes.ok > 2500, `only ${outcomes.ok} successful parses`);
      assert.ok(outcomes.cosError > 2500, `only ${outcomes.cosError} CosErrors`);
    });
  });
});
