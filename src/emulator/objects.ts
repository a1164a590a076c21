/**
 * The single-request object and bucket operations: Put, Head, Get and Delete Object, Head Bucket
 * and List Objects, plus the answer to anything the emulator does not serve.
 */

import type { RequestContext } from './context';
import { CosFailure } from './cosErrors';
import { answerGet, checkPreconditions } from './rangedGet';
import {
  MAX_BODY_SIZE,
  checkForbidOverwrite,
  checkSseCAccess,
  bodyEtag,
  crcHeader,
  declaredLength,
  discardTemp,
  encodeKey,
  etagHeader,
  forbidOverwriteHeader,
  intParam,
  ownerXml,
  parseAttributes,
  parseContentMd5,
  parseTrafficLimit,
  receiveBody,
  requireKey,
  sseAnswerHeaders,
} from './requestChecks';
import type { ObjectRecord } from './store';
import { el, xmlDocument } from './xml';

// ---------------------------------------------------------------- Put / Head / Get / Delete Object

export async function putObject(ctx: RequestContext): Promise<void> {
  requireKey(ctx);
  const attrs = parseAttributes(ctx);
  const contentMd5 = parseContentMd5(ctx);
  const limit = parseTrafficLimit(ctx);
  const length = declaredLength(ctx);
  if (length !== undefined && length > MAX_BODY_SIZE) throw new CosFailure(400, 'EntityTooLarge', `Put Object takes at most 5 GB: ${length} bytes`);
  checkForbidOverwrite(ctx, forbidOverwriteHeader(ctx));

  const body = await receiveBody(ctx, limit);
  const record: ObjectRecord = {
    key: ctx.key,
    size: body.size,
    etag: bodyEtag(body.md5, attrs.sse),
    crc64: body.crc64,
    lastModified: new Date(ctx.env.nowMs()),
    attrs,
  };
  try {
    if (contentMd5 !== undefined && contentMd5 !== body.md5.toString('base64')) {
      throw new CosFailure(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    checkForbidOverwrite(ctx, forbidOverwriteHeader(ctx));
    await ctx.env.store.commitObject(record, body.tempFile);
  } catch (err) {
    await discardTemp(body);
    throw err;
  }
  await ctx.send(200, {
    ETag: etagHeader(ctx, record.etag),
    ...crcHeader(ctx, record.crc64),
    ...sseAnswerHeaders(attrs.sse),
  });
}

function objectHeaders(ctx: RequestContext, o: ObjectRecord): Record<string, string> {
  const h: Record<string, string> = {
    'Content-Type': o.attrs.contentType,
    ETag: etagHeader(ctx, o.etag),
    'Last-Modified': o.lastModified.toUTCString(),
    ...crcHeader(ctx, o.crc64),
    'Accept-Ranges': 'bytes',
    ...sseAnswerHeaders(o.attrs.sse),
  };
  if (o.attrs.storageClass !== 'STANDARD') h['x-cos-storage-class'] = o.attrs.storageClass;
  if (o.attrs.cacheControl) h['Cache-Control'] = o.attrs.cacheControl;
  if (o.attrs.contentDisposition) h['Content-Disposition'] = o.attrs.contentDisposition;
  if (o.attrs.contentEncoding) h['Content-Encoding'] = o.attrs.contentEncoding;
  if (o.attrs.expires) h['Expires'] = o.attrs.expires;
  for (const [k, v] of Object.entries(o.attrs.meta)) h[`x-cos-meta-${k}`] = v;
  return h;
}

function findObject(ctx: RequestContext): ObjectRecord {
  requireKey(ctx);
  const o = ctx.env.store.objects.get(ctx.key);
  if (!o) throw new CosFailure(404, 'NoSuchKey', 'The specified key does not exist.');
  checkSseCAccess(ctx, o.attrs.sse, 'object');
  return o;
}

export async function head(ctx: RequestContext): Promise<void> {
  await ctx.drain();
  const o = findObject(ctx);
  const headers = objectHeaders(ctx, o);
  if (checkPreconditions(ctx, o) === 'not-modified') {
    await ctx.send(304, { ETag: headers.ETag, 'Last-Modified': headers['Last-Modified'] });
    return;
  }
  await ctx.send(200, { ...headers, 'Content-Length': String(o.size) });
}

export async function getObject(ctx: RequestContext): Promise<void> {
  await ctx.drain();
  const o = findObject(ctx);
  if (ctx.env.discard) {
    throw new CosFailure(
      501,
      'NotImplemented',
      `The emulator runs in discard mode (--discard) and keeps no object bytes, so Get Object is not available; Head Object still is: ${ctx.key}`,
    );
  }
  await answerGet(ctx, o, objectHeaders(ctx, o));
}

export async function deleteObject(ctx: RequestContext): Promise<void> {
  requireKey(ctx);
  await ctx.drain();
  await ctx.env.store.deleteObject(ctx.key);
  await ctx.send(204, {});
}

// ---------------------------------------------------------------- Bucket: Head Bucket, List Objects

/** HEAD / — lets a client check bucket access ("test connection"). */
export async function headBucket(ctx: RequestContext): Promise<void> {
  await ctx.drain();
  await ctx.send(200, { 'x-cos-bucket-region': ctx.env.region });
}

/** GET / — List Objects (version 1: prefix, delimiter, marker, max-keys). */
export async function listObjects(ctx: RequestContext): Promise<void> {
  const prefix = ctx.param('prefix') ?? '';
  const delimiter = ctx.param('delimiter') || undefined;
  const marker = ctx.param('marker') ?? '';
  const maxKeys = Math.min(intParam(ctx, 'max-keys', 0) ?? 1000, 1000);
  await ctx.drain();
  // A marker that is a rolled-up prefix (NextMarker of a previous page) skips that whole prefix.
  const skipPrefix = delimiter && marker.endsWith(delimiter) ? marker : undefined;
  const keys = [...ctx.env.store.objects.keys()]
    .filter((k) => k.startsWith(prefix) && k > marker && !(skipPrefix && k.startsWith(skipPrefix)))
    .sort();
  const contents: ObjectRecord[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let last: string | undefined;
  for (const key of keys) {
    const rest = key.slice(prefix.length);
    const cut = delimiter ? rest.indexOf(delimiter) : -1;
    const common = cut >= 0 ? prefix + rest.slice(0, cut + (delimiter as string).length) : undefined;
    if (common !== undefined && prefixes.includes(common)) continue;
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (common !== undefined) prefixes.push(common);
    else contents.push(ctx.env.store.objects.get(key) as ObjectRecord);
    last = common ?? key;
  }
  const contentsXml = contents
    .map(
      (o) =>
        `<Contents>${el('Key', encodeKey(ctx, o.key))}${el('LastModified', o.lastModified.toISOString())}${el('ETag', o.etag)}` +
        `${el('Size', o.size)}${ownerXml('Owner')}${el('StorageClass', o.attrs.storageClass)}</Contents>`,
    )
    .join('');
  const prefixesXml = prefixes.map((p) => `<CommonPrefixes>${el('Prefix', encodeKey(ctx, p))}</CommonPrefixes>`).join('');
  const xml = xmlDocument(
    `<ListBucketResult>${el('Name', ctx.env.bucket)}${ctx.param('encoding-type') === 'url' ? el('EncodingType', 'url') : ''}` +
      `${el('Prefix', encodeKey(ctx, prefix))}${el('Marker', encodeKey(ctx, marker))}${el('MaxKeys', maxKeys)}` +
      `${delimiter ? el('Delimiter', delimiter) : ''}${el('IsTruncated', truncated)}` +
      `${truncated && last !== undefined ? el('NextMarker', encodeKey(ctx, last)) : ''}${contentsXml}${prefixesXml}</ListBucketResult>`,
  );
  await ctx.send(200, {}, xml);
}

/** Answers an operation the emulator does not serve. */
export async function unsupported(ctx: RequestContext): Promise<void> {
  throw new CosFailure(
    ctx.key === '' ? 501 : 405,
    ctx.key === '' ? 'NotImplemented' : 'MethodNotAllowed',
    `The emulator does not serve this request: ${ctx.req.method ?? ''} ${ctx.pathname}`,
  );
}
