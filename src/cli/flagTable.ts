/** The flag groups several commands share, and the strict node:util parse every command uses. */

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usageError';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const satisfies OptionSpec;

export const TUNING_OPTIONS = {
  'part-size': { type: 'string' },
  concurrency: { type: 'string' },
  'max-concurrency': { type: 'string' },
  retries: { type: 'string' },
  'traffic-limit': { type: 'string' },
  'content-md5': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
} as const satisfies OptionSpec;

/** Flags that shape the object; resume accepts them for the case where it has to start over. */
export const OBJECT_OPTIONS = {
  sse: { type: 'string' },
  'sse-kms-key-id': { type: 'string' },
  'sse-kms-context': { type: 'string' },
  'storage-class': { type: 'string' },
  'content-type': { type: 'string' },
  meta: { type: 'string', multiple: true },
  header: { type: 'string', multiple: true },
  'cache-control': { type: 'string' },
  tagging: { type: 'string' },
  'forbid-overwrite': { type: 'boolean' },
} as const satisfies OptionSpec;

/** Where a command sends: the bucket, its region, and a custom or accelerated endpoint. */
export const TARGET_OPTIONS = {
  bucket: { type: 'string', short: 'b' },
  region: { type: 'string', short: 'r' },
  endpoint: { type: 'string' },
  accelerate: { type: 'boolean' },
} as const satisfies OptionSpec;

export function strictParse<T extends OptionSpec>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util's messages name the flag; main.ts adds where to find the list.
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

export interface TargetValues {
  bucket?: string;
  region?: string;
  endpoint?: string;
  accelerate?: boolean;
}

export interface Target {
  bucket: string;
  region: string;
  endpoint?: string;
  accelerate: boolean;
}

/** The bucket and region every remote command needs, and the endpoint choice, checked together. */
export function parseTarget(values: TargetValues): Target {
  const { bucket, region } = values;
  if (!bucket) throw new UsageError('Missing --bucket: give the bucket as <name>-<appid>, e.g. --bucket examplebucket-1250000000');
  if (!region) throw new UsageError('Missing --region: give the COS region, e.g. --region ap-guangzhou');
  if (values.accelerate && values.endpoint) throw new UsageError('Use either --endpoint or --accelerate, not both');
  return {
    bucket,
    region,
    ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
    accelerate: values.accelerate ?? false,
  };
}
