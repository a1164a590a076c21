import type { UploadEvent, UploadResult } from '../../core';
import { CosError, describeError, formatBytes } from '../../core';

/**
 * The "COS Upload" log's lines about one upload. English and `name=value` so they can be pasted
 * into a support ticket and grepped; never a header, a signature or a secret.
 */

export interface LineContext {
  /** Workspace-relative path. */
  file: string;
  key: string;
  bucket: string;
  /** Parts in flight at the start, from the resolved options. */
  concurrency: number;
}

export function startLine(ctx: LineContext, e: Extract<UploadEvent, { type: 'start' }>): string {
  const mode = e.multipart ? `uploadId=${e.uploadId ?? '-'} partSize=${e.partSize} parts=${e.partCount} resumedParts=${e.resumedParts}` : 'mode=put-object';
  return `start file=${ctx.file} bucket=${ctx.bucket} key=${ctx.key} size=${e.fileSize} ${mode} concurrency=${ctx.concurrency} crc64Engine=${e.crcEngine}`;
}

export function partLine(ctx: LineContext, e: Extract<UploadEvent, { type: 'part' }>): string {
  return `part ${e.partNumber}/${e.partCount} file=${ctx.file} bytes=${e.bytes} etag=${e.etag} requestId=${e.requestId ?? '-'} crc64=${e.crc64} attempt=${e.attempt} duration=${Math.round(e.durationMs)}ms`;
}

export function retryLine(ctx: LineContext, e: Extract<UploadEvent, { type: 'retry' }>): string {
  const part = e.partNumber !== undefined ? ` part=${e.partNumber}` : '';
  return `retry file=${ctx.file} operation=${e.operation}${part} attempt=${e.attempt} delay=${Math.round(e.delayMs)}ms: ${describeError(e.error)}`;
}

export function completeLine(ctx: LineContext, result: UploadResult): string {
  const verdict = result.crc64Verified ? 'crc64 verified' : 'crc64 not returned by server';
  const speed = result.seconds > 0 ? `${formatBytes(result.bytes / result.seconds)}/s` : '-';
  return (
    `complete file=${ctx.file} key=${ctx.key} uploadId=${result.uploadId ?? '-'} etag=${result.etag} crc64=${result.crc64} (${verdict}) ` +
    `bytes=${result.bytes} parts=${result.parts} resumedParts=${result.resumedParts} requestId=${result.requestId ?? '-'} ` +
    `duration=${result.seconds.toFixed(1)}s speed=${speed}`
  );
}

export function failureLine(ctx: LineContext, error: unknown): string {
  const fields: string[] = [`failed file=${ctx.file}`, `key=${ctx.key}`];
  if (CosError.is(error)) {
    fields.push(`code=${error.code}`);
    const service = error as CosError & { status?: number; cosCode?: string; operation?: string; traceId?: string };
    if (service.operation) fields.push(`operation="${service.operation}"`);
    if (service.status !== undefined) fields.push(`status=${service.status}`);
    if (service.cosCode) fields.push(`cosCode=${service.cosCode}`);
    fields.push(`requestId=${error.requestId ?? '-'}`);
    if (service.traceId) fields.push(`traceId=${service.traceId}`);
  }
  return `${fields.join(' ')}: ${describeError(error)}`;
}

/** Lines for the events that are not covered above, or undefined for events not worth a line. */
export function otherEventLine(ctx: LineContext, e: UploadEvent): string | undefined {
  switch (e.type) {
    case 'clock-corrected':
      return `clock file=${ctx.file}: the local clock differs from COS by ${Math.round(e.offsetMs / 1000)} s; signatures now use COS's time.`;
    case 'credentials-refreshed':
      return `credentials file=${ctx.file}: fresh temporary credentials loaded from the profile.`;
    default: {
      const restarted = e as { type: string; reason?: string; previousUploadId?: string };
      if (restarted.type === 'restarted') {
        return `restart file=${ctx.file} key=${ctx.key} previousUploadId=${restarted.previousUploadId ?? '-'}: ${restarted.reason ?? 'starting over'}; the file is uploaded again from the start`;
      }
      return undefined;
    }
  }
}
