/**
 * A local Tencent COS (XML API) emulator for one bucket, addressed custom-domain style
 * (http://127.0.0.1:PORT/<key>). It verifies signatures, stores multipart uploads on disk, returns
 * ETag and CRC64 like COS, and can fail on purpose (faults), slow down (latency, per-connection
 * bandwidth, x-cos-traffic-limit) and run with a skewed clock.
 *
 * It is a second, independent implementation of the server side: nothing here may import the
 * client's code in src/core (an ESLint rule enforces it), so a bug shared by both cannot pass.
 */

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { expiredTokenError, verifyRequest, type EmulatorCredentials, type ExpiredTokenStyle } from './auth';
import { ClientGoneError, pumpBody, TokenBucket } from './body';
import { RequestContext, type RequestLogEntry, type ServerEnv } from './context';
import { CosFailure, defaultCodeFor, defaultMessageFor } from './cosErrors';
import { handleControlRequest } from './control';
import { FaultController, type EmulatedOperation } from './faults';
import * as multipart from './multipart';
import * as objects from './objects';
import { Store } from './store';
import { errorXml } from './xml';

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where parts and objects go; default a new temp dir, removed by close(). */
  dataDir?: string;
  /** Default examplebucket-1250000000. */
  bucket?: string;
  /** Default ap-guangzhou. */
  region?: string;
  /** Default: generated permanent test credentials (AKIDEMULATOR…). */
  credentials?: EmulatorCredentials;
  /** Delay every answer by this many ms. */
  latencyMs?: number;
  /** Pace each connection's request bodies to this many Mbit/s. */
  connMbps?: number;
  /** Keep only size, MD5 and CRC64 of bodies, not the bytes (Get Object then fails with 501). */
  discard?: boolean;
  /** Shift the server clock (signature time checks, Date header) by this many ms. */
  clockSkewMs?: number;
  /** Smallest non-last part Complete accepts; default 1 MiB as on COS. */
  minPartSize?: number;
  /**
   * How expired temporary credentials are answered. Default 'InvalidAccessKeyId' (403): COS's own
   * diagnostics describe that error as "the SecretId does not exist or the temporary key expired".
   * 'ExpiredToken' answers 400 ExpiredToken as S3-compatible services do.
   */
  expiredTokenStyle?: ExpiredTokenStyle;
  /** Oldest entries are dropped beyond this; default 200000. */
  maxLogEntries?: number;
  /**
   * Running inside a user's editor rather than a test: only requests addressed to a loopback name or
   * the bucket's COS host are served, so a web page using DNS rebinding cannot reach it.
   */
  embedded?: boolean;
  /**
   * Serve the unauthenticated control API under /_emulator/ (faults, request log, clock, network,
   * credentials), for test harnesses in another process. Off by default: the emulator then serves
   * COS only, and /_emulator/... is an object key like any other.
   */
  control?: boolean;
}

export interface UploadSummary {
  key: string;
  uploadId: string;
  initiated: string;
  parts: number;
  bytes: number;
}

export interface StoredObject {
  key: string;
  size: number;
  etag: string;
  /** Decimal uint64, as in x-cos-hash-crc64ecma. */
  crc64: string;
  lastModified: string;
  contentType: string;
  meta: Record<string, string>;
  storageClass: string;
  /** 'none' | 'AES256' | 'cos/kms' | 'SSE-C'. */
  sse: string;
}

export interface NetworkModel {
  latencyMs?: number;
  /** 0 or undefined: unlimited. */
  connMbps?: number;
}

