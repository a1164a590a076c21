/**
 * The benchmark's "whole process" section: `cos-upload` as a user times it, from spawn to exit,
 * against `node -e 0` (for --help, --version and an argument error) and against one `curl -T` PUT
 * of the same file to the same emulator (for uploads). Runs are interleaved round by round, the
 * order rotating, so a burst of other work on the machine falls on every row alike.
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { findRepoRoot } from '../repoRoot';
import { sizeLabel } from './args';
import { machineBusySeconds, waitForQuiet } from './measure';
import { summarizeWholeProcess, type WholeProcessCommand, type WholeProcessRecord, type WholeProcessSection } from './wholeProcessReport';

const TIME = '/usr/bin/time';

export interface WholeProcessOptions {
  sizes: number[];
  runs: number;
  waitQuietSeconds: number;
  /** The test file of each size (path, and its CRC64 in decimal to check what the emulator stored). */
  fileFor: (size: number) => Promise<{ path: string; crc64: string }>;
  log: (message: string) => void;
}

interface Invocation {
  command: WholeProcessCommand;
  size?: number;
  /** Builds the argv (program first) for one run; an upload gets a fresh key. */
  argv: (key: string) => Promise<string[]>;
  env?: NodeJS.ProcessEnv;
  /** Which exit codes mean the command did what it was asked. */
  okCodes: number[];
  /** Run on core 1 while this process (the emulator) is held on core 0. */
  apart?: boolean;
}

interface Timed {
  code: number | null;
  seconds: number;
  cpuSeconds?: number;
  peakRssBytes?: number;
  stderr: string;
}

/** Spawns `argv` (through /usr/bin/time when present, for CPU and peak RSS) and times it to exit. */
async function timed(argv: string[], env: NodeJS.ProcessEnv, statsFile: string | undefined): Promise<Timed> {
  const [program, ...args] = statsFile ? [TIME, '-f', '%U %S %M', '-o', statsFile, ...argv] : argv;
  const t0 = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-2000)));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ code: exitCode, stderr: err }));
  });
  const seconds = (performance.now() - t0) / 1000;
  if (!statsFile) return { code, seconds, stderr };
  const [user, system, maxKb] = (await fs.readFile(statsFile, 'utf8')).trim().split('\n').pop()?.split(/\s+/).map(Number) ?? [];
  return { code, seconds, stderr, cpuSeconds: user + system, peakRssBytes: maxKb * 1024 };
}

