import type { Dispatcher } from 'undici';
import { clockCorrectionLine, skewCorrection } from './clockSkew';
import { credentialCause, diagnoseBareDenial, DIAGNOSIS_OPERATION, isBareDenial } from './credentialDiagnosis';
import { objectPath, resolveEndpoint, type ResolvedEndpoint } from './endpoint';
import { abortError, CompleteLostError, CosError, CosServiceError, type CosErrorCode } from './errors';
import { backoffDelay, DEFAULT_RETRY_POLICY, isRetryableStatus, isTransientNetworkError, parseRetryAfter, sleep, type RetryPolicy } from './retry';
import { presignQuery, signAuthorization } from './signer';
import { assertEndpointTransport, createDispatcher, type TransportOptions } from './transport';
import type { BucketTarget, Credentials, CredentialSource, Logger } from './types';
import { silentLogger } from './types';
import {
  buildCompleteBody,
  parseCompleteResult,
  parseErrorDocument,
  parseInitiateResult,
  parseListMultipartUploadsResult,
  parseListPartsResult,
  type CosErrorDocument,
  type ListedPart,
  type ListedUpload,
} from './xml';

/** Bodies we read into memory are XML documents; anything bigger is not a COS answer. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/**
 * Request bodies are streamed in slices so progress reflects bytes the socket took: at least 8 per
 * part, 256 KiB to 1 MiB each. Fewer slices mean less garbage per part (a 10 GiB upload's peak RSS
 * fell from 181 to 168 MB going from 256 KiB to 1 MiB slices for 8 MiB parts).
 */
const MIN_BODY_SLICE = 256 * 1024;
const MAX_BODY_SLICE = 1024 * 1024;
const SLICES_PER_BODY = 8;

export type Operation =
  | 'Initiate Multipart Upload'
  | 'Upload Part'
  | 'List Parts'
  | 'Complete Multipart Upload'
  | 'Abort Multipart Upload'
  | 'List Multipart Uploads'
  | 'Put Object'
  | 'Head Object'
  | 'Get Object';

export interface ClientEvents {
  onRetry?(info: { operation: string; attempt: number; delayMs: number; error: Error; partNumber?: number }): void;
  onClockCorrected?(offsetMs: number): void;
  onCredentialsRefreshed?(): void;
}

export interface CosClientOptions {
  target: BucketTarget;
  credentials: CredentialSource;
  logger?: Logger;
  /** Connections to keep open to the endpoint; follows upload concurrency. */
  maxConnections?: number;
  retry?: Partial<RetryPolicy>;
  /** No progress for this long (ms) fails the attempt as a timeout. */
  requestTimeoutMs?: number;
  /** A custom dispatcher (test agent); by default one keep-alive pool, or a proxy agent. */
  dispatcher?: Dispatcher;
  transport?: TransportOptions;
  events?: ClientEvents;
  /** Key-time window for each signature, seconds: short, as a signature only needs to outlive its request. */
  signatureTtlSeconds?: number;
  /** Server time minus local time already measured for this endpoint (e.g. by Test Connection); corrected further when COS says so. */
  clockOffsetMs?: number;
}

interface RequestSpec {
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

export interface PartResult {
  etag: string;
  crc64?: string;
  requestId?: string;
}

export interface ObjectInfo {
  size: number;
  etag: string;
  crc64?: string;
  lastModified?: string;
}

export interface CompleteResult {
  etag: string;
  location?: string;
  crc64?: string;
  requestId?: string;
}

/** COS answers that mean "the signing time is off": fix the clock from the server's Date and retry. */
function isClockError(status: number, doc: CosErrorDocument | undefined): boolean {
  if (doc?.code === 'RequestTimeTooSkewed') return true;
  return status === 403 && doc?.code === 'AccessDenied' && /expired/i.test(doc.message ?? '');
}

/**
 * One client per bucket target. Every call is signed freshly per attempt (credentials are asked for
 * each time, so a refresh takes effect at once) and retried by the policy in retry.ts.
 */
export class CosClient {
  readonly endpoint: ResolvedEndpoint;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly retry: RetryPolicy;
  private readonly logger: Logger;
  private readonly requestTimeoutMs: number;
  private readonly signatureTtlSeconds: number;
  /** Server time minus local time, learned from RequestTimeTooSkewed answers. */
  private clockOffsetMs = 0;
  events: ClientEvents;