export interface RunningEmulator {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly bucket: string;
  readonly region: string;
  /** The credentials the emulator currently accepts. */
  readonly credentials: EmulatorCredentials;
  readonly dataDir: string;
  readonly discard: boolean;
  /** Whether the control API under /_emulator/ is served (EmulatorOptions.control). */
  readonly control: boolean;
  readonly faults: FaultController;
  /** Every answered request, oldest first (also GET /_emulator/log). */
  readonly log: RequestLogEntry[];
  readonly clockSkewMs: number;
  setClockSkew(ms: number): void;
  setNetwork(model: NetworkModel): void;
  /** The network model in force. */
  readonly network: Required<NetworkModel>;
  /**
   * The current credentials expire (answered as configured by `expiredTokenStyle`) and fresh
   * temporary credentials, with a session token, are accepted instead. Returns the fresh ones.
   */
  expireSessionToken(): EmulatorCredentials;
  /** Accept these credentials from now on (the previous ones become unknown). */
  setCredentials(credentials: EmulatorCredentials): void;
  objectPath(key: string): string | undefined;
  objectInfo(key: string): StoredObject | undefined;
  /** The object's bytes; throws in discard mode or when the key does not exist. */
  readObject(key: string): Promise<Buffer>;
  objectSha256(key: string): Promise<string>;
  listUploads(): UploadSummary[];
  clearLog(): void;
  /** Stops listening and drops every connection: clients get ECONNREFUSED until resume(). */
  pause(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_BUCKET = 'examplebucket-1250000000';
const DEFAULT_REGION = 'ap-guangzhou';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlnum(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (const b of bytes) s += ALNUM[b % ALNUM.length];
  return s;
}

/** Fresh test credentials: AKIDEMULATOR + random, as long as a real SecretId (36). */
export function generateCredentials(temporary = false): EmulatorCredentials {
  const creds: EmulatorCredentials = { secretId: `AKIDEMULATOR${randomAlnum(24)}`, secretKey: randomAlnum(32) };
  if (temporary) creds.sessionToken = `emulator-token-${randomAlnum(48)}`;
  return creds;
}

interface Target {
  pathname: string;
  key: string;
  query: Array<[string, string]>;
}

function decode(s: string): string {
  return decodeURIComponent(s);
}

/** Splits a request target into decoded path and query pairs; throws on bad percent-encoding. */
function parseTarget(rawUrl: string): Target {
  let url = rawUrl;
  if (/^https?:\/\//i.test(url)) {
    const u = new URL(url);
    url = u.pathname + u.search;
  }
  const q = url.indexOf('?');
  const rawPath = q >= 0 ? url.slice(0, q) : url;
  const rawQuery = q >= 0 ? url.slice(q + 1) : '';
  if (!rawPath.startsWith('/')) throw new Error('path must start with /');
  const pathname = decode(rawPath);
  const query: Array<[string, string]> = [];
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    query.push(eq < 0 ? [decode(piece), ''] : [decode(piece.slice(0, eq)), decode(piece.slice(eq + 1))]);
  }
  return { pathname, key: pathname.slice(1), query };
}

function classify(method: string, key: string, query: ReadonlyArray<readonly [string, string]>, headers: http.IncomingHttpHeaders): EmulatedOperation {
  const has = (name: string): boolean => query.some(([k]) => k === name);
  switch (method) {
    case 'POST':
      if (has('uploads')) return 'initiate';
      return has('uploadId') ? 'complete' : 'unknown';
    case 'PUT':
      if (headers['x-cos-copy-source'] !== undefined) return 'unknown';
      if (has('partNumber') || has('uploadId')) return 'uploadPart';
      return key ? 'putObject' : 'unknown';
    case 'GET':
      if (key === '') return has('uploads') ? 'listUploads' : 'listObjects';
      return has('uploadId') ? 'listParts' : 'getObject';
    case 'HEAD':
      return key ? 'head' : 'headBucket';
    case 'DELETE':
      if (has('uploadId')) return 'abort';
      return key ? 'deleteObject' : 'unknown';
    default:
      return 'unknown';
  }
}

const HANDLERS: Record<EmulatedOperation, (ctx: RequestContext) => Promise<void>> = {
  initiate: multipart.initiate,
  uploadPart: multipart.uploadPart,
  listParts: multipart.listParts,
  complete: multipart.complete,
  abort: multipart.abort,
  listUploads: multipart.listUploads,
  putObject: objects.putObject,
  head: objects.head,
  getObject: objects.getObject,
  deleteObject: objects.deleteObject,
  headBucket: objects.headBucket,
  listObjects: objects.listObjects,
  unknown: objects.unsupported,
};

function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && Number(len) > 0);
}

interface PendingSleep {
  timer: NodeJS.Timeout;
  resolve: () => void;
}

