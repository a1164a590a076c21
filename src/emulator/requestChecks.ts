/**
 * Request checks and helpers shared by the emulator's operations: header and parameter parsing,
 * SSE, object attributes, and streaming a body to disk while hashing it. Codes follow the COS API
 * docs; where COS documents none, the choice is noted.
 */

import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, promises as fsp, type WriteStream } from 'node:fs';
import { pumpBody, TokenBucket } from './body';
import type { RequestContext } from './context';
import { CosFailure, invalidArgument, noSuchUpload } from './cosErrors';
import { createCrc64 } from './crc64';
import type { ObjectAttributes, SseInfo, UploadRecord } from './store';
import { el } from './xml';

export const MAX_PART_NUMBER = 10000;
export const MAX_BODY_SIZE = 5 * 1024 * 1024 * 1024;
const TRAFFIC_LIMIT_MIN = 819200;
const TRAFFIC_LIMIT_MAX = 838860800;
export const MAX_KEY_BYTES = 850;

const OWNER_ID = 'qcs::cam::uin/100000000001:uin/100000000001';
const STORAGE_CLASSES = new Set([
  'STANDARD',
  'STANDARD_IA',
  'ARCHIVE',
  'DEEP_ARCHIVE',
  'INTELLIGENT_TIERING',
  'MAZ_STANDARD',
  'MAZ_STANDARD_IA',
  'MAZ_INTELLIGENT_TIERING',
  'MAZ_ARCHIVE',
]);


export function ownerXml(tag: string): string {
  return `<${tag}>${el('ID', OWNER_ID)}${el('DisplayName', '100000000001')}</${tag}>`;
}

export function requireKey(ctx: RequestContext): void {
  if (ctx.key === '') throw new CosFailure(400, 'InvalidURI', 'This operation needs an object key in the path: /<key>');
  if (Buffer.byteLength(ctx.key, 'utf8') > MAX_KEY_BYTES) {
    throw new CosFailure(400, 'KeyTooLong', `The object key is longer than ${MAX_KEY_BYTES} bytes: ${ctx.key.slice(0, 64)}…`);
  }
}

/** A non-negative integer header, or undefined; anything else is InvalidArgument. */
export function intHeader(ctx: RequestContext, name: string): number | undefined {
  const raw = ctx.header(name);
  if (raw === undefined) return undefined;
  if (!/^\d{1,16}$/.test(raw.trim())) throw invalidArgument(`The ${name} header must be a non-negative integer: ${raw}`);
  return Number(raw.trim());
}

export function intParam(ctx: RequestContext, name: string, min: number): number | undefined {
  const raw = ctx.param(name);
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min) throw invalidArgument(`The ${name} parameter must be an integer of at least ${min}: ${raw}`);
  return Number(raw);
}

export function findUpload(ctx: RequestContext): UploadRecord {
  const uploadId = ctx.param('uploadId');
  const upload = uploadId ? ctx.env.store.uploads.get(uploadId) : undefined;
  if (!upload || upload.key !== ctx.key) throw noSuchUpload();
  return upload;
}

/** Waits for a Complete in progress on this upload, then looks it up again. */
export async function findSettledUpload(ctx: RequestContext): Promise<UploadRecord> {
  let upload = findUpload(ctx);
  while (upload.completing) {
    await upload.completing.catch(() => undefined);
    upload = findUpload(ctx);
  }
  return upload;
}

export function parseContentMd5(ctx: RequestContext): string | undefined {
  const raw = ctx.header('content-md5');
  if (raw === undefined) return undefined;
  const bytes = Buffer.from(raw.trim(), 'base64');
  if (bytes.length !== 16 || bytes.toString('base64') !== raw.trim()) {
    throw new CosFailure(400, 'InvalidDigest', `The Content-MD5 you specified is not valid (base64 of a 16-byte MD5 digest expected): ${raw}`);
  }
  return raw.trim();
}

