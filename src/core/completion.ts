import { crc64ToDecimal, parseCrc64 } from './crc64';
import { CosError, CosServiceError, IntegrityError } from './errors';
import { combinePartCrcs } from './integrity';
import type { CompletedPart, UploadResult } from './types';
import type { UploadContext } from './uploadContext';
import { completeHeaders, sseHeaders } from './uploadHeaders';
import { partsCosHolds, type Session } from './uploadSession';

/** Complete Multipart Upload, with the HEAD fallback for a lost answer and the whole-object CRC64 check. */
export async function completeUpload(ctx: UploadContext, session: Session, parts: CompletedPart[]): Promise<UploadResult> {
  const { key } = ctx.request;
  const uploadId = session.checkpoint.uploadId;
  // The last line of defence against a truncated object: every part, in order, adding up to the file.
  const total = parts.reduce((sum, p) => sum + p.size, 0);
  if (parts.length !== session.plan.partCount || parts.some((p, i) => p.partNumber !== i + 1) || total !== ctx.file.size) {
    throw new CosError(
      'INTERNAL',
      `Refusing to complete upload ${uploadId}: ${parts.length} of ${session.plan.partCount} parts (${total} of ${ctx.file.size} bytes) are confirmed. The upload is kept; resume it.`,
    );
  }
  const expected = combinePartCrcs(parts.map((p) => ({ crc64: BigInt(p.crc64), size: p.size })));
  const expectedText = crc64ToDecimal(expected);
  let result;
  try {
    result = await ctx.client.completeMultipartUpload(key, uploadId, parts, completeHeaders(ctx.options), ctx.request.signal);
  } catch (error) {
    // A retried Complete whose first answer was lost finds the upload already gone: check the object.
    if (CosError.is(error) && error.code === 'NO_SUCH_UPLOAD') {
      // An SSE-C object can only be read, even by HEAD, with its key.
      const head = await ctx.client.headObject(key, ctx.request.signal, sseHeaders(ctx.options.sse, 'part'));
      if (head && head.size === ctx.file.size && head.crc64 === expectedText) {
        result = { etag: head.etag, crc64: head.crc64, requestId: error.requestId };
      } else {
        throw error;
      }
    } else {
      throw error;
    }
  }
  let verified = false;
  if (result.crc64 !== undefined) {
    if (parseCrc64(result.crc64) !== expected) {
      // The object now exists on COS with bytes that differ from the file: say so, never report success.
      throw new IntegrityError('Whole-object CRC64 after Complete Multipart Upload', expectedText, result.crc64, {
        requestId: result.requestId,
        retryable: false,
        advice: `the object ${key} on COS may be corrupt; upload the file again or delete the object`,
      });
    }
    verified = true;
  } else {
    ctx.logger.warn('COS did not return the whole-object CRC64 after Complete; the object was checked part by part only.');
  }
  ctx.emit({ type: 'complete', key, uploadId, etag: result.etag, crc64: expectedText, crc64Verified: verified, requestId: result.requestId });
  return {
    key,
    uploadId,
    etag: result.etag,
    crc64: expectedText,
    crc64Verified: verified,
    parts: parts.length,
    bytes: ctx.file.size,
    seconds: ctx.elapsed(),
    requestId: result.requestId,
    resumedParts: session.resumedParts,
  };
}

/** Complete refused the part list because COS holds some part under another ETag than it answered. */
export function isInvalidPart(error: unknown): error is CosServiceError {
  return error instanceof CosServiceError && error.cosCode === 'InvalidPart';
}

/**
 * Complete refused the part list (InvalidPart): COS holds some part under another ETag than it
 * answered when the part was sent (without Content-MD5 nothing checks that answer). Returns the
 * session with only the parts List Parts shows as recorded, so the others are sent again; when COS
 * holds every part as recorded there is nothing to repair and the refusal stands.
 */
export async function sessionForRepair(ctx: UploadContext, session: Session, parts: CompletedPart[], refusal: CosServiceError): Promise<Session> {
  const listed = await ctx.client.listParts(ctx.request.key, session.checkpoint.uploadId, ctx.request.signal);
  const kept = partsCosHolds(parts, listed, session.plan);
  if (kept.length === parts.length) throw refusal;
  const keptNumbers = new Set(kept.map((p) => p.partNumber));
  const resend = parts.filter((p) => !keptNumbers.has(p.partNumber)).map((p) => p.partNumber);
  ctx.logger.warn(`${refusal.message} COS holds part(s) ${resend.join(', ')} under another ETag than it answered: sending them again.`);
  for (const partNumber of resend) ctx.emit({ type: 'retry', operation: 'Upload Part', attempt: 1, delayMs: 0, error: refusal, partNumber });
  return { ...session, checkpoint: { ...session.checkpoint, parts: kept } };
}
