import type { Dispatcher } from 'undici';
import {
  buildDeleteBody,
  listAll,
  listObjectsQuery,
  parseDeleteResult,
  parseListBucketResult,
  type DeleteObjectsResult,
  type ListedObject,
  type ListObjectsQuery,
  type ObjectListingPage,
} from './bucketListing';
import { cosServiceError } from './cosErrorMap';
import { objectPath, resolveEndpoint, type ResolvedEndpoint } from './endpoint';
import { CompleteLostError, CosError, type CosServiceError } from './errors';
import { RequestSender, type ClientEvents, type CosResponse, type Operation, type RangeAnswer } from './requestSender';

export type { ClientEvents, RangeAnswer } from './requestSender';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry';
import { presignQuery } from './signer';
import { assertEndpointTransport, createDispatcher, type TransportOptions } from './transport';
import type { BucketTarget, CredentialSource, Logger } from './types';
import { silentLogger } from './types';
import {
  buildCompleteBody,
  parseCompleteResult,
  parseInitiateResult,
  parseListMultipartUploadsResult,
  parseListPartsResult,
  type ListedPart,
  type ListedUpload,
} from './xml';
import type { CosErrorDocument } from './xmlReading';

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
  contentType?: string;
  cacheControl?: string;
  /** Absent for STANDARD: COS only sends x-cos-storage-class for the other classes. */
  storageClass?: string;
  /** x-cos-server-side-encryption (AES256, cos/kms), or SSE-C's customer algorithm. */
  serverSideEncryption?: string;
  /** x-cos-meta-* headers, by the name after the prefix. */
  metadata?: Record<string, string>;
  /** Every response header, lower-case names (sync compares the object's headers with the wanted ones). */
  headers: Record<string, string>;
}

export interface CompleteMultipartResult {
  etag: string;
  location?: string;
  crc64?: string;
  requestId?: string;
}

/** One client per bucket target: the COS API calls. Signing, sending and retrying are RequestSender's (requestSender.ts). */
export class CosClient {
  readonly endpoint: ResolvedEndpoint;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly sender: RequestSender;

