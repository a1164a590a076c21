/**
 * A local Tencent COS (XML API) emulator for one bucket, addressed custom-domain style
 * (http://127.0.0.1:PORT/<key>). It verifies signatures, stores multipart uploads on disk, returns
 * ETag and CRC64 like COS, and can fail on purpose (faults), slow down (latency, per-connection
 * bandwidth, x-cos-traffic-limit) and run with a skewed clock.
 *
 * It is a second, independent implementation of the server side: nothing here may import the
 * client's code in src/core (an ESLint rule enforces it), so a bug shared by both cannot pass.
 */

import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EmulatorOptions, NetworkModel, RunningEmulator, StoredObject, UploadSummary } from './api';
import { generateCredentials, verifyRequest, type EmulatorCredentials, type ExpiredTokenStyle } from './auth';
import { ClientGoneError, TokenBucket } from './body';
import { RequestContext, type RequestLogEntry, type ServerEnv } from './context';
import { CosFailure } from './cosErrors';
import { handleControlRequest } from './control';
import { applyEarlyFault } from './earlyFaults';
import { FaultController } from './faults';
import { classify, HANDLERS, parseRequestTarget, type RequestTarget } from './routing';
import { describedHeaders, Store } from './store';

const DEFAULT_BUCKET = 'examplebucket-1250000000';
const DEFAULT_REGION = 'ap-guangzhou';

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
      headers: describedHeaders(o.attrs),
      ...(o.attrs.tagging ? { tagging: o.attrs.tagging } : {}),
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

  denyDelete(keys: readonly string[]): void {
    this.store.deleteDenied.clear();
    for (const k of keys) this.store.deleteDenied.add(k);
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
    let target: RequestTarget | undefined;
    try {
      target = parseRequestTarget(rawUrl);
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
      if (await applyEarlyFault(ctx, this.expiredTokenStyle)) return;
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

