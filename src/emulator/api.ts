/**
 * The emulator's public shapes: how it is started (EmulatorOptions) and what a running one offers
 * to tests and tools (RunningEmulator).
 */

import type { EmulatorCredentials, ExpiredTokenStyle } from './auth';
import type { RequestLogEntry } from './context';
import type { FaultController } from './faults';

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
  /** Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires as stored (lower-case names). */
  headers: Record<string, string>;
  /** x-cos-tagging as sent, when there was one. */
  tagging?: string;
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
  /** Deleting these keys (Delete Object, or one key of Delete Multiple) is refused with AccessDenied, as a bucket policy could. */
  denyDelete(keys: readonly string[]): void;
  clearLog(): void;
  /** Stops listening and drops every connection: clients get ECONNREFUSED until resume(). */
  pause(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  close(): Promise<void>;
}
