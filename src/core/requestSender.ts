import type { Dispatcher } from 'undici';
import { clockCorrectionLine, skewCorrection } from './clockSkew';
import { cosServiceError, isClockError, type CosErrorAnswer } from './cosErrorMap';
import { diagnoseBareDenial, DIAGNOSIS_OPERATION, isBareDenial } from './credentialDiagnosis';
import { objectPath, type ResolvedEndpoint } from './endpoint';
import { abortError, CosError } from './errors';
import { backoffDelay, isTransientNetworkError, parseRetryAfter, sleep, type RetryPolicy } from './retry';
import { signAuthorization } from './signer';
import { readCapped, Watchdog, watchedBody } from './stallWatchdog';
import type { Credentials, CredentialSource, Logger } from './types';
import { parseErrorDocument } from './xmlReading';

/** Bodies we read into memory are XML documents; anything bigger is not a COS answer. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export type Operation =
  | 'Initiate Multipart Upload'
  | 'Upload Part'
  | 'List Parts'
  | 'Complete Multipart Upload'
  | 'Abort Multipart Upload'
  | 'List Multipart Uploads'
  | 'Put Object'
  | 'Head Object'
  | 'Get Object'
  | 'List Objects'
  | 'Delete Multiple Objects';

export interface ClientEvents {
  onRetry?(info: { operation: string; attempt: number; delayMs: number; error: Error; partNumber?: number }): void;
  onClockCorrected?(offsetMs: number): void;
  onCredentialsRefreshed?(): void;
}

export interface RequestSpec {
  operation: Operation;
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  key: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Called with the bytes of `body` the socket has taken in this attempt. */
  onBodyProgress?: (sent: number) => void;
  partNumber?: number;
  signal?: AbortSignal;
  /** Statuses that are not errors, besides 2xx. */
  okStatuses?: number[];
  /** Reads a successful answer; a CosError it throws is retried like any failure (Complete's 200-then-Error). */
  accept?: (res: CosResponse) => void;
  /** The request sent to learn why a bare 403 happened: its own bare 403 is not diagnosed again. */
  diagnostic?: boolean;
}

export interface CosResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  requestId?: string;
}

/** A streamed answer: its headers, and its body as chunks. */
export interface RangeAnswer {
  headers: Record<string, string>;
  requestId?: string;
  chunks(): AsyncGenerator<Buffer>;
  cancel(): void;
}

export interface RequestSenderOptions {
  endpoint: ResolvedEndpoint;
  dispatcher: Dispatcher;
  credentials: CredentialSource;
  retry: RetryPolicy;
  logger: Logger;
  /** No progress for this long (ms) fails the attempt as a timeout. */
  requestTimeoutMs: number;
  signatureTtlSeconds: number;
  events: ClientEvents;
  /** Server time minus local time already measured for this endpoint; corrected further when COS says so. */
  clockOffsetMs: number;
}

/**
 * Signs, sends and retries one request at a time for CosClient: each attempt is signed freshly
 * (credentials are asked for each time, so a refresh takes effect at once), the clock is corrected
 * from the server's Date, expired credentials are refreshed once, and failures back off per retry.ts.
 */
export class RequestSender {
  private readonly endpoint: ResolvedEndpoint;
  private readonly dispatcher: Dispatcher;
  private readonly retry: RetryPolicy;
  private readonly logger: Logger;
  private readonly requestTimeoutMs: number;
  private readonly signatureTtlSeconds: number;
  private readonly events: ClientEvents;
  /** Server time minus local time, learned from RequestTimeTooSkewed answers. */
  private clockOffsetMs: number;

  constructor(private readonly options: RequestSenderOptions) {
    this.endpoint = options.endpoint;
    this.dispatcher = options.dispatcher;
    this.retry = options.retry;
    this.logger = options.logger;
    this.requestTimeoutMs = options.requestTimeoutMs;
    this.signatureTtlSeconds = options.signatureTtlSeconds;
    this.events = options.events;
    this.clockOffsetMs = options.clockOffsetMs; // clock-skew: the offset measured earlier in the session
  }

  get clockOffset(): number {
    return this.clockOffsetMs;
  }

