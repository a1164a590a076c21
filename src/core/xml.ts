/**
 * The XML bodies of the multipart API: parse what COS answers (Initiate, List Parts, Complete,
 * List Multipart Uploads), build the Complete request. Every parser takes the raw body text and
 * either returns a checked, typed result or throws a CosError with code BAD_RESPONSE that says
 * which operation answered what: a truncated List Parts that silently lost its last parts would
 * make the uploader send them again, or worse, trust it. Reading itself is in xmlReading.ts.
 */

import { CosError } from './errors';
import {
  badResponse,
  booleanField,
  elements,
  ENDPOINT_HINT,
  errorDocumentOf,
  escapeXml,
  integerField,
  INVALID_XML_CHAR,
  parseDocument,
  parseRoot,
  requiredText,
  rootNode,
  text,
  withOptional,
  type CosErrorDocument,
} from './xmlReading';

export interface ListedPart {
  partNumber: number;
  etag: string;
  size: number;
  lastModified?: string;
}

export interface ListedUpload {
  key: string;
  uploadId: string;
  initiated?: string;
  storageClass?: string;
}

export interface InitiateResult {
  uploadId: string;
  bucket?: string;
  key?: string;
}

export interface ListPartsResult {
  parts: ListedPart[];
  isTruncated: boolean;
  nextPartNumberMarker?: string;
  uploadId?: string;
  key?: string;
}

export interface CompleteResult {
  location?: string;
  bucket?: string;
  key?: string;
  etag: string;
}

