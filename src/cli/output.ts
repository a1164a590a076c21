/**
 * What `cos-upload` prints. Formatting is pure (unit-tested); {@link UploadReporter} decides where
 * each line goes: per-part lines and the summary on stdout, the live progress line on stderr and
 * only on a terminal, so `--json` stdout stays one JSON object per line for scripts.
 */

// Straight from the core's files, not its index: argument errors are printed without loading the uploader.
import { CosError, CosServiceError } from '../core/errors';
import { formatBytes, formatRate } from '../core/sizes';
import type { UploadEvent, UploadResult } from '../core/types';

/** The bits of a stream the reporter uses; process.stdout/stderr fit, and so do test doubles. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliStreams {
  stdout: OutputStream;
  stderr: OutputStream;
}

type PartEvent = Extract<UploadEvent, { type: 'part' }>;
type StartEvent = Extract<UploadEvent, { type: 'start' }>;
type ProgressEvent = Extract<UploadEvent, { type: 'progress' }>;
type RetryEvent = Extract<UploadEvent, { type: 'retry' }>;
type RestartedEvent = Extract<UploadEvent, { type: 'restarted' }>;

/** `part 3/12  8.0 MiB  etag="…"  request-id=…  crc64=…  attempt 1  412 ms` */
export function formatPartLine(event: PartEvent): string {
  return [
    `part ${event.partNumber}/${event.partCount}`,
    formatBytes(event.bytes),
    `etag=${event.etag}`,
    `request-id=${event.requestId ?? '-'}`,
    `crc64=${event.crc64}`,
    `attempt ${event.attempt}`,
    `${Math.round(event.durationMs)} ms`,
  ].join('  ');
}

export function partJson(event: PartEvent): Record<string, unknown> {
  return {
    type: 'part',
    partNumber: event.partNumber,
    partCount: event.partCount,
    bytes: event.bytes,
    etag: event.etag,
    requestId: event.requestId ?? null,
    crc64: event.crc64,
    attempt: event.attempt,
    ms: Math.round(event.durationMs),
  };
}

export function formatStartLine(event: StartEvent, destination: string): string {
  const size = `${formatBytes(event.fileSize)} (${event.fileSize} bytes)`;
  const how = event.multipart
    ? `in ${event.partCount} part${event.partCount === 1 ? '' : 's'} of ${formatBytes(event.partSize)}`
    : 'in one request';
  const resumed = event.resumedParts > 0 ? `, resuming upload ${event.uploadId ?? ''}: ${event.resumedParts} part(s) already on COS` : '';
  return `uploading ${size} to ${destination} ${how}, crc64 ${event.crcEngine}${resumed}`;
}

export function startJson(event: StartEvent): Record<string, unknown> {
  return {
    type: 'start',
    key: event.key,
    uploadId: event.uploadId ?? null,
    fileSize: event.fileSize,
    partSize: event.partSize,
    partCount: event.partCount,
    resumedParts: event.resumedParts,
    multipart: event.multipart,
    crcEngine: event.crcEngine,
  };
}

export function formatRetryLine(event: RetryEvent): string {
  const code = CosError.is(event.error) ? event.error.code : event.error.name;
  return `retry ${event.operation} (attempt ${event.attempt + 1}) in ${Math.round(event.delayMs)} ms after ${code}: ${event.error.message}`;
}

export function retryJson(event: RetryEvent): Record<string, unknown> {
  return {
    type: 'retry',
    operation: event.operation,
    partNumber: event.partNumber ?? null,
    attempt: event.attempt,
    delayMs: Math.round(event.delayMs),
    code: CosError.is(event.error) ? event.error.code : event.error.name,
    message: event.error.message,
  };
}

/** A checkpoint could not be resumed: said plainly, since every part is about to be sent again. */
export function formatRestartedLine(event: RestartedEvent): string {
  return `starting over: ${event.reason}; upload ${event.previousUploadId} is not resumed and every part is sent again`;
}

export function restartedJson(event: RestartedEvent): Record<string, unknown> {
  return { type: 'restarted', reason: event.reason, previousUploadId: event.previousUploadId };
}

/** The last stdout line under --json. Every field is present (null when unknown) so scripts can index it. */
export function summaryJson(result: UploadResult): Record<string, unknown> {
  return {
    type: 'summary',
    key: result.key,
    uploadId: result.uploadId ?? null,
    etag: result.etag,
    crc64: result.crc64,
    crc64Verified: result.crc64Verified,
    parts: result.parts,
    bytes: result.bytes,
    seconds: Math.round(result.seconds * 1000) / 1000,
    requestId: result.requestId ?? null,
    resumedParts: result.resumedParts,
  };
}

