/**
 * Command-line parsing for `cos-upload`. Pure: takes argv and the environment, returns a typed
 * command or throws UsageError, so every rule here is unit-testable without spawning a process.
 * Values the core validates itself (bucket, region, endpoint, part-size ranges) are checked again
 * by the command before any request, through the core's own validators.
 */

import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
// Straight from the core's files, not its index: `--help` and argument errors must not load the uploader.
import { STORAGE_CLASSES } from '../core/options';
import { parseSize } from '../core/sizes';
import type { Credentials, ServerSideEncryption, UploadOptions } from '../core/types';
import { parseDownload, type DownloadCommand } from './downloadArgs';

/** A mistake in how the command was invoked; the CLI prints it with usage help and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}

export type OnCancel = 'keep' | 'abort';

export interface UploadCommand {
  command: 'upload';
  filePath: string;
  key: string;
  bucket: string;
  region: string;
  endpoint?: string;
  accelerate: boolean;
  options: Partial<UploadOptions>;
  stateDir: string;
  onCancel: OnCancel;
  onFileChanged: 'fail' | 'restart';
  quiet: boolean;
  json: boolean;
  verbose: boolean;
}

/** `cos-upload emulator ...`: the flags go to the emulator's own command line (src/emulator/main.ts). */
export interface EmulatorCommand {
  command: 'emulator';
  argv: string[];
}

export interface DemoCommand {
  command: 'demo';
  size: number;
  options: Partial<UploadOptions>;
  quiet: boolean;
  json: boolean;
}

/**
 * `cos-upload resume`: picks interrupted uploads up from their checkpoints. Target, key and file
 * come from each checkpoint; only how to send (tuning) and, for SSE-C, the key come from here.
 */
export interface ResumeCommand {
  command: 'resume';
  stateDir: string;
  /** Resume the checkpoints of this file (absolute); undefined with --all or when choosing automatically. */
  filePath?: string;
  all: boolean;
  /** Only list the checkpoints, resume nothing. */
  list: boolean;
  /** When a checkpoint's file changed: abort the old upload and start over (else refuse). */
  restart: boolean;
  options: Partial<UploadOptions>;
  onCancel: OnCancel;
  quiet: boolean;
  json: boolean;
  verbose: boolean;
}

export type IncompleteAction =
  | { type: 'list' }
  | { type: 'abort'; uploadId: string; key?: string; dryRun: boolean }
  | { type: 'abort-older-than'; days: number; dryRun: boolean };

/** `cos-upload incomplete`: the unfinished multipart uploads of a bucket, which COS bills for. */
export interface IncompleteCommand {
  command: 'incomplete';
  bucket: string;
  region: string;
  endpoint?: string;
  accelerate: boolean;
  prefix?: string;
  stateDir: string;
  action: IncompleteAction;
  retries?: number;
  json: boolean;
  verbose: boolean;
}

export type HelpTopic = 'upload' | 'demo' | 'resume' | 'incomplete' | 'download';

export type CliCommand =
  | UploadCommand
  | ResumeCommand
  | IncompleteCommand
  | EmulatorCommand
  | DemoCommand
  | DownloadCommand
  | { command: 'help'; topic?: HelpTopic }
  | { command: 'version' };

export { STORAGE_CLASSES };

export const DEFAULT_DEMO_SIZE = 48 * 1024 * 1024;
/** Several parts for the default demo file, so the parallel path is what the demo shows. */
export const DEFAULT_DEMO_PART_SIZE = 8 * 1024 * 1024;

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const satisfies OptionSpec;

