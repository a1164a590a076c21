/**
 * Downloads one object to a file, verified and resumable: HEAD for size, ETag and CRC64; parallel
 * ranged GETs (If-Match) written at their offsets into `<dest>.cosdownload`; the ranges' CRCs
 * folded into the whole-object CRC64 and compared with COS's before the temporary file is renamed
 * over the destination. A checkpoint records finished ranges, so running it again after a cancel
 * or crash fetches only the missing ones.
 */

import { runAdaptivePool } from '../adaptivePool';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { AdaptiveConcurrency, FAR_ROUND_TRIP_MS } from '../adaptiveConcurrency';
import { CheckpointWriter } from '../checkpoint';
import { CosClient, type ObjectInfo } from '../cosClient';
import { crc64ToDecimal, parseCrc64, typescriptCrc64, type Crc64Engine } from '../crc64';
import { abortError, ConfigError, CosError, IntegrityError, describeError } from '../errors';
import { validateObjectKey } from '../endpoint';
import { defaultUploadOptions } from '../options';
import { ProgressTracker } from '../progress';
import { DEFAULT_RETRY_POLICY } from '../retry';
import { formatBytes } from '../sizes';
import type { TransportOptions } from '../transport';
import type { BucketTarget, CredentialSource, Logger, UploadOptions } from '../types';
import { silentLogger } from '../types';
import { sseHeaders } from '../uploadHeaders';
import { fastestCrc64 } from '../wasmCrc64';
import { acquireUploadLock, downloadLockRequest } from '../uploadLock';
import { downloadCheckpointId, type DownloadCheckpoint, type DownloadCheckpointStore } from './downloadCheckpoint';
import { FlushBehind } from './flushBehind';
import { fetchRange, type RangeFetchContext } from './rangeFetch';
import { combineRangeCrcs, downloadTempPath, missingRanges, planDownload, rangeLength, type ByteRange, type DownloadPlan } from './rangePlan';
import { checkpointMismatch, verifiedRanges } from './resumeRanges';

export type DownloadOptions = Pick<UploadOptions, 'partSize' | 'concurrency' | 'maxConcurrency' | 'retries' | 'requestTimeoutMs' | 'sse'>;

export type DownloadEvent =
  | { type: 'start'; key: string; size: number; etag: string; partSize: number; rangeCount: number; resumedRanges: number; tempPath: string }
  | { type: 'progress'; bytesDone: number; bytesTotal: number; rangesDone: number; rangeCount: number; concurrency: number }
  | { type: 'retry'; operation: 'Get Object'; attempt: number; delayMs: number; error: Error; start: number; end: number }
  /** A checkpoint could not be used and the download starts from nothing. */
  | { type: 'restarted'; reason: string }
  | { type: 'complete'; key: string; path: string; crc64: string; crc64Verified: boolean };

export interface DownloadResult {
  key: string;
  path: string;
  bytes: number;
  etag: string;
  /** CRC64 (decimal) of the bytes written, combined from the ranges. */
  crc64: string;
  /** true when COS sent x-cos-hash-crc64ecma and it equals ours. */
  crc64Verified: boolean;
  ranges: number;
  resumedRanges: number;
  seconds: number;
}

export interface DownloadRequest {
  key: string;
  destPath: string;
  target: BucketTarget;
  credentials: CredentialSource;
  options?: Partial<DownloadOptions>;
  /** Where checkpoints live; without one a cancelled download starts over. */
  checkpoints?: DownloadCheckpointStore;
  /** Replace an existing file at destPath (else that is refused before anything is fetched). */
  overwrite?: boolean;
  /** Where the destination's lock file goes; default defaultLockDir(). */
  lockDir?: string;
  /** A client to share (its connection pool); otherwise one is made and closed. */
  client?: CosClient;
  transport?: TransportOptions;
  signal?: AbortSignal;
  logger?: Logger;
  onEvent?: (event: DownloadEvent) => void;
}

function resolveOptions(partial: Partial<DownloadOptions> = {}): DownloadOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const { partSize, concurrency, maxConcurrency, retries, requestTimeoutMs, sse } = { ...defaultUploadOptions(), ...defined } as UploadOptions;
  return { partSize, concurrency, maxConcurrency: Math.max(concurrency, maxConcurrency), retries, requestTimeoutMs, sse };
}