export interface ListMultipartUploadsResult {
  uploads: ListedUpload[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextUploadIdMarker?: string;
}


const MAX_PART_NUMBER = 10000;

const OP_INITIATE = 'Initiate Multipart Upload';
const OP_LIST_PARTS = 'List Parts';
const OP_COMPLETE = 'Complete Multipart Upload';
const OP_LIST_UPLOADS = 'List Multipart Uploads';

/** `InitiateMultipartUploadResult`: the UploadId every later call needs. */
export function parseInitiateResult(body: string): InitiateResult {
  const ctx = OP_INITIATE;
  const root = parseRoot(body, ctx, 'InitiateMultipartUploadResult');
  const uploadId = text(root, 'UploadId', ctx)?.trim();
  if (!uploadId) throw badResponse(ctx, `returned a body without UploadId: ${ENDPOINT_HINT}`);
  return withOptional({ uploadId }, { bucket: text(root, 'Bucket', ctx)?.trim(), key: text(root, 'Key', ctx) });
}

/** `ListPartsResult`: the parts COS holds for an upload, one page of them. */
export function parseListPartsResult(body: string): ListPartsResult {
  const ctx = OP_LIST_PARTS;
  const root = parseRoot(body, ctx, 'ListPartsResult');
  const seen = new Set<number>();
  const parts = elements(root, 'Part', ctx).map((node, index): ListedPart => {
    const where = `Part #${index + 1}`;
    const partNumber = integerField(node, 'PartNumber', ctx, where, 1, MAX_PART_NUMBER);
    if (seen.has(partNumber)) throw badResponse(ctx, `listed the same part twice: part ${partNumber}`);
    seen.add(partNumber);
    const etag = requiredText(node, 'ETag', ctx, where);
    const size = integerField(node, 'Size', ctx, where, 0, Number.MAX_SAFE_INTEGER);
    return withOptional({ partNumber, etag, size }, { lastModified: text(node, 'LastModified', ctx)?.trim() });
  });
  const isTruncated = booleanField(root, 'IsTruncated', ctx);
  const nextPartNumberMarker = text(root, 'NextPartNumberMarker', ctx)?.trim();
  if (isTruncated && !nextPartNumberMarker) {
    throw badResponse(ctx, 'says the list is truncated but gives no NextPartNumberMarker to continue from');
  }
  return withOptional(
    { parts, isTruncated },
    { nextPartNumberMarker, uploadId: text(root, 'UploadId', ctx)?.trim(), key: text(root, 'Key', ctx) },
  );
}

/**
 * `CompleteMultipartUploadResult`. COS answers 200 before it has finished, keeps the connection
 * alive with whitespace, and reports a late failure as an `<Error>` body: that case returns
 * `{ error }` so the client can build a CosServiceError with the status.
 *
 * An empty, whitespace-only or malformed body here most likely means the connection dropped while
 * COS was still working, so that BAD_RESPONSE is retryable: the caller retries Complete (or checks
 * the object) instead of giving up an upload that may well have succeeded. A well-formed answer
 * that is simply wrong (HTML, no ETag, another document) is not retryable.
 */
export function parseCompleteResult(body: string): CompleteResult | { error: CosErrorDocument } {
  const ctx = OP_COMPLETE;
  const doc = parseDocument(body, ctx, true);
  const error = errorDocumentOf(doc);
  if (error) return { error };
  const root = rootNode(doc, ctx, 'CompleteMultipartUploadResult');
  const etag = text(root, 'ETag', ctx)?.trim();
  if (!etag) throw badResponse(ctx, `returned a body without ETag: ${ENDPOINT_HINT}`);
  return withOptional(
    { etag },
    { location: text(root, 'Location', ctx)?.trim(), bucket: text(root, 'Bucket', ctx)?.trim(), key: text(root, 'Key', ctx) },
  );
}

/** `ListMultipartUploadsResult`: unfinished uploads in the bucket, one page of them. */
export function parseListMultipartUploadsResult(body: string): ListMultipartUploadsResult {
  const ctx = OP_LIST_UPLOADS;
  const root = parseRoot(body, ctx, 'ListMultipartUploadsResult');
  const uploads = elements(root, 'Upload', ctx).map((node, index): ListedUpload => {
    const where = `Upload #${index + 1}`;
    const key = text(node, 'Key', ctx);
    if (!key) throw badResponse(ctx, `listed an upload without a Key: ${where}`);
    const uploadId = requiredText(node, 'UploadId', ctx, where);
    return withOptional(
      { key, uploadId },
      { initiated: text(node, 'Initiated', ctx)?.trim(), storageClass: text(node, 'StorageClass', ctx)?.trim() },
    );
  });
  const isTruncated = booleanField(root, 'IsTruncated', ctx);
  const nextKeyMarker = text(root, 'NextKeyMarker', ctx);
  const nextUploadIdMarker = text(root, 'NextUploadIdMarker', ctx)?.trim();
  if (isTruncated && !nextKeyMarker && !nextUploadIdMarker) {
    throw badResponse(ctx, 'says the list is truncated but gives no NextKeyMarker or NextUploadIdMarker to continue from');
  }
  return withOptional({ uploads, isTruncated }, { nextKeyMarker: nextKeyMarker || undefined, nextUploadIdMarker: nextUploadIdMarker || undefined });
}

/**
 * The Complete Multipart Upload request body. Parts are written in ascending order (COS answers
 * InvalidPartOrder otherwise) and must be exactly 1..N: a gap would mean a part is missing from the
 * object, which COS may refuse (InvalidPart) and which we must never risk. ETags are written as COS
 * sent them, quotes escaped as &quot;.
 * @throws CosError INVALID_ARGUMENT for no parts, a duplicate, a gap, a bad number or a bad ETag.
 */
export function buildCompleteBody(parts: ReadonlyArray<{ partNumber: number; etag: string }>): string {
  if (parts.length === 0) throw new CosError('INVALID_ARGUMENT', 'Complete Multipart Upload needs at least one part.');
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  const xmlParts = sorted.map((part, index) => {
    const { partNumber, etag } = part;
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw new CosError('INVALID_ARGUMENT', `Complete Multipart Upload got a part number outside 1..${MAX_PART_NUMBER}: ${String(partNumber)}`);
    }
    if (partNumber !== index + 1) {
      const problem = partNumber === index ? `part ${partNumber} is listed twice` : `part ${index + 1} is missing`;
      throw new CosError('INVALID_ARGUMENT', `Complete Multipart Upload needs every part from 1 to the last, once: ${problem}`);
    }
    if (typeof etag !== 'string' || etag.trim() === '' || INVALID_XML_CHAR.test(etag)) {
      throw new CosError('INVALID_ARGUMENT', `Complete Multipart Upload got an empty or unprintable ETag: part ${partNumber}`);
    }
    return `<Part><PartNumber>${partNumber}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`;
  });
  return `<CompleteMultipartUpload>${xmlParts.join('')}</CompleteMultipartUpload>`;
}