const TUNING_OPTIONS = {
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
const OBJECT_OPTIONS = {
  sse: { type: 'string' },
  'sse-kms-key-id': { type: 'string' },
  'sse-kms-context': { type: 'string' },
  'storage-class': { type: 'string' },
  'content-type': { type: 'string' },
  meta: { type: 'string', multiple: true },
  'forbid-overwrite': { type: 'boolean' },
} as const satisfies OptionSpec;

const UPLOAD_OPTIONS = {
  ...COMMON_OPTIONS,
  ...TUNING_OPTIONS,
  bucket: { type: 'string', short: 'b' },
  region: { type: 'string', short: 'r' },
  key: { type: 'string', short: 'k' },
  endpoint: { type: 'string' },
  accelerate: { type: 'boolean' },
  'multipart-threshold': { type: 'string' },
  ...OBJECT_OPTIONS,
  'state-dir': { type: 'string' },
  'on-cancel': { type: 'string' },
  'on-file-changed': { type: 'string' },
  verbose: { type: 'boolean' },
} as const satisfies OptionSpec;

const RESUME_OPTIONS = {
  ...COMMON_OPTIONS,
  ...TUNING_OPTIONS,
  ...OBJECT_OPTIONS,
  'state-dir': { type: 'string' },
  all: { type: 'boolean' },
  list: { type: 'boolean' },
  restart: { type: 'boolean' },
  'on-cancel': { type: 'string' },
  verbose: { type: 'boolean' },
} as const satisfies OptionSpec;

const INCOMPLETE_OPTIONS = {
  ...COMMON_OPTIONS,
  bucket: { type: 'string', short: 'b' },
  region: { type: 'string', short: 'r' },
  endpoint: { type: 'string' },
  accelerate: { type: 'boolean' },
  prefix: { type: 'string' },
  'state-dir': { type: 'string' },
  abort: { type: 'string' },
  key: { type: 'string', short: 'k' },
  'abort-older-than': { type: 'string' },
  'dry-run': { type: 'boolean' },
  retries: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const satisfies OptionSpec;

const DEMO_OPTIONS = {
  ...COMMON_OPTIONS,
  ...TUNING_OPTIONS,
  size: { type: 'string' },
} as const satisfies OptionSpec;

/**
 * Parses `cos-upload <command> ...`. `env` supplies the defaults that come from the environment
 * (state directory, SSE-C key); credentials are read separately by {@link credentialsFromEnv}.
 */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliCommand {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
      return rest[0] === 'emulator' ? { command: 'emulator', argv: ['--help'] } : { command: 'help', topic: helpTopic(rest[0]) };
    case '-h':
    case '--help':
      return { command: 'help' };
    case '-v':
    case '--version':
    case 'version':
      return { command: 'version' };
    case 'upload':
      return parseUpload(rest, env);
    case 'resume':
      return parseResume(rest, env);
    case 'incomplete':
      return parseIncomplete(rest, env);
    case 'emulator':
      return { command: 'emulator', argv: rest };
    case 'download':
      return parseDownload(rest, env);
    case 'demo':
      return parseDemo(rest);
    default:
      throw new UsageError(
        command.startsWith('-')
          ? `Options go after the command, e.g. cos-upload upload <file> ${command}: ${command}`
          : `Unknown command; use upload, download, resume, incomplete, emulator or demo: ${command}`,
      );
  }
}

const HELP_TOPICS: readonly HelpTopic[] = ['upload', 'demo', 'resume', 'incomplete', 'download'];

function helpTopic(word: string | undefined): HelpTopic | undefined {
  return HELP_TOPICS.find((topic) => topic === word);
}

function parseUpload(args: string[], env: NodeJS.ProcessEnv): CliCommand {
  const { values, positionals } = strictParse(args, UPLOAD_OPTIONS);
  if (values.help) return { command: 'help', topic: 'upload' };
  if (values.version) return { command: 'version' };

  if (positionals.length === 0) throw new UsageError('Name the file to upload: cos-upload upload <file> --bucket <name-appid> --region <region>');
  if (positionals.length > 1) throw new UsageError(`Upload takes one file; quote names with spaces: ${positionals.join(' ')}`);
  const bucket = values.bucket;
  const region = values.region;
  if (!bucket) throw new UsageError('Missing --bucket: give the bucket as <name>-<appid>, e.g. --bucket examplebucket-1250000000');
  if (!region) throw new UsageError('Missing --region: give the COS region, e.g. --region ap-guangzhou');

  const filePath = path.resolve(positionals[0]);
  const key = values.key ?? path.basename(filePath);
  if (values.accelerate && values.endpoint) throw new UsageError('Use either --endpoint or --accelerate, not both');

  const options: Partial<UploadOptions> = { ...parseTuning(values), ...parseObjectOptions(values, env) };
  if (values['multipart-threshold'] !== undefined) options.multipartThreshold = parseByteSize('--multipart-threshold', values['multipart-threshold']);

  return {
    command: 'upload',
    filePath,
    key,
    bucket,
    region,
    ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
    accelerate: values.accelerate ?? false,
    options,
    stateDir: stateDirFrom(values['state-dir'], env),
    onCancel: parseOnCancel(values['on-cancel']),
    onFileChanged: parseOnFileChanged(values['on-file-changed']),
    quiet: values.quiet ?? false,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
  };
}

interface ObjectValues extends SseValues {
  'storage-class'?: string;
  'content-type'?: string;
  meta?: string[];
  'forbid-overwrite'?: boolean;
}

function parseObjectOptions(values: ObjectValues, env: NodeJS.ProcessEnv): Partial<UploadOptions> {
  const options: Partial<UploadOptions> = { sse: parseSse(values, env) };
  if (values['storage-class'] !== undefined) options.storageClass = parseStorageClass(values['storage-class']);
  if (values['content-type'] !== undefined) options.contentType = parseContentType(values['content-type']);
  if (values.meta !== undefined) options.metadata = parseMetadata(values.meta);
  if (values['forbid-overwrite']) options.forbidOverwrite = true;
  return options;
}

function stateDirFrom(value: string | undefined, env: NodeJS.ProcessEnv): string {
  return value !== undefined ? path.resolve(value) : defaultStateDir(env);
}

function parseResume(args: string[], env: NodeJS.ProcessEnv): CliCommand {
  const { values, positionals } = strictParse(args, RESUME_OPTIONS);
  if (values.help) return { command: 'help', topic: 'resume' };
  if (values.version) return { command: 'version' };
  if (positionals.length > 1) throw new UsageError(`Resume takes at most one file; quote names with spaces: ${positionals.join(' ')}`);
  const all = values.all ?? false;
  const list = values.list ?? false;
  if (all && positionals.length > 0) throw new UsageError(`Give either a file or --all, not both: ${positionals[0]}`);
  if (list && (all || positionals.length > 0 || values.restart)) throw new UsageError('--list only lists; it takes no file, --all or --restart');
  return {
    command: 'resume',
    stateDir: stateDirFrom(values['state-dir'], env),
    ...(positionals.length === 1 ? { filePath: path.resolve(positionals[0]) } : {}),
    all,
    list,
    restart: values.restart ?? false,
    options: { ...parseTuning(values), ...parseObjectOptions(values, env) },
    onCancel: parseOnCancel(values['on-cancel']),
    quiet: values.quiet ?? false,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
  };
}

function parseIncomplete(args: string[], env: NodeJS.ProcessEnv): CliCommand {
  const { values, positionals } = strictParse(args, INCOMPLETE_OPTIONS);
  if (values.help) return { command: 'help', topic: 'incomplete' };
  if (values.version) return { command: 'version' };
  if (positionals.length > 0) throw new UsageError(`incomplete takes no file; use --prefix to narrow the listing: ${positionals.join(' ')}`);
  const { bucket, region } = values;
  if (!bucket) throw new UsageError('Missing --bucket: give the bucket as <name>-<appid>, e.g. --bucket examplebucket-1250000000');
  if (!region) throw new UsageError('Missing --region: give the COS region, e.g. --region ap-guangzhou');
  if (values.accelerate && values.endpoint) throw new UsageError('Use either --endpoint or --accelerate, not both');
  const dryRun = values['dry-run'] ?? false;
  const olderThan = values['abort-older-than'];
  let action: IncompleteAction;
  if (values.abort !== undefined && olderThan !== undefined) {
    throw new UsageError('Use either --abort <upload id> or --abort-older-than <days>, not both');
  } else if (values.abort !== undefined) {
    const uploadId = values.abort.trim();
    if (!uploadId) throw new UsageError('--abort takes the upload id to abort, as listed by cos-upload incomplete');
    action = { type: 'abort', uploadId, ...(values.key !== undefined ? { key: values.key } : {}), dryRun };
  } else if (olderThan !== undefined) {
    action = { type: 'abort-older-than', days: parseDays(olderThan), dryRun };
  } else {
    if (values.key !== undefined) throw new UsageError('--key goes with --abort <upload id>; to narrow the listing use --prefix');
    if (dryRun) throw new UsageError('--dry-run goes with --abort or --abort-older-than; listing changes nothing anyway');
    action = { type: 'list' };
  }
  return {
    command: 'incomplete',
    bucket,
    region,
    ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
    accelerate: values.accelerate ?? false,
    ...(values.prefix !== undefined ? { prefix: values.prefix } : {}),
    stateDir: stateDirFrom(values['state-dir'], env),
    action,
    ...(values.retries !== undefined ? { retries: parseInteger('--retries', values.retries, 0, 100) } : {}),
    json: values.json ?? false,
    verbose: values.verbose ?? false,
  };
}

/** Days as a non-negative decimal: 0 means every upload, 0.5 twelve hours. */
export function parseDays(text: string): number {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) throw new UsageError(`--abort-older-than takes a number of days, e.g. 7 or 0.5: ${text}`);
  return Number(trimmed);
}

