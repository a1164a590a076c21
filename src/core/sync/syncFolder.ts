/**
 * Sync a local folder to a key prefix: list both sides, plan (syncPlan.ts), compare equal sizes by
 * CRC64 (Head Object when the listing gave none), send what is new or changed with several files at
 * once over one connection pool, then delete what was asked with Delete Multiple Objects.
 *
 * A file below the multipart threshold is read once: the same bytes are hashed for the comparison
 * and sent as one Put Object with their CRC64 checked. Bigger files go through uploadFile, so an
 * interrupted sync resumes them from their checkpoints; finished files are skipped by content.
 */

import type { Dispatcher } from 'undici';
import { MAX_DELETE_KEYS, type DeleteRefusal } from '../bucketListing';
import { CosClient, type ObjectInfo } from '../cosClient';
import { resolveEndpoint } from '../endpoint';
import { ConfigError, CosError, describeError, throwIfAborted } from '../errors';
import { runAdaptivePool } from '../adaptivePool';
import { SizedBufferPool } from '../bufferPool';
import { sharedHashPool } from '../hashPool';
import { startWasmCrc64 } from '../wasmCrc64';
import { uploadFile } from '../multipartUpload';
import { resolveUploadOptions } from '../options';
import { createDispatcher } from '../transport';
import { silentLogger, type Logger, type UploadOptions } from '../types';
import { isPushback } from '../uploadContext';
import { describingHeaders, sseHeaders } from '../uploadHeaders';
import { FileConcurrency, fileConcurrencyStart } from './fileConcurrency';
import { headerDrift } from './headerDrift';
import { fileCrc64, putVerified, readAndHash, type ReadFile } from './fileTransfer';
import { listLocalFolder, type LocalFile } from './localFiles';
import { decideComparison, isUpload, normalizePrefix, planSync, summarizePlan, type PlanItem } from './syncPlan';
import {
  DEFAULT_MAX_CONCURRENT_FILES,
  MAX_CONCURRENT_FILES,
  type SyncEvent,
  type SyncFileAction,
  type SyncRequest,
  type SyncResult,
  type UploadedFile,
} from './syncTypes';

export async function syncFolder(request: SyncRequest): Promise<SyncResult> {
  const started = Date.now();
  const options = resolveUploadOptions(request.options);
  const maxFiles = request.maxConcurrentFiles ?? DEFAULT_MAX_CONCURRENT_FILES;
  if (!Number.isInteger(maxFiles) || maxFiles < 1 || maxFiles > MAX_CONCURRENT_FILES) {
    throw new ConfigError('maxConcurrentFiles', `Files at once must be a whole number from 1 to ${MAX_CONCURRENT_FILES}: ${maxFiles}`);
  }
  const logger = request.logger ?? silentLogger;
  const prefix = normalizePrefix(request.prefix);
  const endpoint = resolveEndpoint(request.target);
  throwIfAborted(request.signal);
  // Compiled while the folder and the bucket are listed: small files are hashed on this thread.
  void startWasmCrc64();
  const listing = await listLocalFolder(request.folder, { exclude: request.exclude, respectGitignore: request.respectGitignore, log: logger });
  const fileConcurrency = new FileConcurrency(maxFiles, fileConcurrencyStart(listing.files.map((f) => f.size), maxFiles));
  const dispatcher =
    request.dispatcher ??
    createDispatcher(
      endpoint.origin,
      { connections: maxFiles + options.maxConcurrency, headersTimeout: options.requestTimeoutMs * 2, bodyTimeout: options.requestTimeoutMs * 2 },
      request.transport,
    );
  const client = new CosClient({
    target: request.target,
    credentials: request.credentials,
    logger,
    dispatcher,
    transport: request.transport,
    retry: { retries: options.retries },
    requestTimeoutMs: options.requestTimeoutMs,
    clockOffsetMs: request.clockOffsetMs,
    events: {
      onRetry: (info) => {
        if (isPushback(info.error)) fileConcurrency.backOff();
      },
    },
  });
  try {
    const remote = await client.listAllObjects(prefix, request.signal);
    const items = planSync({
      // Excluded files are planned too, so their remote copies are known to be excluded, not remote-only.
      local: [...listing.files, ...listing.excludedFiles],
      remote,
      prefix,
      deleteRemote: request.deleteRemote === true,
      isExcluded: listing.isExcluded,
    });
    if (request.uploadAll) for (const item of items) if (item.action === 'compare') item.action = 'upload-changed';
    const run = new SyncRun(request, options, client, dispatcher, logger, listing.files, items, fileConcurrency);
    run.emit({ type: 'planned', summary: summarizePlan(items), localFiles: listing.files.length, remoteObjects: remote.length });
    logger.info(`sync folder=${request.folder} prefix=${prefix || '-'} local=${listing.files.length} remote=${remote.length} dryRun=${request.dryRun === true}`);
    await runAdaptivePool({
      pending: items.filter((i) => i.action === 'compare' || isUpload(i.action)),
      target: () => fileConcurrency.current,
      run: (item, grow) => run.process(item, grow),
      // process() records a file's failure and goes on; only a cancellation gets here.
      onFailure: () => undefined,
      onConcurrency: (active) => run.concurrencyChanged(active),
    });
    if (!request.dryRun) await run.deleteRemote();
    return run.result(started);
  } finally {
    await client.close();
    if (!request.dispatcher) await dispatcher.close();
  }
}

