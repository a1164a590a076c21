import * as vscode from 'vscode';
import type { Logger } from '../../core';

type Level = 'debug' | 'info' | 'warn' | 'error';

/** What the log needs from a LogOutputChannel; a fake in tests. */
export type LogSink = Pick<vscode.LogOutputChannel, 'debug' | 'info' | 'warn' | 'error' | 'show' | 'dispose'>;

const REDACTED = '***';
/** Signature parts that must never reach the log even if a caller passes a URL or header through. */
const SIGNATURE_PATTERNS: RegExp[] = [
  /(q-signature=)[0-9a-f]+/gi,
  /(q-ak=)[^&\s]+/gi,
  /(x-cos-security-token[=:]\s*)[^&\s]+/gi,
  /(authorization[=:]\s*)[^\s,]+/gi,
];

/**
 * The "COS Upload" log. Log lines stay English (they end up in support tickets). A ring buffer of
 * recent lines backs the test API, because a LogOutputChannel cannot be read back.
 * Any secret registered with {@link addSecret} is masked, as are signature fields, so a careless
 * caller cannot leak one.
 */
export class UploadLog implements Logger, vscode.Disposable {
  private readonly recent: string[] = [];
  private readonly secrets = new Set<string>();
  /** A disposed channel throws on every write; uploads still stopping at shutdown may log after that. */
  private disposed = false;

  constructor(
    private readonly sink: LogSink = vscode.window.createOutputChannel('COS Upload', { log: true }),
    private readonly capacity = 5000,
  ) {}

  debug(message: string): void {
    this.write('debug', message);
  }

  info(message: string): void {
    this.write('info', message);
  }

  warn(message: string): void {
    this.write('warn', message);
  }

  error(message: string): void {
    this.write('error', message);
  }

  /** Masks `value` in every later line. Short values are ignored: masking "a" would garble the log. */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 6) this.secrets.add(value);
  }

  /** The last lines written (oldest first), as `[level] message`. */
  recentLines(): readonly string[] {
    return [...this.recent];
  }

  show(): void {
    this.sink.show(true);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.sink.dispose();
  }

  private write(level: Level, message: string): void {
    const clean = this.scrub(message);
    this.recent.push(`[${level}] ${clean}`);
    if (this.recent.length > this.capacity) this.recent.splice(0, this.recent.length - this.capacity);
    if (!this.disposed) this.sink[level](clean);
  }

  private scrub(message: string): string {
    let text = message;
    for (const secret of this.secrets) text = text.split(secret).join(REDACTED);
    for (const pattern of SIGNATURE_PATTERNS) text = text.replace(pattern, `$1${REDACTED}`);
    return text;
  }
}