function hasCurl(): boolean {
  const probe = spawnSync('curl', ['--version'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

/** The Authorization of one PUT, from the official SDK's signer so the ceiling shares no code with our core. */
async function signPut(emulator: RunningEmulator, key: string): Promise<string> {
  const Sdk = (await import('cos-nodejs-sdk-v5')).default;
  return Sdk.getAuthorization({
    SecretId: emulator.credentials.secretId,
    SecretKey: emulator.credentials.secretKey,
    Method: 'PUT',
    Key: key,
    Headers: { host: new URL(emulator.url).host },
  });
}

function onCore1(apart: boolean): string[] {
  return apart ? ['taskset', '-c', '1'] : [];
}

/** Whether the "cores apart" rows can run: taskset present and at least 2 cores. */
function canRunApart(): boolean {
  if (os.availableParallelism() < 2) return false;
  const probe = spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

/** Holds this process (the emulator, all its threads) on core 0, or gives it every core again. */
function holdOnCore0(hold: boolean): void {
  const cores = hold ? '0' : `0-${os.availableParallelism() - 1}`;
  const result = spawnSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)], { stdio: 'ignore' });
  if (result.error || result.status !== 0) throw new Error(`taskset could not set this process's cores to ${cores}`);
}

function invocations(emulator: RunningEmulator, options: WholeProcessOptions, curl: boolean, stateDir: string, apartSizes: readonly number[]): Invocation[] {
  const cli = path.join(findRepoRoot(), 'dist', 'cli.js');
  const node = process.execPath;
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const list: Invocation[] = [
    { command: 'node -e 0', argv: async () => [node, '-e', '0'], okCodes: [0] },
    { command: '--help', argv: async () => [node, cli, '--help'], okCodes: [0] },
    { command: '--version', argv: async () => [node, cli, '--version'], okCodes: [0] },
    { command: 'argument error', argv: async () => [node, cli, 'upload', '--no-such-flag'], okCodes: [2] },
  ];
  const ours = (size: number, apart: boolean): Invocation => ({
    command: apart ? 'ours, cores apart' : 'ours',
    size,
    apart,
    env: { ...env, COS_SECRET_ID: emulator.credentials.secretId, COS_SECRET_KEY: emulator.credentials.secretKey },
    argv: async (key) => {
      const file = await options.fileFor(size);
      return [...onCore1(apart), node, cli, 'upload', file.path, '--key', key, '--bucket', emulator.bucket, '--region', emulator.region, '--endpoint', emulator.url, '--state-dir', stateDir];
    },
    okCodes: [0],
  });
  const curlPut = (size: number, apart: boolean): Invocation => ({
    command: apart ? 'curl -T, cores apart' : 'curl -T',
    size,
    apart,
    argv: async (key) => {
      const file = await options.fileFor(size);
      const authorization = await signPut(emulator, key);
      // No `Expect: 100-continue` round trip: the ceiling is the bytes on one connection.
      return [...onCore1(apart), 'curl', '-sS', '-f', '-o', '/dev/null', '-T', file.path, '-H', 'Expect:', '-H', `Authorization: ${authorization}`, `${emulator.url}/${key}`];
    },
    okCodes: [0],
  });
  for (const size of options.sizes) {
    list.push(ours(size, false));
    if (curl) list.push(curlPut(size, false));
  }
  // Sharing cores matters only where the bytes take a while; a 1-byte upload is all start-up.
  for (const size of apartSizes) {
    list.push(ours(size, true));
    if (curl) list.push(curlPut(size, true));
  }
  return list;
}

/** Runs the section on its own LAN-profile emulator and returns the figures. */
export async function runWholeProcess(options: WholeProcessOptions): Promise<WholeProcessSection> {
  const notes: string[] = [];
  const curl = hasCurl();
  if (!curl) notes.push('curl is not installed here: the curl -T rows and the ratios to them are left out.');
  const withTime = existsSync(TIME);
  if (!withTime) notes.push(`${TIME} is missing: no CPU or peak RSS figures.`);
  const apart = canRunApart();
  if (!apart) notes.push('taskset is missing or the machine has one core: the "cores apart" rows are left out.');
  const apartSizes = apart ? options.sizes.filter((size) => size >= 1024 * 1024) : [];
  if (!existsSync(path.join(findRepoRoot(), 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run npm run build first.');
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-bench-whole-'));
  const emulator = await startEmulator({ discard: true, maxLogEntries: 50_000 });
  const records: WholeProcessRecord[] = [];
  try {
    const all = invocations(emulator, options, curl, path.join(work, 'state'), apartSizes);
    for (const size of options.sizes) await options.fileFor(size);
    // The pinned rows run after every unpinned round: interleaved with them, they slowed the
    // unpinned uploads that followed (1 GiB: 3.5 s alone, 6.4 s after pinned runs, same machine).
    const phases = [all.filter((inv) => !inv.apart), all.filter((inv) => inv.apart)].filter((list) => list.length > 0);
    for (const list of phases) {
      for (let run = 1; run <= options.runs; run++) {
        if (options.waitQuietSeconds > 0) await waitForQuiet(options.waitQuietSeconds, options.log);
        const order = list.map((_, i) => list[(i + run - 1) % list.length]);
        for (const inv of order) {
          const record = await runOnce(emulator, inv, run, withTime ? path.join(work, 'time.txt') : undefined, options.fileFor);
          records.push(record);
          const label = `${inv.command}${inv.size !== undefined ? ` ${inv.size < 1024 * 1024 ? `${inv.size} B` : sizeLabel(inv.size)}` : ''}`;
          options.log(
            `[whole process run ${run}/${options.runs}] ${label}: ` +
              (record.ok ? `${record.seconds?.toFixed(3)} s, peak RSS ${((record.peakRssBytes ?? NaN) / 1e6).toFixed(1)} MB, other load ${record.otherCores?.toFixed(2)}` : `FAILED: ${record.error}`),
          );
        }
      }
    }
  } finally {
    await emulator.close();
    await fs.rm(work, { recursive: true, force: true });
  }
  return { runs: options.runs, notes, rows: summarizeWholeProcess(records), records };
}

let keyCounter = 0;

async function runOnce(
  emulator: RunningEmulator,
  inv: Invocation,
  run: number,
  statsFile: string | undefined,
  fileFor: WholeProcessOptions['fileFor'],
): Promise<WholeProcessRecord> {
  const key = `whole/${process.pid}-${++keyCounter}/${inv.command.replace(/\W+/g, '')}-${run}.bin`;
  const argv = await inv.argv(key);
  const env = inv.env ?? { PATH: process.env.PATH, HOME: process.env.HOME };
  if (inv.apart) holdOnCore0(true);
  const busy0 = machineBusySeconds();
  const parent0 = process.cpuUsage();
  const result = await timed(argv, env, statsFile).finally(() => {
    if (inv.apart) holdOnCore0(false);
  });
  const parent = process.cpuUsage(parent0);
  const busy1 = machineBusySeconds();
  const record: WholeProcessRecord = { command: inv.command, ...(inv.size !== undefined ? { size: inv.size } : {}), run, ok: false, seconds: result.seconds };
  if (result.cpuSeconds !== undefined) record.cpuSeconds = result.cpuSeconds;
  record.serverCpuSeconds = (parent.user + parent.system) / 1e6;
  if (result.peakRssBytes !== undefined) record.peakRssBytes = result.peakRssBytes;
  if (busy0 !== undefined && busy1 !== undefined && result.cpuSeconds !== undefined) {
    // Cores kept busy by anything but the timed process and this one (the emulator).
    record.otherCores = Math.max(0, (busy1 - busy0 - result.cpuSeconds - (parent.user + parent.system) / 1e6) / result.seconds);
  }
  if (!inv.okCodes.includes(result.code ?? -1)) {
    record.error = `exit ${result.code}: ${result.stderr.trim().split('\n').slice(-2).join(' / ')}`;
    return record;
  }
  if (inv.size !== undefined) {
    const info = emulator.objectInfo(key);
    const expected = (await fileFor(inv.size)).crc64;
    if (!info || info.size !== inv.size || info.crc64 !== expected) {
      record.error = info ? `the emulator holds ${info.size} bytes with CRC64 ${info.crc64}, not ${inv.size} with ${expected}` : 'no object on the emulator after the upload';
      return record;
    }
  }
  record.ok = true;
  return record;
}
