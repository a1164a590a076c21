/**
 * The single-request object operations: Put, Head, Get and Delete Object, plus the answer to
 * anything the emulator does not serve. Bucket-level operations are in bucket.ts.
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
  etagHeader,
  forbidOverwriteHeader,
  parseAttributes,
  parseContentMd5,
  parseTrafficLimit,
  receiveBody,
  requireKey,
  sseAnswerHeaders,
} from './requestChecks';
import type { ObjectRecord } from './store';

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
  if (o.attrs.contentLanguage) h['Content-Language'] = o.attrs.contentLanguage;
  // COS returns the number of tags on Head/Get, not the tags (those come from GET ?tagging).
  if (o.attrs.tagging) h['x-cos-tagging-count'] = String(o.attrs.tagging.split('&').length);
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
  if (ctx.env.store.deleteDenied.has(ctx.key)) throw new CosFailure(403, 'AccessDenied', 'Access Denied.');
  await ctx.env.store.deleteObject(ctx.key);
  await ctx.send(204, {});
}

/** Answers an operation the emulator does not serve. */
export async function unsupported(ctx: RequestContext): Promise<void> {
  throw new CosFailure(
    ctx.key === '' ? 501 : 405,
    ctx.key === '' ? 'NotImplemented' : 'MethodNotAllowed',
    `The emulator does not serve this request: ${ctx.req.method ?? ''} ${ctx.pathname}`,
  );
}
