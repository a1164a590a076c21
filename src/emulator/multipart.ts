/**
 * The multipart operations: Initiate, Upload Part, List Parts, Complete, Abort and List Multipart
 * Uploads. Each validates like COS, streams bodies to disk while hashing, and answers through the
 * RequestContext.
 */

import { createHash, randomBytes } from 'node:crypto';
import { ClientGoneError } from './body';
import type { RequestContext } from './context';
import { CosFailure, invalidArgument, noSuchUpload } from './cosErrors';
import { crc64CombineAll } from './crc64';
import {
  MAX_PART_NUMBER,
  MAX_BODY_SIZE,
  checkForbidOverwrite,
  checkSseCAccess,
  bodyEtag,
  crcHeader,
  declaredLength,
  discardTemp,
  encodeKey,
  etagHeader,
  findSettledUpload,
  findUpload,
  forbidOverwriteHeader,
  intHeader,
  intParam,
  ownerXml,
  parseAttributes,
  parseContentMd5,
  parseTrafficLimit,
  readSmallBody,
  receiveBody,
  requireKey,
  sseAnswerHeaders,
} from './requestChecks';
import type { ObjectRecord, PartRecord, UploadRecord } from './store';
import { el, errorXml, parseCompleteBody, xmlDocument } from './xml';

const MAX_COMPLETE_BODY = 4 * 1024 * 1024;
/** Whitespace cadence while Complete assembles the object (COS keeps the connection alive this way). */
const COMPLETE_KEEPALIVE_MS = 500;

// ---------------------------------------------------------------- Initiate Multipart Upload

export async function initiate(ctx: RequestContext): Promise<void> {
  requireKey(ctx);
  const attrs = parseAttributes(ctx);
  const forbidOverwrite = forbidOverwriteHeader(ctx);
  const psizeMax = intHeader(ctx, 'x-cos-psize-max');
  const psizeMin = intHeader(ctx, 'x-cos-psize-min');
  const pnumMax = intHeader(ctx, 'x-cos-pnum-max');
  const pnumMin = intHeader(ctx, 'x-cos-pnum-min');
  await ctx.drain();
  // COS checks x-cos-forbid-overwrite when the object would be written (Complete); failing here
  // too spares a client a whole upload that is bound to be refused.
  checkForbidOverwrite(ctx, forbidOverwrite);
  const { store } = ctx.env;
  const uploadId = `${Math.floor(ctx.env.nowMs() / 1000)}${randomBytes(32).toString('hex')}`;
  const upload: UploadRecord = {
    uploadId,
    key: ctx.key,
    initiated: new Date(ctx.env.nowMs()),
    seq: store.nextSeq(),
    attrs,
    forbidOverwrite,
    psizeMax,
    psizeMin,
    pnumMax,
    pnumMin,
    parts: new Map(),
  };
  await store.createUploadDir(upload);
  store.uploads.set(uploadId, upload);
  ctx.entry.uploadId = uploadId;
  const xml = xmlDocument(
    `<InitiateMultipartUploadResult>${el('Bucket', ctx.env.bucket)}${el('Key', ctx.key)}${el('UploadId', uploadId)}</InitiateMultipartUploadResult>`,
  );
  await ctx.send(200, sseAnswerHeaders(attrs.sse), xml);
}

// ---------------------------------------------------------------- Upload Part

function checkPartSizeLimits(size: number, max: number | undefined, min: number | undefined): void {
  if (size > MAX_BODY_SIZE) throw new CosFailure(400, 'EntityTooLarge', `A part may hold at most 5 GB: ${size} bytes`);
  // COS documents only that such parts "are marked as failed"; the code is our choice.
  if (max !== undefined && size > max) throw invalidArgument(`The part is larger than x-cos-psize-max ${max}: ${size} bytes`);
  if (min !== undefined && size < min) throw invalidArgument(`The part is smaller than x-cos-psize-min ${min}: ${size} bytes`);
}

