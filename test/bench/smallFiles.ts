/**
 * `npm run bench -- --small-files-only`: many small files (issue #17 part 5). Each contender runs
 * in its own process against one emulator per network profile: ours (sync of a fresh prefix), the
 * SDK's uploadFiles at its defaults and at our ceiling of files in flight, a bare PUT loop (what the
 * emulator absorbs at all on these cores), then ours again over the same unchanged files (the
 * re-sync). Every object is checked on the emulator.
 */

import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_MAX_CONCURRENT_FILES, getCrc64Engine } from '../../src/core';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { findRepoRoot } from '../repoRoot';
import type { ProfileName } from './args';
import { RESULT_MARKER } from './child';
import { waitForQuiet } from './measure';
import type { SmallFilesChildArgs, SmallFilesChildResult } from './smallFilesChild';
import { newSmallFilesSection, renderSmallFiles, type FileSet, type SmallFilesContender, type SmallFilesRecord } from './smallFilesReport';

const KiB = 1024;
export const SMALL_FILE_SETS: FileSet[] = [
  { count: 2000, size: 64 * KiB },
  { count: 200, size: 1024 * KiB },
];
/** --quick: the same shapes, a tenth of the files. */
export const QUICK_SMALL_FILE_SETS: FileSet[] = SMALL_FILE_SETS.map((s) => ({ count: s.count / 10, size: s.size }));

const NETWORK: Record<ProfileName, { latencyMs: number; connMbps: number }> = {
  lan: { latencyMs: 0, connMbps: 0 },
  wan: { latencyMs: 40, connMbps: 200 },
};

/** Files per folder: a tree, as a site or a build output is. */
const PER_FOLDER = 100;

export interface SmallFilesOptions {
  profiles: ProfileName[];
  sets: FileSet[];
  runs: number;
  waitQuietSeconds: number;
  tmpDir?: string;
  json?: string;
  /** Markdown file, relative to the repository root; none when undefined. */
  markdown?: string;
  /** Only these contenders (default all). */
  contenders?: readonly SmallFilesContender[];
  /** Write a V8 CPU profile of each of our child processes here. */
  cpuProfDir?: string;
  log: (message: string) => void;
}

interface MadeSet {
  set: FileSet;
  folder: string;
  /** Relative path → CRC64 (decimal). */
  crc64: Map<string, string>;
}

async function makeSet(dir: string, set: FileSet): Promise<MadeSet> {
  const folder = path.join(dir, `set-${set.count}x${set.size}`);
  const engine = getCrc64Engine();
  const crc64 = new Map<string, string>();
  const data = Buffer.allocUnsafe(set.size);
  for (let i = 0; i < set.count; i++) {
    const relative = `d${String(Math.floor(i / PER_FOLDER)).padStart(3, '0')}/f${String(i).padStart(5, '0')}.bin`;
    randomFillSync(data);
    await fs.mkdir(path.join(folder, path.dirname(relative)), { recursive: true });
    await fs.writeFile(path.join(folder, relative), data);
    crc64.set(relative, engine.update(0n, data).toString());
  }
  return { set, folder, crc64 };
}

function runChild(contender: SmallFilesContender, args: SmallFilesChildArgs, timeoutMs: number, cpuProfDir?: string): Promise<SmallFilesChildResult> {
  const ext = path.extname(__filename);
  const script = path.join(__dirname, `smallFilesChild${ext}`);
  const profile = cpuProfDir && contender.startsWith('ours') ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(cpuProfDir)] : [];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...profile, ...(ext === '.ts' ? ['--import', 'tsx'] : []), script, contender, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      resolve(line ? (JSON.parse(line.slice(RESULT_MARKER.length)) as SmallFilesChildResult) : { ok: false, error: `exit ${code ?? 'killed'}: ${stderr.trim().slice(-500)}` });
    });
  });
}

/** Undefined when every file is on the emulator with its size and CRC64; else what is wrong. */
function checkObjects(emulator: RunningEmulator, made: MadeSet, prefix: string): string | undefined {
  for (const [relative, crc] of made.crc64) {
    const info = emulator.objectInfo(prefix + relative);
    if (!info) return `no object at ${prefix + relative}`;
    if (info.size !== made.set.size || info.crc64 !== crc) return `${prefix + relative} differs (size ${info.size}, CRC64 ${info.crc64})`;
  }
  return undefined;
}

