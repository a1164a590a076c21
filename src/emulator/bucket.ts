/**
 * Bucket-level operations: Head Bucket, GET Bucket (List Objects v1) and Delete Multiple Objects,
 * answered as the COS API docs describe them.
 */

import { createHash } from 'node:crypto';
import type { RequestContext } from './context';
import { CosFailure } from './cosErrors';
import { MAX_KEY_BYTES, encodeKey, intParam, ownerXml, parseContentMd5, readSmallBody } from './requestChecks';
import type { ObjectRecord } from './store';
import { el, unescapeXml, xmlDocument } from './xml';

const MAX_LIST_KEYS = 1000;
const MAX_DELETE_KEYS = 1000;
const MAX_DELETE_BODY = 2 * 1024 * 1024;

/** HEAD / — lets a client check bucket access ("test connection"). */
export async function headBucket(ctx: RequestContext): Promise<void> {
  await ctx.drain();
  await ctx.send(200, { 'x-cos-bucket-region': ctx.env.region });
}

interface ListingPage {
  contents: ObjectRecord[];
  prefixes: string[];
  truncated: boolean;
  /** The last key or common prefix listed, when truncated. */
  nextMarker?: string;
}

/** One page of keys after `marker` under `prefix`, rolling keys up at `delimiter`. */
function listPage(objects: ReadonlyMap<string, ObjectRecord>, prefix: string, delimiter: string | undefined, marker: string, maxKeys: number): ListingPage {
  // A marker that is a rolled-up prefix (NextMarker of a previous page) skips that whole prefix.
  const skipPrefix = delimiter && marker.endsWith(delimiter) && marker.startsWith(prefix) ? marker : undefined;
  const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > marker && !(skipPrefix && k.startsWith(skipPrefix))).sort(compareUtf8);
  const page: ListingPage = { contents: [], prefixes: [], truncated: false };
  let last: string | undefined;
  for (const key of keys) {
    const rest = key.slice(prefix.length);
    const cut = delimiter ? rest.indexOf(delimiter) : -1;
    const common = cut >= 0 ? prefix + rest.slice(0, cut + (delimiter as string).length) : undefined;
    if (common !== undefined && common === page.prefixes[page.prefixes.length - 1]) continue;
    if (page.contents.length + page.prefixes.length >= maxKeys) {
      page.truncated = true;
      break;
    }
    if (common !== undefined) page.prefixes.push(common);
    else page.contents.push(objects.get(key) as ObjectRecord);
    last = common ?? key;
  }
  if (page.truncated) page.nextMarker = last;
  return page;
}

/** COS lists keys in UTF-8 byte order, which differs from UTF-16 order for astral characters. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** GET / — List Objects (version 1: prefix, delimiter, marker, max-keys, encoding-type). */
export async function listObjects(ctx: RequestContext): Promise<void> {
  const prefix = ctx.param('prefix') ?? '';
  const delimiter = ctx.param('delimiter') || undefined;
  const marker = ctx.param('marker') ?? '';
  const encodingType = ctx.param('encoding-type');
  if (encodingType !== undefined && encodingType !== '' && encodingType !== 'url') {
    throw new CosFailure(400, 'InvalidArgument', `The encoding-type parameter can only be url: ${encodingType}`);
  }
  const maxKeys = Math.min(intParam(ctx, 'max-keys', 0) ?? MAX_LIST_KEYS, MAX_LIST_KEYS);
  await ctx.drain();
  const page = listPage(ctx.env.store.objects, prefix, delimiter, marker, maxKeys);
  const enc = (s: string): string => encodeKey(ctx, s);
  const contentsXml = page.contents
    .map(
      (o) =>
        `<Contents>${el('Key', enc(o.key))}${el('LastModified', o.lastModified.toISOString())}${el('ETag', o.etag)}` +
        `${el('Size', o.size)}${ownerXml('Owner')}${el('StorageClass', o.attrs.storageClass)}</Contents>`,
    )
    .join('');
  const prefixesXml = page.prefixes.map((p) => `<CommonPrefixes>${el('Prefix', enc(p))}</CommonPrefixes>`).join('');
  const xml = xmlDocument(
    `<ListBucketResult>${el('Name', ctx.env.bucket)}${encodingType === 'url' ? el('EncodingType', 'url') : ''}` +
      `${el('Prefix', enc(prefix))}${el('Marker', enc(marker))}${el('MaxKeys', maxKeys)}` +
      `${delimiter ? el('Delimiter', enc(delimiter)) : ''}${el('IsTruncated', page.truncated)}` +
      `${page.nextMarker !== undefined ? el('NextMarker', enc(page.nextMarker)) : ''}${contentsXml}${prefixesXml}</ListBucketResult>`,
  );
  await ctx.send(200, {}, xml);
}