export function parsePartNumber(raw: string | undefined): number {
  const n = raw !== undefined && /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive: ${raw ?? '(missing)'}`);
  }
  return n;
}

export async function uploadPart(ctx: RequestContext): Promise<void> {
  const partNumber = parsePartNumber(ctx.param('partNumber'));
  const upload = findUpload(ctx);
  const contentMd5 = parseContentMd5(ctx);
  const limit = parseTrafficLimit(ctx);
  const psizeMax = intHeader(ctx, 'x-cos-psize-max') ?? upload.psizeMax;
  const psizeMin = intHeader(ctx, 'x-cos-psize-min') ?? upload.psizeMin;
  const length = declaredLength(ctx);
  if (length !== undefined) checkPartSizeLimits(length, psizeMax, psizeMin);
  checkSseCAccess(ctx, upload.attrs.sse, 'multipart upload');

  const body = await receiveBody(ctx, limit);
  const md5Hex = body.md5.toString('hex');
  const part: PartRecord = {
    partNumber,
    size: body.size,
    md5Hex,
    etag: bodyEtag(body.md5, upload.attrs.sse),
    crc64: body.crc64,
    lastModified: new Date(ctx.env.nowMs()),
  };
  try {
    checkPartSizeLimits(body.size, psizeMax, psizeMin);
    if (contentMd5 !== undefined && contentMd5 !== body.md5.toString('base64')) {
      throw new CosFailure(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    if (ctx.env.store.uploads.get(upload.uploadId) !== upload) throw noSuchUpload();
    try {
      await ctx.env.store.commitPart(upload, part, body.tempFile);
    } catch (err) {
      // An Abort removed the upload's directory while this part was arriving.
      if (ctx.env.store.uploads.get(upload.uploadId) !== upload) throw noSuchUpload();
      throw err;
    }
  } catch (err) {
    await discardTemp(body);
    throw err;
  }
  await ctx.send(200, {
    ETag: etagHeader(ctx, part.etag),
    ...crcHeader(ctx, part.crc64),
    ...sseAnswerHeaders(upload.attrs.sse),
  });
}

// ---------------------------------------------------------------- List Parts


export async function listParts(ctx: RequestContext): Promise<void> {
  const upload = findUpload(ctx);
  const maxParts = Math.min(intParam(ctx, 'max-parts', 1) ?? 1000, 1000);
  const marker = intParam(ctx, 'part-number-marker', 0) ?? 0;
  await ctx.drain();
  const all = [...upload.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  const next = page.length > 0 ? page[page.length - 1].partNumber : marker;
  const partsXml = page
    .map(
      (p) =>
        `<Part>${el('PartNumber', p.partNumber)}${el('LastModified', p.lastModified.toISOString())}${el('ETag', p.etag)}${el('Size', p.size)}</Part>`,
    )
    .join('');
  const xml = xmlDocument(
    `<ListPartsResult>${el('Bucket', ctx.env.bucket)}${ctx.param('encoding-type') === 'url' ? el('Encoding-type', 'url') : ''}` +
      `${el('Key', encodeKey(ctx, upload.key))}${el('UploadId', upload.uploadId)}${ownerXml('Initiator')}${ownerXml('Owner')}` +
      `${el('StorageClass', upload.attrs.storageClass)}${el('PartNumberMarker', marker)}${el('NextPartNumberMarker', next)}` +
      `${el('MaxParts', maxParts)}${el('IsTruncated', truncated)}${partsXml}</ListPartsResult>`,
  );
  await ctx.send(200, {}, xml);
}

// ---------------------------------------------------------------- Complete Multipart Upload

function stripQuotes(etag: string): string {
  return etag.replace(/^"|"$/g, '').toLowerCase();
}

/** Checks a Complete request against the stored parts and returns them in order. */
function validateCompleteParts(ctx: RequestContext, upload: UploadRecord, body: string): PartRecord[] {
  const requested = parseCompleteBody(body);
  if (!requested) {
    throw new CosFailure(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  }
  for (let i = 1; i < requested.length; i++) {
    if (requested[i].partNumber <= requested[i - 1].partNumber) {
      throw new CosFailure(400, 'InvalidPartOrder', `The list of parts was not in ascending order. Parts must be ordered by part number: ${requested[i].partNumber} after ${requested[i - 1].partNumber}`);
    }
  }
  const parts: PartRecord[] = [];
  requested.forEach((r, i) => {
    if (r.partNumber !== i + 1) {
      throw new CosFailure(400, 'InvalidPart', `Part numbers must be continuous and start at 1: expected part ${i + 1}, got ${r.partNumber}`);
    }
    const stored = upload.parts.get(r.partNumber);
    if (!stored) throw new CosFailure(400, 'InvalidPart', `One or more of the specified parts could not be found: part ${r.partNumber}`);
    if (stripQuotes(r.etag) !== stripQuotes(stored.etag)) {
      throw new CosFailure(400, 'InvalidPart', `The ETag of part ${r.partNumber} does not match the uploaded part: ${r.etag}`);
    }
    parts.push(stored);
  });
  parts.forEach((p, i) => {
    if (i < parts.length - 1 && p.size < ctx.env.minPartSize) {
      throw new CosFailure(
        400,
        'EntityTooSmall',
        `Your proposed upload is smaller than the minimum allowed object size: every part but the last needs ${ctx.env.minPartSize} bytes, part ${p.partNumber} has ${p.size}`,
      );
    }
  });
  const pnumMax = intHeader(ctx, 'x-cos-pnum-max') ?? upload.pnumMax;
  const pnumMin = intHeader(ctx, 'x-cos-pnum-min') ?? upload.pnumMin;
  // COS documents the limits but not the code; InvalidArgument is our choice.
  if (pnumMax !== undefined && parts.length > pnumMax) throw invalidArgument(`The upload has more parts than x-cos-pnum-max ${pnumMax}: ${parts.length}`);
  if (pnumMin !== undefined && parts.length < pnumMin) throw invalidArgument(`The upload has fewer parts than x-cos-pnum-min ${pnumMin}: ${parts.length}`);
  checkForbidOverwrite(ctx, upload.forbidOverwrite || forbidOverwriteHeader(ctx));
  return parts;
}

/** S3/COS multipart ETag: MD5 of the concatenated binary part MD5s, then "-<count>". */
function multipartEtag(parts: readonly PartRecord[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(Buffer.from(p.md5Hex, 'hex'));
  return `"${h.digest('hex')}-${parts.length}"`;
}

export async function complete(ctx: RequestContext): Promise<void> {
  findUpload(ctx);
  const body = await readSmallBody(ctx, MAX_COMPLETE_BODY);
  const upload = await findSettledUpload(ctx);
  const parts = validateCompleteParts(ctx, upload, body);
  const size = parts.reduce((n, p) => n + p.size, 0);
  const crc = crc64CombineAll(parts);
  const etag = multipartEtag(parts);

  let done: () => void = () => undefined;
  upload.completing = new Promise<void>((resolve) => (done = resolve));
  try {
    await ctx.env.sleep(ctx.env.latencyMs());
    if (ctx.gone) throw new ClientGoneError();
    // Like COS: the 200 and the headers go out at once, whitespace keeps the connection busy while
    // the object is assembled, and the outcome (result or <Error>) is the body's last chunk.
    const injectedError = ctx.faultKind === 'completeErrorIn200';
    ctx.res.writeHead(200, {
      ...ctx.commonHeaders(),
      'Content-Type': 'application/xml',
      ...(injectedError ? {} : crcHeader(ctx, crc)),
      ...sseAnswerHeaders(upload.attrs.sse),
    });
    ctx.res.write('\n');
    const keepAlive = setInterval(() => {
      if (!ctx.gone) ctx.res.write(' ');
    }, COMPLETE_KEEPALIVE_MS);
    let failure: string | undefined;
    try {
      if (injectedError) {
        failure = 'We encountered an internal error. Please try again.';
      } else {
        const { store } = ctx.env;
        const tempFile = store.discard ? undefined : await store.assemble(parts);
        const record: ObjectRecord = { key: upload.key, size, etag, crc64: crc, lastModified: new Date(ctx.env.nowMs()), attrs: upload.attrs };
        await store.commitObject(record, tempFile);
        await store.dropUpload(upload);
      }
    } catch (err) {
      failure = `The emulator could not assemble the object: ${(err as Error).message}`;
    } finally {
      clearInterval(keepAlive);
    }
    if (ctx.gone) return;
    if (failure !== undefined) {
      ctx.entry.errorCode = 'InternalError';
      ctx.res.end(errorXml({ code: 'InternalError', message: failure, resource: ctx.resource(), requestId: ctx.requestId, traceId: ctx.traceId }));
      return;
    }
    if (ctx.resetOnResponse) {
      ctx.resetNow();
      return;
    }
    const sentEtag = etagHeader(ctx, etag);
    ctx.res.end(
      xmlDocument(
        `<CompleteMultipartUploadResult>${el('Location', `${ctx.env.bucket}.cos.${ctx.env.region}.myqcloud.com/${upload.key}`)}` +
          `${el('Bucket', ctx.env.bucket)}${el('Key', upload.key)}${el('ETag', sentEtag)}</CompleteMultipartUploadResult>`,
      ),
    );
  } finally {
    upload.completing = undefined;
    done();
  }
}

// ---------------------------------------------------------------- Abort

export async function abort(ctx: RequestContext): Promise<void> {
  await ctx.drain();
  const upload = await findSettledUpload(ctx);
  await ctx.env.store.dropUpload(upload);
  await ctx.send(204, {});
}

// ---------------------------------------------------------------- List Multipart Uploads

export async function listUploads(ctx: RequestContext): Promise<void> {
  if (ctx.key !== '') throw new CosFailure(400, 'InvalidRequest', 'List Multipart Uploads is a bucket operation: GET /?uploads');
  const prefix = ctx.param('prefix') ?? '';
  const delimiter = ctx.param('delimiter') || undefined;
  const keyMarker = ctx.param('key-marker') || undefined;
  const uploadIdMarker = keyMarker ? ctx.param('upload-id-marker') || undefined : undefined;
  const maxUploads = Math.min(intParam(ctx, 'max-uploads', 1) ?? 1000, 1000);
  await ctx.drain();
  const { store } = ctx.env;
  const markerUpload = uploadIdMarker ? store.uploads.get(uploadIdMarker) : undefined;
  const isAfterMarker = (u: UploadRecord): boolean => {
    if (keyMarker === undefined) return true;
    if (u.key !== keyMarker) return u.key > keyMarker;
    if (uploadIdMarker === undefined) return false;
    return markerUpload && markerUpload.key === u.key ? u.seq > markerUpload.seq : u.uploadId > uploadIdMarker;
  };
  const sorted = [...store.uploads.values()]
    .filter((u) => u.key.startsWith(prefix) && isAfterMarker(u))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.seq - b.seq));

  const listed: UploadRecord[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let lastKey: string | undefined;
  let lastUploadId: string | undefined;
  for (const u of sorted) {
    const rest = u.key.slice(prefix.length);
    const cut = delimiter ? rest.indexOf(delimiter) : -1;
    const common = cut >= 0 ? prefix + rest.slice(0, cut + (delimiter as string).length) : undefined;
    if (common !== undefined && prefixes.includes(common)) continue;
    if (listed.length + prefixes.length >= maxUploads) {
      truncated = true;
      break;
    }
    if (common !== undefined) prefixes.push(common);
    else listed.push(u);
    lastKey = u.key;
    lastUploadId = u.uploadId;
  }
  const uploadsXml = listed
    .map(
      (u) =>
        `<Upload>${el('Key', encodeKey(ctx, u.key))}${el('UploadId', u.uploadId)}${el('StorageClass', u.attrs.storageClass)}` +
        `${ownerXml('Initiator')}${ownerXml('Owner')}${el('Initiated', u.initiated.toISOString())}</Upload>`,
    )
    .join('');
  const prefixesXml = prefixes.map((p) => `<CommonPrefixes>${el('Prefix', encodeKey(ctx, p))}</CommonPrefixes>`).join('');
  const xml = xmlDocument(
    `<ListMultipartUploadsResult>${el('Bucket', ctx.env.bucket)}${ctx.param('encoding-type') === 'url' ? el('Encoding-Type', 'url') : ''}` +
      `${el('KeyMarker', keyMarker ? encodeKey(ctx, keyMarker) : '')}${el('UploadIdMarker', uploadIdMarker ?? '')}` +
      `${el('NextKeyMarker', truncated && lastKey !== undefined ? encodeKey(ctx, lastKey) : '')}` +
      `${el('NextUploadIdMarker', truncated && lastUploadId !== undefined ? lastUploadId : '')}` +
      `${delimiter ? el('Delimiter', delimiter) : ''}${el('Prefix', encodeKey(ctx, prefix))}${el('MaxUploads', maxUploads)}` +
      `${el('IsTruncated', truncated)}${uploadsXml}${prefixesXml}</ListMultipartUploadsResult>`,
  );
  await ctx.send(200, {}, xml);
}