/** Refuses a destination that is a folder, or an existing file unless `overwrite`; creates its folder. */
async function prepareDestination(destPath: string, overwrite: boolean): Promise<void> {
  const stat = await fs.stat(destPath).catch(() => undefined);
  if (stat?.isDirectory()) throw new ConfigError('destPath', `The download destination is a folder; name a file in it: ${destPath}`);
  if (stat && !overwrite) throw new ConfigError('destPath', `The download destination already exists; choose another name or allow overwriting (--overwrite): ${destPath}`);
  await fs.mkdir(path.dirname(destPath), { recursive: true });
}

export async function downloadObject(request: DownloadRequest): Promise<DownloadResult> {
  validateObjectKey(request.key);
  const options = resolveOptions(request.options);
  // One download per destination file, taken before anything is read or sent (uploadLock.ts).
  const lock = await acquireUploadLock(downloadLockRequest(request.destPath, request.key, request.target.bucket, request.lockDir), (line) => request.logger?.info(line));
  try {
    return await downloadWithClient(request, options);
  } finally {
    await lock.release();
  }
}

async function downloadWithClient(request: DownloadRequest, options: DownloadOptions): Promise<DownloadResult> {
  const client =
    request.client ??
    new CosClient({
      target: request.target,
      credentials: request.credentials,
      logger: request.logger,
      maxConnections: options.maxConcurrency,
      retry: { retries: options.retries },
      requestTimeoutMs: options.requestTimeoutMs,
      transport: request.transport,
    });
  try {
    return await new Download(request, options, client).run();
  } finally {
    if (!request.client) await client.close();
  }
}

class Download {
  private readonly logger: Logger;
  private readonly destPath: string;
  private readonly tempPath: string;
  private readonly headers: Record<string, string>;
  /** Set by run(): a compiled engine (liblzma, crc64-ecma182) where one loads on this thread, else WebAssembly, else TypeScript. */
  private engine: Crc64Engine = typescriptCrc64;
  private readonly started = Date.now();

  constructor(
    private readonly request: DownloadRequest,
    private readonly options: DownloadOptions,
    private readonly client: CosClient,
  ) {
    this.logger = request.logger ?? silentLogger;
    this.destPath = path.resolve(request.destPath);
    this.tempPath = downloadTempPath(this.destPath);
    // Only SSE-C needs headers on a GET: the same key the object was written with.
    this.headers = options.sse.type === 'SSE-C' ? sseHeaders(options.sse, 'part') : {};
  }

  private emit(event: DownloadEvent): void {
    this.request.onEvent?.(event);
  }

