/**
 * Downloads every object under a prefix into a folder: the listing is planned by prefixPlan.ts,
 * then the files go through downloadObject (verified, resumable, locked per file) a few at a time
 * over one shared client. A file that fails does not stop the others; every failure is reported.
 */

import { CosClient } from '../cosClient';
import { abortError, ConfigError, CosError, describeError } from '../errors';
import { mapLimit } from '../mapLimit';
import { defaultUploadOptions } from '../options';
import { formatBytes } from '../sizes';
import type { TransportOptions } from '../transport';
import type { BucketTarget, CredentialSource, Logger } from '../types';
import { silentLogger } from '../types';
import type { DownloadCheckpointStore } from './downloadCheckpoint';
import { downloadObject, type DownloadOptions, type DownloadResult } from './downloadObject';
import { DEFAULT_DOWNLOAD_FILES, MAX_DOWNLOAD_FILES, planPrefixDownload, type PrefixFile, type RefusedKey } from './prefixPlan';


export interface PrefixDownloadRequest {
  /** As listed: '' is the whole bucket, otherwise it ends in '/'. */
  prefix: string;
  destDir: string;
  target: BucketTarget;
  credentials: CredentialSource;
  options?: Partial<DownloadOptions>;
  /** Files downloaded at once (default as for sync). */
  fileConcurrency?: number;
  checkpoints?: DownloadCheckpointStore;
  /** Replace existing local files; without it each one that exists is refused (and reported). */
  overwrite?: boolean;
  lockDir?: string;
  transport?: TransportOptions;
  signal?: AbortSignal;
  logger?: Logger;
  onEvent?: (event: PrefixDownloadEvent) => void;
}

export type PrefixDownloadEvent =
  | { type: 'planned'; files: number; bytes: number; skippedMarkers: number; refused: RefusedKey[] }
  | { type: 'file-done'; key: string; path: string; bytes: number; crc64Verified: boolean }
  | { type: 'file-failed'; key: string; path: string; error: Error }
  | { type: 'progress'; bytesDone: number; bytesTotal: number; filesDone: number; filesTotal: number };

export interface PrefixDownloadFailure {
  key: string;
  path: string;
  error: Error;
}

export interface PrefixDownloadResult {
  prefix: string;
  destDir: string;
  downloaded: DownloadResult[];
  failed: PrefixDownloadFailure[];
  /** Keys that could not be placed inside destDir; nothing was fetched for them. */
  refused: RefusedKey[];
  skippedMarkers: number;
  bytes: number;
  seconds: number;
}

/** Whether anything asked for was left undone (a failed or refused file). */
export function prefixDownloadIncomplete(result: PrefixDownloadResult): boolean {
  return result.failed.length > 0 || result.refused.length > 0;
}

