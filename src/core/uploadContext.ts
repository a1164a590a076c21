import type { AdaptiveConcurrency } from './adaptiveConcurrency';
import { CosClient } from './cosClient';
import { CosServiceError, describeError } from './errors';
import { sharedHashPool } from './hashPool';
import type { PartDigest } from './integrity';
import type { UploadRequest } from './multipartUpload';
import type { ProgressTracker } from './progress';
import type { SourceFile } from './sourceFile';
import type { CrcEngineName, Logger, UploadEvent, UploadOptions } from './types';
import { silentLogger } from './types';
import { VerifiedSender, type SendOnce, type VerifiedPart } from './verifiedSend';

export type PartEventFields = Omit<Extract<UploadEvent, { type: 'part' }>, 'type' | 'partCount'>;
type StartEvent = Extract<UploadEvent, { type: 'start' }>;

/**
 * What every step of one upload shares: the request, the resolved options, the open file, the client,
 * the hash pool, the event sink, and what has been learnt on the way (round trip, CRC engine, retries).
 */
export class UploadContext {
  readonly started = Date.now();
  readonly logger: Logger;
  readonly client: CosClient;
  readonly hashes = sharedHashPool();
  readonly sender: VerifiedSender;
  /** Extra attempts per part, counted from the client's retry events. */
  private readonly attempts = new Map<number, number>();
  progress?: ProgressTracker;
  adaptive?: AdaptiveConcurrency;
  /** Duration of Initiate (or List Parts on resume): how far the endpoint is. */
  roundTripMs = 0;
  /** The CRC64 engine parts are hashed with, once the hash pool knows it; the 'start' event waits for it. */
  private crcEngine: Promise<CrcEngineName> = Promise.resolve('typescript');
  /** Events raised after the upload began but before 'start' went out, sent right after it. */
  private held: UploadEvent[] | undefined;

  constructor(
    readonly request: UploadRequest,
    /** Replaced on resume by the options the checkpoint's object was begun with. */
    public options: UploadOptions,
    readonly file: SourceFile,
  ) {
    this.logger = request.logger ?? silentLogger;
    this.sender = new VerifiedSender({
      contentMd5: options.contentMd5,
      sse: () => this.options.sse.type,
      retries: () => this.options.retries,
      md5Of: async (data) => (await this.hashes.digest(data, true)).md5,
      logger: this.logger,
      onSent: (partNumber, bytes) => this.progress?.sent(partNumber, bytes),
      onResend: (partNumber, attempt, error) => {
        this.progress?.reset(partNumber);
        this.emit({ type: 'retry', operation: 'Upload Part', attempt, delayMs: 0, error, partNumber });
      },
    });
    this.client = new CosClient({
      target: request.target,
      credentials: request.credentials,
      logger: this.logger,
      maxConnections: options.maxConcurrency + 1,
      retry: { retries: options.retries },
      requestTimeoutMs: options.requestTimeoutMs,
      dispatcher: request.dispatcher,
      transport: request.transport,
      clockOffsetMs: request.clockOffsetMs,
      events: {
        onRetry: (info) => {
          if (isPushback(info.error)) this.adaptive?.backOff();
          if (info.partNumber !== undefined) {
            this.attempts.set(info.partNumber, (this.attempts.get(info.partNumber) ?? 1) + 1);
            this.progress?.reset(info.partNumber);
          }
          this.emit({ type: 'retry', ...info });
        },
        onClockCorrected: (offsetMs) => this.emit({ type: 'clock-corrected', offsetMs }),
        onCredentialsRefreshed: () => this.emit({ type: 'credentials-refreshed' }),
      },
    });
  }

  /** Closes the client; the file belongs to the caller that opened it. */
  async dispose(): Promise<void> {
    await this.client.close().catch(() => undefined);
  }

  emit(event: UploadEvent): void {
    if (this.held) {
      this.held.push(event);
      return;
    }
    try {
      this.request.onEvent?.(event);
    } catch (error) {
      this.logger.warn(`An upload event listener threw: ${describeError(error)}`);
    }
  }

  /** The hash worker boots (about 25 ms) while Initiate is in flight: neither waits for the other. */
  startHashing(): void {
    this.crcEngine = this.hashes.statusFor(this.file.size).then((hashing) => {
      this.logger.info(
        `CRC64 engine: ${hashing.name}; hashing on ${hashing.threaded ? `a worker thread${hashing.nice !== undefined ? ` (nice ${hashing.nice})` : ''}` : 'the calling thread'}; ` +
          (this.sender.sendsMd5 ? 'each part carries Content-MD5 and its CRC64 is checked' : "each part's CRC64 is checked against COS's (no Content-MD5)"),
      );
      return hashing.name;
    });
  }

  /**
   * Emits 'start' once the CRC64 engine is known, without making the bytes wait for it: a part needs
   * its hash only when COS answers, and the hash worker can take longer to boot than Initiate. Events
   * raised meanwhile (bytes sent, a part done) follow 'start' in order. Resolves once 'start' is out.
   */
  announceStart(event: Omit<StartEvent, 'type' | 'crcEngine'>): Promise<void> {
    this.held = [];
    return this.crcEngine.catch((): CrcEngineName => 'typescript').then((crcEngine) => {
      const held = this.held ?? [];
      this.held = undefined;
      this.emit({ type: 'start', ...event, crcEngine });
      for (const later of held) this.emit(later);
    });
  }

  elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** Sends and checks one part (VerifiedSender), and describes it for the 'part' event. */
  async sendPart(
    partNumber: number,
    data: Buffer,
    digest: PartDigest | Promise<PartDigest>,
    signal: AbortSignal | undefined,
    sendOnce: SendOnce,
  ): Promise<VerifiedPart & { event: PartEventFields }> {
    const sent = await this.sender.send(partNumber, data, digest, sendOnce, signal);
    // Client-level retries (this.attempts) and integrity resends both count as attempts.
    const attempt = (this.attempts.get(partNumber) ?? 1) + sent.sends - 1;
    return {
      ...sent,
      event: { partNumber, bytes: data.length, etag: sent.etag, crc64: sent.crc64, requestId: sent.requestId, attempt, durationMs: sent.durationMs },
    };
  }
}

/** The server says it is overloaded: fewer connections, not just a later retry. */
export function isPushback(error: Error): boolean {
  return error instanceof CosServiceError && (error.status === 503 || error.status === 429 || error.cosCode === 'SlowDown');
}
