/**
 * The COS emulator's command line, run as `cos-upload emulator --port 9000 --dir D --discard`:
 * prints the URL, bucket, region and the (generated, emulator-only) credentials, then serves until
 * SIGINT/SIGTERM. src/cli/emulator.ts calls runEmulatorCli() with its own argv.
 */

import type { EmulatorOptions, RunningEmulator } from './api';
import { startEmulator } from './server';

export interface EmulatorCliOptions extends EmulatorOptions {
  /** Print one JSON line instead of the human-readable banner. */
  json?: boolean;
  help?: boolean;
}

export const EMULATOR_USAGE = `Usage: cos-upload emulator [options]

Starts a local COS emulator (one bucket, custom-domain addressing: http://HOST:PORT/<key>).

Options:
  --port N                 port to listen on (default 0: a free port)
  --host H                 address to bind (default 127.0.0.1)
  --dir D                  data directory (default: a temp dir, removed on exit)
  --bucket B               bucket name (default examplebucket-1250000000)
  --region R               region (default ap-guangzhou)
  --secret-id ID           accepted SecretId (default: generated)
  --secret-key KEY         accepted SecretKey (default: generated)
  --session-token T        require this x-cos-security-token (temporary credentials)
  --latency-ms N           delay every answer by N ms
  --conn-mbps N            pace each connection's uploads to N Mbit/s
  --discard                keep only sizes and hashes, not the bytes (Get Object unavailable)
  --clock-skew-ms N        shift the server clock by N ms
  --min-part-size N        smallest non-last part Complete accepts (default 1048576)
  --expired-token-style S  InvalidAccessKeyId (default, 403) or ExpiredToken (400)
  --control                serve the test control API under /_emulator/ (faults, request log,
                           clock, network, credentials; no authentication)
  --json                   print the connection details as one JSON line
  --help                   show this help
`;

const VALUE_FLAGS = new Set([
  'port',
  'host',
  'dir',
  'data-dir',
  'bucket',
  'region',
  'secret-id',
  'secret-key',
  'session-token',
  'latency-ms',
  'conn-mbps',
  'clock-skew-ms',
  'min-part-size',
  'expired-token-style',
]);
const BOOLEAN_FLAGS = new Set(['discard', 'control', 'json', 'help']);

function toNumber(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min) throw new Error(`--${flag} needs a number of at least ${min}: ${value}`);
  return n;
}

