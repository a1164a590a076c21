/**
 * One error family for the whole uploader. Callers match on `code` (stable) rather than on class
 * or message; `retryable` tells the retry policy and the UI whether trying again can help.
 * Messages never contain secrets: they name what failed, then what to do, variable part last.
 */

const BRAND = Symbol.for('cos-part-uploader.CosError');

export type CosErrorCode =
  /** An option or argument is out of range or malformed (part size, bucket name, key, ...). */
  | 'INVALID_ARGUMENT'
  /** A header rule, --header, tagging or header setting is malformed or not allowed (InvalidHeaderError); nothing was sent. */
  | 'INVALID_HEADER'
  | 'FILE_NOT_FOUND'
  | 'FILE_NOT_A_FILE'
  | 'FILE_UNREADABLE'
  /** A downloaded file could not be written or put in place (space, permissions). */
  | 'FILE_UNWRITABLE'
  /** The file's size or mtime changed during or since the upload began. */
  | 'FILE_CHANGED'
  /** COS answered with an error document or status (see `cosCode`, `status`). */
  | 'SERVICE_ERROR'
  /** The keys are valid but may not do this (AccessDenied), or COS refused without saying why. */
  | 'ACCESS_DENIED'
  /** COS does not know the SecretId (InvalidAccessKeyId with permanent keys). */
  | 'INVALID_SECRET_ID'
  /** The SecretId is known but the signature does not match: the SecretKey is wrong (SignatureDoesNotMatch). */
  | 'SIGNATURE_MISMATCH'
  /** The signing time is outside COS's window even after correcting the clock (RequestTimeTooSkewed). */
  | 'CLOCK_SKEW'
  /** Temporary credentials expired; fresh ones let the upload continue. */
  | 'CREDENTIALS_EXPIRED'
  | 'NO_SUCH_BUCKET'
  /** The server no longer knows this uploadId. */
  | 'NO_SUCH_UPLOAD'
  | 'OBJECT_EXISTS'
  /** The object to download does not exist (404 NoSuchKey). */
  | 'NO_SUCH_KEY'
  /** The object changed while it was being downloaded (its ETag differs: 412 on If-Match). */
  | 'OBJECT_CHANGED'
  /** Connection refused, reset, DNS failure, TLS failure. */
  | 'NETWORK'
  | 'TIMEOUT'
  /** The server's answer could not be understood (not XML, truncated, missing fields, HTML). */
  | 'BAD_RESPONSE'
  /** A hash returned by COS does not match the bytes we sent. */
  | 'INTEGRITY'
  | 'ABORTED'
  | 'CHECKPOINT'
  /** Another uploader holds the lock of this file and key (UploadLockedError); nothing was sent. */
  | 'LOCKED'
  | 'INTERNAL';

export interface CosErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  requestId?: string;
}

export class CosError extends Error {
  override readonly name: string = 'CosError';
  readonly code: CosErrorCode;
  readonly retryable: boolean;
  /** x-cos-request-id of the request that failed, when there was one. */
  readonly requestId?: string;

