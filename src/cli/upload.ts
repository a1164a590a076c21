/** `cos-upload upload`: one file to one key, resumable through a checkpoint directory. */

import { promises as fs } from 'node:fs';
import {
  CosError,
  FileCheckpointStore,
  resolveUploadOptions,
  staticCredentials,
  uploadFile,
  validateBucket,
  validateEndpoint,
  validateObjectKey,
  validateRegion,
  type BucketTarget,
  type Logger,
  type TransportOptions,
  type UploadEvent,
} from '../core';
import { credentialsFromEnv, type UploadCommand } from './args';
import { EXIT_OK, exitCodeFor, UploadReporter, type CliStreams } from './output';

export interface CommandContext {
  streams: CliStreams;
  env: NodeJS.ProcessEnv;
  /** Fires on the first Ctrl-C (or SIGTERM): the upload stops gracefully. */
  signal: AbortSignal;
}

/** Runs the upload and returns the process exit code; every failure is printed, none is thrown. */
export async function runUpload(command: UploadCommand, context: CommandContext): Promise<number> {
  const secrets = secretsIn(context.env);
  const reporter = new UploadReporter(context.streams, {
    json: command.json,
    quiet: command.quiet,
    destination: `cos://${command.bucket}/${command.key}`,
    secrets,
  });
  let uploadId: string | undefined;
  try {
    const target = checkTarget(command);
    validateObjectKey(command.key);
    resolveUploadOptions(command.options);
    await checkFile(command.filePath);
    const credentials = credentialsFromEnv(context.env);

    const result = await uploadFile({
      filePath: command.filePath,
      key: command.key,
      target,
      credentials: staticCredentials(credentials),
      options: command.options,
      checkpoints: new FileCheckpointStore(command.stateDir),
      onCancel: command.onCancel,
      onFileChanged: command.onFileChanged,
      transport: transportFromEnv(context.env),
      signal: context.signal,
      logger: stderrLogger(reporter, command.verbose ? 'debug' : command.quiet ? 'silent' : 'warn'),
      onEvent: (event: UploadEvent) => {
        if (event.type === 'start') uploadId = event.uploadId;
        reporter.onEvent(event);
      },
    });
    reporter.summary(result);
    return EXIT_OK;
  } catch (error) {
    reporter.error(error);
    if (CosError.is(error) && error.code === 'ABORTED') reporter.notice(cancelHint(command, uploadId));
    else if (uploadId && CosError.is(error) && (error.retryable || error.code === 'NETWORK' || error.code === 'TIMEOUT')) {
      reporter.notice(`The upload is kept on COS (upload id ${uploadId}) and its checkpoint in ${command.stateDir}; run the same command again, or cos-upload resume, once the problem is fixed.`);
    }
    return exitCodeFor(error);
  } finally {
    reporter.clearProgress();
  }
}

/**
 * Proxy settings from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case) of the CLI's environment,
 * for the core's transport. The proxy URL may hold a password: it is never printed.
 */
export function transportFromEnv(env: NodeJS.ProcessEnv): TransportOptions {
  const pick = (name: string) => env[name] ?? env[name.toLowerCase()];
  const proxy = pick('HTTPS_PROXY') || pick('HTTP_PROXY');
  return { ...(proxy ? { proxy } : {}), noProxy: pick('NO_PROXY') ?? '', ignoreEnvironmentProxy: true };
}

/** Validates bucket, region and endpoint with the core's rules before anything touches the network. */
export function checkTarget(command: Pick<UploadCommand, 'bucket' | 'region' | 'endpoint' | 'accelerate'>): BucketTarget {
  validateBucket(command.bucket);
  validateRegion(command.region);
  if (command.endpoint !== undefined) validateEndpoint(command.endpoint);
  return {
    bucket: command.bucket,
    region: command.region,
    ...(command.endpoint !== undefined ? { endpoint: command.endpoint } : {}),
    ...(command.accelerate ? { accelerate: true } : {}),
  };
}

/** The core checks too; doing it here first gives the clearer message and sends no request. */
async function checkFile(filePath: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CosError('FILE_NOT_FOUND', `The file to upload does not exist: ${filePath}`, { cause: error });
    }
    throw new CosError('FILE_UNREADABLE', `The file to upload cannot be read (${code ?? 'error'}): ${filePath}`, { cause: error });
  }
  if (!stat.isFile()) throw new CosError('FILE_NOT_A_FILE', `Only regular files can be uploaded; this is not one: ${filePath}`);
}

function cancelHint(command: UploadCommand, uploadId: string | undefined): string {
  if (command.onCancel === 'abort') {
    return 'The multipart upload was aborted on COS; nothing is left to resume.';
  }
  const which = uploadId ? ` (upload id ${uploadId})` : '';
  return `The upload is kept on COS${which} and its checkpoint in ${command.stateDir}. Run the same command again to resume it.`;
}

/** Every secret the environment holds (keys, token, SSE-C key, proxy passwords), for redaction. */
export function secretsIn(env: NodeJS.ProcessEnv): string[] {
  const secrets = ['COS_SECRET_ID', 'COS_SECRET_KEY', 'COS_SESSION_TOKEN', 'COS_SSE_C_KEY'].map((name) => env[name]?.trim());
  for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) {
    const password = proxyPassword(env[name]);
    if (password) secrets.push(password, safeDecode(password));
  }
  return secrets.filter((value): value is string => typeof value === 'string' && value.length > 0);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function proxyPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).password || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Core log lines on stderr. Without --verbose only warnings show; errors are not echoed because
 * the failure itself is printed once, at the end.
 */
export function stderrLogger(sink: { notice(message: string): void }, level: 'debug' | 'warn' | 'silent'): Logger {
  const at = (wanted: boolean, prefix: string) => (wanted ? (message: string) => sink.notice(`${prefix}: ${message}`) : () => {});
  return {
    debug: at(level === 'debug', 'debug'),
    info: at(level === 'debug', 'info'),
    warn: at(level !== 'silent', 'warning'),
    error: at(level === 'debug', 'error'),
  };
}