async function runOne(emulator: RunningEmulator, made: MadeSet, profile: ProfileName, contender: SmallFilesContender, run: number, prefix: string, options: SmallFilesOptions): Promise<SmallFilesRecord> {
  if (options.waitQuietSeconds > 0) await waitForQuiet(options.waitQuietSeconds, options.log);
  emulator.clearLog();
  const args: SmallFilesChildArgs = {
    url: emulator.url,
    bucket: emulator.bucket,
    region: emulator.region,
    secretId: emulator.credentials.secretId,
    secretKey: emulator.credentials.secretKey,
    folder: made.folder,
    prefix,
    fileSize: made.set.size,
    ...(contender === 'sdk-our-files' || contender === 'bare-put' ? { fileParallelLimit: DEFAULT_MAX_CONCURRENT_FILES } : {}),
  };
  // This process serves the emulator; while the child runs it does little else.
  const cpu0 = process.cpuUsage();
  const result = await runChild(contender, args, 600_000, options.cpuProfDir);
  const cpu = process.cpuUsage(cpu0);
  const record: SmallFilesRecord = { profile, set: made.set, contender, run, ok: false };
  if (!result.ok) return { ...record, error: result.error };
  const objectBytesSent = emulator.log.filter((e) => e.operation === 'putObject' || e.operation === 'uploadPart').reduce((n, e) => n + e.bytes, 0);
  const problem = checkObjects(emulator, made, prefix);
  return {
    ...record,
    ok: problem === undefined,
    ...(problem ? { error: problem } : {}),
    seconds: result.figures.seconds,
    peakRssBytes: result.figures.peakRssBytes,
    loopP99Ms: result.figures.loopP99Ms,
    cpuSeconds: result.figures.cpuSeconds,
    emulatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
    objectBytesSent,
    fileConcurrency: result.fileConcurrency,
  };
}

/** Runs the section, prints it, writes the record; resolves with the exit code (1 when a run failed). */
export async function runSmallFiles(options: SmallFilesOptions): Promise<number> {
  const startedAt = new Date().toISOString();
  const dir = await fs.mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'cos-bench-small-'));
  const records: SmallFilesRecord[] = [];
  const runId = Date.now().toString(36);
  try {
    const made: MadeSet[] = [];
    for (const set of options.sets) {
      options.log(`Creating ${set.count} files of ${set.size} bytes in ${dir}`);
      made.push(await makeSet(dir, set));
    }
    for (const profile of options.profiles) {
      const emulator = await startEmulator({ discard: true, ...NETWORK[profile], maxLogEntries: 100_000 });
      try {
        for (const m of made) {
          for (let run = 1; run <= options.runs; run++) {
            const wanted = (c: SmallFilesContender): boolean => !options.contenders || options.contenders.includes(c);
            const contenders = (['ours', 'sdk-default', 'sdk-our-files', 'bare-put'] as const).filter(wanted);
            // Rotate so no contender always goes first.
            const order = contenders.map((_, i) => contenders[(i + run - 1) % contenders.length]);
            const base = `small/${runId}/${profile}/${m.set.count}x${m.set.size}/run${run}`;
            // The re-sync needs the objects `ours` just sent.
            const resync = wanted('ours-resync') && wanted('ours') ? ['ours-resync' as const] : [];
            for (const contender of [...order, ...resync]) {
              // The re-sync goes over what `ours` just sent.
              const prefix = `${base}/${contender === 'ours-resync' ? 'ours' : contender}/`;
              const record = await runOne(emulator, m, profile, contender, run, prefix, options);
              records.push(record);
              const files = record.seconds ? (m.set.count / record.seconds).toFixed(0) : '-';
              options.log(
                `[${profile} ${m.set.count}x${m.set.size} run ${run}] ${contender}: ` +
                  (record.ok
                    ? `${files} files/s, ${record.seconds?.toFixed(2)} s, ${record.fileConcurrency} at once, RSS ${((record.peakRssBytes ?? 0) / 1e6).toFixed(0)} MB, loop p99 ${record.loopP99Ms?.toFixed(1)} ms, ${record.objectBytesSent} object bytes`
                    : `FAILED: ${record.error}`),
              );
            }
          }
        }
      } finally {
        await emulator.close();
      }
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  const section = newSmallFilesSection(startedAt, records, options.sets);
  process.stdout.write(`\n${renderSmallFiles(section, false)}\n`);
  if (options.json) await fs.writeFile(path.resolve(options.json), JSON.stringify(section, null, 2) + '\n');
  if (options.markdown) {
    const file = path.join(findRepoRoot(), options.markdown);
    await fs.writeFile(file, renderSmallFiles(section, true) + '\n');
    options.log(`Tables written to ${file}`);
  }
  return records.some((r) => !r.ok) ? 1 : 0;
}