class EmulatorServer implements RunningEmulator, ServerEnv {
  readonly host: string;
  readonly bucket: string;
  readonly region: string;
  readonly discard: boolean;
  readonly minPartSize: number;
  readonly faults = new FaultController();
  readonly log: RequestLogEntry[] = [];
  readonly store: Store;
  port: number;
  dataDir: string;
  clockSkewMs: number;

  private creds: EmulatorCredentials;
  private readonly expiredSecretIds = new Set<string>();
  private readonly expiredTokens = new Set<string>();
  private readonly expiredTokenStyle: ExpiredTokenStyle;
  private latency: number;
  private connBytesPerSec: number;
  private connBuckets = new WeakMap<Socket, TokenBucket>();
  private readonly sleeps = new Set<PendingSleep>();
  private readonly maxLog: number;
  private readonly embedded: boolean;
  readonly control: boolean;
  private readonly ownsDataDir: boolean;
  private readonly server: http.Server;
  private listening = false;
  private closed = false;

  constructor(opts: EmulatorOptions, dataDir: string, ownsDataDir: boolean) {
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 0;
    this.bucket = opts.bucket ?? DEFAULT_BUCKET;
    this.region = opts.region ?? DEFAULT_REGION;
    this.discard = opts.discard ?? false;
    this.minPartSize = opts.minPartSize ?? 1024 * 1024;
    this.clockSkewMs = opts.clockSkewMs ?? 0;
    this.creds = { ...(opts.credentials ?? generateCredentials()) };
    this.expiredTokenStyle = opts.expiredTokenStyle ?? 'InvalidAccessKeyId';
    this.latency = opts.latencyMs ?? 0;
    this.connBytesPerSec = opts.connMbps ? (opts.connMbps * 1e6) / 8 : 0;
    this.maxLog = opts.maxLogEntries ?? 200_000;
    this.embedded = opts.embedded === true;
    this.control = opts.control === true;
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.store = new Store(dataDir, this.discard);
    this.server = http.createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 30_000, noDelay: true }, (req, res) =>
      this.handle(req, res),
    );
    this.server.timeout = 0;
  }

  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  get credentials(): EmulatorCredentials {
    return { ...this.creds };
  }

  // ------------------------------------------------------------ ServerEnv

  nowMs(): number {
    return Date.now() + this.clockSkewMs;
  }

  latencyMs(): number {
    return this.latency;
  }

  connectionBucket(socket: Socket): TokenBucket | undefined {
    if (!this.connBytesPerSec) return undefined;
    let bucket = this.connBuckets.get(socket);
    if (!bucket) {
      bucket = new TokenBucket(this.connBytesPerSec);
      this.connBuckets.set(socket, bucket);
    }
    return bucket;
  }

  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const pending: PendingSleep = {
        timer: setTimeout(() => {
          this.sleeps.delete(pending);
          resolve();
        }, ms),
        resolve,
      };
      this.sleeps.add(pending);
    });
  }

  // ------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    await this.store.init();
    await this.listen();
  }

  private listen(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        if (address && typeof address === 'object') this.port = address.port;
        this.listening = true;
        resolve();
      });
    });
  }

  async pause(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  async resume(): Promise<void> {
    if (this.listening || this.closed) return;
    await this.listen();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pause();
    } finally {
      for (const s of this.sleeps) {
        clearTimeout(s.timer);
        s.resolve();
      }
      this.sleeps.clear();
      if (this.ownsDataDir) await fsp.rm(this.dataDir, { recursive: true, force: true, maxRetries: 3 });
    }
  }

  // ------------------------------------------------------------ controls

  setClockSkew(ms: number): void {
    this.clockSkewMs = ms;
  }

  setNetwork(model: NetworkModel): void {
    if (model.latencyMs !== undefined) this.latency = Math.max(0, model.latencyMs);
    if (model.connMbps !== undefined) {
      this.connBytesPerSec = model.connMbps > 0 ? (model.connMbps * 1e6) / 8 : 0;
      this.connBuckets = new WeakMap();
    }
  }

  get network(): Required<NetworkModel> {
    return { latencyMs: this.latency, connMbps: (this.connBytesPerSec * 8) / 1e6 };
  }

  expireSessionToken(): EmulatorCredentials {
    this.expiredSecretIds.add(this.creds.secretId);
    if (this.creds.sessionToken) this.expiredTokens.add(this.creds.sessionToken);
    this.creds = generateCredentials(true);
    return this.credentials;
  }

  setCredentials(credentials: EmulatorCredentials): void {
    this.creds = { ...credentials };
    this.expiredSecretIds.delete(credentials.secretId);
    if (credentials.sessionToken) this.expiredTokens.delete(credentials.sessionToken);
  }

  clearLog(): void {
    this.log.length = 0;
  }

  // ------------------------------------------------------------ inspection

  objectPath(key: string): string | undefined {
    return this.store.objects.get(key)?.file;
  }

  objectInfo(key: string): StoredObject | undefined {
    const o = this.store.objects.get(key);
    if (!o) return undefined;
    return {
      key: o.key,
      size: o.size,
      etag: o.etag,
      crc64: o.crc64.toString(),
      lastModified: o.lastModified.toISOString(),
      contentType: o.attrs.contentType,
      meta: { ...o.attrs.meta },
      storageClass: o.attrs.storageClass,
      sse: o.attrs.sse.type,
    };
  }

  private requireObjectFile(key: string): { size: number; file?: string } {
    const o = this.store.objects.get(key);
    if (!o) throw new Error(`The emulator has no object with this key: ${key}`);
    if (this.discard) throw new Error(`The emulator runs in discard mode and keeps no object bytes: ${key}`);
    return o;
  }

  async readObject(key: string): Promise<Buffer> {
    const o = this.requireObjectFile(key);
    return o.file ? fsp.readFile(o.file) : Buffer.alloc(0);
  }

  async objectSha256(key: string): Promise<string> {
    const o = this.requireObjectFile(key);
    const h = createHash('sha256');
    if (o.file) {
      for await (const chunk of createReadStream(o.file, { highWaterMark: 4 * 1024 * 1024 })) h.update(chunk as Buffer);
    }
    return h.digest('hex');
  }

  listUploads(): UploadSummary[] {
    return [...this.store.uploads.values()]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.seq - b.seq))
      .map((u) => ({
        key: u.key,
        uploadId: u.uploadId,
        initiated: u.initiated.toISOString(),
        parts: u.parts.size,
        bytes: [...u.parts.values()].reduce((n, p) => n + p.size, 0),
      }));
  }

  // ------------------------------------------------------------ request handling

  private isAddressedHere(host: string | undefined): boolean {
    const name = (host ?? '').replace(/:\d+$/, '').toLowerCase();
    return ['127.0.0.1', 'localhost', '[::1]'].includes(name) || name === `${this.bucket}.cos.${this.region}.myqcloud.com`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const rawUrl = req.url ?? '/';
    if (this.embedded && !this.isAddressedHere(req.headers.host)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('This emulator only answers requests addressed to 127.0.0.1 or localhost.');
      return;
    }
    if (this.control && (rawUrl === '/_emulator' || rawUrl.startsWith('/_emulator/'))) {
      void handleControlRequest(this, req, res, rawUrl);
      return;
    }
    let target: Target | undefined;
    try {
      target = parseTarget(rawUrl);
    } catch {
      target = undefined;
    }
    const method = req.method ?? 'GET';
    const operation = target ? classify(method, target.key, target.query, req.headers) : 'unknown';
    const partRaw = target?.query.find(([k]) => k === 'partNumber')?.[1];
    const partNumber = partRaw !== undefined && /^\d{1,5}$/.test(partRaw) ? Number(partRaw) : undefined;
    const entry: RequestLogEntry = {
      time: new Date().toISOString(),
      method,
      operation,
      key: target?.key ?? '',
      status: 0,
      requestId: '',
      bytes: 0,
      durationMs: 0,
    };
    if (partNumber !== undefined) entry.partNumber = partNumber;
    if (req.headers['content-md5'] !== undefined) entry.contentMd5 = true;
    const trafficLimit = req.headers['x-cos-traffic-limit'];
    if (typeof trafficLimit === 'string') entry.trafficLimit = trafficLimit;
    const uploadId = target?.query.find(([k]) => k === 'uploadId')?.[1];
    if (uploadId) entry.uploadId = uploadId;
    const ctx = new RequestContext(this, req, res, operation, target?.key ?? '', target?.pathname ?? '/', target?.query ?? [], entry);
    entry.requestId = ctx.requestId;
    res.once('close', () => this.record(ctx));
    void this.run(ctx, target === undefined, partNumber);
  }

  private record(ctx: RequestContext): void {
    const { entry, res } = ctx;
    entry.status = res.headersSent ? res.statusCode : 0;
    if (!res.writableFinished) entry.interrupted = true;
    entry.durationMs = Math.round(performance.now() - ctx.started);
    this.log.push(entry);
    if (this.log.length > this.maxLog) this.log.splice(0, this.log.length - this.maxLog);
  }

  private async run(ctx: RequestContext, badTarget: boolean, partNumber: number | undefined): Promise<void> {
    try {
      if (badTarget) throw new CosFailure(400, 'InvalidURI', 'Could not parse the specified URI (bad percent-encoding?).');
      ctx.fault = this.faults.take(ctx.operation, partNumber);
      if (ctx.fault) ctx.entry.faultApplied = ctx.fault.fault;
      if (await this.applyEarlyFault(ctx)) return;
      this.checkHost(ctx);
      const auth = verifyRequest(
        { method: ctx.req.method ?? 'GET', pathname: ctx.pathname, query: ctx.query, headers: ctx.req.headers },
        {
          credentials: this.creds,
          expiredSecretIds: this.expiredSecretIds,
          expiredTokens: this.expiredTokens,
          expiredTokenStyle: this.expiredTokenStyle,
          nowMs: this.nowMs(),
        },
      );
      if (!auth.ok) throw new CosFailure(auth.status, auth.code, auth.message);
      await HANDLERS[ctx.operation](ctx);
    } catch (err) {
      await this.fail(ctx, err);
    }
  }

  private async fail(ctx: RequestContext, err: unknown): Promise<void> {
    if (err instanceof ClientGoneError || ctx.gone) return;
    if (ctx.res.headersSent) {
      ctx.res.destroy();
      return;
    }
    const failure =
      err instanceof CosFailure ? err : new CosFailure(500, 'InternalError', `The emulator failed: ${err instanceof Error ? err.message : String(err)}`);
    try {
      await ctx.sendError(failure.status, failure.code, failure.message, failure.headers);
    } catch {
      if (!ctx.gone) ctx.res.destroy();
    }
  }

  /** Requests addressed to <bucket>.cos.<region>.myqcloud.com must name this bucket. */
  private checkHost(ctx: RequestContext): void {
    const host = (ctx.header('host') ?? '').toLowerCase().replace(/:\d+$/, '');
    const m = /^(.+)\.cos\.([a-z0-9-]+)\.(?:myqcloud\.com|tencentcos\.cn)$/.exec(host);
    if (!m) return;
    const regionOk = m[2] === this.region || m[2] === 'accelerate';
    if (m[1] !== this.bucket || !regionOk) {
      throw new CosFailure(404, 'NoSuchBucket', `The specified bucket does not exist: ${m[1]} in ${m[2]}`);
    }
  }

  /** Faults that replace the normal handling. Returns true when the request is finished. */
  private async applyEarlyFault(ctx: RequestContext): Promise<boolean> {
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
        await this.sleep(fault.ms);
        return ctx.gone;
      case 'status': {
        const code = fault.code ?? defaultCodeFor(fault.status as number);
        const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
        await ctx.sendError(fault.status as number, code, fault.message ?? defaultMessageFor(code), headers);
        return true;
      }
      case 'expiredToken': {
        const e = expiredTokenError(this.expiredTokenStyle);
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
}

/** Starts an emulator and resolves once it listens. */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  let dataDir = opts.dataDir;
  const owns = dataDir === undefined;
  if (dataDir === undefined) dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cos-emulator-'));
  else await fsp.mkdir(dataDir, { recursive: true });
  const emu = new EmulatorServer(opts, path.resolve(dataDir), owns);
  try {
    await emu.start();
  } catch (err) {
    if (owns) await fsp.rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return emu;
}
