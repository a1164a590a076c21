import { ConfigError } from './errors';
import { validateHeaderRules, validateTagging } from './objectHeaderRules';
import { MAX_PART_SIZE, MIN_PART_SIZE } from './partPlan';
import type { ServerSideEncryption, UploadOptions } from './types';

/** x-cos-traffic-limit bounds in bit/s (100 KB/s .. 100 MB/s); COS answers 400 outside them. */
export const TRAFFIC_LIMIT_MIN = 819_200;
export const TRAFFIC_LIMIT_MAX = 838_860_800;
export const MAX_CONCURRENCY = 64;

/** Storage classes COS accepts for x-cos-storage-class on upload. */
export const STORAGE_CLASSES: ReadonlyArray<string> = [
  'STANDARD',
  'STANDARD_IA',
  'INTELLIGENT_TIERING',
  'ARCHIVE',
  'DEEP_ARCHIVE',
  'MAZ_STANDARD',
  'MAZ_STANDARD_IA',
  'MAZ_INTELLIGENT_TIERING',
];
export const MAX_RETRIES = 20;

/** Defaults chosen from the benchmark (see README "Why these defaults"). */
export function defaultUploadOptions(): UploadOptions {
  return {
    partSize: 'auto',
    concurrency: 4,
    maxConcurrency: 16,
    retries: 5,
    contentMd5: false,
    multipartThreshold: 8 * 1024 * 1024,
    sse: { type: 'none' },
    requestTimeoutMs: 60_000,
  };
}

/** Merges `partial` over the defaults and rejects anything out of range before a request is sent. */
export function resolveUploadOptions(partial: Partial<UploadOptions> = {}): UploadOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const options: UploadOptions = { ...defaultUploadOptions(), ...defined };
  if (partial.concurrency !== undefined && partial.maxConcurrency === undefined) {
    // A user who picks a concurrency expects it to hold unless they also allow more.
    options.maxConcurrency = Math.max(options.concurrency, Math.min(options.maxConcurrency, options.concurrency));
  }
  validateUploadOptions(options);
  return options;
}

function requireInteger(field: string, value: number, min: number, max: number, unit = ''): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, `${field} ${String(value)}${unit} is out of range: use a whole number from ${min} to ${max}${unit}.`);
  }
}

export function validateUploadOptions(options: UploadOptions): void {
  if (options.partSize !== 'auto') {
    if (!Number.isInteger(options.partSize) || options.partSize < MIN_PART_SIZE || options.partSize > MAX_PART_SIZE) {
      throw new ConfigError('partSize', `Part size ${String(options.partSize)} bytes is out of range: use 1 MiB (1048576) to 5 GiB (5368709120), or auto.`);
    }
  }
  requireInteger('concurrency', options.concurrency, 1, MAX_CONCURRENCY);
  requireInteger('maxConcurrency', options.maxConcurrency, options.concurrency, MAX_CONCURRENCY);
  requireInteger('retries', options.retries, 0, MAX_RETRIES);
  requireInteger('multipartThreshold', options.multipartThreshold, 0, MAX_PART_SIZE, ' bytes');
  if (typeof options.contentMd5 !== 'boolean') {
    throw new ConfigError('contentMd5', `contentMd5 must be true or false, not ${JSON.stringify(options.contentMd5)}.`);
  }
  requireInteger('requestTimeoutMs', options.requestTimeoutMs, 100, 3_600_000, ' ms');
  if (options.trafficLimit !== undefined) {
    requireInteger('trafficLimit', options.trafficLimit, TRAFFIC_LIMIT_MIN, TRAFFIC_LIMIT_MAX, ' bit/s');
  }
  for (const field of ['partSizeMax', 'partSizeMin', 'partCountMax', 'partCountMin'] as const) {
    const value = options[field];
    if (value !== undefined) requireInteger(field, value, 1, Number.MAX_SAFE_INTEGER);
  }
  validateSse(options.sse);
  if (options.metadata) {
    for (const [name, value] of Object.entries(options.metadata)) {
      if (!/^[A-Za-z0-9-]+$/.test(name)) {
        throw new ConfigError('metadata', `Metadata name is invalid: "${name}". Use letters, digits and hyphens only.`);
      }
      if (/[\r\n]/.test(value)) {
        throw new ConfigError('metadata', `Metadata value for "${name}" contains a line break: remove it.`);
      }
    }
  }
  if (options.storageClass !== undefined && !/^[A-Z_]+$/.test(options.storageClass)) {
    throw new ConfigError('storageClass', `Storage class is invalid: "${options.storageClass}". Use a COS class such as STANDARD, STANDARD_IA or ARCHIVE.`);
  }
  if (options.tagging !== undefined) validateTagging(options.tagging, 'tagging');
  // Normalized in place (lower-case names, trimmed values) so every request sends the same text.
  if (options.headerRules !== undefined) options.headerRules = validateHeaderRules(options.headerRules, 'headers');
}

function validateSse(sse: ServerSideEncryption): void {
  if (sse.type === 'SSE-C') {
    const raw = /^[A-Za-z0-9+/]+={0,2}$/.test(sse.key) ? Buffer.from(sse.key, 'base64') : Buffer.alloc(0);
    if (raw.length !== 32) {
      // The key itself is never echoed: it is a secret.
      throw new ConfigError('sse', `SSE-C key is invalid: it must be 32 bytes, base64-encoded (44 characters); got ${raw.length} bytes.`);
    }
  }
  if (sse.type === 'SSE-KMS' && sse.context !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(sse.context)) {
    throw new ConfigError('sse', 'SSE-KMS context is invalid: it must be base64-encoded JSON.');
  }
}
