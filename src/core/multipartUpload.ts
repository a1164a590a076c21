import * as path from 'node:path';
import type { Dispatcher } from 'undici';
import { AdaptiveConcurrency, FAR_ROUND_TRIP_MS } from './adaptiveConcurrency';
import { CheckpointWriter, checkpointId } from './checkpoint';
import { CosClient } from './cosClient';
import { crc64ToDecimal, parseCrc64 } from './crc64';
import { validateObjectKey } from './endpoint';
import { abortError, ConfigError, CosError, CosServiceError, describeError, IntegrityError, throwIfAborted } from './errors';
import { sharedHashPool } from './hashPool';
import { combinePartCrcs, etagIsBodyMd5, etagMatchesMd5, type PartDigest } from './integrity';
import { resolveUploadOptions } from './options';
import { describeSize, partRange, planParts } from './partPlan';
import { ProgressTracker } from './progress';
import { SourceFile } from './sourceFile';
import type { TransportOptions } from './transport';
import type {
  BucketTarget,
  Checkpoint,
  CheckpointObjectOptions,
  CheckpointStore,
  CompletedPart,
  CrcEngineName,
  CredentialSource,
  Logger,
  PartPlan,
  ServerSideEncryption,
  UploadEvent,
  UploadOptions,
  UploadResult,
} from './types';
import { silentLogger } from './types';
import { completeHeaders, objectHeaders, partHeaders, sseHeaders } from './uploadHeaders';
import { withUploadLock } from './uploadLock';
import { VerifiedSender, type SendOnce, type VerifiedPart } from './verifiedSend';

/** Part buffers may hold at most this much when concurrency grows on its own. */
const MEMORY_BUDGET_BYTES = 256 * 1024 * 1024;

export interface UploadRequest {
  filePath: string;
  /** Object key, without a leading '/'. */
  key: string;
  target: BucketTarget;
  credentials: CredentialSource;
  options?: Partial<UploadOptions>;
  /** When given, progress is saved after each part and a matching checkpoint is resumed. */
  checkpoints?: CheckpointStore;
  /** On cancel: keep the upload on the server for resuming (default) or abort it. */
  onCancel?: 'keep' | 'abort';
  /** When a checkpoint's file has changed: fail (default, nothing is touched) or abort it and start over. */
  onFileChanged?: 'fail' | 'restart';
  signal?: AbortSignal;
  onEvent?: (event: UploadEvent) => void;
  logger?: Logger;
  /** A custom undici dispatcher; by default a keep-alive pool sized to the concurrency. */
  dispatcher?: Dispatcher;
  /** Proxy, TLS verification and plain-HTTP policy. */
  transport?: TransportOptions;
  /** Server time minus local time measured earlier (CosClientOptions.clockOffsetMs). */
  clockOffsetMs?: number;
  /** Folder of the per-upload lock files (checkpointed uploads only); default defaultLockDir(). */
  lockDir?: string;
}

/** Upload one file to COS: Put Object below the multipart threshold, otherwise a resumable multipart upload. */
export async function uploadFile(request: UploadRequest): Promise<UploadResult> {
  // With a checkpoint, one uploader at a time per file and key (uploadLock.ts); taken before any request.
  return withUploadLock({ ...request, filePath: path.resolve(request.filePath) }, () => uploadUnlocked(request));
}

async function uploadUnlocked(request: UploadRequest): Promise<UploadResult> {
  const options = resolveUploadOptions(request.options);
  validateObjectKey(request.key);
  throwIfAborted(request.signal);
  const file = await SourceFile.open(request.filePath);
  let job: UploadJob;
  try {
    job = new UploadJob(request, options, file);
  } catch (error) {
    // A bad bucket, region or endpoint is refused by the client's constructor: the file must not stay open.
    await file.close();
    throw error;
  }
  try {
    return await job.run();
  } finally {
    await job.dispose();
  }
}

class UploadJob {
  private readonly started = Date.now();
  private readonly logger: Logger;
  private readonly client: CosClient;
  /** Extra attempts per part, counted from the client's retry events. */
  private readonly attempts = new Map<number, number>();
  private progress?: ProgressTracker;
  private adaptive?: AdaptiveConcurrency;
  private readonly hashes = sharedHashPool();
  /** Duration of Initiate (or List Parts on resume): how far the endpoint is. */
  private roundTripMs = 0;
  private crcEngine: CrcEngineName = 'typescript';
  /** Settles once crcEngine is known; the 'start' event waits for it. */
  private hashingKnown: Promise<void> = Promise.resolve();
  private readonly sender: VerifiedSender;