function parseDemo(args: string[]): CliCommand {
  const { values, positionals } = strictParse(args, DEMO_OPTIONS);
  if (values.help) return { command: 'help', topic: 'demo' };
  if (values.version) return { command: 'version' };
  if (positionals.length > 0) throw new UsageError(`The demo command takes no file; it writes its own: ${positionals.join(' ')}`);
  const size = values.size === undefined ? DEFAULT_DEMO_SIZE : parseByteSize('--size', values.size);
  const options = parseTuning(values);
  options.partSize ??= DEFAULT_DEMO_PART_SIZE;
  // The demo exists to show parallel parts: anything bigger than one part goes multipart.
  if (typeof options.partSize === 'number') options.multipartThreshold = options.partSize;
  return { command: 'demo', size, options, quiet: values.quiet ?? false, json: values.json ?? false };
}

interface TuningValues {
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

export function strictParse<T extends OptionSpec>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util's messages name the flag; main.ts adds where to find the list.
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

/** Byte sizes such as 8MiB, 8M, 5GB, 1048576. Binary units, as COS part limits are binary. */
export function parseByteSize(flag: string, text: string): number {
  try {
    return parseSize(text);
  } catch {
    throw new UsageError(`${flag} takes a size in bytes or with a binary unit, such as 8MiB, 512KiB or 1048576: ${text}`);
  }
}

export function parseInteger(flag: string, text: string, min: number, max: number): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}: ${text}`);
  const value = Number(trimmed);
  if (value < min || value > max) throw new UsageError(`${flag} must be from ${min} to ${max}: ${text}`);
  return value;
}

const BIT_RATE_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

/**
 * --traffic-limit in bit/s, as COS's x-cos-traffic-limit. Accepts a plain number of bit/s or a
 * decimal (SI) multiple: 800k, 100M, 100Mbps, 100Mbit/s. Byte rates are not accepted on purpose:
 * the header counts bits, and mixing the two is the classic factor-of-8 mistake.
 */
export function parseBitRate(text: string): number {
  // Case-sensitive on purpose: a capital B means bytes and is refused.
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:bps|bit\/s|bits\/s|b\/s|bit|bits)?\s*$/.exec(text);
  if (!match) {
    throw new UsageError(`--traffic-limit takes bits per second, e.g. 819200, 800k, 100Mbps (bytes are not accepted): ${text}`);
  }
  const value = Math.round(Number(match[1]) * BIT_RATE_UNITS[match[2].toLowerCase()]);
  return value;
}

const SSE_TYPES: Record<string, ServerSideEncryption['type']> = {
  none: 'none',
  'sse-cos': 'SSE-COS',
  'sse-kms': 'SSE-KMS',
  'sse-c': 'SSE-C',
};

interface SseValues {
  sse?: string;
  'sse-kms-key-id'?: string;
  'sse-kms-context'?: string;
}

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

function parseStorageClass(text: string): string {
  const upper = text.trim().toUpperCase();
  if (!(STORAGE_CLASSES as readonly string[]).includes(upper)) {
    throw new UsageError(`--storage-class must be one of ${STORAGE_CLASSES.join(', ')}: ${text}`);
  }
  return upper;
}

function parseContentType(text: string): string {
  if (!/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(text.trim()) || /[\r\n]/.test(text)) {
    throw new UsageError(`--content-type takes a MIME type such as application/octet-stream: ${text}`);
  }
  return text.trim();
}

/** COS limits x-cos-meta-* names to letters, digits and hyphens; values travel as HTTP header values. */
export function parseMetadata(entries: readonly string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--meta takes name=value: ${entry}`);
    const name = entry.slice(0, eq).trim().toLowerCase().replace(/^x-cos-meta-/, '');
    const value = entry.slice(eq + 1);
    if (!/^[a-z0-9-]+$/.test(name)) throw new UsageError(`--meta names may use only letters, digits and hyphens: ${name}`);
    if (!/^[\x20-\x7e]*$/.test(value)) throw new UsageError(`--meta values must be printable ASCII (HTTP header rules): ${name}`);
    if (name in metadata) throw new UsageError(`--meta names the same entry twice: ${name}`);
    metadata[name] = value;
  }
  return metadata;
}