type Decided = 'skip-unchanged' | 'upload-changed';

class SyncRun {
  private readonly localByPath: Map<string, LocalFile>;
  private readonly uploaded: UploadedFile[] = [];
  private readonly failed: Array<{ key: string; error: Error }> = [];
  private readonly deleted: string[] = [];
  private readonly deleteRefused: DeleteRefusal[] = [];
  /** Comparisons a dry run decided moments before (the plan the user confirmed). */
  private readonly earlier: Map<string, { action: Decided; size: number }>;
  private filesDone = 0;
  private filesTotal: number;
  private bytesTotal: number;
  private bytesSent = 0;
  private deletesSkipped = 0;
  /** Whole small files are read into these, reused from file to file for the run. */
  private readonly readBuffers = new SizedBufferPool((size) => sharedHashPool().allocate(size));

  constructor(
    private readonly request: SyncRequest,
    private readonly options: UploadOptions,
    private readonly client: CosClient,
    private readonly dispatcher: Dispatcher,
    private readonly logger: Logger,
    local: readonly LocalFile[],
    private readonly items: PlanItem[],
    private readonly concurrency: FileConcurrency,
  ) {
    this.localByPath = new Map(local.map((f) => [f.relativePath, f]));
    this.earlier = new Map(
      (request.decided ?? []).filter((i) => i.action === 'skip-unchanged' || i.action === 'upload-changed').map((i) => [i.key, { action: i.action as Decided, size: i.size }]),
    );
    const uploads = items.filter((i) => isUpload(i.action));
    this.filesTotal = uploads.length;
    this.bytesTotal = uploads.reduce((n, i) => n + i.size, 0);
  }

  emit(event: SyncEvent): void {
    this.request.onEvent?.(event);
  }

  private progress(): void {
    this.emit({ type: 'progress', filesDone: this.filesDone, filesTotal: this.filesTotal, bytesSent: this.bytesSent, bytesTotal: this.bytesTotal });
  }

  private filesAtOnce = 0;
  private peakFilesAtOnce = 0;

  /** Logged when the number of files in flight changes, so a slow sync shows whether it was held back. */
  concurrencyChanged(active: number): void {
    if (active === this.filesAtOnce) return;
    this.filesAtOnce = active;
    this.peakFilesAtOnce = Math.max(this.peakFilesAtOnce, active);
    this.logger.debug(`sync files-at-once=${active} target=${this.concurrency.current} ceiling=${this.concurrency.max}`);
  }

  /**
   * Decides a comparison and sends the file when it is new or changed; a failure is recorded, not
   * thrown, unless cancelled. A finished file feeds the file concurrency, which may `grow` the pool.
   */
  async process(item: PlanItem, grow: () => void = () => undefined): Promise<void> {
    const sent = await this.processOne(item);
    if (sent !== undefined && this.concurrency.record(sent, Date.now()) !== undefined) grow();
  }

  /** The bytes sent for the file (0 when unchanged), undefined when it failed. */
  private async processOne(item: PlanItem): Promise<number | undefined> {
    throwIfAborted(this.request.signal);
    const file = this.localByPath.get(item.relativePath);
    if (!file) throw new CosError('INTERNAL', `The sync plan names a file it did not list: ${item.relativePath}`);
    try {
      const small = file.size < this.options.multipartThreshold;
      let read: ReadFile | undefined;
      if (item.action === 'compare') {
        const earlier = this.earlier.get(item.key);
        if (earlier && earlier.size === item.size) {
          item.action = earlier.action;
        } else {
          read = small ? await this.read(file) : undefined;
          const localCrc = read?.crc64 ?? (await fileCrc64(file.absolutePath, this.request.signal)).crc64;
          const head = item.remote?.crc64 !== undefined && !this.request.updateHeaders ? undefined : await this.head(item.key);
          item.action = decideComparison(localCrc, item.remote?.crc64 ?? head?.crc64?.trim());
          if (item.action === 'skip-unchanged' && head && this.request.updateHeaders) this.checkHeaders(item, head.headers);
        }
        this.emit({ type: 'compared', key: item.key, unchanged: item.action === 'skip-unchanged' });
        if (item.action === 'skip-unchanged') {
          read?.release();
          return 0;
        }
        this.filesTotal++;
        this.bytesTotal += item.size;
        this.progress();
      }
      if (this.request.dryRun) {
        read?.release();
        return 0;
      }
      return await this.send(item, file, small, read);
    } catch (error) {
      if (CosError.is(error) && error.code === 'ABORTED') throw error;
      if (this.request.signal?.aborted) throw error;
      const err = error instanceof Error ? error : new Error(String(error));
      this.failed.push({ key: item.key, error: err });
      this.logger.error(`sync file key=${item.key} failed: ${describeError(err)}`);
      this.emit({ type: 'file-failed', key: item.key, error: err });
      return undefined;
    }
  }