export function parseTrafficLimit(ctx: RequestContext): TokenBucket | undefined {
  const raw = ctx.header('x-cos-traffic-limit');
  if (raw === undefined) return undefined;
  const value = /^\d{1,12}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(value >= TRAFFIC_LIMIT_MIN && value <= TRAFFIC_LIMIT_MAX)) {
    throw invalidArgument(`x-cos-traffic-limit must be a number of bit/s between ${TRAFFIC_LIMIT_MIN} and ${TRAFFIC_LIMIT_MAX}: ${raw}`);
  }
  return new TokenBucket(value / 8);
}

export function declaredLength(ctx: RequestContext): number | undefined {
  const raw = ctx.header('content-length');
  return raw === undefined ? undefined : Number(raw);
}

/**
 * The ETag COS gives a part or a Put Object: the body's MD5, quoted, except under SSE-KMS and SSE-C,
 * where it looks like an MD5 but is not one (the spec's Upload Part examples: the same 13 bytes get
 * the MD5 as ETag plain and with SSE-COS, something else with SSE-KMS and SSE-C).
 */
export function bodyEtag(md5: Buffer, sse: SseInfo): string {
  if (sse.type === 'cos/kms' || sse.type === 'SSE-C') return `"${createHash('md5').update('encrypted:').update(md5).digest('hex')}"`;
  return `"${md5.toString('hex')}"`;
}

function md5Base64Of(buf: Buffer): string {
  return createHash('md5').update(buf).digest('base64');
}

/** SSE-COS / SSE-KMS / SSE-C headers of an Initiate or Put Object. */
function parseSse(ctx: RequestContext): SseInfo {
  const sse = ctx.header('x-cos-server-side-encryption');
  const customer = ctx.header('x-cos-server-side-encryption-customer-algorithm');
  if (sse !== undefined && customer !== undefined) {
    throw invalidArgument('Use either x-cos-server-side-encryption or the SSE-C headers, not both.');
  }
  if (customer !== undefined) return { type: 'SSE-C', keyMd5: checkCustomerKey(ctx) };
  if (sse === undefined) return { type: 'none' };
  if (sse === 'AES256') return { type: 'AES256' };
  if (sse === 'cos/kms') {
    const context = ctx.header('x-cos-server-side-encryption-context');
    if (context !== undefined) {
      try {
        JSON.parse(Buffer.from(context, 'base64').toString('utf8'));
      } catch {
        throw invalidArgument('x-cos-server-side-encryption-context must be base64 of a JSON object.');
      }
    }
    return { type: 'cos/kms', kmsKeyId: ctx.header('x-cos-server-side-encryption-cos-kms-key-id') ?? randomUUID(), context };
  }
  throw invalidArgument(`x-cos-server-side-encryption must be AES256 or cos/kms: ${sse}`);
}

/** Validates the three SSE-C headers and returns the key's MD5 (base64). Never echoes the key. */
export function checkCustomerKey(ctx: RequestContext): string {
  const algorithm = ctx.header('x-cos-server-side-encryption-customer-algorithm');
  const key = ctx.header('x-cos-server-side-encryption-customer-key');
  const keyMd5 = ctx.header('x-cos-server-side-encryption-customer-key-md5');
  if (algorithm === undefined || key === undefined || keyMd5 === undefined) {
    throw invalidArgument('SSE-C needs all of x-cos-server-side-encryption-customer-algorithm, -customer-key and -customer-key-MD5.');
  }
  if (algorithm !== 'AES256') throw invalidArgument(`x-cos-server-side-encryption-customer-algorithm must be AES256: ${algorithm}`);
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 32) throw invalidArgument('x-cos-server-side-encryption-customer-key must be base64 of a 32-byte key.');
  if (md5Base64Of(raw) !== keyMd5) {
    throw invalidArgument('x-cos-server-side-encryption-customer-key-MD5 is not the MD5 of the key you sent.');
  }
  return keyMd5;
}