  constructor(code: CosErrorCode, message: string, options: CosErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    if (options.requestId) this.requestId = options.requestId;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Works across duplicate copies of this module (bundles, tests), where instanceof does not. */
  static is(value: unknown): value is CosError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

export interface CosServiceErrorInit {
  status: number;
  cosCode?: string;
  cosMessage?: string;
  requestId?: string;
  traceId?: string;
  resource?: string;
  /** What we were doing, e.g. "Upload Part 3". */
  operation: string;
  retryable?: boolean;
  code?: CosErrorCode;
  hint?: string;
  cause?: unknown;
}

/** COS answered, and the answer was an error. */
export class CosServiceError extends CosError {
  override readonly name = 'CosServiceError';
  readonly status: number;
  readonly cosCode?: string;
  readonly cosMessage?: string;
  readonly traceId?: string;
  readonly resource?: string;
  readonly operation: string;

  constructor(init: CosServiceErrorInit) {
    const what = init.cosCode ? `${init.cosCode} (HTTP ${init.status})` : `HTTP ${init.status}`;
    const detail = init.cosMessage ? `: ${init.cosMessage.trim().replace(/\.+$/, '')}` : '';
    const hint = init.hint ? ` ${init.hint}` : '';
    const rid = init.requestId ? ` [request id ${init.requestId}]` : '';
    super(init.code ?? 'SERVICE_ERROR', `${init.operation} failed with ${what}${detail}.${hint}${rid}`, {
      cause: init.cause,
      retryable: init.retryable ?? false,
      requestId: init.requestId,
    });
    this.status = init.status;
    if (init.cosCode) this.cosCode = init.cosCode;
    if (init.cosMessage) this.cosMessage = init.cosMessage;
    if (init.traceId) this.traceId = init.traceId;
    if (init.resource) this.resource = init.resource;
    this.operation = init.operation;
  }
}

/**
 * Complete failed (a 200 whose body was an <Error>, e.g. InternalError), and the retried Complete
 * found the upload gone (NoSuchUpload) while no object matching the file is there. Code
 * NO_SUCH_UPLOAD; `completeFailure` is the first failure, `cause` the NoSuchUpload answer.
 */
export class CompleteLostError extends CosError {
  override readonly name = 'CompleteLostError';
  readonly completeFailure: CosServiceError;

  constructor(completeFailure: CosServiceError, gone: CosError) {
    super(
      'NO_SUCH_UPLOAD',
      `Complete Multipart Upload failed with ${completeFailure.cosCode ?? `HTTP ${completeFailure.status}`}, and when it was sent again COS no longer knew the upload (NoSuchUpload): the upload is gone and no object matching the file was created. Upload the file again.${gone.requestId ? ` [request id ${gone.requestId}]` : ''}`,
      { cause: gone, requestId: gone.requestId ?? completeFailure.requestId },
    );
    this.completeFailure = completeFailure;
  }
}

/** A hash COS returned (ETag, x-cos-hash-crc64ecma) differs from the one computed locally. */
export class IntegrityError extends CosError {
  override readonly name = 'IntegrityError';
  readonly what: string;
  readonly expected: string;
  readonly actual: string;

  /** `advice` says what to do when more than "send it again" is needed (it goes before the hashes). */
  constructor(what: string, expected: string, actual: string, options: CosErrorOptions & { advice?: string } = {}) {
    const { advice, ...rest } = options;
    super('INTEGRITY', `${what} does not match${advice ? ` (${advice})` : ''}: expected ${expected}, COS returned ${actual}`, {
      retryable: true,
      ...rest,
    });
    this.what = what;
    this.expected = expected;
    this.actual = actual;
  }
}

export type AbortReason = 'user' | 'timeout' | 'shutdown';

/** The caller's AbortSignal fired. The upload is left on the server unless the caller aborts it. */
export class UploadAbortedError extends CosError {
  override readonly name = 'UploadAbortedError';
  readonly reason: AbortReason;

  constructor(reason: AbortReason = 'user', cause?: unknown) {
    super('ABORTED', reason === 'timeout' ? 'The upload timed out.' : 'The upload was cancelled.', {
      cause,
      retryable: false,
    });
    this.reason = reason;
  }
}

/** An argument or option was rejected before any request was sent. */
export class ConfigError extends CosError {
  override readonly name = 'ConfigError';
  /** The option or argument at fault, e.g. "partSize". */
  readonly field: string;

  constructor(field: string, message: string) {
    super('INVALID_ARGUMENT', message);
    this.field = field;
  }
}

/** An object header (rule, flag, setting or tagging) was refused before any request was sent. */
export class InvalidHeaderError extends CosError {
  override readonly name = 'InvalidHeaderError';
  /** The header at fault as given, or '' when the entry as a whole is malformed. */
  readonly header: string;

  constructor(header: string, message: string) {
    super('INVALID_HEADER', message);
    this.header = header;
  }
}

/** Turns the reason an AbortSignal carries into our error, once, in one place. */
export function abortError(signal: AbortSignal): UploadAbortedError {
  const reason: unknown = signal.reason;
  if (reason instanceof UploadAbortedError) return reason;
  if (CosError.is(reason) && reason.code === 'ABORTED') return reason as UploadAbortedError;
  const isTimeout = typeof reason === 'object' && reason !== null && (reason as Error).name === 'TimeoutError';
  return new UploadAbortedError(isTimeout ? 'timeout' : 'user', reason);
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** A short, secret-free line for logs: code, message and request id. */
export function describeError(error: unknown): string {
  if (CosError.is(error)) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
