/**
 * Entry point of `cos-upload` (bundled to dist/cli.js). Parses arguments, turns Ctrl-C into an
 * AbortSignal, dispatches to a command and exits with its code. The commands themselves load only
 * once an invocation needs one (./cliCommands, its own bundle), so help and usage errors stay fast.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { UploadAbortedError } from '../core/errors';
import { parseCliArgs, type CliCommand } from './args';
import { parseSyncCliArgs, type SyncCommand } from './syncArgs';
import { lastCodeCacheOutcome, requireWithCodeCache } from '../core/codeCache';
import { markPhase, startDebugTiming } from './debugTiming';
import { helpText } from './help';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, exitCodeFor, formatErrorLines, isUsageError, type CliStreams } from './output';

const COMMANDS: readonly string[] = ['upload', 'sync', 'download', 'resume', 'incomplete', 'emulator', 'demo'];
/** Commands that send parts, where a graceful stop keeps a checkpoint worth mentioning. */
const UPLOADING_COMMANDS: readonly string[] = ['upload', 'sync', 'resume', 'demo', 'download'];

export interface MainContext {
  streams: CliStreams;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

/** Runs one invocation and resolves to the exit code. Never throws. */
export async function main(argv: readonly string[], context: MainContext): Promise<number> {
  if (argv.length === 0) {
    context.streams.stderr.write(helpText());
    return EXIT_USAGE;
  }
  let command: CliCommand | SyncCommand | { command: 'help'; topic: 'sync' };
  try {
    command = parseSyncCliArgs(argv, context.env) ?? parseCliArgs(argv, context.env);
  } catch (error) {
    for (const line of formatErrorLines(error)) context.streams.stderr.write(`${line}\n`);
    const topic = COMMANDS.includes(argv[0]) ? ` ${argv[0]}` : '';
    if (isUsageError(error)) context.streams.stderr.write(`Run cos-upload${topic} --help for usage.\n`);
    return exitCodeFor(error);
  }
  markPhase('arguments parsed');
  try {
    switch (command.command) {
      case 'help':
        context.streams.stdout.write(helpText(command.topic));
        return EXIT_OK;
      case 'version':
        context.streams.stdout.write(`cos-upload ${packageVersion()}\n`);
        return EXIT_OK;
      case 'upload':
        return await commands('./cliUpload').runUpload(command, context);
      case 'sync':
        return await commands('./cliCommands').runSync(command, context);
      case 'download':
        return await commands('./cliCommands').runDownload(command, context);
      case 'resume':
        return await commands('./cliCommands').runResume(command, context);
      case 'incomplete':
        return await commands('./cliCommands').runIncomplete(command, context);
      case 'demo':
        return await commands('./cliCommands').runDemo(command, context);
      case 'emulator':
        return await commands('./cliCommands').runEmulator(command, context.streams, context.signal);
    }
  } catch (error) {
    // Commands report their own failures; this catches what slipped past (e.g. the emulator failing to bind).
    for (const line of formatErrorLines(error)) context.streams.stderr.write(`${line}\n`);
    return isUsageError(error) ? EXIT_USAGE : exitCodeFor(error);
  }
}

/** Set when this file runs as the `cos-upload` process itself, not imported by a test. */
let dedicatedProcess = false;

/**
 * The command implementations, loaded on first use: ./cliUpload (upload only, the commonest and
 * the one timed from Enter to prompt) or ./cliCommands (every command).
 */
function commands(bundle: './cliCommands'): typeof import('./cliCommands');
function commands(bundle: './cliUpload'): typeof import('./cliUpload');
function commands(bundle: './cliCommands' | './cliUpload'): typeof import('./cliCommands') | typeof import('./cliUpload') {
  // This process exists to upload, so it may set process-wide V8 flags (the extension host may not),
  // before the HTTP client compiles its WebAssembly parser.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily on purpose: see the file comment.
  if (dedicatedProcess) (require('../core/processTuning') as typeof import('../core/processTuning')).tuneDedicatedUploadProcess();
  // Loaded lazily on purpose (see the file comment); as the process's own bundle, through the code cache.
  // A literal require per bundle, so esbuild can leave each one external by name.
  const file = bundle === './cliUpload' ? require.resolve('./cliUpload') : require.resolve('./cliCommands');
  const loaded = dedicatedProcess
    ? requireWithCodeCache<typeof import('./cliCommands')>(file, process.env)
    : // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require(file) as typeof import('./cliCommands'));
  markPhase(`commands loaded${dedicatedProcess ? ` (code cache: ${lastCodeCacheOutcome()})` : ''}`);
  return loaded;
}

/** The manifest above this file: dist/ in the bundle, out/src/cli/ when compiled for tests. */
function packageVersion(): string {
  for (let dir = __dirname, i = 0; i < 4; dir = path.dirname(dir), i++) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'cos-part-uploader') return manifest.version ?? 'unknown';
    } catch {
      // not here; look one folder up
    }
  }
  return 'unknown';
}

/**
 * First SIGINT/SIGTERM aborts gracefully (parts in flight stop, the checkpoint is kept or the upload
 * aborted per --on-cancel); a second one exits at once.
 */
function installSignalHandlers(controller: AbortController, command: string | undefined): void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received++;
    if (received > 1) process.exit(EXIT_INTERRUPTED);
    if (command !== undefined && UPLOADING_COMMANDS.includes(command)) {
      process.stderr.write('\ncancelling: waiting for the requests in flight to stop (Ctrl-C again to quit at once)\n');
    }
    controller.abort(new UploadAbortedError(signal === 'SIGTERM' ? 'shutdown' : 'user'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * A reader that goes away (`cos-upload upload big.iso | head`) must not kill the transfer with a
 * stack trace: output to the closed pipe is dropped and the command finishes its work.
 */
function dropOutputToClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

if (require.main === module) {
  startDebugTiming(process.env, (text) => process.stderr.write(text));
  dedicatedProcess = true;
  dropOutputToClosedPipe(process.stdout);
  dropOutputToClosedPipe(process.stderr);
  const argv = process.argv.slice(2);
  const controller = new AbortController();
  installSignalHandlers(controller, argv[0]);
  void main(argv, {
    streams: { stdout: process.stdout, stderr: process.stderr },
    env: process.env,
    signal: controller.signal,
  }).then(async (code) => {
    // Exit explicitly: an idle keep-alive socket must not hold a finished CLI open.
    await Promise.all([flush(process.stdout), flush(process.stderr)]);
    process.exit(code);
  });
}
