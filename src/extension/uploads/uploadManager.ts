import * as vscode from 'vscode';
import type { Logger, UploadEvent, UploadResult } from '../../core';
import { CosError, describeError, UploadAbortedError } from '../../core/errors';
import { silentLogger } from '../../core/types';
import { SpeedEstimator } from './speedEstimator';
import { applyUploadEvent, snapshotOf } from './uploadSnapshots';

/** One file to upload: where from, where to. Holds no secret. */
export interface UploadJob {
  /** Absolute path on disk. */
  filePath: string;
  /** Workspace-relative path, for messages and the log. */
  displayPath: string;
  key: string;
  profileId: string;
  profileName: string;
  bucket: string;
  /** Set by "Start Over" after FILE_CHANGED: abort the old upload and upload the file as it is now. */
  restartIfChanged?: boolean;
  /** `onSave`: started by upload on save, which reports it in its own status bar item, not the main one. */
  origin?: 'onSave';
}

export type UploadState = 'queued' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';

/** A read-only picture of one upload, for the UI and the test API. */
export interface UploadSnapshot {
  id: string;
  job: UploadJob;
  state: UploadState;
  bytesSent: number;
  /** Bytes of the parts COS has confirmed (with the parts found on COS when resuming); the notification counts these. */
  bytesConfirmed: number;
  bytesTotal: number;
  partsDone: number;
  partCount: number;
  /** Parts that were already on COS when this run started (resume). */
  resumedParts: number;
  bytesPerSecond?: number;
  secondsLeft?: number;
  uploadId?: string;
  result?: UploadResult;
  error?: { code: string; message: string };
  /** This run could not continue its checkpoint and began a new multipart upload (NoSuchUpload, or a changed file). */
  restarted?: UploadRestart;
}

export interface UploadRestart {
  reason: string;
  previousUploadId: string;
  /** COS no longer knew the interrupted upload (aborted, or expired by a lifecycle rule). */
  serverForgot: boolean;
}

/**
 * How a run ended: `paused` means the upload stays on COS with its checkpoint and can resume
 * (a pause, or a cancel with the "keep" setting); `cancelled` means it was aborted on COS.
 */
export interface UploadOutcome {
  id: string;
  job: UploadJob;
  status: 'completed' | 'paused' | 'cancelled' | 'failed';
  result?: UploadResult;
  error?: unknown;
  restarted?: UploadRestart;
}

export interface UploadHandle {
  id: string;
  done: Promise<UploadOutcome>;
}

/** What actually moves bytes; the core behind it in the extension, a fake in tests. */
export interface UploadBackend {
  run(job: UploadJob, signal: AbortSignal, onEvent: (event: UploadEvent) => void): Promise<UploadResult>;
  /** Aborts the multipart upload on COS (if there is one) and deletes its checkpoint. */
  discard(job: UploadJob, uploadId: string | undefined, signal?: AbortSignal): Promise<void>;
}

export interface UploadManagerOptions {
  /** Read on every scheduling decision, so a settings change applies to the queue at once. */
  maxConcurrentUploads(): number;
  onCancel(): 'keep' | 'abort';
  logger?: Logger;
  now?: () => number;
}

/** Why a running upload was stopped; the core only sees an aborted signal. */
type StopReason = 'pause' | 'cancel' | 'shutdown';

interface Entry extends UploadSnapshot {
  controller?: AbortController;
  stopReason?: StopReason;
  speed: SpeedEstimator;
  resolve?: (outcome: UploadOutcome) => void;
  done?: Promise<UploadOutcome>;
  /** The upload may exist on COS: it started once, or was restored from a checkpoint. */
  onServer: boolean;
}

export interface UploadChange {
  snapshot: UploadSnapshot;
  /** false for a progress-only update. */
  stateChanged: boolean;
}

/**
 * Runs uploads in the background, at most `maxConcurrentUploads` at a time, and lets the user
 * pause, resume and cancel them. Pausing is cancelling with the upload kept on COS: the checkpoint
 * store lets the next run continue where this one stopped.
 */
