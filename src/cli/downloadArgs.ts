/**
 * `cos-upload download <key> [dest]`: flags and usage text. Pure, like args.ts, whose helpers it
 * reuses; the command itself is in download.ts.
 */

import * as path from 'node:path';
import type { UploadOptions } from '../core/types';
import { defaultStateDir } from './cliEnvironment';
import { strictParse } from './flagTable';
import { parseSse, parseTuning } from './uploadOptionFlags';
import { UsageError } from './usageError';

export interface DownloadCommand {
  command: 'download';
  key: string;
  /** Absolute; when it is an existing folder the file is the key's last segment inside it (download.ts). */
  dest: string;
  bucket: string;
  region: string;
  endpoint?: string;
  accelerate: boolean;
  options: Partial<Pick<UploadOptions, 'partSize' | 'concurrency' | 'maxConcurrency' | 'retries' | 'sse'>>;
  stateDir: string;
  overwrite: boolean;
  quiet: boolean;
  json: boolean;
  verbose: boolean;
}

const DOWNLOAD_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  bucket: { type: 'string', short: 'b' },
  region: { type: 'string', short: 'r' },
  endpoint: { type: 'string' },
  accelerate: { type: 'boolean' },
  'part-size': { type: 'string' },
  concurrency: { type: 'string' },
  'max-concurrency': { type: 'string' },
  retries: { type: 'string' },
  sse: { type: 'string' },
  'state-dir': { type: 'string' },
  overwrite: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

export const DOWNLOAD_HELP = `Usage: cos-upload download <key> [dest] --bucket <name-appid> --region <region> [options]

Downloads one object with parallel ranged GETs into <dest>.cosdownload, checks the whole file's
CRC64 against the one COS holds, and only then renames it to <dest>. A cancelled or failed download
keeps the temporary file and a checkpoint: run the same command again to fetch only what is missing.
If the object changes on COS meanwhile, the download stops (error OBJECT_CHANGED).

Credentials come from the environment: COS_SECRET_ID, COS_SECRET_KEY, COS_SESSION_TOKEN (STS), and
COS_SSE_C_KEY for --sse SSE-C.

Arguments:
  <key>                             the object key (prefix downloads, "dir/", are not supported yet)
  [dest]                            file to write, or an existing folder (default: the key's last
                                    segment in the current folder)

Options:
  -b, --bucket <name-appid>         e.g. examplebucket-1250000000
  -r, --region <region>             e.g. ap-guangzhou
      --endpoint <url> | --accelerate
      --part-size <size|auto>       bytes per ranged GET (default auto: as for uploads)
      --concurrency <n>             ranges in flight at the start (default 4)
      --max-concurrency <n>         upper bound when concurrency adapts (default 16)
      --retries <n>                 attempts per range after the first (default 5)
      --sse SSE-C                   the object is encrypted with the key in COS_SSE_C_KEY
      --state-dir <dir>             where checkpoints live (default as for upload; downloads use
                                    its downloads/ subfolder)
      --overwrite                   replace an existing file at <dest>
  -q, --quiet                       only the summary or the error
      --json                        one JSON object per line on stdout
      --verbose                     debug log lines on stderr
`;

export function parseDownload(args: string[], env: NodeJS.ProcessEnv, cwd: string = process.cwd()): DownloadCommand | { command: 'help'; topic: 'download' } | { command: 'version' } {
  const { values, positionals } = strictParse(args, DOWNLOAD_OPTIONS);
  if (values.help) return { command: 'help', topic: 'download' };
  if (values.version) return { command: 'version' };
  if (positionals.length === 0) throw new UsageError('Name the object to download: cos-upload download <key> [dest] --bucket <name-appid> --region <region>');
  if (positionals.length > 2) throw new UsageError(`Download takes a key and at most one destination; quote names with spaces: ${positionals.join(' ')}`);
  const key = positionals[0];
  if (key.endsWith('/')) throw new UsageError(`Downloading a prefix (a "folder") is not supported yet; name one object: ${key}`);
  if (!values.bucket) throw new UsageError('Missing --bucket: give the bucket as <name>-<appid>, e.g. --bucket examplebucket-1250000000');
  if (!values.region) throw new UsageError('Missing --region: give the COS region, e.g. --region ap-guangzhou');
  if (values.accelerate && values.endpoint) throw new UsageError('Use either --endpoint or --accelerate, not both');

  const { partSize, concurrency, maxConcurrency, retries } = parseTuning(values);
  const options: DownloadCommand['options'] = { partSize, concurrency, maxConcurrency, retries };
  if (values.sse !== undefined) {
    const sse = parseSse({ sse: values.sse }, env);
    // SSE-COS and SSE-KMS objects download like any other; only a customer key must be sent.
    if (sse.type !== 'SSE-C' && sse.type !== 'none') throw new UsageError(`Downloads need --sse only for SSE-C objects (COS decrypts ${sse.type} itself): ${values.sse}`);
    options.sse = sse;
  }
  return {
    command: 'download',
    key,
    dest: destinationFor(key, positionals[1], cwd),
    bucket: values.bucket,
    region: values.region,
    ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
    accelerate: values.accelerate ?? false,
    options,
    stateDir: values['state-dir'] !== undefined ? path.resolve(values['state-dir']) : defaultStateDir(env),
    overwrite: values.overwrite ?? false,
    quiet: values.quiet ?? false,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
  };
}

/** `dest` as given, absolute; one ending in a separator names a folder, to hold the key's last segment. */
function destinationFor(key: string, dest: string | undefined, cwd: string): string {
  const resolved = path.resolve(cwd, dest ?? '.');
  return dest !== undefined && /[\\/]$/.test(dest) ? path.join(resolved, lastSegment(key)) : resolved;
}

export function lastSegment(key: string): string {
  return key.split('/').filter(Boolean).pop() ?? key;
}