  constructor(
    private readonly request: UploadRequest,
    private options: UploadOptions,
    private readonly file: SourceFile,
  ) {
    this.logger = request.logger ?? silentLogger;
    this.sender = new VerifiedSender({
      contentMd5: options.contentMd5,
      sse: () => this.options.sse.type,
      retries: () => this.options.retries,
      md5Of: async (data) => (await this.hashes.digest(data, true)).md5,
      logger: this.logger,
      onSent: (partNumber, bytes) => this.progress?.sent(partNumber, bytes),
      onResend: (partNumber, attempt, error) => {
        this.progress?.reset(partNumber);
        this.emit({ type: 'retry', operation: 'Upload Part', attempt, delayMs: 0, error, partNumber });
      },
    });
    this.client = new CosClient({
      target: request.target,
      credentials: request.credentials,
      logger: this.logger,
      maxConnections: options.maxConcurrency + 1,
      retry: { retries: options.retries },
      requestTimeoutMs: options.requestTimeoutMs,
      dispatcher: request.dispatcher,
      transport: request.transport,
      clockOffsetMs: request.clockOffsetMs,
      events: {
        onRetry: (info) => {
          if (isPushback(info.error)) this.adaptive?.backOff();
          if (info.partNumber !== undefined) {
            this.attempts.set(info.partNumber, (this.attempts.get(info.partNumber) ?? 1) + 1);
            this.progress?.reset(info.partNumber);
          }
          this.emit({ type: 'retry', ...info });
        },
        onClockCorrected: (offsetMs) => this.emit({ type: 'clock-corrected', offsetMs }),
        onCredentialsRefreshed: () => this.emit({ type: 'credentials-refreshed' }),
      },
    });
  }

  async dispose(): Promise<void> {
    await this.client.close().catch(() => undefined);
    await this.file.close();
  }

  private emit(event: UploadEvent): void {
    try {
      this.request.onEvent?.(event);
    } catch (error) {
      this.logger.warn(`An upload event listener threw: ${describeError(error)}`);
    }
  }

  async run(): Promise<UploadResult> {
    // The hash worker boots (about 25 ms) while Initiate is in flight: neither waits for the other.
    this.hashingKnown = this.hashes.statusFor(this.file.size).then((hashing) => {
      this.crcEngine = hashing.name;
      this.logger.info(
        `CRC64 engine: ${hashing.name}${hashing.reason ? ` (${hashing.reason})` : ''}; hashing on ${hashing.threaded ? `a worker thread${hashing.nice !== undefined ? ` (nice ${hashing.nice})` : ''}` : 'the calling thread'}; ` +
          (this.sender.sendsMd5 ? 'each part carries Content-MD5 and its CRC64 is checked' : "each part's CRC64 is checked against COS's (no Content-MD5)"),
      );
    });
    return this.file.size < this.options.multipartThreshold ? this.putWhole() : this.multipart();
  }

  /** Small files: one Put Object, verified like a part. */
  private async putWhole(): Promise<UploadResult> {
    const { key } = this.request;
    const size = this.file.size;
    await this.hashingKnown;
    this.emit({ type: 'start', key, fileSize: size, partSize: size, partCount: 1, resumedParts: 0, multipart: false, crcEngine: this.crcEngine });
    const progress = new ProgressTracker(size, 1, (e) => this.emit(e));
    this.progress = progress;
    const data = await this.file.read({ partNumber: 1, offset: 0, length: size }, this.hashes.allocate(size));
    await this.file.assertUnchanged();
    const digest = await this.hashes.digest(data, this.sender.sendsMd5);
    const headers = {
      ...objectHeaders(key, this.options),
      ...(this.options.trafficLimit !== undefined ? { 'x-cos-traffic-limit': String(this.options.trafficLimit) } : {}),
    };
    const part = await this.sendPart(1, data, digest, this.request.signal, (contentMd5, signal, onSent) =>
      this.client.putObject(key, data, contentMd5 === undefined ? headers : { ...headers, 'content-md5': contentMd5 }, signal, onSent),
    );
    progress.partDone(1, size);
    this.emit({ type: 'part', partCount: 1, ...part.event });
    const crc64 = part.crc64;
    this.emit({ type: 'complete', key, etag: part.etag, crc64, crc64Verified: part.crcVerified, requestId: part.event.requestId });
    return { key, etag: part.etag, crc64, crc64Verified: part.crcVerified, parts: 1, bytes: size, seconds: this.elapsed(), requestId: part.event.requestId, resumedParts: 0 };
  }