  constructor(private readonly options: CosClientOptions) {
    this.endpoint = resolveEndpoint(options.target);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.logger = options.logger ?? silentLogger;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    // COS checks the signature when a request starts, and each attempt is signed just before it is
    // sent: 5 minutes covers connecting and uncorrected clock drift, and limits replay of a leaked header.
    this.signatureTtlSeconds = options.signatureTtlSeconds ?? 300;
    this.events = options.events ?? {};
    this.clockOffsetMs = options.clockOffsetMs ?? 0; // clock-skew: the offset measured earlier in the session
    if (options.dispatcher) {
      assertEndpointTransport(this.endpoint.origin, options.transport);
      this.dispatcher = options.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = createDispatcher(
        this.endpoint.origin,
        {
          connections: Math.max(1, options.maxConnections ?? 4),
          // Backstops only: the per-attempt watchdog (same budget, reset on progress) fires first.
          headersTimeout: this.requestTimeoutMs * 2,
          bodyTimeout: this.requestTimeoutMs * 2,
        },
        options.transport,
      );
      this.ownsDispatcher = true;
    }
  }

  get clockOffset(): number {
    return this.clockOffsetMs;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  async initiateMultipartUpload(key: string, headers: Record<string, string>, signal?: AbortSignal): Promise<{ uploadId: string; requestId?: string }> {
    const res = await this.send({ operation: 'Initiate Multipart Upload', method: 'POST', key, query: { uploads: '' }, headers, signal });
    return { uploadId: this.parse(res, parseInitiateResult).uploadId, requestId: res.requestId };
  }

  async uploadPart(
    args: { key: string; uploadId: string; partNumber: number; data: Buffer; contentMd5?: string; headers?: Record<string, string> },
    signal?: AbortSignal,
    onBodyProgress?: (sent: number) => void,
  ): Promise<PartResult> {
    const res = await this.send({
      operation: 'Upload Part',
      method: 'PUT',
      key: args.key,
      query: { partNumber: String(args.partNumber), uploadId: args.uploadId },
      headers: args.contentMd5 === undefined ? { ...args.headers } : { ...args.headers, 'content-md5': args.contentMd5 },
      body: args.data,
      onBodyProgress,
      partNumber: args.partNumber,
      signal,
    });
    return this.objectWriteResult(res, 'Upload Part');
  }

  async putObject(key: string, data: Buffer, headers: Record<string, string>, signal?: AbortSignal, onBodyProgress?: (sent: number) => void): Promise<PartResult> {
    const res = await this.send({ operation: 'Put Object', method: 'PUT', key, headers, body: data, onBodyProgress, signal });
    return this.objectWriteResult(res, 'Put Object');
  }

  /** All parts, every page. */
  async listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<ListedPart[]> {
    const parts: ListedPart[] = [];
    let marker: string | undefined;
    for (let page = 0; ; page++) {
      const query: Record<string, string> = { uploadId, 'max-parts': '1000' };
      if (marker) query['part-number-marker'] = marker;
      const res = await this.send({ operation: 'List Parts', method: 'GET', key, query, signal });
      const result = this.parse(res, parseListPartsResult);
      parts.push(...result.parts);
      if (!result.isTruncated) return parts;
      if (!result.nextPartNumberMarker || result.nextPartNumberMarker === marker || page > 10_000) {
        throw new CosError('BAD_RESPONSE', 'List Parts returned a truncated page without a new NextPartNumberMarker: the endpoint may not be COS.', {
          requestId: res.requestId,
        });
      }
      marker = result.nextPartNumberMarker;
    }
  }

  /** One List Parts page of at most one part: a request small enough that its duration is about one round trip. */
  async pingUpload(key: string, uploadId: string, signal?: AbortSignal): Promise<void> {
    const res = await this.send({ operation: 'List Parts', method: 'GET', key, query: { uploadId, 'max-parts': '1' }, signal });
    this.parse(res, parseListPartsResult);
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }>,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<CompleteResult> {
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    let result: Exclude<ReturnType<typeof parseCompleteResult>, { error: CosErrorDocument }> | undefined;
    // Kept so a retry that finds the upload gone can say the first Complete failed, not that it was aborted.
    let failedIn200: CosServiceError | undefined;
    const res = await this.send({
      operation: 'Complete Multipart Upload',
      method: 'POST',
      key,
      query: { uploadId },
      headers: { ...headers, 'content-type': 'application/xml' },
      body: buildCompleteBody(sorted),
      signal,
      // COS sends 200 before it knows the outcome, so the body decides success.
      accept: (answer) => {
        const parsed = this.parse(answer, parseCompleteResult);
        if ('error' in parsed) {
          failedIn200 = this.serviceError('Complete Multipart Upload', answer.status, answer.headers, parsed.error, answer.body);
          throw failedIn200;
        }
        result = parsed;
      },
    }).catch((error: unknown) => {
      if (failedIn200 && CosError.is(error) && error.code === 'NO_SUCH_UPLOAD') throw new CompleteLostError(failedIn200, error);
      throw error;
    });
    if (!result) throw new CosError('INTERNAL', 'Complete Multipart Upload returned no result.');
    return { etag: result.etag, location: result.location, crc64: res.headers['x-cos-hash-crc64ecma'], requestId: res.requestId };
  }

  async abortMultipartUpload(key: string, uploadId: string, signal?: AbortSignal): Promise<void> {
    await this.send({ operation: 'Abort Multipart Upload', method: 'DELETE', key, query: { uploadId }, signal });
  }

  /** Every unfinished upload under `prefix`, every page. */
  async listMultipartUploads(opts: { prefix?: string } = {}, signal?: AbortSignal): Promise<ListedUpload[]> {
    const uploads: ListedUpload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (let page = 0; ; page++) {
      const query: Record<string, string> = { uploads: '', 'max-uploads': '1000' };
      if (opts.prefix) query.prefix = opts.prefix;
      if (keyMarker) query['key-marker'] = keyMarker;
      if (uploadIdMarker) query['upload-id-marker'] = uploadIdMarker;
      const res = await this.send({ operation: 'List Multipart Uploads', method: 'GET', key: '', query, signal });
      const result = this.parse(res, parseListMultipartUploadsResult);
      uploads.push(...result.uploads);
      if (!result.isTruncated) return uploads;
      if ((result.nextKeyMarker === keyMarker && result.nextUploadIdMarker === uploadIdMarker) || page > 10_000) {
        throw new CosError('BAD_RESPONSE', 'List Multipart Uploads returned a truncated page without new markers: the endpoint may not be COS.', {
          requestId: res.requestId,
        });
      }
      keyMarker = result.nextKeyMarker;
      uploadIdMarker = result.nextUploadIdMarker;
    }
  }

  /** undefined when the object does not exist. */
  async headObject(key: string, signal?: AbortSignal, headers: Record<string, string> = {}): Promise<ObjectInfo | undefined> {
    const res = await this.send({ operation: 'Head Object', method: 'HEAD', key, headers, signal, okStatuses: [404] });
    if (res.status === 404) return undefined;
    const size = Number(res.headers['content-length']);
    return {
      size: Number.isFinite(size) ? size : -1,
      etag: res.headers.etag ?? '',
      crc64: res.headers['x-cos-hash-crc64ecma'],
      lastModified: res.headers['last-modified'],
    };
  }

  /** A GET URL with the signature in the query string, valid for `expiresSeconds`. */
  async presignUrl(key: string, expiresSeconds: number, signal?: AbortSignal): Promise<string> {
    const credentials = await this.options.credentials.get(signal);
    const query = presignQuery(
      { method: 'GET', pathname: `/${key}`, headers: { host: this.endpoint.host } },
      { credentials, nowMs: Date.now() + this.clockOffsetMs, expiresSeconds },
    );
    return `${this.objectUrl(key)}?${query}`;
  }

  objectUrl(key: string): string {
    return `${this.endpoint.origin}${objectPath(key)}`;
  }

  /** Runs an XML parser, attaching the answer's request id to a BAD_RESPONSE so it can be quoted to support. */
  private parse<T>(res: CosResponse, parser: (body: string) => T): T {
    try {
      return parser(res.body);
    } catch (error) {
      if (CosError.is(error) && !error.requestId && res.requestId) {
        throw new CosError(error.code, error.message, { cause: error, retryable: error.retryable, requestId: res.requestId });
      }
      throw error;
    }
  }

  private objectWriteResult(res: CosResponse, operation: Operation): PartResult {
    const etag = res.headers.etag;
    if (!etag) {
      throw new CosError('BAD_RESPONSE', `${operation} succeeded without an ETag header: the endpoint may not be COS, or a proxy dropped headers.`, {
        requestId: res.requestId,
      });
    }
    return { etag, crc64: res.headers['x-cos-hash-crc64ecma'], requestId: res.requestId };
  }

  /** Signs, sends and retries one request; returns a 2xx (or allowed) answer or throws a CosError. */
  private async send(spec: RequestSpec): Promise<CosResponse> {
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
        // clock-skew: a bare 403 (HEAD) may be a refused signing time; the Date header tells. Else ask COS why.
        if (isBareDenial(res.status, res.body, doc) && !bareDenialChecked && !spec.diagnostic) {
          bareDenialChecked = true;
          if (this.learnClockFromBareDenial(res.headers.date)) {
            attempt--;
            continue;
          }
          const denied = this.serviceError(spec.operation, res.status, res.headers, doc, res.body, spec.partNumber, usedToken);
          const diagnosed = await diagnoseBareDenial(denied, {
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
        error = this.serviceError(spec.operation, res.status, res.headers, doc, res.body, spec.partNumber, usedToken);
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
        body: bodyFor(spec, watchdog),
        signal,
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

  serviceError(
    operation: string,
    status: number,
    headers: Record<string, string>,
    doc: CosErrorDocument | undefined,
    body: string,
    partNumber?: number,
    /** Temporary credentials were used: COS reports their expiry as an unknown SecretId. */
    temporaryCredentials = false,
  ): CosServiceError {
    const op = partNumber ? `${operation} ${partNumber}` : operation;
    const cosCode = doc?.code;
    const requestId = headers['x-cos-request-id'] ?? doc?.requestId;
    let code: CosErrorCode = 'SERVICE_ERROR';
    let hint: string | undefined;
    let retryable = isRetryableStatus(status, cosCode);
    if (cosCode === 'BadDigest') retryable = true; // the bytes were damaged on the way: sending again fixes it
    if (cosCode === 'InternalError' || cosCode === 'ServiceUnavailable' || cosCode === 'SlowDown') retryable = true;
    const looksHtml = /^\s*<(!doctype|html)/i.test(body);
    if (!doc && status < 500) {
      code = status === 200 ? 'BAD_RESPONSE' : code;
      hint = looksHtml
        ? 'The answer is an HTML page, not a COS document: a proxy or captive portal may be in the way, or the endpoint is wrong.'
        : 'The answer is not a COS error document: check that the endpoint is a COS endpoint.';
    } else if (!doc && looksHtml) {
      // A gateway error page (502/504 from a proxy or load balancer): say who answered, not just the status.
      hint = 'The answer is an HTML error page, not a COS document: a proxy or gateway on the way failed; if it persists, check the proxy settings and the endpoint.';
    }
    if (isBareDenial(status, body, doc)) {
      // HEAD answers carry no body, so a refused signature shows only as a bare 403.
      code = 'ACCESS_DENIED';
      hint = 'Access was denied: check the SecretId and SecretKey, and that this key may read and write the bucket.';
    }
    // credential diagnosis: which credential was refused (credentialDiagnosis.ts)
    const credential = credentialCause(cosCode, temporaryCredentials, isClockError(status, doc));
    if (credential) {
      code = credential.code;
      hint = credential.hint;
      if (code === 'CREDENTIALS_EXPIRED') retryable = false;
    }
    switch (cosCode) {
      case 'NoSuchBucket':
        code = 'NO_SUCH_BUCKET';
        hint = 'Check the bucket name (<name>-<appid>) and region in the profile.';
        break;
      case 'NoSuchUpload':
        code = 'NO_SUCH_UPLOAD';
        hint = 'COS no longer knows this upload id: it was aborted, expired by a lifecycle rule, or completed by another uploader; start it over.';
        break;
      case 'FileAlreadyExists':
      case 'PreconditionFailed':
        code = 'OBJECT_EXISTS';
        hint = 'The object already exists and overwriting is forbidden.';
        break;
      case 'EntityTooSmall':
        hint = 'Every part but the last must be at least 1 MiB.';
        break;
    }
    return new CosServiceError({
      status,
      cosCode,
      cosMessage: doc?.message,
      requestId,
      traceId: headers['x-cos-trace-id'] ?? doc?.traceId,
      resource: doc?.resource,
      operation: op,
      retryable,
      code,
      hint,
    });
  }

  // ---------------------------------------------------------------- Get Object (ranged, streamed)

  /**
   * One ranged Get Object whose body is streamed to the caller, for downloads. Sent once: the caller
   * retries the whole range (a body can fail mid-way, past where send() could retry). Any answer
   * but 206 is a CosError; 412 on If-Match is OBJECT_CHANGED. Read the body to its end or cancel it.
   */
  async getObjectRange(
    args: { key: string; start: number; end: number; ifMatch?: string; headers?: Record<string, string> },
    signal?: AbortSignal,
  ): Promise<RangeAnswer> {
    const headers: Record<string, string> = { ...args.headers, range: `bytes=${args.start}-${args.end}` };
    if (args.ifMatch) headers['if-match'] = args.ifMatch;
    const spec: RequestSpec = { operation: 'Get Object', method: 'GET', key: args.key, headers, signal };
    const credentials = await this.options.credentials.get(signal);
    const watchdog = new Watchdog(this.requestTimeoutMs);
    const stalled = (caught: unknown) =>
      new CosError('TIMEOUT', `Get Object made no progress for ${Math.round(this.requestTimeoutMs / 1000)} s: the connection stalled.`, { retryable: true, cause: caught });
    let res: Dispatcher.ResponseData;
    try {
      res = await this.dispatcher.request({
        origin: this.endpoint.origin,
        path: objectPath(args.key),
        method: 'GET',
        headers: this.signedHeaders(spec, credentials),
        signal: signal ? AbortSignal.any([signal, watchdog.signal]) : watchdog.signal,
      });
    } catch (caught) {
      watchdog.stop();
      if (signal?.aborted) throw abortError(signal);
      throw watchdog.fired ? stalled(caught) : this.toCosError(caught, spec);
    }
    const flat = flattenHeaders(res.headers);
    if (res.statusCode !== 206) {
      watchdog.stop();
      const text = await readCapped(res.body, MAX_RESPONSE_BYTES).catch(() => '');
      if (res.statusCode === 412) {
        throw new CosError('OBJECT_CHANGED', `${args.key} changed on COS while it was being downloaded (its ETag is no longer ${args.ifMatch ?? 'the one first seen'}); download it again.`, {
          requestId: flat['x-cos-request-id'],
        });
      }
      throw this.serviceError('Get Object', res.statusCode, flat, parseErrorDocument(text), text, undefined, Boolean(credentials.sessionToken));
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
}

/** A 206 answer of getObjectRange: its headers, and its body as chunks. */
export interface RangeAnswer {
  headers: Record<string, string>;
  requestId?: string;
  chunks(): AsyncGenerator<Buffer>;
  cancel(): void;
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

function bodyFor(spec: RequestSpec, watchdog: Watchdog): Dispatcher.DispatchOptions['body'] {
  const body = spec.body;
  if (body === undefined) return undefined;
  if (typeof body === 'string' || body.length === 0 || !spec.onBodyProgress) {
    return body;
  }
  const onProgress = spec.onBodyProgress;
  const sliceSize = Math.min(MAX_BODY_SLICE, Math.max(MIN_BODY_SLICE, Math.ceil(body.length / SLICES_PER_BODY)));
  // undici accepts async iterables as bodies (docs/api/Dispatcher.md); its typings lag behind.
  return (async function* slices() {
    for (let offset = 0; offset < body.length; offset += sliceSize) {
      const end = Math.min(offset + sliceSize, body.length);
      yield body.subarray(offset, end);
      // Resumed only when undici asks for more, i.e. the previous slice was written.
      watchdog.touch();
      onProgress(end);
    }
  })() as unknown as Dispatcher.DispatchOptions['body'];
}

async function readCapped(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      body.destroy();
      throw new CosError('BAD_RESPONSE', `The server sent more than ${limit} bytes where a short XML answer was expected: the endpoint may not be COS.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Fails an attempt that makes no progress: the socket accepts nothing, or no answer comes. */
class Watchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  fired = false;

  constructor(private readonly ms: number) {
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  touch(): void {
    // Touched for every body slice: refresh() re-arms the one timer instead of allocating another.
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new Error('stalled'));
    }, this.ms);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

