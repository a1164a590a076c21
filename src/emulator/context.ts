/**
 * One request as the handlers see it: parsed address, log entry being filled, the fault it drew,
 * and the ways to answer (all of which apply the emulated latency, the COS common headers and the
 * mid-response reset fault).
 */

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ClientGoneError, pumpBody, type TokenBucket } from './body';
import type { FaultRuleState, EmulatedOperation } from './faults';
import type { Store } from './store';
import { errorXml } from './xml';

/** One line of the request log (programmatic `log`, and GET /_emulator/log). */
export interface RequestLogEntry {
  /** Arrival, ISO 8601 (real time, not the emulated clock). */
  time: string;
  method: string;
  operation: EmulatedOperation;
  key: string;
  partNumber?: number;
  uploadId?: string;
  /** HTTP status sent; 0 when the connection closed before a status line went out. */
  status: number;
  requestId: string;
  /** COS error code when the answer was an <Error> (also a 200 carrying one). */
  errorCode?: string;
  /** ETag sent (Upload Part, Put Object, Complete, Head). */
  etag?: string;
  /** x-cos-hash-crc64ecma sent. */
  crc64?: string;
  /** True when the request carried Content-MD5. */
  contentMd5?: boolean;
  /** The x-cos-traffic-limit header as sent (bit/s), when there was one. */
  trafficLimit?: string;
  /** Request body bytes received. */
  bytes: number;
  faultApplied?: string;
  /** True when the answer did not finish (reset, client gone). */
  interrupted?: boolean;
  /** The Range header of a Get Object, as sent. */
  range?: string;
  durationMs: number;
}

/** What the server shares with every request. */
export interface ServerEnv {
  readonly store: Store;
  readonly bucket: string;
  readonly region: string;
  readonly minPartSize: number;
  readonly discard: boolean;
  /** Server time in ms, shifted by the emulated clock skew. */
  nowMs(): number;
  latencyMs(): number;
  /** The per-connection pacing bucket when connMbps is set. */
  connectionBucket(socket: Socket): TokenBucket | undefined;
  /** Registers a timer so close() can cancel it. */
  sleep(ms: number): Promise<void>;
}

let requestCounter = 0;

/** COS-looking request ids: base64 of "<time hex>_<random>_<pid>_<counter>", unique per process. */
export function newRequestId(): string {
  requestCounter++;
  const raw = `${Math.floor(Date.now() / 1000).toString(16)}_${randomBytes(4).toString('hex')}_${(process.pid & 0xffff).toString(16)}_${requestCounter.toString(16)}`;
  return Buffer.from(raw).toString('base64');
}

export function newTraceId(): string {
  return Buffer.from(randomBytes(36).toString('hex')).toString('base64');
}

export class RequestContext {
  readonly requestId = newRequestId();
  readonly traceId = newTraceId();
  readonly started = performance.now();
  fault?: FaultRuleState;
  /** Destroy the socket instead of (or in the middle of) writing the answer. */
  resetOnResponse = false;

  constructor(
    readonly env: ServerEnv,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly operation: EmulatedOperation,
    /** Decoded object key ('' for bucket-level requests). */
    readonly key: string,
    /** Decoded path as signed, e.g. "/dir/a b.txt". */
    readonly pathname: string,
    readonly query: ReadonlyArray<readonly [string, string]>,
    readonly entry: RequestLogEntry,
  ) {}

  param(name: string): string | undefined {
    return this.query.find(([k]) => k === name)?.[1];
  }

  has(name: string): boolean {
    return this.query.some(([k]) => k === name);
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  }

  get faultKind(): string | undefined {
    return this.fault?.fault;
  }

  /** The `Resource` of an error document. */
  resource(): string {
    return `${this.env.bucket}.cos.${this.env.region}.myqcloud.com/${this.key}`;
  }

  /** The socket is gone: nothing more can be sent. */
  get gone(): boolean {
    return this.res.destroyed || this.req.socket.destroyed;
  }

  /** Headers every COS answer carries. */
  commonHeaders(): Record<string, string> {
    return {
      'x-cos-request-id': this.requestId,
      Date: new Date(this.env.nowMs()).toUTCString(),
      Server: 'tencent-cos',
    };
  }

  /** Reads and discards whatever is left of the body, so an early answer reaches the client cleanly. */
  async drain(): Promise<void> {
    if (this.req.readableEnded || this.req.destroyed) return;
    const { bytes } = await pumpBody(this.req, {});
    this.entry.bytes += bytes;
  }

  /** Body pacing for this request: the connection's bucket plus any extra (x-cos-traffic-limit). */
  buckets(extra?: TokenBucket): Array<TokenBucket | undefined> {
    return [this.env.connectionBucket(this.req.socket), extra];
  }

  /** Writes a few bytes of a status line, then drops the connection (the `reset` fault, at response). */
  resetNow(): void {
    this.entry.interrupted = true;
    const socket = this.req.socket;
    if (socket.destroyed) return;
    if (this.res.headersSent) {
      socket.destroy();
      return;
    }
    socket.write('HTTP/1.1 200 OK\r\nx-cos-req', () => socket.destroy());
    setTimeout(() => socket.destroy(), 50).unref();
  }

  /** Sends a complete answer after the emulated latency. */
  async send(status: number, headers: Record<string, string>, body?: string | Buffer): Promise<void> {
    await this.env.sleep(this.env.latencyMs());
    if (this.gone) throw new ClientGoneError();
    if (this.resetOnResponse) {
      this.resetNow();
      return;
    }
    const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.res.writeHead(status, {
      ...this.commonHeaders(),
      ...(payload ? { 'Content-Type': 'application/xml' } : {}),
      'Content-Length': String(payload?.length ?? 0),
      ...headers,
    });
    this.res.end(payload);
  }

  /** Answers with an <Error> document (drains the body first). HEAD gets the status with no body. */
  async sendError(status: number, code: string, message: string, headers: Record<string, string> = {}): Promise<void> {
    this.entry.errorCode = code;
    await this.drain();
    const errorHeaders = { 'x-cos-trace-id': this.traceId, ...headers };
    if (this.req.method === 'HEAD') {
      await this.send(status, errorHeaders);
      return;
    }
    const xml = errorXml({ code, message, resource: this.resource(), requestId: this.requestId, traceId: this.traceId });
    await this.send(status, errorHeaders, xml);
  }
}