export async function downloadPrefix(request: PrefixDownloadRequest): Promise<PrefixDownloadResult> {
  const started = Date.now();
  const fileConcurrency = request.fileConcurrency ?? DEFAULT_DOWNLOAD_FILES;
  if (!Number.isInteger(fileConcurrency) || fileConcurrency < 1 || fileConcurrency > MAX_DOWNLOAD_FILES) {
    throw new ConfigError('fileConcurrency', `Files at once must be a whole number from 1 to ${MAX_DOWNLOAD_FILES}: ${fileConcurrency}`);
  }
  if (request.prefix !== '' && !request.prefix.endsWith('/')) {
    throw new ConfigError('prefix', `A prefix to download ends in "/": ${request.prefix}`);
  }
  const logger = request.logger ?? silentLogger;
  const defaults = defaultUploadOptions();
  const maxConcurrency = Math.max(request.options?.maxConcurrency ?? defaults.maxConcurrency, request.options?.concurrency ?? defaults.concurrency);
  // One pool for every file, big enough for all their ranges at once.
  const client = new CosClient({
    target: request.target,
    credentials: request.credentials,
    logger,
    maxConnections: fileConcurrency * maxConcurrency,
    retry: { retries: request.options?.retries ?? defaults.retries },
    requestTimeoutMs: request.options?.requestTimeoutMs ?? defaults.requestTimeoutMs,
    transport: request.transport,
  });
  try {
    const listing = await client.listAllObjects(request.prefix, request.signal);
    const plan = planPrefixDownload(listing, request.prefix, request.destDir);
    if (plan.files.length === 0 && plan.refused.length === 0) {
      throw new CosError('NO_SUCH_KEY', `There is no object under ${request.prefix || 'the root'} in ${request.target.bucket}${plan.skippedMarkers.length ? ' (only folder markers)' : ''}: check the prefix.`);
    }
    for (const r of plan.refused) logger.warn(`Not downloaded: ${r.key}: ${r.reason}.`);
    const bytesTotal = plan.files.reduce((sum, f) => sum + f.size, 0);
    request.onEvent?.({ type: 'planned', files: plan.files.length, bytes: bytesTotal, skippedMarkers: plan.skippedMarkers.length, refused: plan.refused });
    const run = new PrefixRun(request, client, plan.files.length, bytesTotal);
    await mapLimit(plan.files, fileConcurrency, (file) => run.download(file));
    if (request.signal?.aborted) throw abortError(request.signal);
    const bytes = run.downloaded.reduce((sum, d) => sum + d.bytes, 0);
    const seconds = (Date.now() - started) / 1000;
    logger.info(`Downloaded ${run.downloaded.length} of ${plan.files.length} file(s) under ${request.prefix || '/'} to ${plan.destDir}: ${formatBytes(bytes)} in ${seconds.toFixed(1)} s; ${run.failed.length} failed, ${plan.refused.length} refused.`);
    return { prefix: request.prefix, destDir: plan.destDir, downloaded: run.downloaded, failed: run.failed, refused: plan.refused, skippedMarkers: plan.skippedMarkers.length, bytes, seconds };
  } finally {
    await client.close();
  }
}

/** The per-file work and the running totals of one prefix download. */
class PrefixRun {
  readonly downloaded: DownloadResult[] = [];
  readonly failed: PrefixDownloadFailure[] = [];
  private readonly bytesByKey = new Map<string, number>();
  private bytesDone = 0;

  constructor(
    private readonly request: PrefixDownloadRequest,
    private readonly client: CosClient,
    private readonly filesTotal: number,
    private readonly bytesTotal: number,
  ) {}

  async download(file: PrefixFile): Promise<void> {
    const { request } = this;
    if (request.signal?.aborted) return;
    try {
      const result = await downloadObject({
        key: file.key,
        destPath: file.destPath,
        target: request.target,
        credentials: request.credentials,
        options: request.options,
        checkpoints: request.checkpoints,
        overwrite: request.overwrite,
        lockDir: request.lockDir,
        client: this.client,
        signal: request.signal,
        logger: request.logger,
        onEvent: (event) => {
          if (event.type === 'progress') this.setBytes(file.key, event.bytesDone);
        },
      });
      this.setBytes(file.key, result.bytes);
      this.downloaded.push(result);
      request.onEvent?.({ type: 'file-done', key: file.key, path: result.path, bytes: result.bytes, crc64Verified: result.crc64Verified });
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      this.failed.push({ key: file.key, path: file.destPath, error });
      (request.logger ?? silentLogger).warn(`Download of ${file.key} to ${file.destPath} failed: ${describeError(error)}`);
      request.onEvent?.({ type: 'file-failed', key: file.key, path: file.destPath, error });
    }
    this.emitProgress();
  }

  private setBytes(key: string, bytes: number): void {
    this.bytesDone += bytes - (this.bytesByKey.get(key) ?? 0);
    this.bytesByKey.set(key, bytes);
    this.emitProgress();
  }

  private emitProgress(): void {
    const filesDone = this.downloaded.length + this.failed.length;
    this.request.onEvent?.({ type: 'progress', bytesDone: this.bytesDone, bytesTotal: this.bytesTotal, filesDone, filesTotal: this.filesTotal });
  }
}
