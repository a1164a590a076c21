/**
 * When to try a request again and how long to wait first. The decisions live here; the loop that
 * applies them belongs to the caller, which knows what the request was.
 */

import { abortError, CosError } from './errors';

export interface RetryPolicy {
  /** Extra attempts after the first; 0 disables retrying. */
  retries: number;
  /** Upper bound of the first backoff; each further attempt doubles it. */
  baseDelayMs: number;
  /** No single wait exceeds this. */
  maxDelayMs: number;
}

/**
 * Five retries spread over about ten seconds in the worst case (bounds 0.3, 0.6, 1.2, 2.4, 4.8 s)
 * ride out a dropped connection or a short burst of 503 SlowDown without leaving a user staring
 * at a stalled upload for minutes. The 20 s cap only matters when a caller raises `retries`.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ retries: 5, baseDelayMs: 300, maxDelayMs: 20_000 });

/**
 * Wait before retry number `attempt` (1-based): "full jitter", a uniform pick between 0 and
 * min(maxDelayMs, baseDelayMs·2^(attempt−1)). Randomness keeps many parallel parts that failed
 * together from retrying together.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const ceiling = Math.max(0, Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent));
  const r = random();
  const fraction = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 1;
  return Math.round(fraction * ceiling);
}

/**
 * A Retry-After longer than this is clamped: an upload that waits silently for minutes looks
 * hung, and the retry budget still ends it if the server keeps refusing.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

const HTTP_DATE = /^(mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s/i;

/**
 * Retry-After as milliseconds to wait, from delay-seconds ("120") or an HTTP-date, clamped to
 * 0..MAX_RETRY_AFTER_MS. Absent or unparseable gives undefined.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let delayMs: number;
  if (/^\d+$/.test(text)) {
    delayMs = Number(text) * 1000;
  } else if (HTTP_DATE.test(text)) {
    const when = Date.parse(text);
    if (Number.isNaN(when)) return undefined;
    delayMs = when - nowMs;
  } else {
    return undefined;
  }
  return Math.min(Math.max(delayMs, 0), MAX_RETRY_AFTER_MS);
}

/**
 * The wait before retry `attempt`: the server's Retry-After when it sent one, else backoff.
 */
export function retryDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  return retryAfterMs ?? backoffDelay(attempt, policy, random);
}

/** setTimeout fires at once for delays beyond a signed 32-bit count of milliseconds. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Resolves after `ms`. When `signal` aborts, rejects at once with abortError(signal) and clears
 * the timer; the abort listener is removed either way.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Number.isNaN(ms) ? 0 : Math.min(Math.max(0, ms), MAX_TIMER_MS),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Error codes of a failed connection or exchange that a new connection may well get through:
 * Node's socket and DNS errors, and undici's (see undici lib/core/errors.js).
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  // Temporary DNS failure; ENOTFOUND (no such name) is deliberately absent: retrying a mistyped
  // endpoint only delays the message that would help.
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  // The response ended before its Content-Length: the connection dropped mid-body.
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

const TRANSIENT_MESSAGES = [/other side closed/i, /socket hang up/i];

function isAbort(error: object): boolean {
  if (CosError.is(error)) return error.code === 'ABORTED';
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR';
}

/**
 * True when `error`, or anything in its `cause` chain (or an AggregateError's `errors`), is a
 * network failure worth retrying. An abort anywhere in the chain makes it false: the caller
 * asked to stop. A per-request timeout of the client's own (AbortSignal.timeout) is not
 * recognised here; report it as a retryable CosError 'TIMEOUT', which is.
 */
export function isTransientNetworkError(error: unknown): boolean {
  const seen = new Set<object>();
  const pending: unknown[] = [error];
  let transient = false;
  while (pending.length > 0 && seen.size < 32) {
    const current = pending.shift();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    if (isAbort(current)) return false;
    const { code, message, cause, errors } = current as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) transient = true;
    if (typeof message === 'string' && TRANSIENT_MESSAGES.some((pattern) => pattern.test(message))) transient = true;
    if (CosError.is(current) && (current.code === 'NETWORK' || current.code === 'TIMEOUT') && current.retryable) {
      transient = true;
    }
    if (cause !== undefined) pending.push(cause);
    if (Array.isArray(errors)) pending.push(...(errors as unknown[]));
  }
  return transient;
}

/** COS error codes that mean "try again later" whatever status carries them. */
const RETRYABLE_COS_CODES: ReadonlySet<string> = new Set([
  'SlowDown',
  'InternalError',
  'ServiceUnavailable',
  // The server gave up waiting for the request body; a fresh attempt usually gets through.
  'RequestTimeout',
]);

/**
 * Whether a COS error answer is worth retrying: 5xx except 501 Not Implemented (which will not
 * change), 408, 429, and the codes above.
 */
export function isRetryableStatus(status: number, cosCode?: string): boolean {
  if (cosCode !== undefined && RETRYABLE_COS_CODES.has(cosCode)) return true;
  if (status === 408 || status === 429) return true;
  return status >= 500 && status <= 599 && status !== 501;
}