/** Requests on SSE-C data must present the same key; requests on other data must not present one. */
export function checkSseCAccess(ctx: RequestContext, sse: SseInfo, what: string): void {
  const sent = ctx.header('x-cos-server-side-encryption-customer-algorithm') !== undefined;
  if (sse.type !== 'SSE-C') {
    if (sent) throw invalidArgument(`The ${what} is not encrypted with a customer key, so SSE-C headers are not allowed.`);
    return;
  }
  if (!sent) throw invalidArgument(`The ${what} is encrypted with a customer key (SSE-C): send the same SSE-C headers.`);
  if (checkCustomerKey(ctx) !== sse.keyMd5) {
    throw new CosFailure(403, 'AccessDenied', `The SSE-C key does not match the key the ${what} was encrypted with.`);
  }
}

export function sseAnswerHeaders(sse: SseInfo): Record<string, string> {
  switch (sse.type) {
    case 'AES256':
      return { 'x-cos-server-side-encryption': 'AES256' };
    case 'cos/kms':
      return { 'x-cos-server-side-encryption': 'cos/kms', 'x-cos-server-side-encryption-cos-kms-key-id': sse.kmsKeyId };
    case 'SSE-C':
      return { 'x-cos-server-side-encryption-customer-algorithm': 'AES256', 'x-cos-server-side-encryption-customer-key-MD5': sse.keyMd5 };
    default:
      return {};
  }
}

/** Content-Type, x-cos-meta-*, storage class, SSE... of an Initiate or Put Object. */
export function parseAttributes(ctx: RequestContext): ObjectAttributes {
  const meta: Record<string, string> = {};
  let metaBytes = 0;
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    if (!name.startsWith('x-cos-meta-')) continue;
    const suffix = name.slice('x-cos-meta-'.length);
    if (!/^[a-z0-9-]+$/.test(suffix)) {
      throw invalidArgument(`A metadata header name may only hold letters, digits and hyphens after x-cos-meta-: ${name}`);
    }
    const text = Array.isArray(value) ? value.join(',') : (value ?? '');
    const size = Buffer.byteLength(name + text, 'utf8');
    if (size > 2048) throw new CosFailure(400, 'MetadataTooLarge', `One metadata header is larger than 2 KB: ${name}`);
    metaBytes += size;
    meta[suffix] = text;
  }
  if (metaBytes > 4096) throw new CosFailure(400, 'MetadataTooLarge', `The metadata headers together are larger than 4 KB: ${metaBytes} bytes`);
  const storageClass = (ctx.header('x-cos-storage-class') ?? 'STANDARD').toUpperCase();
  if (!STORAGE_CLASSES.has(storageClass)) throw invalidArgument(`Unknown x-cos-storage-class: ${storageClass}`);
  const tagging = ctx.header('x-cos-tagging');
  if (tagging !== undefined) checkTagging(tagging);
  return {
    contentType: ctx.header('content-type') ?? 'application/octet-stream',
    cacheControl: ctx.header('cache-control'),
    contentDisposition: ctx.header('content-disposition'),
    contentEncoding: ctx.header('content-encoding'),
    contentLanguage: ctx.header('content-language'),
    expires: ctx.header('expires'),
    meta,
    storageClass,
    tagging,
    sse: parseSse(ctx),
  };
}

/** x-cos-tagging as COS takes it: `k=v` pairs joined by &, URL-encoded, at most 10, keys 1-128 and values 0-256 characters, no key twice. */
function checkTagging(tagging: string): void {
  const pairs = tagging.split('&');
  if (pairs.length > 10) throw invalidArgument(`An object can have at most 10 tags: ${pairs.length} were given.`);
  const keys = new Set<string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    let key = '';
    let value = '';
    try {
      key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    } catch {
      throw invalidArgument(`The x-cos-tagging header is not URL-encoded: ${pair}`);
    }
    if (eq < 0 || key === '' || key.length > 128 || value.length > 256) throw invalidArgument(`A tag must be key=value, the key 1-128 and the value 0-256 characters: ${pair}`);
    if (keys.has(key)) throw invalidArgument(`The tag key is given twice: ${key}`);
    keys.add(key);
  }
}