export function formatSummary(result: UploadResult, destination: string): string[] {
  const rate = result.seconds > 0 ? `, ${formatRate(result.bytes / result.seconds)}` : '';
  const resumed = result.resumedParts > 0 ? ` (${result.resumedParts} resumed)` : '';
  const parts = `${result.parts} part${result.parts === 1 ? '' : 's'}${resumed}`;
  return [
    `uploaded ${destination}`,
    `  size       ${formatBytes(result.bytes)} (${result.bytes} bytes) in ${parts}, ${formatSeconds(result.seconds)}${rate}`,
    `  etag       ${result.etag}`,
    `  crc64      ${result.crc64} (${result.crc64Verified ? 'matches COS' : 'not checked: COS sent no CRC64'})`,
    ...(result.uploadId ? [`  upload id  ${result.uploadId}`] : []),
    ...(result.requestId ? [`  request id ${result.requestId}`] : []),
  ];
}

export function formatSeconds(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(1)} s`;
}

/** ETA as m:ss or h:mm:ss; "--:--" while the rate is unknown. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '--:--';
  const total = Math.ceil(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export interface ProgressSnapshot {
  bytesSent: number;
  bytesTotal: number;
  partsDone: number;
  partCount: number;
  concurrency: number;
  /** Bytes per second over the recent window; undefined until there are two samples. */
  rate?: number;
}

/** ` 42.0%  20.1 MiB/48.0 MiB  35.2 MiB/s  ETA 0:01  parts 3/6  concurrency 4` */
export function formatProgressLine(p: ProgressSnapshot): string {
  const fraction = p.bytesTotal > 0 ? Math.min(1, Math.max(0, p.bytesSent / p.bytesTotal)) : 1;
  const percent = `${(fraction * 100).toFixed(1).padStart(5)}%`;
  const sent = Math.min(p.bytesSent, p.bytesTotal);
  const rate = p.rate === undefined ? '-- /s' : formatRate(p.rate);
  const eta = p.rate && p.rate > 0 ? (p.bytesTotal - sent) / p.rate : undefined;
  return [
    percent,
    `${formatBytes(sent)}/${formatBytes(p.bytesTotal)}`,
    rate,
    `ETA ${fraction >= 1 ? '0:00' : formatEta(eta)}`,
    `parts ${p.partsDone}/${p.partCount}`,
    `concurrency ${p.concurrency}`,
  ].join('  ');
}

/** Process exit codes. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** Another upload of the same file to the same key is running (sysexits' EX_TEMPFAIL: try again later). */
export const EXIT_LOCKED = 75;
/** 128 + SIGINT, what shells report for an interrupted command. */
export const EXIT_INTERRUPTED = 130;

interface ErrorLike {
  code: string;
  message: string;
  requestId?: string;
  cause?: unknown;
}

function asErrorLike(error: unknown): ErrorLike {
  if (CosError.is(error)) return error;
  if (error instanceof Error && (error as { code?: unknown }).code === 'USAGE') return error as Error & { code: string };
  if (error instanceof Error) return { code: 'INTERNAL', message: `${error.name}: ${error.message}` };
  return { code: 'INTERNAL', message: String(error) };
}

export function isUsageError(error: unknown): boolean {
  const code = asErrorLike(error).code;
  // INVALID_ARGUMENT comes from the core's own validation, which runs before any request.
  return code === 'USAGE' || code === 'INVALID_ARGUMENT' || code === 'INVALID_HEADER';
}

export function exitCodeFor(error: unknown): number {
  const code = asErrorLike(error).code;
  if (code === 'ABORTED') return EXIT_INTERRUPTED;
  if (code === 'LOCKED') return EXIT_LOCKED;
  return isUsageError(error) ? EXIT_USAGE : EXIT_FAILURE;
}

/**
 * `error CODE: message`, the COS request id when the message does not already carry it, then up to
 * three `caused by:` lines so a NETWORK error shows the socket error behind it.
 */
export function formatErrorLines(error: unknown): string[] {
  const e = asErrorLike(error);
  const lines = [`error ${e.code}: ${e.message}`];
  if (e.requestId && !e.message.includes(e.requestId)) lines.push(`  request id ${e.requestId}`);
  if (error instanceof CosServiceError && error.traceId) lines.push(`  trace id ${error.traceId}`);
  let cause = e.cause;
  for (let depth = 0; depth < 3 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    // Node's system errors already start their message with the code (ENOENT: ...).
    const showCode = typeof code === 'string' && !cause.message.startsWith(code);
    lines.push(`  caused by ${cause.name}${showCode ? ` ${code}` : ''}: ${cause.message}`);
    cause = cause.cause;
  }
  return lines;
}

export function errorJson(error: unknown): Record<string, unknown> {
  const e = asErrorLike(error);
  return { type: 'error', code: e.code, message: e.message, requestId: e.requestId ?? null };
}

/**
 * Replaces every occurrence of a secret with "***". The core never puts a secret in a message;
 * this is the last line of defence, applied to everything the CLI writes.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    // Very short values would blank out ordinary words; real keys and tokens are long.
    if (secret.length >= 6) out = out.split(secret).join('***');
  }
  return out;
}

export interface ReporterOptions {
  json: boolean;
  quiet: boolean;
  /** Shown in the human start line and summary, e.g. cos://bucket/key. */
  destination: string;
  secrets?: readonly string[];
  now?: () => number;
  /** Minimum time between progress redraws. */
  progressIntervalMs?: number;
}

/** How far back the progress rate looks; long enough to smooth part boundaries, short enough to react. */
const RATE_WINDOW_MS = 5_000;
const CLEAR_LINE = '\r\x1b[K';

/** Turns UploadEvents into output lines. One reporter per upload. */
export class UploadReporter {
  private readonly now: () => number;
  private readonly interval: number;
  private readonly live: boolean;
  private samples: Array<{ t: number; bytes: number }> = [];
  private lastDraw = -Infinity;
  private progressShown = false;
  private latest?: ProgressSnapshot;

  constructor(
    private readonly streams: CliStreams,
    private readonly options: ReporterOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.interval = options.progressIntervalMs ?? 200;
    this.live = !options.quiet && streams.stderr.isTTY === true;
  }

  /** Bound so it can be passed straight as `onEvent`. */
  readonly onEvent = (event: UploadEvent): void => {
    if (event.type === 'progress') {
      this.progress(event);
      return;
    }
    // --quiet (with or without --json) leaves only the summary or the error.
    if (this.options.quiet) return;
    const json = this.options.json;
    switch (event.type) {
      case 'start':
        this.out(json ? JSON.stringify(startJson(event)) : formatStartLine(event, this.options.destination));
        break;
      case 'part':
        this.out(json ? JSON.stringify(partJson(event)) : formatPartLine(event));
        break;
      case 'retry':
        if (json) this.out(JSON.stringify(retryJson(event)));
        else this.err(formatRetryLine(event));
        break;
      case 'restarted':
        if (json) this.out(JSON.stringify(restartedJson(event)));
        this.err(formatRestartedLine(event));
        break;
      case 'credentials-refreshed':
        this.err('credentials refreshed');
        break;
      case 'clock-corrected':
        this.err(`local clock is off by ${Math.round(event.offsetMs / 1000)} s; signing with the server's time`);
        break;
      case 'complete':
        break;
    }
  };

  summary(result: UploadResult): void {
    this.clearProgress();
    if (this.options.json) this.out(JSON.stringify(summaryJson(result)));
    else for (const line of formatSummary(result, this.options.destination)) this.out(line);
  }

  /** Prints an error; under --json the last stdout line is then an {type:"error"} object. */
  error(error: unknown): void {
    this.clearProgress();
    for (const line of formatErrorLines(error)) this.err(line);
    if (this.options.json) this.out(JSON.stringify(errorJson(error)));
  }

  /** A human note on stderr (cancellation, resume hints); kept off stdout so --json stays clean. */
  notice(message: string): void {
    this.err(message);
  }

  /** Removes the progress line, e.g. before the process exits. */
  clearProgress(): void {
    if (this.progressShown) {
      this.streams.stderr.write(CLEAR_LINE);
      this.progressShown = false;
    }
  }

  private progress(event: ProgressEvent): void {
    const t = this.now();
    this.samples.push({ t, bytes: event.bytesSent });
    while (this.samples.length > 2 && t - this.samples[0].t > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const elapsed = (t - first.t) / 1000;
    const rate = this.samples.length >= 2 && elapsed > 0 ? Math.max(0, event.bytesSent - first.bytes) / elapsed : undefined;
    this.latest = { ...event, ...(rate !== undefined ? { rate } : {}) };
    const finished = event.partsDone >= event.partCount && event.bytesSent >= event.bytesTotal;
    if (this.live && (finished || t - this.lastDraw >= this.interval)) this.draw(t);
  }

  private draw(t: number): void {
    if (!this.latest) return;
    this.lastDraw = t;
    // A pseudo-terminal without a size reports 0 columns.
    const columns = this.streams.stderr.columns || 80;
    // A line wider than the terminal wraps, and \r then only rewrites its last row.
    const line = formatProgressLine(this.latest).slice(0, Math.max(10, columns - 1));
    this.streams.stderr.write(`${CLEAR_LINE}${this.redacted(line)}`);
    this.progressShown = true;
  }

  private out(line: string): void {
    this.lineAround(() => this.streams.stdout.write(`${this.redacted(line)}\n`));
  }

  private err(line: string): void {
    this.lineAround(() => this.streams.stderr.write(`${this.redacted(line)}\n`));
  }

  /** Lifts the progress line out of the way of a full line and puts it back underneath. */
  private lineAround(write: () => void): void {
    const hadProgress = this.progressShown;
    this.clearProgress();
    write();
    if (hadProgress) this.draw(this.lastDraw);
  }

  private redacted(text: string): string {
    return this.options.secrets ? redact(text, this.options.secrets) : text;
  }
}