  /** Buffers in flight are concurrency × part size: cap growth to stay within the memory budget. */
  private maxConcurrencyFor(partSize: number): number {
    const byMemory = Math.max(1, Math.floor(MEMORY_BUDGET_BYTES / partSize));
    return Math.max(this.options.concurrency, Math.min(this.options.maxConcurrency, byMemory));
  }

  private elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }

  private async multipart(): Promise<UploadResult> {
    const { key, target, checkpoints } = this.request;
    const id = checkpoints ? checkpointId(target, key, this.file.path) : undefined;
    const writer = checkpoints && id ? new CheckpointWriter(checkpoints, id) : undefined;
    const session = await this.resumeOrInitiate(id);
    try {
      const result = await this.uploadParts(session, writer);
      if (checkpoints && id) await checkpoints.remove(id);
      return result;
    } catch (error) {
      await writer?.flush().catch((e: unknown) => this.logger.warn(`Checkpoint not saved: ${describeError(e)}`));
      if (CosError.is(error) && error.code === 'ABORTED' && this.request.onCancel === 'abort') {
        await this.abortOnServer(session.checkpoint.uploadId);
        if (checkpoints && id) await checkpoints.remove(id);
      }
      throw error;
    }
  }

  private async abortOnServer(uploadId: string): Promise<void> {
    try {
      await this.client.abortMultipartUpload(this.request.key, uploadId, AbortSignal.timeout(10_000));
      this.logger.info(`Aborted upload ${uploadId} on the server.`);
    } catch (error) {
      this.logger.warn(`Could not abort upload ${uploadId} on the server; it stays listed as incomplete: ${describeError(error)}`);
    }
  }

  /** Loads and reconciles a checkpoint with List Parts, or initiates a new upload. */
  private async resumeOrInitiate(id: string | undefined): Promise<Session> {
    const store = this.request.checkpoints;
    const existing = store && id ? await store.load(id) : undefined;
    if (existing) {
      this.options = withCheckpointObject(this.options, this.request.options ?? {}, existing);
      const changed = existing.fileSize !== this.file.size || existing.fileMtimeMs !== this.file.mtimeMs;
      if (changed) {
        if (this.request.onFileChanged !== 'restart') {
          throw new CosError(
            'FILE_CHANGED',
            `The file changed since upload ${existing.uploadId} was interrupted (size ${existing.fileSize} → ${this.file.size} bytes, or its modification time), so it cannot be resumed; start it over (the old upload will be aborted): ${this.file.path}`,
          );
        }
        await this.abortOnServer(existing.uploadId);
        this.emit({ type: 'restarted', reason: 'file changed', previousUploadId: existing.uploadId });
      } else {
        const resumed = await this.reconcile(existing);
        if (resumed) return resumed;
      }
    }
    return this.initiate(id);
  }

  private async reconcile(checkpoint: Checkpoint): Promise<Session | undefined> {
    let listed;
    try {
      const t0 = Date.now();
      listed = await this.client.listParts(this.request.key, checkpoint.uploadId, this.request.signal);
      this.roundTripMs = Date.now() - t0;
    } catch (error) {
      if (CosError.is(error) && error.code === 'NO_SUCH_UPLOAD') {
        this.logger.warn(`COS no longer knows upload ${checkpoint.uploadId}; starting the upload over.`);
        this.emit({ type: 'restarted', reason: 'the server no longer knows the upload (NoSuchUpload)', previousUploadId: checkpoint.uploadId });
        return undefined;
      }
      throw error;
    }
    const plan = planParts(this.file.size, checkpoint.partSize);
    const confirmed = partsCosHolds(checkpoint.parts, listed, plan);
    const known = new Set(confirmed.map((p) => p.partNumber));
    const adopted = await this.adoptUnrecorded(plan, listed.filter((p) => !known.has(p.partNumber)));
    const parts = [...confirmed, ...adopted].sort((a, b) => a.partNumber - b.partNumber);
    this.logger.info(
      `Resuming upload ${checkpoint.uploadId}: ${parts.length}/${plan.partCount} parts confirmed by List Parts${adopted.length ? ` (${adopted.length} finished just before the interruption)` : ''}.`,
    );
    return { plan, checkpoint: { ...checkpoint, parts }, resumedParts: parts.length };
  }

  /**
   * Parts COS holds that the checkpoint never recorded (stored just before a crash, their answer
   * lost): each is read from the file again and adopted when its MD5 equals the ETag COS lists, so
   * it is not sent twice. At most the parts that were in flight; one part-size buffer, reused.
   * Under SSE-KMS and SSE-C the ETag is not an MD5, so such parts are simply sent again.
   */
  private async adoptUnrecorded(plan: PartPlan, unrecorded: ReadonlyArray<{ partNumber: number; size: number; etag: string }>): Promise<CompletedPart[]> {
    const adopted: CompletedPart[] = [];
    if (!etagIsBodyMd5(this.options.sse.type)) return adopted;
    let buffer: Buffer | undefined;
    for (const server of unrecorded) {
      if (server.partNumber > plan.partCount) continue;
      const range = partRange(plan, server.partNumber);
      if (server.size !== range.length) continue;
      buffer ??= this.hashes.allocate(plan.partSize);
      const digest = await this.hashes.digest(await this.file.read(range, buffer), true);
      if (digest.md5 && etagMatchesMd5(server.etag, digest.md5.hex) === 'match') {
        adopted.push({ partNumber: server.partNumber, size: range.length, etag: server.etag, crc64: crc64ToDecimal(digest.crc64) });
      }
    }
    return adopted;
  }

  private async initiate(id: string | undefined): Promise<Session> {
    const { key, target } = this.request;
    // Planned first so a part size that cannot work is refused before an upload exists on COS.
    let plan = planParts(this.file.size, this.options.partSize);
    const t0 = Date.now();
    const { uploadId } = await this.client.initiateMultipartUpload(key, objectHeaders(key, this.options), this.request.signal);
    this.roundTripMs = Date.now() - t0;
    // No part has been read yet, so `auto` can still follow what Initiate showed about the distance.
    const forDistance = planParts(this.file.size, this.options.partSize, { near: this.roundTripMs < FAR_ROUND_TRIP_MS });
    if (forDistance.partSize !== plan.partSize) {
      this.logger.info(`Initiate answered in ${this.roundTripMs} ms (a near endpoint): ${describeSize(forDistance.partSize)} parts instead of ${describeSize(plan.partSize)}.`);
      plan = forDistance;
    }
    const now = new Date().toISOString();
    const checkpoint: Checkpoint = {
      version: 1,
      uploadId,
      bucket: target.bucket,
      region: target.region,
      ...(target.endpoint ? { endpoint: target.endpoint } : {}),
      ...(target.accelerate ? { accelerate: true } : {}),
      key,
      filePath: this.file.path,
      fileSize: this.file.size,
      fileMtimeMs: this.file.mtimeMs,
      partSize: plan.partSize,
      partCount: plan.partCount,
      parts: [],
      object: objectOptionsOf(this.options),
      createdAt: now,
      updatedAt: now,
    };
    // Saved before any part so even a crash during the first part leaves a record of the uploadId.
    if (this.request.checkpoints && id) await this.request.checkpoints.save(id, checkpoint);
    return { plan, checkpoint, resumedParts: 0 };
  }

  private async uploadParts(session: Session, writer: CheckpointWriter | undefined, repairing = false): Promise<UploadResult> {
    const { key } = this.request;
    const { plan, checkpoint } = session;
    const done = new Map<number, CompletedPart>(checkpoint.parts.map((p) => [p.partNumber, p]));
    const alreadyBytes = checkpoint.parts.reduce((sum, p) => sum + p.size, 0);
    await this.hashingKnown;
    this.emit({
      type: 'start',
      key,
      uploadId: checkpoint.uploadId,
      fileSize: plan.fileSize,
      partSize: plan.partSize,
      partCount: plan.partCount,
      resumedParts: session.resumedParts,
      multipart: true,
      crcEngine: this.crcEngine,
    });
    const progress = new ProgressTracker(plan.fileSize, plan.partCount, (e) => this.emit(e), { bytes: alreadyBytes, parts: done.size });
    this.progress = progress;
    progress.concurrency = this.options.concurrency;

    const pending: number[] = [];
    for (let n = 1; n <= plan.partCount; n++) if (!done.has(n)) pending.push(n);
    const internal = new AbortController();
    const signal = this.request.signal ? AbortSignal.any([this.request.signal, internal.signal]) : internal.signal;
    const pool = new BufferPool(plan.partSize, (size) => this.hashes.allocate(size));
    const adaptive = AdaptiveConcurrency.forRoundTrip(this.options.concurrency, this.maxConcurrencyFor(plan.partSize), this.roundTripMs, plan.partSize);
    this.adaptive = adaptive;
    const save = async (): Promise<void> => {
      if (!writer) return;
      const parts = [...done.values()].sort((a, b) => a.partNumber - b.partNumber);
      await writer.write({ ...checkpoint, parts, updatedAt: new Date().toISOString() });
    };
    let failure: unknown;
    let active = 0;
    const running: Array<Promise<void>> = [];

    const worker = async (): Promise<void> => {
      try {
        // A worker leaves when the target shrank below the number running (server pushback).
        while (failure === undefined && pending.length > 0 && active <= adaptive.current) {
          const partNumber = pending.shift() as number;
          try {
            const part = await this.uploadOnePart(session, partNumber, pool, signal);
            done.set(partNumber, part.completed);
            progress.partDone(partNumber, part.completed.size);
            this.emit({ type: 'part', partCount: plan.partCount, ...part.event });
            if (adaptive.record(part.completed.size, Date.now(), part.event.durationMs) !== undefined) grow();
            await save();
          } catch (error) {
            if (failure === undefined) {
              failure = error;
              internal.abort(error);
            }
            return;
          }
        }
      } finally {
        active--;
      }
    };
    const grow = (): void => {
      // Each new worker takes a part at once, so start one per pending part up to the target.
      while (active < adaptive.current && pending.length > 0) {
        active++;
        running.push(worker());
      }
      progress.concurrency = active;
    };
    // The check goes out before the first part is even read, so COS answers it before part bodies queue up.
    if (adaptive.guessedFar) this.recheckRoundTrip(session, adaptive, signal, grow);
    grow();
    // Workers may be added while we wait, so wait until the list stops growing.
    for (let waited = 0; waited < running.length; ) {
      const batch = running.slice(waited);
      waited = running.length;
      await Promise.all(batch);
    }
    if (failure !== undefined) {
      if (this.request.signal?.aborted) throw abortError(this.request.signal);
      throw failure;
    }
    // Every part is in: a round-trip check still out must not hold the connection pool open.
    internal.abort(new CosError('ABORTED', 'All parts are uploaded; the round-trip check is no longer needed.'));
    await writer?.flush();
    await this.file.assertUnchanged();
    const parts = [...done.values()].sort((a, b) => a.partNumber - b.partNumber);
    try {
      return await this.complete(session, parts);
    } catch (error) {
      if (repairing || !(error instanceof CosServiceError && error.cosCode === 'InvalidPart')) throw error;
      return this.repairParts(session, writer, parts, error);
    }
  }

  /**
   * Complete refused the part list (InvalidPart): COS holds some part under another ETag than it
   * answered when the part was sent (without Content-MD5 nothing checks that answer). The parts
   * List Parts shows as recorded are kept; the others are sent again, once, and Complete retried.
   */
  private async repairParts(session: Session, writer: CheckpointWriter | undefined, parts: CompletedPart[], refusal: CosServiceError): Promise<UploadResult> {
    const listed = await this.client.listParts(this.request.key, session.checkpoint.uploadId, this.request.signal);
    const kept = partsCosHolds(parts, listed, session.plan);
    if (kept.length === parts.length) throw refusal;
    const keptNumbers = new Set(kept.map((p) => p.partNumber));
    const resend = parts.filter((p) => !keptNumbers.has(p.partNumber)).map((p) => p.partNumber);
    this.logger.warn(`${refusal.message} COS holds part(s) ${resend.join(', ')} under another ETag than it answered: sending them again.`);
    for (const partNumber of resend) this.emit({ type: 'retry', operation: 'Upload Part', attempt: 1, delayMs: 0, error: refusal, partNumber });
    return this.uploadParts({ ...session, checkpoint: { ...session.checkpoint, parts: kept } }, writer, true);
  }

  /**
   * Times one List Parts (a few hundred bytes) on the now warm connections, beside the first parts,
   * and lets the adaptive concurrency correct a far guess. Best effort: a failure changes nothing.
   */
  private recheckRoundTrip(session: Session, adaptive: AdaptiveConcurrency, signal: AbortSignal, grow: () => void): void {
    const t0 = Date.now();
    adaptive.expectRecheck();
    const settle = (roundTripMs: number): void => {
      const target = adaptive.recheckRoundTrip(roundTripMs);
      if (target === undefined) return;
      if (!adaptive.guessedFar) {
        this.logger.info(`The first request took ${this.roundTripMs} ms, a warm one ${roundTripMs} ms: the endpoint is near; ${target} parts in flight.`);
        if (this.progress) this.progress.concurrency = target;
      } else {
        grow();
      }
    };
    this.client.pingUpload(this.request.key, session.checkpoint.uploadId, signal).then(
      () => settle(Date.now() - t0),
      // No answer, no evidence against the far guess: keep it.
      () => settle(Number.POSITIVE_INFINITY),
    );
  }

  private async uploadOnePart(
    session: Session,
    partNumber: number,
    pool: BufferPool,
    signal: AbortSignal,
  ): Promise<{ completed: CompletedPart; event: PartEventFields }> {
    const range = partRange(session.plan, partNumber);
    const buffer = pool.acquire();
    try {
      await this.file.assertUnchanged();
      throwIfAborted(signal);
      const data = await this.file.read(range, buffer);
      const digest = await this.hashes.digest(data, this.sender.sendsMd5);
      const headers = partHeaders(this.options);
      const { key } = this.request;
      const uploadId = session.checkpoint.uploadId;
      const sent = await this.sendPart(partNumber, data, digest, signal, (contentMd5, s, onSent) =>
        this.client.uploadPart({ key, uploadId, partNumber, data, contentMd5, headers }, s, onSent),
      );
      return {
        completed: { partNumber, size: range.length, etag: sent.etag, crc64: sent.crc64 },
        event: sent.event,
      };
    } finally {
      pool.release(buffer);
    }
  }

  /** Sends and checks one part (VerifiedSender), and describes it for the 'part' event. */
  private async sendPart(
    partNumber: number,
    data: Buffer,
    digest: PartDigest,
    signal: AbortSignal | undefined,
    sendOnce: SendOnce,
  ): Promise<VerifiedPart & { event: PartEventFields }> {
    const sent = await this.sender.send(partNumber, data, digest, sendOnce, signal);
    // Client-level retries (this.attempts) and integrity resends both count as attempts.
    const attempt = (this.attempts.get(partNumber) ?? 1) + sent.sends - 1;
    return {
      ...sent,
      event: { partNumber, bytes: data.length, etag: sent.etag, crc64: sent.crc64, requestId: sent.requestId, attempt, durationMs: sent.durationMs },
    };
  }

  private async complete(session: Session, parts: CompletedPart[]): Promise<UploadResult> {
    const { key } = this.request;
    const uploadId = session.checkpoint.uploadId;
    // The last line of defence against a truncated object: every part, in order, adding up to the file.
    const total = parts.reduce((sum, p) => sum + p.size, 0);
    if (parts.length !== session.plan.partCount || parts.some((p, i) => p.partNumber !== i + 1) || total !== this.file.size) {
      throw new CosError(
        'INTERNAL',
        `Refusing to complete upload ${uploadId}: ${parts.length} of ${session.plan.partCount} parts (${total} of ${this.file.size} bytes) are confirmed. The upload is kept; resume it.`,
      );
    }
    const expected = combinePartCrcs(parts.map((p) => ({ crc64: BigInt(p.crc64), size: p.size })));
    const expectedText = crc64ToDecimal(expected);
    let result;
    try {
      result = await this.client.completeMultipartUpload(key, uploadId, parts, completeHeaders(this.options), this.request.signal);
    } catch (error) {
      // A retried Complete whose first answer was lost finds the upload already gone: check the object.
      if (CosError.is(error) && error.code === 'NO_SUCH_UPLOAD') {
        // An SSE-C object can only be read, even by HEAD, with its key.
        const head = await this.client.headObject(key, this.request.signal, sseHeaders(this.options.sse, 'part'));
        if (head && head.size === this.file.size && head.crc64 === expectedText) {
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
      this.logger.warn('COS did not return the whole-object CRC64 after Complete; the object was checked part by part only.');
    }
    this.emit({ type: 'complete', key, uploadId, etag: result.etag, crc64: expectedText, crc64Verified: verified, requestId: result.requestId });
    return {
      key,
      uploadId,
      etag: result.etag,
      crc64: expectedText,
      crc64Verified: verified,
      parts: parts.length,
      bytes: this.file.size,
      seconds: this.elapsed(),
      requestId: result.requestId,
      resumedParts: session.resumedParts,
    };
  }
}

interface Session {
  plan: PartPlan;
  checkpoint: Checkpoint;
  resumedParts: number;
}

/** The recorded parts COS lists with the size and ETag we recorded: trusted with no re-read, no re-hash. */
function partsCosHolds(parts: CompletedPart[], listed: ReadonlyArray<{ partNumber: number; size: number; etag: string }>, plan: PartPlan): CompletedPart[] {
  const onServer = new Map(listed.map((p) => [p.partNumber, p]));
  return parts.filter((p) => {
    const server = onServer.get(p.partNumber);
    return (
      server !== undefined &&
      p.partNumber <= plan.partCount &&
      server.size === p.size &&
      p.size === partRange(plan, p.partNumber).length &&
      normalizeEtag(server.etag) === normalizeEtag(p.etag)
    );
  });
}

type PartEventFields = Omit<Extract<UploadEvent, { type: 'part' }>, 'type' | 'partCount'>;

function objectOptionsOf(options: UploadOptions): CheckpointObjectOptions {
  const { sse } = options;
  return {
    ...(options.contentType ? { contentType: options.contentType } : {}),
    ...(options.storageClass ? { storageClass: options.storageClass } : {}),
    sse: sse.type,
    ...(sse.type === 'SSE-KMS' && sse.kmsKeyId ? { kmsKeyId: sse.kmsKeyId } : {}),
    ...(sse.type === 'SSE-KMS' && sse.context ? { kmsContext: sse.context } : {}),
    ...(options.metadata && Object.keys(options.metadata).length ? { metadata: { ...options.metadata } } : {}),
    ...(options.forbidOverwrite ? { forbidOverwrite: true } : {}),
  };
}

/**
 * Resuming keeps the object as it was begun: options the caller did not set explicitly come from the
 * checkpoint. SSE-C needs its key on every part, and the key is not stored, so it must be given again.
 */
export function withCheckpointObject(options: UploadOptions, explicit: Partial<UploadOptions>, checkpoint: Checkpoint): UploadOptions {
  const saved = checkpoint.object;
  if (!saved) return options;
  if (saved.sse === 'SSE-C' && options.sse.type !== 'SSE-C') {
    throw new ConfigError(
      'sse',
      `Upload ${checkpoint.uploadId} was started with SSE-C, and every remaining part needs the same customer key: provide it to resume (the key is never stored in the checkpoint).`,
    );
  }
  let sse: ServerSideEncryption = options.sse;
  if (explicit.sse === undefined && saved.sse !== 'SSE-C') {
    sse = saved.sse === 'SSE-KMS' ? { type: 'SSE-KMS', kmsKeyId: saved.kmsKeyId, context: saved.kmsContext } : { type: saved.sse };
  }
  return {
    ...options,
    sse,
    contentType: explicit.contentType ?? saved.contentType ?? options.contentType,
    storageClass: explicit.storageClass ?? saved.storageClass ?? options.storageClass,
    metadata: explicit.metadata ?? saved.metadata ?? options.metadata,
    forbidOverwrite: explicit.forbidOverwrite ?? saved.forbidOverwrite ?? options.forbidOverwrite,
  };
}

/** The server says it is overloaded: fewer connections, not just a later retry. */
function isPushback(error: Error): boolean {
  return error instanceof CosServiceError && (error.status === 503 || error.status === 429 || error.cosCode === 'SlowDown');
}

function normalizeEtag(etag: string): string {
  return etag.replace(/"/g, '').trim().toLowerCase();
}

/**
 * Reuses part buffers so memory stays at the peak concurrency × part size, whatever the file size.
 * Buffers are kept when concurrency shrinks: one dropped for the GC still counts until it is
 * collected, and growing again would allocate beside it.
 */
class BufferPool {
  private readonly free: Buffer[] = [];
  constructor(
    private readonly size: number,
    private readonly allocate: (size: number) => Buffer,
  ) {}
  acquire(): Buffer {
    return this.free.pop() ?? this.allocate(this.size);
  }
  release(buffer: Buffer): void {
    this.free.push(buffer);
  }
}