interface DeleteRequest {
  quiet: boolean;
  keys: string[];
}

/** Reads `<Delete><Quiet/><Object><Key/></Object>…</Delete>`; undefined when it is not one. */
export function parseDeleteBody(body: string): DeleteRequest | undefined {
  const root = /<Delete(?:\s[^>]*)?>([\s\S]*)<\/Delete\s*>/.exec(body.replace(/<!--[\s\S]*?-->/g, ''));
  if (!root) return undefined;
  const quiet = /<Quiet>\s*([^<]*?)\s*<\/Quiet>/.exec(root[1]);
  if (quiet && !/^(true|false)$/i.test(quiet[1])) return undefined;
  const keys: string[] = [];
  const objectRe = /<Object(?:\s[^>]*)?>([\s\S]*?)<\/Object\s*>/g;
  for (let m = objectRe.exec(root[1]); m; m = objectRe.exec(root[1])) {
    const key = /<Key(?:\s[^>]*)?>([\s\S]*?)<\/Key\s*>/.exec(m[1]);
    if (!key) return undefined;
    keys.push(unescapeXml(key[1]));
  }
  return { quiet: quiet?.[1].toLowerCase() === 'true', keys };
}

/** Why one key of a Delete Multiple cannot be deleted, or undefined when it can. */
function refusal(ctx: RequestContext, key: string): { code: string; message: string } | undefined {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return { code: 'KeyTooLong', message: `The object key is longer than ${MAX_KEY_BYTES} bytes.` };
  if (ctx.env.store.deleteDenied.has(key)) return { code: 'AccessDenied', message: 'Access Denied.' };
  return undefined;
}

/**
 * POST /?delete — Delete Multiple Objects. Like COS: Content-MD5 is required and checked, at most
 * 1,000 keys, a key that does not exist counts as deleted, and Quiet lists only the failures.
 */
export async function deleteMultiple(ctx: RequestContext): Promise<void> {
  const contentMd5 = parseContentMd5(ctx);
  const body = await readSmallBody(ctx, MAX_DELETE_BODY);
  if (contentMd5 === undefined) throw new CosFailure(400, 'MissingContentMD5', 'Delete Multiple Objects needs a Content-MD5 header.');
  if (contentMd5 !== createHash('md5').update(body, 'utf8').digest('base64')) {
    throw new CosFailure(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  const request = parseDeleteBody(body);
  if (!request || request.keys.length === 0) {
    throw new CosFailure(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  }
  if (request.keys.length > MAX_DELETE_KEYS) {
    throw new CosFailure(400, 'MalformedXML', `Delete Multiple Objects takes at most ${MAX_DELETE_KEYS} keys: ${request.keys.length}`);
  }
  let xml = '';
  for (const key of request.keys) {
    const refused = refusal(ctx, key);
    if (refused) {
      xml += `<Error>${el('Key', key)}${el('Code', refused.code)}${el('Message', refused.message)}</Error>`;
      continue;
    }
    await ctx.env.store.deleteObject(key);
    if (!request.quiet) xml += `<Deleted>${el('Key', key)}</Deleted>`;
  }
  await ctx.send(200, {}, xmlDocument(`<DeleteResult>${xml}</DeleteResult>`));
}
