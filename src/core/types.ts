/**
 * Shared shapes of the uploader core. Implementation modules import from here so the contract
 * between signer, client, engine, CLI and extension lives in one place.
 */

import type { HeaderRule } from './objectHeaderRules';

export interface Credentials {
  secretId: string;
  secretKey: string;
  /** Temporary (STS) credentials carry a session token, sent as x-cos-security-token. */
  sessionToken?: string;
}

/**
 * Where credentials come from. `get` is called before each signature so a refreshed value is
 * picked up; `refresh` is called once when COS says the current ones expired. It returns fresh
 * credentials (the upload continues) or undefined (the upload pauses with CREDENTIALS_EXPIRED).
 */
export interface CredentialSource {
  get(signal?: AbortSignal): Promise<Credentials>;
  refresh?(signal?: AbortSignal): Promise<Credentials | undefined>;
}

export interface BucketTarget {
  /** `<name>-<appid>`, e.g. examplebucket-1250000000. */
  bucket: string;
  /** COS region, e.g. ap-guangzhou. */
  region: string;
  /**
   * A custom origin such as http://127.0.0.1:9000 or a CDN domain. When set, every request goes to
   * that origin with path `/<key>` (custom-domain style). Otherwise the default endpoint
   * https://<bucket>.cos.<region>.myqcloud.com (or cos.accelerate when `accelerate`).
   */
  endpoint?: string;
  accelerate?: boolean;
}

export type ServerSideEncryption =
  | { type: 'none' }
  | { type: 'SSE-COS' }
  | { type: 'SSE-KMS'; kmsKeyId?: string; context?: string }
  /** `key` is the raw 32-byte key, base64-encoded; never logged. */
  | { type: 'SSE-C'; key: string };

export interface UploadOptions {
  /** Bytes, or 'auto' (grows with the file so it never needs more than 10000 parts). */
  partSize: number | 'auto';
  /** Parts in flight at the start. */
  concurrency: number;
  /** Upper bound when concurrency adapts; equal to `concurrency` to keep it fixed. */
  maxConcurrency: number;
  /** Extra attempts per request for retryable failures. */
  retries: number;
  /** x-cos-traffic-limit in bit/s on each Upload Part (819200..838860800), or undefined. */
  trafficLimit?: number;
  /**
   * Send Content-MD5 with every part, so COS itself refuses bytes that changed on the way. Off by
   * default: every part's CRC64 is checked against the one COS returns either way, and MD5 would
   * double the uploader's CPU (README "Why these defaults").
   */
  contentMd5: boolean;
  /** Files smaller than this go up in one Put Object. */
  multipartThreshold: number;
  sse: ServerSideEncryption;
  storageClass?: string;
  /** Defaults to the type mime-types derives from the key. */
  contentType?: string;
  /** x-cos-meta-<name>: value. */
  metadata?: Record<string, string>;
  /** x-cos-tagging (`k1=v1&k2=v2`) for every object of the run. */
  tagging?: string;
  /** Headers by glob (objectHeaderRules.ts); they win over storageClass, metadata and tagging above. */
  headerRules?: HeaderRule[];
  forbidOverwrite?: boolean;
  partSizeMax?: number;
  partSizeMin?: number;
  partCountMax?: number;
  partCountMin?: number;
  /** Per-request timeout without progress, in ms. */
  requestTimeoutMs: number;
}

export interface PartPlan {
  partSize: number;
  partCount: number;
  fileSize: number;
}

export interface PartRange {
  partNumber: number;
  offset: number;
  length: number;
}

/** A part COS has confirmed. */
export interface CompletedPart {
  partNumber: number;
  size: number;
  /** ETag as COS sent it, quotes included. */
  etag: string;
  /** x-cos-hash-crc64ecma, decimal uint64 string. */
  crc64: string;
}

/**
 * How the object was created at Initiate, kept so a restart (NoSuchUpload, changed file) creates it
 * the same way. The SSE-C key itself is a secret and is never stored: only that SSE-C was used.
 */
export interface CheckpointObjectOptions {
  contentType?: string;
  storageClass?: string;
  sse: ServerSideEncryption['type'];
  kmsKeyId?: string;
  kmsContext?: string;
  metadata?: Record<string, string>;
  tagging?: string;
  headerRules?: HeaderRule[];
  forbidOverwrite?: boolean;
}

/** Durable state for resuming one multipart upload. Never holds a secret. */
export interface Checkpoint {
  version: 1;
  uploadId: string;
  bucket: string;
  region: string;
  endpoint?: string;
  key: string;
  filePath: string;
  fileSize: number;
  fileMtimeMs: number;
  partSize: number;
  partCount: number;
  parts: CompletedPart[];
  accelerate?: boolean;
  object?: CheckpointObjectOptions;
  createdAt: string;
  updatedAt: string;
}

export interface CheckpointStore {
  load(id: string): Promise<Checkpoint | undefined>;
  save(id: string, checkpoint: Checkpoint): Promise<void>;
  remove(id: string): Promise<void>;
  list(): Promise<Array<{ id: string; checkpoint: Checkpoint }>>;
}

/** `liblzma`: xz-utils' CRC64 through src/native; `native`: the crc64-ecma182 addon; `wasm`: hash-wasm. */
export type CrcEngineName = 'liblzma' | 'native' | 'wasm' | 'typescript';

/** What is done on cancel: keep the upload on the server for resuming, or abort it. */
export type OnCancel = 'keep' | 'abort';

export type UploadEvent =
  | {
      type: 'start';
      key: string;
      uploadId?: string;
      fileSize: number;
      partSize: number;
      partCount: number;
      resumedParts: number;
      multipart: boolean;
      crcEngine: CrcEngineName;
    }
  /** Bytes actually handed to the socket so far (a retried part's bytes count again from zero). */
  | { type: 'progress'; bytesSent: number; bytesTotal: number; partsDone: number; partCount: number; concurrency: number }
  | {
      type: 'part';
      partNumber: number;
      partCount: number;
      bytes: number;
      etag: string;
      crc64: string;
      requestId?: string;
      attempt: number;
      durationMs: number;
    }
  | { type: 'retry'; operation: string; attempt: number; delayMs: number; error: Error; partNumber?: number }
  | { type: 'credentials-refreshed' }
  /** A checkpoint could not be resumed (the server forgot the upload, or the file changed) and a new upload began. */
  | {
      type: 'restarted';
      /** Why, for people: a log line. */
      reason: string;
      /** Why, for code: the CosError code of what stopped the resume. */
      cause: 'NO_SUCH_UPLOAD' | 'FILE_CHANGED';
      previousUploadId: string;
    }
  | { type: 'clock-corrected'; offsetMs: number }
  | {
      type: 'complete';
      key: string;
      uploadId?: string;
      etag: string;
      crc64?: string;
      crc64Verified: boolean;
      requestId?: string;
    };

export interface UploadResult {
  key: string;
  uploadId?: string;
  etag: string;
  /** Whole-object CRC64 (decimal), combined locally from the parts and checked against COS. */
  crc64: string;
  /** true when COS returned a CRC64 and it equals ours. */
  crc64Verified: boolean;
  parts: number;
  bytes: number;
  seconds: number;
  requestId?: string;
  resumedParts: number;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
