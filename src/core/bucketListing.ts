/**
 * GET Bucket (List Objects v1) and Delete Multiple Objects: the request pieces and the parsing of
 * COS's answers, plus paging through a whole prefix. The client (cosClient.ts) only sends.
 *
 * Listings are always asked for with encoding-type=url, so keys holding characters XML 1.0 cannot
 * carry survive; the parser decodes them.
 */

import { createHash } from 'node:crypto';
import { CosError } from './errors';
import { badResponse, booleanField, elements, escapeXml, integerField, parseRoot, requiredText, text, type XmlNode } from './xmlReading';

const OP_LIST = 'List Objects';
const OP_DELETE = 'Delete Multiple Objects';
/** COS answers at most 1,000 entries a page and takes at most 1,000 keys a Delete Multiple. */
export const MAX_LIST_KEYS = 1000;
export const MAX_DELETE_KEYS = 1000;
/** A listing that pages this many times without end is not COS. */
const MAX_PAGES = 1_000_000;

export interface ListedObject {
  key: string;
  size: number;
  /** As COS sent it, quotes included; for multipart objects it is not an MD5. */
  etag: string;
  lastModified?: string;
  storageClass?: string;
}

export interface ObjectListingPage {
  objects: ListedObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Where the next page starts; absent when not truncated. */
  nextMarker?: string;
}

export interface ListObjectsQuery {
  prefix?: string;
  delimiter?: string;
  marker?: string;
  maxKeys?: number;
}

/** The query string of one GET Bucket request. */
export function listObjectsQuery(q: ListObjectsQuery): Record<string, string> {
  const maxKeys = q.maxKeys ?? MAX_LIST_KEYS;
  if (!Number.isInteger(maxKeys) || maxKeys < 1 || maxKeys > MAX_LIST_KEYS) {
    throw new CosError('INVALID_ARGUMENT', `max-keys must be a whole number from 1 to ${MAX_LIST_KEYS}: ${maxKeys}`);
  }
  const query: Record<string, string> = { 'encoding-type': 'url', 'max-keys': String(maxKeys) };
  if (q.prefix) query.prefix = q.prefix;
  if (q.delimiter) query.delimiter = q.delimiter;
  if (q.marker) query.marker = q.marker;
  return query;
}

/**
 * Undoes encoding-type=url. A '+' is read as a space: a server that writes spaces form-style
 * writes a real '+' as %2B, and one that writes %20 never writes a bare '+'.
 */
export function decodeListedName(value: string, ctx: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch (error) {
    throw badResponse(ctx, `returned a URL-encoded name that does not decode: ${JSON.stringify(value.slice(0, 80))}`, { cause: error });
  }
}

/** `ListBucketResult`: one page of a GET Bucket answer, keys decoded when the answer is URL-encoded. */
export function parseListBucketResult(body: string): ObjectListingPage {
  const ctx = OP_LIST;
  const root = parseRoot(body, ctx, 'ListBucketResult');
  const encoded = text(root, 'EncodingType', ctx)?.trim().toLowerCase() === 'url';
  const name = (raw: string): string => (encoded ? decodeListedName(raw, ctx) : raw);
  const objects = elements(root, 'Contents', ctx).map((node: XmlNode, index): ListedObject => {
    const where = `Contents #${index + 1}`;
    const rawKey = text(node, 'Key', ctx);
    if (!rawKey) throw badResponse(ctx, `listed an object without a Key: ${where}`);
    const object: ListedObject = {
      key: name(rawKey),
      size: integerField(node, 'Size', ctx, where, 0, Number.MAX_SAFE_INTEGER),
      etag: requiredText(node, 'ETag', ctx, where),
    };
    const lastModified = text(node, 'LastModified', ctx)?.trim();
    if (lastModified) object.lastModified = lastModified;
    const storageClass = text(node, 'StorageClass', ctx)?.trim();
    if (storageClass) object.storageClass = storageClass;
    return object;
  });
  const commonPrefixes = elements(root, 'CommonPrefixes', ctx).map((node, index) => {
    const prefix = text(node, 'Prefix', ctx);
    if (!prefix) throw badResponse(ctx, `listed a common prefix without a Prefix: CommonPrefixes #${index + 1}`);
    return name(prefix);
  });
  const isTruncated = booleanField(root, 'IsTruncated', ctx);
  const rawNext = text(root, 'NextMarker', ctx);
  const page: ObjectListingPage = { objects, commonPrefixes, isTruncated };
  if (isTruncated) {
    // S3-style servers may leave NextMarker out when no delimiter was asked: the last key then continues.
    const next = rawNext ? name(rawNext) : lastEntry(page);
    if (!next) throw badResponse(ctx, 'says the list is truncated but gives no NextMarker and no entry to continue from');
    page.nextMarker = next;
  }
  return page;
}

