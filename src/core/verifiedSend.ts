import { crc64ToDecimal, parseCrc64 } from './crc64';
import { CosError, IntegrityError } from './errors';
import { etagIsBodyMd5, etagMatchesMd5, type Md5Digest, type PartDigest } from './integrity';
import type { Logger, ServerSideEncryption } from './types';

/** What COS answered to one Upload Part or Put Object. */
export interface SendAnswer {
  etag: string;
  crc64?: string;
  requestId?: string;
}

/** One attempt at sending the part, with Content-MD5 when `contentMd5` is given. */
export type SendOnce = (contentMd5: string | undefined, signal: AbortSignal | undefined, onSent: (bytes: number) => void) => Promise<SendAnswer>;

export interface VerifiedSenderDeps {
  contentMd5: boolean;
  /** Read at each part: a resumed upload takes its encryption from the checkpoint. */
  sse(): ServerSideEncryption['type'];
  retries(): number;
  /** MD5 of a buffer still held, for when COS's answer leaves only the ETag to check. */
  md5Of(data: Buffer): Promise<Md5Digest | undefined>;
  logger: Logger;
  onSent(partNumber: number, bytes: number): void;
  /** The part goes again (its progress must be reset); `error` says why. */
  onResend(partNumber: number, attempt: number, error: CosError): void;
}

export interface VerifiedPart {
  etag: string;
  /** COS returned a CRC64 and it matched. */
  crcVerified: boolean;
  /** The local CRC64, decimal. */
  crc64: string;
  requestId?: string;
  /** How many times the part went; more than one after an integrity failure. */
  sends: number;
  /** Of the send that was accepted. */
  durationMs: number;
}

/**
 * Sends one part (or a whole small object) and checks what COS returns against the local digest:
 * its CRC64 always, its ETag when we have the MD5. A mismatch means the bytes changed on the way,
 * so the part is sent again. When COS returns no CRC64 and no Content-MD5 went, the MD5 is
 * computed from the same buffer (still held) to check the ETag; if the ETag is not an MD5 either,
 * nothing vouches for the bytes, so the part goes again with Content-MD5, as do all later parts.
 */
export class VerifiedSender {
  private md5Always: boolean;

  constructor(private readonly deps: VerifiedSenderDeps) {
    this.md5Always = deps.contentMd5;
  }

  /** Whether parts carry Content-MD5 (so need an MD5 before they go): the option, or on once COS gave nothing else to check. */
  get sendsMd5(): boolean {
    return this.md5Always;
  }

  /**
   * `digest` may still be computing: unless Content-MD5 goes with the part, the bytes are sent while
   * they are hashed, and the CRC64 is awaited only to check COS's answer. The buffer is not touched
   * until this returns, so the hash is still of the bytes that went.
   */
  async send(partNumber: number, data: Buffer, digest: PartDigest | Promise<PartDigest>, sendOnce: SendOnce, signal: AbortSignal | undefined): Promise<VerifiedPart> {
    const { deps } = this;
    const pending = Promise.resolve(digest);
    // A send that fails first must not leave the hash's own failure unhandled.
    pending.catch(() => undefined);
    const sse = deps.sse();
    const etagIsMd5 = etagIsBodyMd5(sse);
    // Content-MD5 has to be known before the part goes; the CRC64 only when COS answers.
    let md5 = this.md5Always || !(digest instanceof Promise) ? (await pending).md5 : undefined;
    let sends = 0;
    for (let integrityAttempt = 1; ; ) {
      const t0 = Date.now();
      const sentWithMd5 = md5 !== undefined;
      const answer = await sendOnce(md5?.base64, signal, (bytes) => deps.onSent(partNumber, bytes));
      sends++;
      const local = await pending;
      md5 ??= local.md5;
      const localCrc = crc64ToDecimal(local.crc64);
      const serverCrc = answer.crc64 === undefined ? undefined : parseCrc64(answer.crc64);
      if (serverCrc === undefined && !sentWithMd5 && etagIsMd5) md5 = await deps.md5Of(data);
      const byEtag = md5 && etagIsMd5 ? etagMatchesMd5(answer.etag, md5.hex) : 'not-md5';
      let failure: CosError | undefined;
      if (answer.crc64 !== undefined && serverCrc !== local.crc64) {
        failure = new IntegrityError(`CRC64 of part ${partNumber}`, localCrc, answer.crc64, { requestId: answer.requestId });
      } else if (byEtag === 'mismatch') {
        failure = new IntegrityError(`ETag (MD5) of part ${partNumber}`, `"${md5?.hex}"`, answer.etag, { requestId: answer.requestId });
      } else if (serverCrc === undefined && !sentWithMd5 && byEtag === 'not-md5') {
        // Not a mismatch, so it does not count against the retries; it happens once, as the next send carries Content-MD5.
        const unchecked = new CosError(
          'INTEGRITY',
          `Part ${partNumber} cannot be checked: COS returned no CRC64 and its ETag is not an MD5${etagIsMd5 ? '' : ` (${sse})`}`,
          { retryable: true, requestId: answer.requestId },
        );
        if (!this.md5Always) {
          this.md5Always = true;
          deps.logger.warn(`${unchecked.message}; sending it again with Content-MD5 (COS checks it), and Content-MD5 with every later part.`);
        }
        md5 ??= await deps.md5Of(data);
        if (!md5) throw unchecked;
        deps.onResend(partNumber, integrityAttempt, unchecked);
        continue;
      }
      if (!failure) {
        return { etag: answer.etag, crcVerified: serverCrc !== undefined, crc64: localCrc, requestId: answer.requestId, sends, durationMs: Date.now() - t0 };
      }
      if (integrityAttempt > deps.retries()) throw failure;
      deps.logger.warn(`${failure.message}; sending part ${partNumber} again.`);
      deps.onResend(partNumber, integrityAttempt, failure);
      integrityAttempt++;
    }
  }
}
