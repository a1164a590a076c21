/** What a folder sync is asked (SyncRequest), what it reports while it runs (SyncEvent) and what it returns (SyncResult). */

import type { Dispatcher } from 'undici';
import type { DeleteRefusal } from '../bucketListing';
import type { TransportOptions } from '../transport';
import type { BucketTarget, CheckpointStore, CredentialSource, Logger, UploadOptions } from '../types';
import type { PlanItem, PlanSummary } from './syncPlan';

/** Ceiling of the adaptive file concurrency (fileConcurrency.ts): it starts lower and grows while that helps. */
export const DEFAULT_MAX_CONCURRENT_FILES = 64;
export const MAX_CONCURRENT_FILES = 256;

export interface SyncRequest {
  folder: string;
  /** Key prefix: "site" and "site/" both put folder/a.txt at site/a.txt; "" is the bucket root. */
  prefix?: string;
  target: BucketTarget;
  credentials: CredentialSource;
  options?: Partial<UploadOptions>;
  /** Delete objects under the prefix that have no local file (never excluded ones). */
  deleteRemote?: boolean;
  /**
   * Send again an unchanged file whose object headers (type, storage class, metadata, tagging
   * count, header rules) differ from the wanted ones, found by Head Object. Re-uploads the bytes.
   */
  updateHeaders?: boolean;
  /** Send every local file, unchanged or not (folder upload); no comparison is made. */
  uploadAll?: boolean;
  /** Decide and report only: nothing is uploaded or deleted. */
  dryRun?: boolean;
  /** Globs relative to the folder, as in files.exclude. */
  exclude?: readonly string[];
  /** Leave out what .gitignore ignores (default true). */
  respectGitignore?: boolean;
  /**
   * Most files in flight at once (default 64): the sync starts with fewer and adds more while that
   * raises files or bytes per second. Each multipart file also sends its parts in parallel.
   */
  maxConcurrentFiles?: number;
  /**
   * The items of a dry run made moments before (the plan the user confirmed): its CRC64 comparisons
   * are reused for the same key and size, so files are not read and hashed a second time.
   */
  decided?: readonly PlanItem[];
  /** For big files: their checkpoints, so an interrupted sync resumes them. */
  checkpoints?: CheckpointStore;
  transport?: TransportOptions;
  /** One pool for every request of the sync; by default one is made for it. */
  dispatcher?: Dispatcher;
  clockOffsetMs?: number;
  lockDir?: string;
  signal?: AbortSignal;
  logger?: Logger;
  onEvent?: (event: SyncEvent) => void;
}

export type SyncFileAction = 'upload-new' | 'upload-changed' | 'update-headers';

export type SyncEvent =
  /** Listing and planning done (comparisons of equal sizes still to come). */
  | { type: 'planned'; summary: PlanSummary; localFiles: number; remoteObjects: number }
  /** A same-size pair was compared by CRC64. */
  | { type: 'compared'; key: string; unchanged: boolean }
  /** Files and bytes so far; bytesTotal grows as comparisons find changed files. */
  | { type: 'progress'; filesDone: number; filesTotal: number; bytesSent: number; bytesTotal: number }
  | { type: 'file-uploaded'; key: string; action: SyncFileAction; bytes: number; etag: string; crc64: string; requestId?: string; multipart: boolean }
  | { type: 'file-failed'; key: string; error: Error }
  | { type: 'deleted'; keys: string[] }
  | { type: 'delete-refused'; refusal: DeleteRefusal };

export interface UploadedFile {
  key: string;
  action: SyncFileAction;
  bytes: number;
  etag: string;
  crc64: string;
  requestId?: string;
}

export interface SyncResult {
  /** The plan with every comparison decided (dry run included). */
  items: PlanItem[];
  summary: PlanSummary;
  dryRun: boolean;
  uploaded: UploadedFile[];
  failed: Array<{ key: string; error: Error }>;
  deleted: string[];
  deleteRefused: DeleteRefusal[];
  /** Remote-only objects left in place because some file failed to upload (0 when none). */
  deletesSkipped: number;
  /** The most files that were in flight at once (the adaptive file concurrency's high mark). */
  peakFilesAtOnce: number;
  seconds: number;
}
