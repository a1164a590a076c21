/**
 * Flags of `cos-upload sync <dir>` and of `cos-upload upload <dir>` (a folder: every file, under
 * the folder's name). Shares the tuning, object and target flags with `upload` (args.ts).
 */

import { statSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_CONCURRENT_FILES } from '../core/sync/syncTypes';
import type { UploadOptions } from '../core/types';
import { stateDirFrom } from './cliEnvironment';
import { COMMON_OPTIONS, OBJECT_OPTIONS, TUNING_OPTIONS, strictParse, type OptionSpec } from './flagTable';
import { parseByteSize, parseInteger } from './flagValues';
import { parseObjectOptions, parseTuning } from './uploadOptionFlags';
import { UsageError } from './usageError';

export interface SyncCommand {
  command: 'sync';
  /** 'sync' skips unchanged files; 'upload-folder' sends every file. */
  mode: 'sync' | 'upload-folder';
  folder: string;
  bucket: string;
  region: string;
  endpoint?: string;
  accelerate: boolean;
  prefix: string;
  deleteRemote: boolean;
  dryRun: boolean;
  /** Send unchanged files again when their object headers drifted. */
  updateHeaders: boolean;
  exclude: string[];
  respectGitignore: boolean;
  maxConcurrentFiles?: number;
  options: Partial<UploadOptions>;
  stateDir: string;
  quiet: boolean;
  json: boolean;
  verbose: boolean;
}

const SYNC_OPTIONS = {
  ...COMMON_OPTIONS,
  ...TUNING_OPTIONS,
  ...OBJECT_OPTIONS,
  bucket: { type: 'string', short: 'b' },
  region: { type: 'string', short: 'r' },
  endpoint: { type: 'string' },
  accelerate: { type: 'boolean' },
  prefix: { type: 'string', short: 'p' },
  delete: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'update-headers': { type: 'boolean' },
  exclude: { type: 'string', multiple: true },
  'no-gitignore': { type: 'boolean' },
  'max-concurrent-files': { type: 'string' },
  'multipart-threshold': { type: 'string' },
  'state-dir': { type: 'string' },
  verbose: { type: 'boolean' },
} as const satisfies OptionSpec;

/**
 * `sync ...`, or `upload <dir> ...` when the one path given is a folder; undefined for anything
 * else (args.ts parses it). Folder detection needs the file system, which is why it is done here.
 */
export function parseSyncCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv): SyncCommand | { command: 'help'; topic: 'sync' } | undefined {
  const [command, ...rest] = argv;
  if (command === 'help' && rest[0] === 'sync') return { command: 'help', topic: 'sync' };
  if (command === 'sync') return parseSync(rest, env, 'sync');
  if (command === 'upload' && namesFolder(rest)) return parseSync(rest, env, 'upload-folder');
  return undefined;
}

/** The first positional of a lenient parse is an existing folder. */
function namesFolder(args: string[]): boolean {
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({ args, options: SYNC_OPTIONS, allowPositionals: true, strict: false }));
  } catch {
    return false;
  }
  if (positionals.length !== 1) return false;
  try {
    return statSync(positionals[0]).isDirectory();
  } catch {
    return false;
  }
}

function parseSync(args: string[], env: NodeJS.ProcessEnv, mode: SyncCommand['mode']): SyncCommand | { command: 'help'; topic: 'sync' } {
  const { values, positionals } = strictParse(args, SYNC_OPTIONS);
  if (values.help) return { command: 'help', topic: 'sync' };
  const verb = mode === 'sync' ? 'sync' : 'upload';
  if (positionals.length === 0) throw new UsageError(`Name the folder: cos-upload ${verb} <dir> --bucket <name-appid> --region <region>`);
  if (positionals.length > 1) throw new UsageError(`${verb} takes one folder; quote names with spaces: ${positionals.join(' ')}`);
  const bucket = values.bucket;
  const region = values.region;
  if (!bucket) throw new UsageError('Missing --bucket: give the bucket as <name>-<appid>, e.g. --bucket examplebucket-1250000000');
  if (!region) throw new UsageError('Missing --region: give the COS region, e.g. --region ap-guangzhou');
  if (values.accelerate && values.endpoint) throw new UsageError('Use either --endpoint or --accelerate, not both');
  if (values['content-type'] !== undefined) throw new UsageError('--content-type names one type for one file; a folder’s files get theirs from their extensions');
  if (mode === 'upload-folder' && values.delete) throw new UsageError('upload sends files and never deletes; use cos-upload sync <dir> --delete to remove remote-only objects');
  const folder = path.resolve(positionals[0]);
  const options: Partial<UploadOptions> = { ...parseTuning(values), ...parseObjectOptions(values, env) };
  if (values['multipart-threshold'] !== undefined) options.multipartThreshold = parseByteSize('--multipart-threshold', values['multipart-threshold']);
  const exclude = (values.exclude ?? []).map((glob) => {
    if (glob.trim() === '') throw new UsageError('--exclude takes a glob such as **/*.log or node_modules: an empty one was given');
    return glob;
  });
  return {
    command: 'sync',
    mode,
    folder,
    bucket,
    region,
    ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
    accelerate: values.accelerate ?? false,
    // upload <dir> puts the folder under its own name, as upload <file> uses the file's name.
    prefix: values.prefix ?? (mode === 'upload-folder' ? `${path.basename(folder)}/` : ''),
    deleteRemote: values.delete ?? false,
    dryRun: values['dry-run'] ?? false,
    updateHeaders: values['update-headers'] ?? false,
    exclude,
    respectGitignore: !values['no-gitignore'],
    ...(values['max-concurrent-files'] !== undefined
      ? { maxConcurrentFiles: parseInteger('--max-concurrent-files', values['max-concurrent-files'], 1, MAX_CONCURRENT_FILES) }
      : {}),
    options,
    stateDir: stateDirFrom(values['state-dir'], env),
    quiet: values.quiet ?? false,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
  };
}