  private read(file: LocalFile): Promise<ReadFile> {
    return readAndHash(file.absolutePath, file.size, this.options.contentMd5, this.readBuffers, this.request.signal);
  }

  /** Head Object (its CRC64 and headers); undefined when the object is gone. */
  private async head(key: string): Promise<ObjectInfo | undefined> {
    return this.client.headObject(key, this.request.signal, sseHeaders(this.options.sse, 'part'));
  }

  /** An unchanged file whose object headers drifted becomes 'update-headers', naming them. */
  private checkHeaders(item: PlanItem, returned: Record<string, string>): void {
    const drift = headerDrift(describingHeaders(item.key, this.options), returned);
    if (!drift.length) return;
    item.action = 'update-headers';
    item.problem = `headers differ: ${drift.map((d) => d.name).join(', ')}`;
  }

  private async send(item: PlanItem, file: LocalFile, small: boolean, read: ReadFile | undefined): Promise<number> {
    const action = item.action as SyncFileAction;
    let sentHere = 0;
    const onSent = (sent: number): void => {
      this.bytesSent += sent - sentHere;
      sentHere = sent;
      this.progress();
    };
    let outcome: UploadedFile & { multipart: boolean };
    if (small) {
      const bytes = read ?? (await this.read(file));
      const put = await putVerified(this.client, item.key, bytes, this.options, this.request.signal, onSent);
      // Only after a success: a failed request's buffer is dropped, in case its socket still holds it.
      bytes.release();
      outcome = { key: item.key, action, bytes: bytes.data.length, etag: put.etag, crc64: put.crc64, multipart: false, ...(put.requestId ? { requestId: put.requestId } : {}) };
    } else {
      const result = await uploadFile({
        filePath: file.absolutePath,
        key: item.key,
        target: this.request.target,
        credentials: this.request.credentials,
        options: this.request.options,
        checkpoints: this.request.checkpoints,
        dispatcher: this.dispatcher,
        transport: this.request.transport,
        clockOffsetMs: this.client.clockOffset,
        lockDir: this.request.lockDir,
        signal: this.request.signal,
        logger: this.logger,
        onEvent: (event) => {
          if (event.type === 'progress') onSent(event.bytesSent);
        },
      });
      outcome = { key: item.key, action, bytes: result.bytes, etag: result.etag, crc64: result.crc64, multipart: true, ...(result.requestId ? { requestId: result.requestId } : {}) };
    }
    onSent(outcome.bytes);
    const { multipart, ...uploaded } = outcome;
    this.uploaded.push(uploaded);
    this.filesDone++;
    this.logger.info(
      `sync file key=${item.key} action=${action} bytes=${outcome.bytes} etag=${outcome.etag} crc64=${outcome.crc64} requestId=${outcome.requestId ?? '-'}${multipart ? ' multipart' : ''}`,
    );
    this.emit({ type: 'file-uploaded', ...uploaded, multipart });
    this.progress();
    return outcome.bytes;
  }

  /**
   * Delete Multiple Objects, 1,000 keys a request; each refused key is reported. Nothing is deleted
   * when a file failed to go up: a renamed file's old object stays until its new one is there.
   */
  async deleteRemote(): Promise<void> {
    const keys = this.items.filter((i) => i.action === 'delete-remote').map((i) => i.key);
    if (keys.length && this.failed.length) {
      this.deletesSkipped = keys.length;
      this.logger.warn(`sync: ${keys.length} remote-only objects were not deleted because ${this.failed.length} files failed to upload; run the sync again once they go up`);
      return;
    }
    for (let i = 0; i < keys.length; i += MAX_DELETE_KEYS) {
      throwIfAborted(this.request.signal);
      const batch = keys.slice(i, i + MAX_DELETE_KEYS);
      const result = await this.client.deleteObjects(batch, this.request.signal);
      this.deleted.push(...result.deleted);
      if (result.deleted.length) this.emit({ type: 'deleted', keys: result.deleted });
      for (const key of result.deleted) this.logger.info(`sync delete key=${key}`);
      for (const refusal of result.refused) {
        this.deleteRefused.push(refusal);
        this.logger.warn(`sync delete key=${refusal.key} refused by COS: ${refusal.code} ${refusal.message}`);
        this.emit({ type: 'delete-refused', refusal });
      }
    }
  }

  result(started: number): SyncResult {
    return {
      items: this.items,
      summary: summarizePlan(this.items),
      dryRun: this.request.dryRun === true,
      uploaded: this.uploaded,
      failed: this.failed,
      deleted: this.deleted,
      deleteRefused: this.deleteRefused,
      deletesSkipped: this.deletesSkipped,
      peakFilesAtOnce: this.peakFilesAtOnce,
      seconds: (Date.now() - started) / 1000,
    };
  }
}