export function checkForbidOverwrite(ctx: RequestContext, forbid: boolean): void {
  if (forbid && ctx.env.store.objects.has(ctx.key)) {
    throw new CosFailure(409, 'FileAlreadyExists', `The object already exists and x-cos-forbid-overwrite is true: ${ctx.key}`);
  }
}

export function forbidOverwriteHeader(ctx: RequestContext): boolean {
  return (ctx.header('x-cos-forbid-overwrite') ?? '').toLowerCase() === 'true';
}

/** The value sent in place of the right one by the wrongCrc fault: off by one, still a valid uint64. */
function corruptCrc(crc: bigint): bigint {
  return crc ^ 1n;
}

function corruptEtag(etag: string): string {
  return `"${createHash('md5').update(`wrong:${etag}`).digest('hex')}"`;
}

/** The x-cos-hash-crc64ecma header to answer with: none under the noCrc fault. */
export function crcHeader(ctx: RequestContext, crc: bigint): Record<string, string> {
  if (ctx.faultKind === 'noCrc') return {};
  const value = (ctx.faultKind === 'wrongCrc' ? corruptCrc(crc) : crc).toString();
  ctx.entry.crc64 = value;
  return { 'x-cos-hash-crc64ecma': value };
}

export function etagHeader(ctx: RequestContext, etag: string): string {
  const value = ctx.faultKind === 'wrongEtag' ? corruptEtag(etag) : etag;
  ctx.entry.etag = value;
  return value;
}

export interface ReceivedBody {
  size: number;
  md5: Buffer;
  crc64: bigint;
  /** Where the bytes are (absent in discard mode). */
  tempFile?: string;
}

/** Streams the body to a temp file while hashing it; removes the file if anything fails. */
export async function receiveBody(ctx: RequestContext, extraBucket?: TokenBucket): Promise<ReceivedBody> {
  const md5 = createHash('md5');
  const crc = createCrc64();
  const tempFile = ctx.env.discard ? undefined : ctx.env.store.tempFile();
  let writer: WriteStream | undefined;
  try {
    writer = tempFile ? createWriteStream(tempFile, { highWaterMark: 4 * 1024 * 1024 }) : undefined;
    const result = await pumpBody(ctx.req, {
      writer,
      buckets: ctx.buckets(extraBucket),
      onChunk(chunk) {
        md5.update(chunk);
        crc.update(chunk);
      },
    });
    ctx.entry.bytes += result.bytes;
    if (writer) {
      const w = writer;
      await new Promise<void>((resolve, reject) => {
        w.once('error', reject);
        w.end(() => resolve());
      });
    }
    return { size: result.bytes, md5: md5.digest(), crc64: crc.digest(), tempFile };
  } catch (err) {
    // Writes still queued fail once the stream is destroyed; they are moot, the temp file goes away.
    writer?.on('error', () => undefined);
    writer?.destroy();
    if (tempFile) await fsp.rm(tempFile, { force: true });
    throw err;
  }
}

export async function discardTemp(body: ReceivedBody): Promise<void> {
  if (body.tempFile) await fsp.rm(body.tempFile, { force: true });
}

/** Keys in list answers, URL-encoded when the request asked for encoding-type=url. */
export function encodeKey(ctx: RequestContext, key: string): string {
  return ctx.param('encoding-type') === 'url' ? encodeURIComponent(key) : key;
}

/** Reads a small XML request body (Complete, Delete Multiple) whole; larger is EntityTooLarge. */
export async function readSmallBody(ctx: RequestContext, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  const result = await pumpBody(ctx.req, { buckets: ctx.buckets(), limit, onChunk: (c) => chunks.push(c) });
  ctx.entry.bytes += result.bytes;
  if (result.tooLarge) throw new CosFailure(400, 'EntityTooLarge', `The request body is larger than ${limit} bytes.`);
  return Buffer.concat(chunks).toString('utf8');
}