/** COS orders keys by their UTF-8 bytes, which differs from JavaScript's UTF-16 order past U+FFFF. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function lastEntry(page: ObjectListingPage): string | undefined {
  const candidates = [page.objects[page.objects.length - 1]?.key, page.commonPrefixes[page.commonPrefixes.length - 1]].filter((s): s is string => !!s);
  return candidates.sort(compareKeys).pop();
}

/** Every object under a prefix, page after page, in listing order. */
export async function listAll(
  fetchPage: (marker: string | undefined) => Promise<ObjectListingPage>,
  onPage?: (page: ObjectListingPage) => void,
): Promise<ListedObject[]> {
  const all: ListedObject[] = [];
  let marker: string | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await fetchPage(marker);
    onPage?.(page);
    all.push(...page.objects);
    if (!page.isTruncated) return all;
    if (page.nextMarker === undefined || page.nextMarker === marker) {
      throw new CosError('BAD_RESPONSE', `${OP_LIST} returned a truncated page whose NextMarker does not move forward: the endpoint may not be COS.`);
    }
    marker = page.nextMarker;
  }
  throw new CosError('BAD_RESPONSE', `${OP_LIST} did not end after ${MAX_PAGES} pages: the endpoint may not be COS.`);
}

export interface DeleteRefusal {
  key: string;
  code: string;
  message: string;
}

export interface DeleteObjectsResult {
  /** Keys COS reported deleted (in Quiet mode: every key sent that it did not refuse). */
  deleted: string[];
  /** Keys COS refused, each with its reason. */
  refused: DeleteRefusal[];
}

/** The Delete Multiple body in Quiet mode, and its Content-MD5 (COS requires one). */
export function buildDeleteBody(keys: readonly string[]): { body: string; contentMd5: string } {
  if (keys.length === 0 || keys.length > MAX_DELETE_KEYS) {
    throw new CosError('INVALID_ARGUMENT', `Delete Multiple Objects takes 1 to ${MAX_DELETE_KEYS} keys: ${keys.length} given.`);
  }
  if (new Set(keys).size !== keys.length) throw new CosError('INVALID_ARGUMENT', 'Delete Multiple Objects was given the same key twice.');
  const objects = keys.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join('');
  const body = `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>${objects}</Delete>`;
  return { body, contentMd5: createHash('md5').update(body, 'utf8').digest('base64') };
}

/** `DeleteResult` of a request for `sent` keys: what was deleted and what was refused, and why. */
export function parseDeleteResult(body: string, sent: readonly string[]): DeleteObjectsResult {
  const ctx = OP_DELETE;
  const root = parseRoot(body, ctx, 'DeleteResult');
  const asked = new Set(sent);
  const refused = elements(root, 'Error', ctx).map((node, index): DeleteRefusal => {
    const key = text(node, 'Key', ctx);
    if (key === undefined || !asked.has(key)) throw badResponse(ctx, `reported an error for a key that was not sent: Error #${index + 1}`);
    return { key, code: text(node, 'Code', ctx)?.trim() || 'Unknown', message: text(node, 'Message', ctx)?.trim() ?? '' };
  });
  const refusedKeys = new Set(refused.map((r) => r.key));
  for (const [index, node] of elements(root, 'Deleted', ctx).entries()) {
    const key = text(node, 'Key', ctx);
    if (key === undefined || !asked.has(key)) throw badResponse(ctx, `reported deleted a key that was not sent: Deleted #${index + 1}`);
  }
  return { deleted: sent.filter((k) => !refusedKeys.has(k)), refused };
}