  async run(): Promise<DownloadResult> {
    const { key, signal } = this.request;
    // WebAssembly compiles (where the addon does not load) while the destination is checked and Head goes.
    const engine = fastestCrc64();
    await prepareDestination(this.destPath, this.request.overwrite ?? false);
    const headStart = performance.now();
    const info = await this.client.headObject(key, signal, this.headers);
    let roundTripMs = performance.now() - headStart;
    if (!info) throw new CosError('NO_SUCH_KEY', `The object to download does not exist in ${this.request.target.bucket}: ${key}`);
    if (!Number.isSafeInteger(info.size) || info.size < 0 || !info.etag) {
      throw new CosError('BAD_RESPONSE', `Head Object of ${key} gave no usable Content-Length or ETag: the endpoint may not be COS.`);
    }
    // The first request also pays for connecting and warming the HTTP client, which can make a near
    // endpoint look far: a second look on the warm connection decides (as uploads do).
    if (roundTripMs >= FAR_ROUND_TRIP_MS && info.size > 0) {
      const again = performance.now();
      await this.client.headObject(key, signal, this.headers);
      roundTripMs = Math.min(roundTripMs, performance.now() - again);
    }
    const plan = planDownload(info.size, this.options.partSize, { near: roundTripMs < FAR_ROUND_TRIP_MS });
    const store = this.request.checkpoints;
    const id = downloadCheckpointId(this.request.target, key, this.destPath);
    this.engine = (await engine).engine;
    const { file, done } = await this.openTemp(plan, info, store ? await store.load(id) : undefined);
    const checkpoint: DownloadCheckpoint = {
      version: 1,
      kind: 'download',
      bucket: this.request.target.bucket,
      region: this.request.target.region,
      ...(this.request.target.endpoint ? { endpoint: this.request.target.endpoint } : {}),
      ...(this.request.target.accelerate ? { accelerate: true } : {}),
      key,
      destPath: this.destPath,
      tempPath: this.tempPath,
      size: info.size,
      etag: info.etag,
      ...(info.crc64 ? { crc64: info.crc64 } : {}),
      partSize: plan.partSize,
      ranges: [],
      sse: this.options.sse.type,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    const writer = store ? new CheckpointWriter<DownloadCheckpoint>(store, id) : undefined;
    const save = (): Promise<void> | undefined =>
      writer?.write({ ...checkpoint, ranges: [...done].map(([index, crc]) => ({ index, crc64: crc64ToDecimal(crc) })), updatedAt: new Date().toISOString() });
    const resumed = done.size;
    const flushBehind = new FlushBehind(file);
    this.emit({ type: 'start', key, size: info.size, etag: info.etag, partSize: plan.partSize, rangeCount: plan.ranges.length, resumedRanges: resumed, tempPath: this.tempPath });
    try {
      await save();
      await this.fetchAll(plan, info, { file, flushBehind }, done, roundTripMs, save);
      await writer?.flush();
      // Every byte on disk before the rename; the background flushes left this sync little to do.
      await flushBehind.syncAll();
    } catch (error) {
      await writer?.flush().catch(() => undefined);
      await flushBehind.settle().catch(() => undefined);
      await file.close().catch(() => undefined);
      if (CosError.is(error) && error.code === 'OBJECT_CHANGED') await this.discard(store, id);
      if (CosError.is(error) && error.code === 'ABORTED') {
        throw new CosError('ABORTED', `The download was cancelled; ${done.size} of ${plan.ranges.length} ranges are kept in ${this.tempPath}: run it again to resume.`, { cause: error });
      }
      throw error;
    }
    await file.close();
    return this.finish(plan, info, done, resumed, store, id);
  }

  /** The temporary file, with the ranges a checkpoint of the same object version still vouches for. */
  private async openTemp(plan: DownloadPlan, info: ObjectInfo, prior: DownloadCheckpoint | undefined): Promise<{ file: FileHandle; done: Map<number, bigint> }> {
    if (prior) {
      const mismatch = checkpointMismatch(prior, info, plan, this.tempPath);
      const file = mismatch === undefined ? await fs.open(this.tempPath, 'r+').catch(() => undefined) : undefined;
      if (file) {
        const done = await verifiedRanges(file, plan, prior.ranges, this.engine, this.request.signal).catch(async (error: unknown) => {
          await file.close();
          throw error;
        });
        if (done.size < prior.ranges.length) this.logger.warn(`${prior.ranges.length - done.size} finished range(s) of ${this.tempPath} no longer match their CRC64 and are fetched again.`);
        return { file, done };
      }
      const reason = mismatch ?? 'its temporary file is gone';
      this.logger.warn(`The download checkpoint of ${this.request.key} cannot be resumed (${reason}): starting over.`);
      this.emit({ type: 'restarted', reason });
    }
    const file = await fs.open(this.tempPath, 'w', 0o600).catch((error: unknown) => {
      throw new CosError('FILE_UNWRITABLE', `Could not create the download's temporary file (${(error as NodeJS.ErrnoException).code ?? 'error'}): ${this.tempPath}`, { cause: error });
    });
    await file.truncate(plan.size);
    return { file, done: new Map() };
  }

  private async fetchAll(plan: DownloadPlan, info: ObjectInfo, output: Pick<RangeFetchContext, 'file' | 'flushBehind'>, done: Map<number, bigint>, roundTripMs: number, save: () => Promise<void> | undefined): Promise<void> {
    const pending = missingRanges(plan, new Set(done.keys()));
    let alreadyBytes = 0;
    for (const r of plan.ranges) if (done.has(r.index)) alreadyBytes += rangeLength(r);
    const progress = new ProgressTracker(plan.size, plan.ranges.length, (e) =>
      this.emit({ type: 'progress', bytesDone: e.bytesSent, bytesTotal: e.bytesTotal, rangesDone: e.partsDone, rangeCount: e.partCount, concurrency: e.concurrency }),
    { bytes: alreadyBytes, parts: done.size });
    if (pending.length === 0) {
      progress.flush();
      return;
    }
    const internal = new AbortController();
    const signal = this.request.signal ? AbortSignal.any([this.request.signal, internal.signal]) : internal.signal;
    const adaptive = AdaptiveConcurrency.forRoundTrip(this.options.concurrency, this.options.maxConcurrency, roundTripMs, plan.partSize);
    const context: RangeFetchContext = {
      client: this.client,
      key: this.request.key,
      etag: info.etag,
      size: plan.size,
      headers: this.headers,
      ...output,
      engine: this.engine,
      retry: { ...DEFAULT_RETRY_POLICY, retries: this.options.retries },
      signal,
      onBytes: (range, bytes) => (bytes === 0 ? progress.reset(range.index + 1) : progress.sent(range.index + 1, bytes)),
      onRetry: ({ attempt, delayMs, error, range }) => {
        this.logger.debug(`Get Object bytes ${range.start}-${range.end} attempt ${attempt} failed (${error.code}); retrying in ${delayMs} ms`);
        this.emit({ type: 'retry', operation: 'Get Object', attempt, delayMs, error, start: range.start, end: range.end });
        if (error.code === 'SERVICE_ERROR') adaptive.backOff();
      },
    };
    const fetchOne = async (range: ByteRange, grow: () => void): Promise<void> => {
      const began = Date.now();
      const crc = await fetchRange(context, range);
      done.set(range.index, crc);
      progress.partDone(range.index + 1, rangeLength(range));
      if (adaptive.record(rangeLength(range), Date.now(), Date.now() - began) !== undefined) grow();
      await save();
    };
    try {
      await runAdaptivePool({
        pending,
        target: () => adaptive.current,
        run: fetchOne,
        onFailure: (error) => internal.abort(error),
        onConcurrency: (active) => (progress.concurrency = active),
      });
    } catch (failure) {
      if (this.request.signal?.aborted) throw abortError(this.request.signal);
      throw failure;
    }
    progress.flush();
  }

  /** Compares the combined CRC64 with COS's, then puts the file in place. A mismatch removes the temporary file. */
  private async finish(plan: DownloadPlan, info: ObjectInfo, done: Map<number, bigint>, resumed: number, store: DownloadCheckpointStore | undefined, id: string): Promise<DownloadResult> {
    const { key } = this.request;
    const crc = combineRangeCrcs(plan, done);
    const expected = parseCrc64(info.crc64);
    if (expected !== undefined && expected !== crc) {
      // Which range is bad cannot be told, and a resume would trust the same bytes again.
      await this.discard(store, id);
      throw new IntegrityError(`The CRC64 of the downloaded ${key}`, crc64ToDecimal(crc), crc64ToDecimal(expected), {
        advice: 'bytes were damaged on the way; nothing was put in place and the temporary file was removed: download it again',
      });
    }
    if (expected === undefined) this.logger.warn(`COS sent no CRC64 for ${key}: the download could not be verified end to end.`);
    try {
      await fs.rename(this.tempPath, this.destPath);
    } catch (error) {
      throw new CosError('FILE_UNWRITABLE', `Could not put the downloaded file in place (${(error as NodeJS.ErrnoException).code ?? 'error'}); it is kept verified as ${this.tempPath}: ${this.destPath}`, {
        cause: error,
      });
    }
    await store?.remove(id).catch((error: unknown) => this.logger.warn(`Could not remove the download checkpoint: ${describeError(error)}`));
    const seconds = (Date.now() - this.started) / 1000;
    const result: DownloadResult = {
      key,
      path: this.destPath,
      bytes: plan.size,
      etag: info.etag,
      crc64: crc64ToDecimal(crc),
      crc64Verified: expected !== undefined,
      ranges: plan.ranges.length,
      resumedRanges: resumed,
      seconds,
    };
    this.logger.info(
      `Downloaded ${key} to ${this.destPath}: ${formatBytes(plan.size)} in ${plan.ranges.length} range(s)` +
        `${resumed ? ` (${resumed} resumed)` : ''}, ${seconds.toFixed(1)} s, CRC64 ${result.crc64Verified ? 'verified' : 'not sent by COS'}.`,
    );
    this.emit({ type: 'complete', key, path: this.destPath, crc64: result.crc64, crc64Verified: result.crc64Verified });
    return result;
  }

  private async discard(store: DownloadCheckpointStore | undefined, id: string): Promise<void> {
    await fs.rm(this.tempPath, { force: true }).catch(() => undefined);
    await store?.remove(id).catch(() => undefined);
  }
}