  /** Signs, sends and retries one request; returns a 2xx (or allowed) answer or throws a CosError. */
  async send(spec: RequestSpec): Promise<CosResponse> {
    let credentialsRefreshed = false;
    let clockFixes = 0;
    let bareDenialChecked = false; // clock-skew / credential diagnosis: a bare 403 is looked into once
    for (let attempt = 1; ; attempt++) {
      if (spec.signal?.aborted) throw abortError(spec.signal);
      let error: CosError;
      let retryAfterMs: number | undefined;
      let used: Credentials | undefined;
      let usedToken = false;
      try {
        const credentials = await this.options.credentials.get(spec.signal);
        used = credentials;
        usedToken = Boolean(credentials.sessionToken);
        const res = await this.attempt(spec, credentials);
        if ((res.status >= 200 && res.status < 300) || spec.okStatuses?.includes(res.status)) {
          spec.accept?.(res);
          return res;
        }
        const doc = parseErrorDocument(res.body);
        if (isClockError(res.status, doc) && clockFixes < 2 && this.learnClock(res.headers.date)) {
          clockFixes++;
          attempt--; // a clock fix is not a failed attempt
          continue;
        }
        const answer: CosErrorAnswer = {
          operation: spec.operation,
          status: res.status,
          headers: res.headers,
          doc,
          body: res.body,
          partNumber: spec.partNumber,
          temporaryCredentials: usedToken,
        };
        // clock-skew: a bare 403 (HEAD) may be a refused signing time; the Date header tells. Else ask COS why.
        if (isBareDenial(res.status, res.body, doc) && !bareDenialChecked && !spec.diagnostic) {
          bareDenialChecked = true;
          if (this.learnClockFromBareDenial(res.headers.date)) {
            attempt--;
            continue;
          }
          const diagnosed = await diagnoseBareDenial(cosServiceError(answer), {
            probe: () => this.send({ operation: DIAGNOSIS_OPERATION, method: 'GET', key: '', query: { uploads: '', 'max-uploads': '1' }, signal: spec.signal, diagnostic: true }),
            clockOffset: () => this.clockOffsetMs,
            logger: this.logger,
          });
          if (diagnosed === 'clock corrected') {
            attempt--; // the refused request gets another try with the corrected clock
            continue;
          }
          throw diagnosed;
        }
        error = cosServiceError(answer);
        retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      } catch (caught) {
        if (spec.signal?.aborted) throw abortError(spec.signal);
        error = this.toCosError(caught, spec);
      }
      if (error.code === 'CREDENTIALS_EXPIRED' && !credentialsRefreshed && this.options.credentials.refresh) {
        // Another request may already have renewed them while this one was in flight.
        const current = await this.options.credentials.get(spec.signal);
        const renewedMeanwhile = used !== undefined && (current.sessionToken !== used.sessionToken || current.secretId !== used.secretId);
        const fresh = renewedMeanwhile ? current : await this.options.credentials.refresh(spec.signal);
        if (fresh) {
          credentialsRefreshed = true;
          this.events.onCredentialsRefreshed?.();
          attempt--;
          continue;
        }
      }
      if (!error.retryable || attempt > this.retry.retries) throw error;
      const delayMs = Math.max(backoffDelay(attempt, this.retry), retryAfterMs ?? 0);
      this.logger.debug(`${spec.operation}${spec.partNumber ? ` part ${spec.partNumber}` : ''} attempt ${attempt} failed (${error.code}); retrying in ${delayMs} ms`);
      this.events.onRetry?.({ operation: spec.operation, attempt, delayMs, error, partNumber: spec.partNumber });
      await sleep(delayMs, spec.signal);
    }
  }

  /**
   * One signed request whose answer body is streamed to the caller; sent once, the caller retries.
   * An answer other than `expect` is a CosError (`refuse` may name it first, e.g. 412 on If-Match).
   */
  async stream(spec: RequestSpec, expect: number, refuse?: (status: number, headers: Record<string, string>) => CosError | undefined): Promise<RangeAnswer> {
    const credentials = await this.options.credentials.get(spec.signal);
    const watchdog = new Watchdog(this.requestTimeoutMs);
    const signal = spec.signal;
    const stalled = (caught: unknown) =>
      new CosError('TIMEOUT', `${spec.operation} made no progress for ${Math.round(this.requestTimeoutMs / 1000)} s: the connection stalled.`, { retryable: true, cause: caught });
    let res: Dispatcher.ResponseData;
    try {
      res = await this.dispatcher.request({
        origin: this.endpoint.origin,
        path: objectPath(spec.key) + queryString(spec.query),
        method: spec.method,
        headers: this.signedHeaders(spec, credentials),
        signal: signal ? AbortSignal.any([signal, watchdog.signal]) : watchdog.signal,
      });
    } catch (caught) {
      watchdog.stop();
      if (signal?.aborted) throw abortError(signal);
      throw watchdog.fired ? stalled(caught) : this.toCosError(caught, spec);
    }
    const flat = flattenHeaders(res.headers);
    if (res.statusCode !== expect) {
      watchdog.stop();
      const text = await readCapped(res.body, MAX_RESPONSE_BYTES).catch(() => '');
      throw (
        refuse?.(res.statusCode, flat) ??
        cosServiceError({ operation: spec.operation, status: res.statusCode, headers: flat, doc: parseErrorDocument(text), body: text, temporaryCredentials: Boolean(credentials.sessionToken) })
      );
    }
    const body = res.body;
    return {
      headers: flat,
      requestId: flat['x-cos-request-id'],
      async *chunks(): AsyncGenerator<Buffer> {
        try {
          for await (const chunk of body) {
            watchdog.touch();
            yield chunk as Buffer;
          }
        } catch (caught) {
          if (signal?.aborted) throw abortError(signal);
          throw watchdog.fired ? stalled(caught) : caught;
        } finally {
          watchdog.stop();
          if (!body.readableEnded) body.destroy();
        }
      },
      cancel: () => {
        watchdog.stop();
        body.destroy();
      },
    };
  }

