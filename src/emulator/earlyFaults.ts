/** The injected faults that replace a request's normal handling (see faults.ts for the rules). */

import type * as http from 'node:http';
import { expiredTokenError, type ExpiredTokenStyle } from './auth';
import { pumpBody } from './body';
import type { RequestContext } from './context';
import { defaultCodeFor, defaultMessageFor } from './cosErrors';
import { errorXml } from './xml';

function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && Number(len) > 0);
}

/** Faults that replace the normal handling. Returns true when the request is finished. */
export async function applyEarlyFault(ctx: RequestContext, expiredTokenStyle: ExpiredTokenStyle): Promise<boolean> {
  const fault = ctx.fault;
  if (!fault) return false;
  const { req } = ctx;
  switch (fault.fault) {
    case 'refuse':
      ctx.entry.interrupted = true;
      req.socket.destroy();
      return true;
    case 'reset': {
      if (fault.at === 'response' || !hasBody(req)) {
        ctx.resetOnResponse = true;
        return false;
      }
      const len = Number(req.headers['content-length'] ?? NaN);
      const stopAt = Number.isFinite(len) && len > 1 ? Math.floor(len / 2) : 1;
      try {
        const { bytes } = await pumpBody(req, { stopAt, buckets: ctx.buckets() });
        ctx.entry.bytes += bytes;
      } catch {
        // The client left first; nothing to reset.
      }
      ctx.entry.interrupted = true;
      req.socket.destroy();
      return true;
    }
    case 'stall':
      if (fault.ms === undefined) {
        await new Promise<void>((resolve) => {
          if (ctx.gone) resolve();
          else ctx.res.once('close', () => resolve());
        });
        return true;
      }
      await ctx.env.sleep(fault.ms);
      return ctx.gone;
    case 'status': {
      const code = fault.code ?? defaultCodeFor(fault.status as number);
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
      await ctx.sendError(fault.status as number, code, fault.message ?? defaultMessageFor(code), headers);
      return true;
    }
    case 'expiredToken': {
      const e = expiredTokenError(expiredTokenStyle);
      await ctx.sendError(e.status, e.code, e.message);
      return true;
    }
    case 'garbage':
      await ctx.drain();
      await ctx.send(
        200,
        { 'Content-Type': 'text/html; charset=utf-8' },
        '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n',
      );
      return true;
    case 'completeErrorIn200':
      if (ctx.operation === 'complete') return false;
      await ctx.drain();
      ctx.entry.errorCode = 'InternalError';
      await ctx.send(
        200,
        {},
        errorXml({
          code: 'InternalError',
          message: 'We encountered an internal error. Please try again.',
          resource: ctx.resource(),
          requestId: ctx.requestId,
          traceId: ctx.traceId,
        }),
      );
      return true;
    default:
      return false;
  }
}
