/**
 * `cos-upload download <key> [dest]`: flags and usage text. Pure, like args.ts, whose helpers it
 * reuses; the command itself is in download.ts.
 */

import * as path from 'node:path';
import { isPrefixKey } from '../core/download/prefixPlan';
import { MAX_DOWNLOAD_FILES } from '../core/download/prefixPlan';
import type { UploadOptions } from '../core/types';
import { defaultStateDir } from './cliEnvironment';
import { strictParse } from './flagTable';
import { parseInteger } from './flagValues';
import { parseSse, parseTuning } from './uploadOptionFlags';
import { UsageError } from './usageError';

export interface DownloadCommand {
  command: 'download';
  /** An object key, or a prefix ending in '/' ("/" alone: the whole bucket). */
  key: string;
  /** The key ends in '/': every object under it goes into the folder `dest`. */
  prefix: boolean;
  /**
   * Absolute. For one object: when it is an existing folder the file is the key's last segment
   * inside it (download.ts). For a prefix: the folder the objects go into.
   */
  dest: string;
  /** Prefix downloads only: files at once. */
  fileConcurrency?: number;
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
  'file-concurrency': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

export const DOWNLOAD_HELP = `Usage: cos-upload download <key> [dest] --bucket <name-appid> --region <region> [options]
       cos-upload download <prefix/> [destDir] --bucket <name-appid> --region <region> [options]

Downloads one object with parallel ranged GETs into <dest>.cosdownload, checks the whole file's
CRC64 against the one COS holds, and only then renames it to <dest>. A cancelled or failed download
keeps the temporary file and a checkpoint: run the same command again to fetch only what is missing.
If the object changes on COS meanwhile, the download stops (error OBJECT_CHANGED).

A key ending in "/" is a prefix: every object under it is downloaded the same way into <destDir>,
keeping the key's folders below the prefix ("photos/2024/a/b.jpg" of "photos/" goes to
<destDir>/2024/a/b.jpg), several files at once. "prefix/" folder markers are skipped; a key that
would land outside <destDir> ("..", an absolute path) is refused and reported. One log line per
file; the command goes on after a failed file and exits 1 if any file failed or was refused.

An existing local file is never replaced unless --overwrite is given: without it that file is
refused (for a prefix: reported as failed, the others still download).

One download per destination file at a time: a second one to the same file exits at once with
error LOCKED (exit 75), as uploads do.

Credentials come from the environment: COS_SECRET_ID, COS_SECRET_KEY, COS_SESSION_TOKEN (STS), and
COS_SSE_C_KEY for --sse SSE-C.

Arguments:
  <key>                             the object key, or a prefix ending in "/" ("/": the bucket)
  [dest]                            file to write, or an existing folder (default: the key's last
                                    segment in the current folder)
  [destDir]                         for a prefix: the folder to fill (default: the prefix's last
                                    segment in the current folder; for "/" the current folder)

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
      --overwrite                   replace an existing file at <dest> (for a prefix: any file)
      --file-concurrency <n>        for a prefix: files at once (default 8, at most 64)
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
  const prefix = isPrefixKey(key);
  if (values['file-concurrency'] !== undefined && !prefix) throw new UsageError(`--file-concurrency is for prefix downloads (a key ending in "/"): ${key}`);
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
    prefix,
    dest: prefix ? prefixDestination(key, positionals[1], cwd) : destinationFor(key, positionals[1], cwd),
    ...(values['file-concurrency'] !== undefined ? { fileConcurrency: parseInteger('--file-concurrency', values['file-concurrency'], 1, MAX_DOWNLOAD_FILES) } : {}),
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

/** The folder a prefix fills: `destDir` as given, else the prefix's last segment (the current folder for the root). */
function prefixDestination(prefix: string, destDir: string | undefined, cwd: string): string {
  if (destDir !== undefined) return path.resolve(cwd, destDir);
  return /^\/+$/.test(prefix) ? path.resolve(cwd) : path.resolve(cwd, lastSegment(prefix));
}

export function lastSegment(key: string): string {
  return key.split('/').filter(Boolean).pop() ?? key;
}