  constructor(private readonly options: CosClientOptions) {
    this.endpoint = resolveEndpoint(options.target);
    const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
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
          headersTimeout: requestTimeoutMs * 2,
          bodyTimeout: requestTimeoutMs * 2,
        },
        options.transport,
      );
      this.ownsDispatcher = true;
    }
    this.sender = new RequestSender({
      endpoint: this.endpoint,
      dispatcher: this.dispatcher,
      credentials: options.credentials,
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      logger: options.logger ?? silentLogger,
      requestTimeoutMs,
      // COS checks the signature when a request starts, and each attempt is signed just before it is
      // sent: 5 minutes covers connecting and uncorrected clock drift, and limits replay of a leaked header.
      signatureTtlSeconds: options.signatureTtlSeconds ?? 300,
      events: options.events ?? {},
      clockOffsetMs: options.clockOffsetMs ?? 0,
    });
  }

  /** Server time minus local time, learned from RequestTimeTooSkewed answers. */
  get clockOffset(): number {
    return this.sender.clockOffset;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  async initiateMultipartUpload(key: string, headers: Record<string, string>, signal?: AbortSignal): Promise<{ uploadId: string; requestId?: string }> {
    const res = await this.sender.send({ operation: 'Initiate Multipart Upload', method: 'POST', key, query: { uploads: '' }, headers, signal });
    return { uploadId: this.parse(res, parseInitiateResult).uploadId, requestId: res.requestId };
  }

  async uploadPart(
    args: { key: string; uploadId: string; partNumber: number; data: Buffer; contentMd5?: string; headers?: Record<string, string> },
    signal?: AbortSignal,
    onBodyProgress?: (sent: number) => void,
  ): Promise<PartResult> {
    const res = await this.sender.send({
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
    const res = await this.sender.send({ operation: 'Put Object', method: 'PUT', key, headers, body: data, onBodyProgress, signal });
    return this.objectWriteResult(res, 'Put Object');
  }

  /** All parts, every page. */
  async listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<ListedPart[]> {
    const parts: ListedPart[] = [];
    let marker: string | undefined;
    for (let page = 0; ; page++) {
      const query: Record<string, string> = { uploadId, 'max-parts': '1000' };
      if (marker) query['part-number-marker'] = marker;
      const res = await this.sender.send({ operation: 'List Parts', method: 'GET', key, query, signal });
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
    const res = await this.sender.send({ operation: 'List Parts', method: 'GET', key, query: { uploadId, 'max-parts': '1' }, signal });
    this.parse(res, parseListPartsResult);
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }>,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<CompleteMultipartResult> {
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    let result: Exclude<ReturnType<typeof parseCompleteResult>, { error: CosErrorDocument }> | undefined;
    // Kept so a retry that finds the upload gone can say the first Complete failed, not that it was aborted.
    let failedIn200: CosServiceError | undefined;
    const res = await this.sender.send({
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
          failedIn200 = cosServiceError({ operation: 'Complete Multipart Upload', status: answer.status, headers: answer.headers, doc: parsed.error, body: answer.body });
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
    await this.sender.send({ operation: 'Abort Multipart Upload', method: 'DELETE', key, query: { uploadId }, signal });
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
      const res = await this.sender.send({ operation: 'List Multipart Uploads', method: 'GET', key: '', query, signal });
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
    const res = await this.sender.send({ operation: 'Head Object', method: 'HEAD', key, headers, signal, okStatuses: [404] });
    if (res.status === 404) return undefined;
    const size = Number(res.headers['content-length']);
    const h = res.headers;
    const metadata = Object.fromEntries(
      Object.entries(h)
        .filter(([name]) => name.startsWith('x-cos-meta-'))
        .map(([name, value]) => [name.slice('x-cos-meta-'.length), value]),
    );
    return {
      size: Number.isFinite(size) ? size : -1,
      etag: h.etag ?? '',
      crc64: h['x-cos-hash-crc64ecma'],
      lastModified: h['last-modified'],
      contentType: h['content-type'],
      cacheControl: h['cache-control'],
      storageClass: h['x-cos-storage-class'],
      serverSideEncryption: h['x-cos-server-side-encryption'] ?? h['x-cos-server-side-encryption-customer-algorithm'],
      ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
      headers: h,
    };
  }

  /** A GET URL with the signature in the query string, valid for `expiresSeconds`. */
  async presignUrl(key: string, expiresSeconds: number, signal?: AbortSignal): Promise<string> {
    const credentials = await this.options.credentials.get(signal);
    const query = presignQuery(
      { method: 'GET', pathname: `/${key}`, headers: { host: this.endpoint.host } },
      { credentials, nowMs: Date.now() + this.sender.clockOffset, expiresSeconds },
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

  // Bucket listing and Delete Multiple Objects (request pieces and parsing in bucketListing.ts).

  /** One GET Bucket page; keys travel URL-encoded and come back decoded. */
  async listObjectsPage(query: ListObjectsQuery, signal?: AbortSignal): Promise<ObjectListingPage> {
    const res = await this.sender.send({ operation: 'List Objects', method: 'GET', key: '', query: listObjectsQuery(query), signal });
    return this.parse(res, parseListBucketResult);
  }

  /** Every object whose key starts with `prefix`, every page. */
  async listAllObjects(prefix: string, signal?: AbortSignal, onPage?: (page: ObjectListingPage) => void): Promise<ListedObject[]> {
    return listAll((marker) => this.listObjectsPage({ prefix, marker }, signal), onPage);
  }

  /** Deletes up to 1,000 keys in one Delete Multiple Objects request; refused keys come back with COS's reason. */
  async deleteObjects(keys: readonly string[], signal?: AbortSignal): Promise<DeleteObjectsResult> {
    const { body, contentMd5 } = buildDeleteBody(keys);
    const headers = { 'content-type': 'application/xml', 'content-md5': contentMd5 };
    const res = await this.sender.send({ operation: 'Delete Multiple Objects', method: 'POST', key: '', query: { delete: '' }, headers, body, signal });
    return this.parse(res, (text) => parseDeleteResult(text, keys));
  }

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
    return this.sender.stream({ operation: 'Get Object', method: 'GET', key: args.key, headers, signal }, 206, (status, answerHeaders) =>
      status === 412
        ? new CosError('OBJECT_CHANGED', `${args.key} changed on COS while it was being downloaded (its ETag is no longer ${args.ifMatch ?? 'the one first seen'}); download it again.`, {
            requestId: answerHeaders['x-cos-request-id'],
          })
        : undefined,
    );
  }
}
