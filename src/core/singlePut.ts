import { ProgressTracker } from './progress';
import type { UploadResult } from './types';
import type { UploadContext } from './uploadContext';
import { objectHeaders } from './uploadHeaders';

/** Small files: one Put Object, verified like a part. */
export async function putWhole(ctx: UploadContext): Promise<UploadResult> {
  const { key } = ctx.request;
  const size = ctx.file.size;
  const announced = ctx.announceStart({ key, fileSize: size, partSize: size, partCount: 1, resumedParts: 0, multipart: false });
  // Nothing returns or throws before 'start' is out: the caller's events stay in order.
  try {
    const progress = new ProgressTracker(size, 1, (e) => ctx.emit(e));
    ctx.progress = progress;
    const data = await ctx.file.read({ partNumber: 1, offset: 0, length: size }, ctx.hashes.allocate(size));
    await ctx.file.assertUnchanged();
    // As with parts: hashed while it goes, unless Content-MD5 has to be in the headers.
    const digest = ctx.hashes.digest(data, ctx.sender.sendsMd5);
    const headers = {
      ...objectHeaders(key, ctx.options),
      ...(ctx.options.trafficLimit !== undefined ? { 'x-cos-traffic-limit': String(ctx.options.trafficLimit) } : {}),
    };
    const part = await ctx.sendPart(1, data, digest, ctx.request.signal, (contentMd5, signal, onSent) =>
      ctx.client.putObject(key, data, contentMd5 === undefined ? headers : { ...headers, 'content-md5': contentMd5 }, signal, onSent),
    );
    progress.partDone(1, size);
    ctx.emit({ type: 'part', partCount: 1, ...part.event });
    const crc64 = part.crc64;
    ctx.emit({ type: 'complete', key, etag: part.etag, crc64, crc64Verified: part.crcVerified, requestId: part.event.requestId });
    return { key, etag: part.etag, crc64, crc64Verified: part.crcVerified, parts: 1, bytes: size, seconds: ctx.elapsed(), requestId: part.event.requestId, resumedParts: 0 };
  } finally {
    await announced;
  }
}