export class UploadManager implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly changed = new vscode.EventEmitter<UploadChange>();
  /** Fires on every progress event (unthrottled) and on every state change. */
  readonly onDidChange = this.changed.event;
  private nextId = 1;
  private disposed = false;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(
    private readonly backend: UploadBackend,
    private readonly options: UploadManagerOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  /** Queues a new upload; it starts as soon as a slot is free. */
  enqueue(job: UploadJob): UploadHandle {
    const entry: Entry = {
      id: String(this.nextId++),
      job,
      state: 'queued',
      bytesSent: 0,
      bytesConfirmed: 0,
      bytesTotal: 0,
      partsDone: 0,
      partCount: 0,
      resumedParts: 0,
      speed: new SpeedEstimator(5000, this.now),
      onServer: false,
    };
    this.entries.set(entry.id, entry);
    const handle = this.arm(entry);
    this.emit(entry, true);
    this.pump();
    return handle;
  }

  /**
   * Lists an upload found in a checkpoint from an earlier session as paused, so it can be resumed
   * or discarded from Show Uploads.
   */
  restore(job: UploadJob, progress: { uploadId: string; bytesSent: number; bytesTotal: number; partsDone: number; partCount: number }): UploadSnapshot {
    const existing = [...this.entries.values()].find((e) => e.job.filePath === job.filePath && e.job.key === job.key && e.job.profileId === job.profileId);
    if (existing) return snapshotOf(existing);
    const entry: Entry = {
      id: String(this.nextId++),
      job,
      state: 'paused',
      ...progress,
      bytesConfirmed: progress.bytesSent,
      resumedParts: progress.partsDone,
      speed: new SpeedEstimator(5000, this.now),
      onServer: true,
    };
    this.entries.set(entry.id, entry);
    this.emit(entry, true);
    return snapshotOf(entry);
  }

  /**
   * Queues a paused or failed upload again; the checkpoint makes it continue, not restart.
   * `restartIfChanged` starts over when the file changed since the checkpoint (after FILE_CHANGED).
   */
  resume(id: string, options: { restartIfChanged?: boolean } = {}): UploadHandle {
    const entry = this.require(id);
    if (entry.state === 'queued' || entry.state === 'running') return { id, done: entry.done ?? this.arm(entry).done };
    if (entry.state !== 'paused' && entry.state !== 'failed') {
      throw new CosError('INVALID_ARGUMENT', `Only a paused or failed upload can be resumed; this one is ${entry.state}: ${entry.job.displayPath}`);
    }
    entry.state = 'queued';
    if (options.restartIfChanged) entry.job = { ...entry.job, restartIfChanged: true };
    entry.error = undefined;
    entry.restarted = undefined;
    entry.stopReason = undefined;
    entry.speed.reset();
    const handle = this.arm(entry);
    this.emit(entry, true);
    this.pump();
    return handle;
  }

  /** Stops a running or queued upload and keeps it on COS for resuming. */
  pause(id: string): void {
    const entry = this.require(id);
    if (entry.state === 'running') this.stop(entry, 'pause');
    else if (entry.state === 'queued') this.settle(entry, 'paused', { status: 'paused' });
  }

  /**
   * Cancels an upload. A running or queued one follows the `onCancel` setting (kept for resuming,
   * or aborted on COS); a paused or failed one is discarded: aborted on COS, checkpoint deleted.
   */
  async cancel(id: string): Promise<UploadOutcome | undefined> {
    const entry = this.require(id);
    if (entry.state === 'running') {
      const done = entry.done;
      this.stop(entry, 'cancel');
      return done;
    }
    if (entry.state === 'queued') {
      if (!entry.onServer) return this.settle(entry, 'cancelled', { status: 'cancelled' });
      if (this.options.onCancel() === 'keep') return this.settle(entry, 'paused', { status: 'paused' });
      return this.discardEntry(entry);
    }
    if (entry.state === 'paused' || entry.state === 'failed') return this.discardEntry(entry);
    return undefined;
  }

  /** Drops a finished or failed entry from the list without touching COS. */
  forget(id: string): void {
    const entry = this.entries.get(id);
    if (entry && entry.state !== 'running' && entry.state !== 'queued') this.entries.delete(id);
  }

  get(id: string): UploadSnapshot | undefined {
    const entry = this.entries.get(id);
    return entry && snapshotOf(entry);
  }

  /** Queued, running, paused and failed uploads, oldest first. */
  list(): UploadSnapshot[] {
    return [...this.entries.values()].map(snapshotOf);
  }

  /** Starts queued uploads while there are free slots (also call it when the limit setting changes). */
  pump(): void {
    if (this.disposed) return;
    const limit = Math.max(1, this.options.maxConcurrentUploads());
    let running = [...this.entries.values()].filter((e) => e.state === 'running').length;
    for (const entry of this.entries.values()) {
      if (running >= limit) break;
      if (entry.state !== 'queued') continue;
      running++;
      this.start(entry);
    }
  }

  /**
   * Stops every running upload (kept on COS for the next session) and waits, at most `timeoutMs`,
   * for each to save its checkpoint and settle.
   */
  async shutdown(timeoutMs = 3000): Promise<void> {
    const running = [...this.entries.values()].filter((e) => e.state === 'running');
    const settled = running.map((e) => e.done);
    for (const entry of running) this.stop(entry, 'shutdown');
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(settled), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    if (timer) clearTimeout(timer);
  }

  /** Stops every running upload, keeping each on COS so it can resume in the next session. */
  dispose(): void {
    this.disposed = true;
    for (const entry of this.entries.values()) {
      if (entry.state === 'running') this.stop(entry, 'shutdown');
    }
    this.changed.dispose();
  }

  private arm(entry: Entry): UploadHandle {
    entry.done = new Promise<UploadOutcome>((resolve) => {
      entry.resolve = resolve;
    });
    return { id: entry.id, done: entry.done };
  }

  private start(entry: Entry): void {
    const controller = new AbortController();
    entry.controller = controller;
    entry.state = 'running';
    entry.onServer = true;
    this.emit(entry, true);
    this.backend.run(entry.job, controller.signal, (event) => this.onEvent(entry, event)).then(
      (result) => {
        entry.result = result;
        entry.bytesSent = entry.bytesConfirmed = entry.bytesTotal = result.bytes;
        entry.partsDone = entry.partCount = result.parts;
        this.settle(entry, 'completed', { status: 'completed', result });
      },
      (error: unknown) => void this.onFailure(entry, error),
    );
  }

  private async onFailure(entry: Entry, error: unknown): Promise<void> {
    const aborted = CosError.is(error) && error.code === 'ABORTED' && entry.stopReason !== undefined;
    if (CosError.is(error) && error.code === 'CREDENTIALS_EXPIRED') {
      // Nobody entered new temporary credentials: the parts stay on COS, so this is a pause, not a failure.
      entry.error = { code: error.code, message: error.message };
      this.logger.info(
        `paused file=${entry.job.displayPath} key=${entry.job.key} uploadId=${entry.uploadId ?? '-'} parts=${entry.partsDone}/${entry.partCount}: the temporary credentials expired; resume after entering new ones`,
      );
      this.settle(entry, 'paused', { status: 'paused', error });
      return;
    }
    if (!aborted) {
      entry.error = { code: CosError.is(error) ? error.code : 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
      this.settle(entry, 'failed', { status: 'failed', error });
      return;
    }
    const keep = entry.stopReason !== 'cancel' || this.options.onCancel() === 'keep';
    if (keep) {
      this.logger.info(
        `paused file=${entry.job.displayPath} key=${entry.job.key} uploadId=${entry.uploadId ?? '-'} parts=${entry.partsDone}/${entry.partCount} (kept on COS with its checkpoint for resuming)`,
      );
      this.settle(entry, 'paused', { status: 'paused', error });
      return;
    }
    await this.discardEntry(entry, error);
  }

  private async discardEntry(entry: Entry, cause?: unknown): Promise<UploadOutcome> {
    try {
      await this.backend.discard(entry.job, entry.uploadId);
      return this.settle(entry, 'cancelled', { status: 'cancelled', error: cause });
    } catch (error) {
      // The upload is still on COS: keep it listed so the user can try discarding again.
      this.logger.error(`discard failed file=${entry.job.displayPath} key=${entry.job.key}: ${describeError(error)}`);
      entry.error = { code: CosError.is(error) ? error.code : 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
      return this.settle(entry, 'failed', { status: 'failed', error });
    }
  }

  private stop(entry: Entry, reason: StopReason): void {
    entry.stopReason = reason;
    entry.controller?.abort(new UploadAbortedError(reason === 'shutdown' ? 'shutdown' : 'user'));
  }

  private settle(entry: Entry, state: UploadState, result: Omit<UploadOutcome, 'id' | 'job'>): UploadOutcome {
    entry.state = state;
    entry.controller = undefined;
    entry.bytesPerSecond = undefined;
    entry.secondsLeft = undefined;
    const resolve = entry.resolve;
    entry.resolve = undefined;
    entry.done = undefined;
    // Finished uploads leave the list; paused and failed ones stay to be resumed or discarded.
    if (state === 'completed' || state === 'cancelled') this.entries.delete(entry.id);
    this.emit(entry, true);
    const outcome: UploadOutcome = { id: entry.id, job: { ...entry.job }, ...result, ...(entry.restarted ? { restarted: { ...entry.restarted } } : {}) };
    resolve?.(outcome);
    this.pump();
    return outcome;
  }

  private onEvent(entry: Entry, event: UploadEvent): void {
    if (entry.state !== 'running') return;
    if (applyUploadEvent(entry, event)) this.emit(entry, false);
  }

  private emit(entry: Entry, stateChanged: boolean): void {
    if (!this.disposed) this.changed.fire({ snapshot: snapshotOf(entry), stateChanged });
  }

  private require(id: string): Entry {
    const entry = this.entries.get(id);
    if (!entry) throw new CosError('INVALID_ARGUMENT', `No upload with this id is listed: ${id}`);
    return entry;
  }
}