/** Parses emulator flags (`--flag value` or `--flag=value`); throws an Error naming the bad flag. */
export function parseEmulatorArgs(argv: readonly string[]): EmulatorCliOptions {
  const opts: EmulatorCliOptions = {};
  const creds: { secretId?: string; secretKey?: string; sessionToken?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument, flags start with --: ${arg}`);
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (BOOLEAN_FLAGS.has(flag)) {
      if (value !== undefined) throw new Error(`--${flag} takes no value: ${arg}`);
      if (flag === 'discard') opts.discard = true;
      if (flag === 'control') opts.control = true;
      if (flag === 'json') opts.json = true;
      if (flag === 'help') opts.help = true;
      continue;
    }
    if (!VALUE_FLAGS.has(flag)) throw new Error(`Unknown emulator option, see --help: --${flag}`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new Error(`--${flag} needs a value.`);
    }
    switch (flag) {
      case 'port':
        opts.port = toNumber(flag, value, 0);
        break;
      case 'host':
        opts.host = value;
        break;
      case 'dir':
      case 'data-dir':
        opts.dataDir = value;
        break;
      case 'bucket':
        opts.bucket = value;
        break;
      case 'region':
        opts.region = value;
        break;
      case 'secret-id':
        creds.secretId = value;
        break;
      case 'secret-key':
        creds.secretKey = value;
        break;
      case 'session-token':
        creds.sessionToken = value;
        break;
      case 'latency-ms':
        opts.latencyMs = toNumber(flag, value, 0);
        break;
      case 'conn-mbps':
        opts.connMbps = toNumber(flag, value, 0);
        break;
      case 'clock-skew-ms':
        opts.clockSkewMs = toNumber(flag, value, -Number.MAX_SAFE_INTEGER);
        break;
      case 'min-part-size':
        opts.minPartSize = toNumber(flag, value, 0);
        break;
      case 'expired-token-style':
        if (value !== 'InvalidAccessKeyId' && value !== 'ExpiredToken') {
          throw new Error(`--expired-token-style must be InvalidAccessKeyId or ExpiredToken: ${value}`);
        }
        opts.expiredTokenStyle = value;
        break;
    }
  }
  if (creds.secretId !== undefined || creds.secretKey !== undefined || creds.sessionToken !== undefined) {
    if (creds.secretId === undefined || creds.secretKey === undefined) throw new Error('--secret-id and --secret-key go together.');
    opts.credentials = { secretId: creds.secretId, secretKey: creds.secretKey, sessionToken: creds.sessionToken };
  }
  return opts;
}

export interface EmulatorCliIo {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** Stops the emulator when aborted (in addition to SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Listen for SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
  onStarted?: (emulator: RunningEmulator) => void;
}

/** What the banner shows; also the --json line. */
export function describeEmulator(emu: RunningEmulator): Record<string, unknown> {
  return {
    url: emu.url,
    bucket: emu.bucket,
    region: emu.region,
    credentials: emu.credentials,
    dataDir: emu.dataDir,
    discard: emu.discard,
    ...(emu.control ? { control: `${emu.url}/_emulator/` } : {}),
  };
}

/**
 * Runs the emulator until SIGINT/SIGTERM (or `io.signal`), then stops it cleanly.
 * Resolves with the process exit code: 0 after a clean stop, 2 on bad arguments, 1 on failure.
 */
export async function runEmulatorCli(argv: readonly string[], io: EmulatorCliIo = {}): Promise<number> {
  const out = io.stdout ?? ((t: string) => void process.stdout.write(t));
  const err = io.stderr ?? ((t: string) => void process.stderr.write(t));
  let opts: EmulatorCliOptions;
  try {
    opts = parseEmulatorArgs(argv);
  } catch (e) {
    err(`${(e as Error).message}\n\n${EMULATOR_USAGE}`);
    return 2;
  }
  if (opts.help) {
    out(EMULATOR_USAGE);
    return 0;
  }
  if (io.signal?.aborted) return 0;
  let emu: RunningEmulator;
  try {
    emu = await startEmulator(opts);
  } catch (e) {
    err(`The COS emulator could not start: ${(e as Error).message}\n`);
    return 1;
  }
  const info = describeEmulator(emu);
  if (opts.json) {
    out(JSON.stringify(info) + '\n');
  } else {
    const c = emu.credentials;
    out(
      [
        `COS emulator listening: ${emu.url}`,
        `  bucket:        ${emu.bucket}`,
        `  region:        ${emu.region}`,
        `  secretId:      ${c.secretId}`,
        `  secretKey:     ${c.secretKey}`,
        ...(c.sessionToken ? [`  sessionToken:  ${c.sessionToken}`] : []),
        `  data dir:      ${emu.dataDir}${emu.discard ? ' (discard mode: bytes are not kept)' : ''}`,
        ...(emu.control ? [`  control API:   ${emu.url}/_emulator/ (faults, log, clock, credentials)`] : []),
        'Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    );
  }
  io.onStarted?.(emu);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    if (io.handleSignals !== false) {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
    io.signal?.addEventListener('abort', stop, { once: true });
  });
  try {
    await emu.close();
  } catch (e) {
    err(`The COS emulator did not stop cleanly: ${(e as Error).message}\n`);
    return 1;
  }
  if (!opts.json) out('COS emulator stopped.\n');
  return 0;
}

