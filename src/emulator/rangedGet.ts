/**
 * Get Object as COS answers it: a single byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`) gets 206
 * with Content-Range, an unsatisfiable one 416 InvalidRange, and the conditional headers
 * (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since) are checked first. The
 * x-cos-hash-crc64ecma header is always the whole object's CRC64, ranged or not.
 * The body is written here chunk by chunk so the `reset` and `wrongBody` faults can strike mid-body,
 * paced by the per-connection rate (connMbps) like request bodies.
 */

import { createReadStream } from 'node:fs';
import { ClientGoneError, type TokenBucket } from './body';
import type { RequestContext } from './context';
import { CosFailure } from './cosErrors';
import type { ObjectRecord } from './store';

/** Single range as [first, last] byte; undefined for none or a form COS ignores (several ranges); 'invalid' when unsatisfiable. */
export function parseRange(raw: string | undefined, size: number): [number, number] | undefined | 'invalid' {
  if (raw === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(raw.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'invalid';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    if (m[2] !== '' && Number(m[2]) < start) return undefined; // a last byte before the first: the header is ignored (RFC 9110)
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start > end || start >= size ? 'invalid' : [start, end];
}

function unquote(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

function etagListMatches(header: string, etag: string): boolean {
  const wanted = unquote(etag);
  return header.split(',').some((item) => item.trim() === '*' || unquote(item) === wanted);
}

/**
 * If-Match / If-Unmodified-Since failing → 412 PreconditionFailed; If-None-Match /
 * If-Modified-Since failing → 304 (returned as 'not-modified'), in the RFC 9110 order COS follows.
 */
export function checkPreconditions(ctx: RequestContext, o: ObjectRecord): 'ok' | 'not-modified' {
  const ifMatch = ctx.header('if-match');
  const ifNoneMatch = ctx.header('if-none-match');
  const ifUnmodified = ctx.header('if-unmodified-since');
  const ifModified = ctx.header('if-modified-since');
  const modifiedSec = Math.floor(o.lastModified.getTime() / 1000);
  const preconditionFailed = () => new CosFailure(412, 'PreconditionFailed', 'At least one of the preconditions you specified did not hold.');
  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, o.etag)) throw preconditionFailed();
  } else if (ifUnmodified !== undefined) {
    const t = Date.parse(ifUnmodified);
    if (Number.isFinite(t) && modifiedSec > Math.floor(t / 1000)) throw preconditionFailed();
  }
  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, o.etag)) return 'not-modified';
  } else if (ifModified !== undefined) {
    const t = Date.parse(ifModified);
    if (Number.isFinite(t) && modifiedSec <= Math.floor(t / 1000)) return 'not-modified';
  }
  return 'ok';
}

export interface GetAnswer {
  status: 200 | 206;
  start: number;
  end: number;
  headers: Record<string, string>;
}

/**
 * Status, byte span and the length/range headers of a GET of `o` with Range header `raw`
 * (throws the 416). An empty object has the span [0, -1].
 */
export function answerFor(raw: string | undefined, o: ObjectRecord): GetAnswer {
  const range = parseRange(raw, o.size);
  if (range === 'invalid') {
    throw new CosFailure(416, 'InvalidRange', `The requested range is not satisfiable: ${raw ?? ''}`, { 'Content-Range': `bytes */${o.size}` });
  }
  if (!range) return { status: 200, start: 0, end: o.size - 1, headers: { 'Content-Length': String(o.size) } };
  const [start, end] = range;
  return {
    status: 206,
    start,
    end,
    headers: { 'Content-Length': String(end - start + 1), 'Content-Range': `bytes ${start}-${end}/${o.size}` },
  };
}

/**
 * Streams bytes start..end of `file` to the answer. The `reset` fault drops the connection after
 * about half of them; `wrongBody` flips one byte in the middle (same length, same headers).
 */
export async function sendBody(ctx: RequestContext, file: string, start: number, end: number): Promise<void> {
  const length = end - start + 1;
  const fault = ctx.faultKind;
  const resetAfter = ctx.resetOnResponse ? Math.floor(length / 2) : Infinity;
  const flipAt = fault === 'wrongBody' ? Math.floor(length / 2) : -1;
  const { res } = ctx;
  // The per-connection pacing (connMbps) applies to answers too, in slices small enough to stay smooth.
  const buckets = ctx.buckets().filter((b): b is TokenBucket => b !== undefined);
  let sent = 0;
  const stream = createReadStream(file, { start, end, highWaterMark: buckets.length > 0 ? 64 * 1024 : 1024 * 1024 });
  try {
    for await (const raw of stream) {
      let chunk = raw as Buffer;
      if (flipAt >= sent && flipAt < sent + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[flipAt - sent] ^= 0xff;
      }
      if (sent + chunk.length > resetAfter) {
        const part = chunk.subarray(0, resetAfter - sent);
        ctx.entry.interrupted = true;
        res.write(part, () => ctx.req.socket.destroy());
        setTimeout(() => ctx.req.socket.destroy(), 50).unref();
        return;
      }
      sent += chunk.length;
      const waitMs = Math.max(0, ...buckets.map((b) => b.take(chunk.length)));
      if (waitMs > 0) await ctx.env.sleep(waitMs);
      if (ctx.gone) throw new ClientGoneError();
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    stream.destroy();
  }
}

/** GET /<key>: the object, or one range of it. */
export async function answerGet(ctx: RequestContext, o: ObjectRecord, headers: Record<string, string>): Promise<void> {
  const rawRange = ctx.header('range');
  if (rawRange !== undefined) ctx.entry.range = rawRange;
  if (checkPreconditions(ctx, o) === 'not-modified') {
    await ctx.send(304, { ETag: headers.ETag, 'Last-Modified': headers['Last-Modified'] });
    return;
  }
  const answer = answerFor(rawRange, o);
  await ctx.env.sleep(ctx.env.latencyMs());
  if (ctx.gone) throw new ClientGoneError();
  if (ctx.resetOnResponse && (o.size === 0 || !o.file)) {
    ctx.resetNow();
    return;
  }
  ctx.res.writeHead(answer.status, { ...ctx.commonHeaders(), ...headers, ...answer.headers });
  if (o.size === 0 || !o.file) {
    ctx.res.end();
    return;
  }
  await sendBody(ctx, o.file, answer.start, answer.end);
}