function parseOnCancel(text: string | undefined): OnCancel {
  if (text === undefined) return 'keep';
  const value = text.trim().toLowerCase();
  if (value !== 'keep' && value !== 'abort') throw new UsageError(`--on-cancel takes keep or abort: ${text}`);
  return value;
}

function parseOnFileChanged(text: string | undefined): 'fail' | 'restart' {
  if (text === undefined) return 'fail';
  const value = text.trim().toLowerCase();
  if (value !== 'fail' && value !== 'restart') throw new UsageError(`--on-file-changed takes fail or restart: ${text}`);
  return value;
}

/** $XDG_STATE_HOME/cos-upload/checkpoints when set, else ~/.cos-upload/checkpoints. */
export function defaultStateDir(env: NodeJS.ProcessEnv, home: string = os.homedir()): string {
  const xdg = env.XDG_STATE_HOME?.trim();
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'cos-upload', 'checkpoints');
  return path.join(home, '.cos-upload', 'checkpoints');
}

/** COS_SECRET_ID / COS_SECRET_KEY / COS_SESSION_TOKEN. The message names the variables, never values. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): Credentials {
  const secretId = env.COS_SECRET_ID?.trim();
  const secretKey = env.COS_SECRET_KEY?.trim();
  if (!secretId || !secretKey) throw new UsageError('COS_SECRET_ID and COS_SECRET_KEY must be set (COS_SESSION_TOKEN too for temporary credentials)');
  const sessionToken = env.COS_SESSION_TOKEN?.trim();
  return { secretId, secretKey, ...(sessionToken ? { sessionToken } : {}) };
}
