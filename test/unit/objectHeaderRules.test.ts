import * as assert from 'node:assert/strict';
import { CosError } from '../../src/core/errors';
import {
  globMatchesKey,
  parseHeaderFlag,
  ruleHeadersForKey,
  validateHeaderRules,
  validateRuleHeader,
  validateTagging,
} from '../../src/core/objectHeaderRules';
import { contentTypeForKey } from '../../src/core/contentType';
import { resolveUploadOptions } from '../../src/core/options';
import { objectHeaders } from '../../src/core/uploadHeaders';

function refusedAsHeader(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(CosError.is(error), 'a CosError');
    assert.equal(error.code, 'INVALID_HEADER');
    assert.match(error.message, message);
    return true;
  });
}

describe('object header rules', () => {
  describe('Content-Type from the key', () => {
    const rows: Array<[string, string]> = [
      ['site/index.html', 'text/html; charset=utf-8'],
      ['a.css', 'text/css; charset=utf-8'],
      ['app.js', 'text/javascript; charset=utf-8'],
      ['data.json', 'application/json; charset=utf-8'],
      ['feed.xml', 'application/xml; charset=utf-8'],
      ['photo.PNG', 'image/png'],
      ['archive.zip', 'application/zip'],
      ['no-extension', 'application/octet-stream'],
      ['weird.unknownext', 'application/octet-stream'],
    ];
    for (const [key, type] of rows) it(`${key} → ${type}`, () => assert.equal(contentTypeForKey(key), type));
  });

  describe('globs against keys', () => {
    const rows: Array<[string, string, boolean]> = [
      ['*.html', 'index.html', true],
      ['*.html', 'site/deep/index.html', true],
      ['*.html', 'index.htm', false],
      ['**/*.css', 'site/a/b.css', true],
      ['site/*.css', 'site/a.css', true],
      ['site/*.css', 'site/sub/a.css', false],
      ['site/**', 'site/sub/a.css', true],
      ['site/**', 'other/a.css', false],
      ['/site/*.css', 'site/a.css', true],
      ['*.{js,mjs}', 'lib/x.mjs', true],
      ['*.{js,mjs}', 'lib/x.cjs', false],
      ['**', 'anything/at/all.bin', true],
      ['fonts/*.woff?', 'fonts/a.woff2', true],
    ];
    for (const [glob, key, want] of rows) it(`${glob} ${want ? 'matches' : 'does not match'} ${key}`, () => assert.equal(globMatchesKey(glob, key), want));
  });

  it('applies every matching rule in order, later rules winning per header', () => {
    const rules = validateHeaderRules(
      [
        { glob: '**', headers: { 'Cache-Control': 'max-age=60', 'x-cos-meta-team': 'web' } },
        { glob: '*.html', headers: { 'cache-control': 'no-cache' } },
        { glob: 'assets/**', headers: { 'Cache-Control': 'max-age=31536000, immutable', 'Content-Language': 'zh-CN' } },
      ],
      'headers',
    );
    assert.deepEqual(ruleHeadersForKey('index.html', rules), { 'cache-control': 'no-cache', 'x-cos-meta-team': 'web' });
    assert.deepEqual(ruleHeadersForKey('assets/a.html', rules), {
      'cache-control': 'max-age=31536000, immutable',
      'x-cos-meta-team': 'web',
      'content-language': 'zh-CN',
    });
    assert.deepEqual(ruleHeadersForKey('x.bin', rules), { 'cache-control': 'max-age=60', 'x-cos-meta-team': 'web' });
    assert.deepEqual(ruleHeadersForKey('x.bin', undefined), {});
  });

  describe('--header GLOB:Name: value', () => {
    it('splits at the first two colons, so a value keeps its own', () => {
      assert.deepEqual(parseHeaderFlag('*.pdf:Expires: Wed, 21 Oct 2026 07:28:00 GMT'), {
        glob: '*.pdf',
        headers: { expires: 'Wed, 21 Oct 2026 07:28:00 GMT' },
      });
      assert.deepEqual(parseHeaderFlag('**/*.html:Cache-Control:no-cache'), { glob: '**/*.html', headers: { 'cache-control': 'no-cache' } });
      assert.deepEqual(parseHeaderFlag('*:x-cos-storage-class: standard_ia'), { glob: '*', headers: { 'x-cos-storage-class': 'STANDARD_IA' } });
    });
    const refused: Array<[string, RegExp]> = [
      ['Cache-Control: no-cache', /GLOB:Name: value/],
      ['no colons at all', /GLOB:Name: value/],
      [':Cache-Control: x', /GLOB:Name: value|glob/],
      ['*:Bad Name: x', /not a valid header name/],
      ['*:Content-Type: text/plain', /cannot be set by a header rule/],
      ['*:Authorization: x', /cannot be set by a header rule/],
      ['*:x-cos-acl: public-read', /cannot be set by a header rule/],
      ['*:Cache-Control: a\r\nX-Evil: 1', /line break/],
      ['*:Cache-Control: ', /empty value/],
      ['*:Content-Disposition: attachment; filename="报告.pdf"', /printable ASCII/],
      ['*:x-cos-meta-bad_name: v', /letters, digits and hyphens/],
      ['*:x-cos-storage-class: FAST', /must be one of/],
      ['*:Expires: tomorrow', /HTTP date/],
      ['*:x-cos-tagging: a=1&a=2', /given twice/],
    ];
    for (const [text, message] of refused) it(`refuses ${JSON.stringify(text)}`, () => refusedAsHeader(() => parseHeaderFlag(text), message));
  });

  describe('tagging', () => {
    it('accepts up to 10 URL-encoded key=value pairs', () => {
      assert.equal(validateTagging('env=prod&team=web', '--tagging'), 'env=prod&team=web');
      assert.equal(validateTagging('k%20x=v%26w&empty=', '--tagging'), 'k%20x=v%26w&empty=');
      const ten = Array.from({ length: 10 }, (_, i) => `k${i}=v`).join('&');
      assert.equal(validateTagging(ten, '--tagging'), ten);
    });
    const refused: Array<[string, RegExp]> = [
      [Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&'), /at most 10 tags/],
      ['novalue', /key=value/],
      ['=v', /key=value/],
      [`${'k'.repeat(129)}=v`, /1 to 128/],
      [`k=${'v'.repeat(257)}`, /at most 256/],
      ['k=%E0%A4%A', /percent-encoded/],
    ];
    for (const [text, message] of refused) it(`refuses ${text.slice(0, 30)}`, () => refusedAsHeader(() => validateTagging(text, '--tagging'), message));
  });

  it('settings entries are checked one by one, naming the entry at fault', () => {
    refusedAsHeader(() => validateHeaderRules({ glob: '*' }, 'headers'), /must be a list/);
    refusedAsHeader(() => validateHeaderRules([{ glob: '', headers: {} }], 'headers'), /headers\[0\] needs a non-empty "glob"/);
    refusedAsHeader(() => validateHeaderRules([{ glob: '*', headers: {} }, { glob: '*', headers: { 'Cache-Control': 5 } }], 'headers'), /headers\[1\].*must be a string/);
    refusedAsHeader(() => validateRuleHeader('Set-Cookie', 'a=b', 'headers[0]'), /headers\[0\]: Set-Cookie cannot be set/);
    assert.deepEqual(validateHeaderRules(undefined, 'headers'), []);
  });

  it('the core refuses bad rules and tagging before building any request', () => {
    refusedAsHeader(() => resolveUploadOptions({ headerRules: [{ glob: '*', headers: { 'Cache-Control': 'x\ny' } }] }), /line break/);
    refusedAsHeader(() => resolveUploadOptions({ tagging: 'a' }), /key=value/);
  });

  it('object headers: content type, then storage class, metadata and tagging, with rules over them', () => {
    const options = resolveUploadOptions({
      storageClass: 'STANDARD_IA',
      metadata: { team: 'web' },
      tagging: 'env=prod',
      headerRules: [{ glob: '*.html', headers: { 'X-COS-Storage-Class': 'standard', 'Cache-Control': 'no-cache', 'x-cos-meta-team': 'docs' } }],
    });
    assert.deepEqual(objectHeaders('site/a.html', options), {
      'content-type': 'text/html; charset=utf-8',
      'x-cos-storage-class': 'STANDARD',
      'x-cos-meta-team': 'docs',
      'x-cos-tagging': 'env=prod',
      'cache-control': 'no-cache',
    });
    assert.deepEqual(objectHeaders('site/a.png', options), {
      'content-type': 'image/png',
      'x-cos-storage-class': 'STANDARD_IA',
      'x-cos-meta-team': 'web',
      'x-cos-tagging': 'env=prod',
    });
  });
});
