/**
 * Builds the core's UploadOptions from the flag groups: tuning (how to send) and object flags
 * (what the stored object looks like, server-side encryption included).
 */

import { parseHeaderFlag, validateRuleHeader, validateTagging, type HeaderRule } from '../core/objectHeaderRules';
import type { ServerSideEncryption, UploadOptions } from '../core/types';
import { parseBitRate, parseByteSize, parseContentType, parseInteger, parseMetadata, parseStorageClass } from './flagValues';
import { UsageError } from './usageError';

export interface TuningValues {
  'part-size'?: string;
  concurrency?: string;
  'max-concurrency'?: string;
  retries?: string;
  'traffic-limit'?: string;
  'content-md5'?: boolean;
}

export function parseTuning(values: TuningValues): Partial<UploadOptions> {
  const options: Partial<UploadOptions> = {};
  const partSize = values['part-size'];
  if (partSize !== undefined) {
    options.partSize = partSize.trim().toLowerCase() === 'auto' ? 'auto' : parseByteSize('--part-size', partSize);
  }
  if (values.concurrency !== undefined) options.concurrency = parseInteger('--concurrency', values.concurrency, 1, 1000);
  if (values['max-concurrency'] !== undefined) {
    options.maxConcurrency = parseInteger('--max-concurrency', values['max-concurrency'], 1, 1000);
  } else if (options.concurrency !== undefined) {
    // Asking for N parts in flight means N, not "start at N and grow"; --max-concurrency opts in.
    options.maxConcurrency = options.concurrency;
  }
  if (options.concurrency !== undefined && options.maxConcurrency !== undefined && options.maxConcurrency < options.concurrency) {
    throw new UsageError(`--max-concurrency must be at least --concurrency (${options.concurrency}): ${options.maxConcurrency}`);
  }
  if (values.retries !== undefined) options.retries = parseInteger('--retries', values.retries, 0, 100);
  if (values['traffic-limit'] !== undefined) options.trafficLimit = parseBitRate(values['traffic-limit']);
  if (values['content-md5']) options.contentMd5 = true;
  return options;
}

interface SseValues {
  sse?: string;
  'sse-kms-key-id'?: string;
  'sse-kms-context'?: string;
}

export interface ObjectValues extends SseValues {
  'storage-class'?: string;
  'content-type'?: string;
  meta?: string[];
  header?: string[];
  'cache-control'?: string;
  tagging?: string;
  'forbid-overwrite'?: boolean;
}

export function parseObjectOptions(values: ObjectValues, env: NodeJS.ProcessEnv): Partial<UploadOptions> {
  const options: Partial<UploadOptions> = { sse: parseSse(values, env) };
  if (values['storage-class'] !== undefined) options.storageClass = parseStorageClass(values['storage-class']);
  if (values['content-type'] !== undefined) options.contentType = parseContentType(values['content-type']);
  if (values.meta !== undefined) options.metadata = parseMetadata(values.meta);
  if (values.tagging !== undefined) options.tagging = validateTagging(values.tagging.trim(), '--tagging');
  // --cache-control is a rule for every key, first, so a --header for some keys overrides it.
  const rules: HeaderRule[] = [];
  if (values['cache-control'] !== undefined) {
    const [name, value] = validateRuleHeader('Cache-Control', values['cache-control'], '--cache-control');
    rules.push({ glob: '**', headers: { [name]: value } });
  }
  for (const text of values.header ?? []) rules.push(parseHeaderFlag(text));
  if (rules.length) options.headerRules = rules;
  if (values['forbid-overwrite']) options.forbidOverwrite = true;
  return options;
}

const SSE_TYPES: Record<string, ServerSideEncryption['type']> = {
  none: 'none',
  'sse-cos': 'SSE-COS',
  'sse-kms': 'SSE-KMS',
  'sse-c': 'SSE-C',
};

/** Env var for the SSE-C key: never a flag, since flags end up in shell history and `ps`. */
export const SSE_C_KEY_ENV = 'COS_SSE_C_KEY';

export function parseSse(values: SseValues, env: NodeJS.ProcessEnv): ServerSideEncryption {
  const type = values.sse === undefined ? 'none' : SSE_TYPES[values.sse.trim().toLowerCase()];
  if (type === undefined) throw new UsageError(`--sse takes none, SSE-COS, SSE-KMS or SSE-C: ${values.sse}`);
  const kmsKeyId = values['sse-kms-key-id'];
  const kmsContext = values['sse-kms-context'];
  if (type !== 'SSE-KMS' && (kmsKeyId !== undefined || kmsContext !== undefined)) {
    throw new UsageError('--sse-kms-key-id and --sse-kms-context need --sse SSE-KMS');
  }
  switch (type) {
    case 'none':
      return { type: 'none' };
    case 'SSE-COS':
      return { type: 'SSE-COS' };
    case 'SSE-KMS':
      return {
        type: 'SSE-KMS',
        ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
        ...(kmsContext !== undefined ? { context: parseKmsContext(kmsContext) } : {}),
      };
    case 'SSE-C':
      return { type: 'SSE-C', key: sseCustomerKey(env) };
  }
}

/**
 * COS wants the KMS context as base64 of a JSON object. People type JSON; accept both and send
 * base64, rejecting anything that is neither so a typo does not reach the server as garbage.
 */
function parseKmsContext(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      JSON.parse(trimmed);
    } catch {
      throw new UsageError(`--sse-kms-context is not valid JSON: ${text}`);
    }
    return Buffer.from(trimmed, 'utf8').toString('base64');
  }
  const decoded = Buffer.from(trimmed, 'base64').toString('utf8');
  if (!isBase64(trimmed) || !decoded.trim().startsWith('{')) {
    throw new UsageError(`--sse-kms-context takes a JSON object or its base64: ${text}`);
  }
  return trimmed;
}

function sseCustomerKey(env: NodeJS.ProcessEnv): string {
  const raw = env[SSE_C_KEY_ENV]?.trim();
  // Neither message quotes the value: it is a key.
  if (!raw) throw new UsageError(`--sse SSE-C reads the key from the environment; set ${SSE_C_KEY_ENV} to the base64 of a 32-byte key`);
  if (!isBase64(raw) || Buffer.from(raw, 'base64').length !== 32) {
    throw new UsageError(`${SSE_C_KEY_ENV} must be the base64 of exactly 32 bytes (AES-256); the value set is not`);
  }
  return raw;
}

function isBase64(text: string): boolean {
  return text.length > 0 && text.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(text);
}