  private learnClock(dateHeader: string | undefined): boolean {
    const serverMs = dateHeader ? Date.parse(dateHeader) : NaN;
    if (!Number.isFinite(serverMs)) return false;
    this.applyClockOffset(serverMs - Date.now());
    return true;
  }

  /** True when the Date of a bare 403 shows a signing time COS must refuse; the offset is then applied. */
  private learnClockFromBareDenial(dateHeader: string | undefined): boolean {
    const offset = skewCorrection(dateHeader, Date.now(), this.clockOffsetMs, this.signatureTtlSeconds);
    if (offset === undefined) return false;
    this.applyClockOffset(offset);
    return true;
  }

  private applyClockOffset(offsetMs: number): void {
    const previous = this.clockOffsetMs;
    this.clockOffsetMs = offsetMs;
    this.logger.warn(clockCorrectionLine(offsetMs, previous));
    this.events.onClockCorrected?.(offsetMs);
  }

  private async attempt(spec: RequestSpec, credentials: Credentials): Promise<CosResponse> {
    const headers = this.signedHeaders(spec, credentials);
    const path = objectPath(spec.key) + queryString(spec.query);
    const watchdog = new Watchdog(this.requestTimeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, watchdog.signal]) : watchdog.signal;
    try {
      const res = await this.dispatcher.request({
        origin: this.endpoint.origin,
        path,
        method: spec.method,
        headers,
        body: watchedBody(spec.body, spec.onBodyProgress, watchdog),
        signal,
        // undici closes the connection after a HEAD unless told otherwise; a sync heads thousands of objects.
        ...(spec.method === 'HEAD' ? { reset: false } : {}),
      });
      watchdog.stop();
      const flat = flattenHeaders(res.headers);
      const body = spec.method === 'HEAD' ? '' : await readCapped(res.body, MAX_RESPONSE_BYTES);
      return { status: res.statusCode, headers: flat, body, requestId: flat['x-cos-request-id'] };
    } catch (error) {
      if (watchdog.fired && !spec.signal?.aborted) {
        throw new CosError('TIMEOUT', `${spec.operation} made no progress for ${Math.round(this.requestTimeoutMs / 1000)} s: the connection stalled.`, {
          retryable: true,
          cause: error,
        });
      }
      throw error;
    } finally {
      watchdog.stop();
    }
  }

  private signedHeaders(spec: RequestSpec, credentials: Credentials): Record<string, string> {
    const bodyLength = spec.body === undefined ? 0 : Buffer.byteLength(spec.body);
    const headers: Record<string, string> = { ...spec.headers, host: this.endpoint.host };
    if (spec.method === 'PUT' || spec.method === 'POST') headers['content-length'] = String(bodyLength);
    if (credentials.sessionToken) headers['x-cos-security-token'] = credentials.sessionToken;
    headers.authorization = signAuthorization(
      { method: spec.method, pathname: `/${spec.key}`, query: spec.query, headers },
      { credentials, nowMs: Date.now() + this.clockOffsetMs, expiresSeconds: this.signatureTtlSeconds },
    );
    return headers;
  }

  private toCosError(caught: unknown, spec: RequestSpec): CosError {
    if (CosError.is(caught)) return caught;
    const where = spec.partNumber ? ` part ${spec.partNumber}` : '';
    const undiciCode = (caught as { code?: string }).code;
    if (undiciCode === 'UND_ERR_HEADERS_TIMEOUT' || undiciCode === 'UND_ERR_BODY_TIMEOUT') {
      return new CosError('TIMEOUT', `${spec.operation}${where} got no answer in time: the connection stalled.`, { retryable: true, cause: caught });
    }
    if (isTransientNetworkError(caught)) {
      const detail = caught instanceof Error ? caught.message : String(caught);
      return new CosError('NETWORK', `${spec.operation}${where} failed on the network: ${detail}. Check the connection, proxy and endpoint ${this.endpoint.origin}.`, {
        retryable: true,
        cause: caught,
      });
    }
    const detail = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
    return new CosError('NETWORK', `${spec.operation}${where} could not reach ${this.endpoint.origin}: ${detail}`, { cause: caught, retryable: false });
  }
}

function queryString(query: Record<string, string> | undefined): string {
  if (!query) return '';
  const parts = Object.entries(query).map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`));
  return parts.length ? `?${parts.join('&')}` : '';
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
