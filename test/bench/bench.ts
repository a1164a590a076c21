/**
 * `npm run bench`: uploads the same file with each contender, each from its own process, to one
 * local emulator per network profile, and prints the figures the issue asks for (median MB/s,
 * ratios, peak RSS, CPU per GiB, event-loop delay, first byte on the wire) with the targets.
 * See args.ts for the options; `--quick` is a one-minute smoke test.
 */

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultUploadOptions, MAX_PARTS, planParts } from '../../src/core';
import { AdaptiveConcurrency, FAR_ROUND_TRIP_MS } from '../../src/core/adaptiveConcurrency';
import { MIN_AUTO_PARTS } from '../../src/core/partPlan';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { findRepoRoot } from '../repoRoot';
import { parseBenchArgs, sizeLabel, USAGE, type BenchOptions, type ProfileName } from './args';
import { killRunningChildren, runChild } from './childRunner';
import type { ContenderArgs, ContenderName, HashSpeeds } from './contenders';
import { machineBusySeconds, mbPerSecond, median, waitForQuiet } from './measure';
import { createFile, testFileSource, type TestFile } from './testFile';
import { downloadOnly, renderDownloadSection, runDownloads } from './downloadBench';
import { QUICK_SMALL_FILE_SETS, runSmallFiles, SMALL_FILE_SETS } from './smallFiles';
import type { SmallFilesContender } from './smallFilesReport';
import { runWholeProcess } from './wholeProcess';
import { wholeProcessTargets, type WholeProcessSection } from './wholeProcessReport';
import {
  evaluateTargets,
  machineInfo,
  renderReport,
  renderWholeProcessReport,
  summarize,
  type BenchReport,
  type ProfileInfo,
  type RunRecord,
  type TrafficLimitResult,
} from './report';

const PROFILES: Record<ProfileName, ProfileInfo> = {
  lan: { name: 'lan', description: 'loopback, no added delay', latencyMs: 0, connMbps: 0 },
  wan: {
    name: 'wan',
    description: 'every answer delayed 40 ms, each connection paced to 200 Mbit/s (a far region)',
    latencyMs: 40,
    connMbps: 200,
  },
};

/** Put Object takes at most 5 GB, so the single-PUT ceiling cannot be measured above it. */
const MAX_SINGLE_PUT = 5 * 1024 ** 3;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** The first request of any kind since the log was cleared (the SDK's List Multipart Uploads, our Initiate), epoch ms. */
function firstRequestMs(emulator: RunningEmulator): number | undefined {
  let first: number | undefined;
  for (const entry of emulator.log) {
    const t = Date.parse(entry.time);
    if (first === undefined || t < first) first = t;
  }
  return first;
}

/** First Upload Part / Put Object of `key` to reach the emulator, as epoch ms. */
function firstBodyRequestMs(emulator: RunningEmulator, key: string): number | undefined {
  let first: number | undefined;
  for (const entry of emulator.log) {
    if (entry.key !== key || (entry.operation !== 'uploadPart' && entry.operation !== 'putObject')) continue;
    const t = Date.parse(entry.time);
    if (first === undefined || t < first) first = t;
  }
  return first;
}

interface Session {
  options: BenchOptions;
  records: RunRecord[];
  runId: string;
}

function contenderArgs(emulator: RunningEmulator, file: TestFile, key: string, contender: ContenderName, profile: ProfileName, trafficLimit?: number): ContenderArgs {
  const defaults = defaultUploadOptions();
  const args: ContenderArgs = {
    url: emulator.url,
    bucket: emulator.bucket,
    region: emulator.region,
    secretId: emulator.credentials.secretId,
    secretKey: emulator.credentials.secretKey,
    filePath: file.path,
    fileSize: file.size,
    key,
  };
  if (contender === 'sdk-tuned') {
    // Equal part size and concurrency, read from the core so the comparison follows its defaults:
    // on a near endpoint (the LAN profile) `auto` takes larger parts and the engine starts with its
    // near limit of parts in flight, so the SDK gets that many; far, ours adapts and the SDK keeps
    // the configured concurrency (the "SDK 8 MiB x 4").
    const roundTripMs = PROFILES[profile].latencyMs;
    args.partSize = planParts(file.size, defaults.partSize, { near: roundTripMs < FAR_ROUND_TRIP_MS }).partSize;
    args.concurrency =
      roundTripMs < FAR_ROUND_TRIP_MS
        ? AdaptiveConcurrency.forRoundTrip(defaults.concurrency, defaults.maxConcurrency, roundTripMs, args.partSize).current
        : defaults.concurrency;
  }
  if (contender === 'ours-max') args.concurrency = defaults.maxConcurrency;
  if (trafficLimit !== undefined) args.trafficLimit = trafficLimit;
  return args;
}

async function uploadOnce(
  session: Session,
  emulator: RunningEmulator,
  profile: ProfileName,
  file: TestFile,
  contender: ContenderName,
  run: number,
  trafficLimit?: number,
): Promise<RunRecord> {
  const key = `bench/${session.runId}/${profile}/${sizeLabel(file.size).replace(/\s+/g, '')}/${contender}-${run}`;
  if (session.options.waitQuietSeconds > 0) await waitForQuiet(session.options.waitQuietSeconds, log);
  emulator.clearLog();
  // Generous: a stuck uploader must not hang the benchmark, a slow one must finish.
  const timeoutMs = 120_000 + (file.size / 2e6) * 1000;
  const busy0 = machineBusySeconds();
  const parentCpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await runChild(contender, contenderArgs(emulator, file, key, contender, profile, trafficLimit), timeoutMs);
  const wallSeconds = (performance.now() - t0) / 1000;
  const parentCpu = process.cpuUsage(parentCpu0);
  const busy1 = machineBusySeconds();
  const record: RunRecord = { profile, size: file.size, contender, run, ok: false, serverCpuSeconds: (parentCpu.user + parentCpu.system) / 1e6 };
  if (!result.ok) {
    record.error = result.error;
    return record;
  }
  if (!('details' in result)) {
    record.error = 'the child returned no figures';
    return record;
  }
  const f = result.figures;
  if (busy0 !== undefined && busy1 !== undefined) {
    // Cores kept busy by anything but this benchmark's two processes: other work skews the run.
    const ours = (parentCpu.user + parentCpu.system) / 1e6 + f.processCpuSeconds;
    record.otherCores = Math.max(0, (busy1 - busy0 - ours) / wallSeconds);
  }
  const info = emulator.objectInfo(key);
  const first = firstBodyRequestMs(emulator, key);
  const firstAny = firstRequestMs(emulator);
  // The figures count only if the emulator holds exactly the file's bytes.
  const verified = info !== undefined && info.size === file.size && info.crc64 === file.crc64;
  Object.assign(record, {
    ok: verified,
    seconds: f.seconds,
    mbps: mbPerSecond(file.size, f.seconds),
    cpuSeconds: f.cpuSeconds,
    rssStartBytes: f.rssStartBytes,
    peakRssBytes: f.peakRssBytes,
    loopP99Ms: f.loopP99Ms,
    loopMaxMs: f.loopMaxMs,
    ...(first !== undefined ? { ttfbMs: first - f.startEpochMs } : {}),
    ...(firstAny !== undefined ? { firstRequestMs: firstAny - f.startEpochMs } : {}),
    memoryAtPeak: f.atPeak,
    details: result.details,
    verified,
  });
  if (!verified) {
    record.error = info
      ? `the object on the emulator differs from the file (size ${info.size}, CRC64 ${info.crc64}; expected ${file.size}, ${file.crc64})`
      : 'no object on the emulator after the upload';
  }
  return record;
}

async function runProfile(session: Session, profile: ProfileInfo, files: Map<number, TestFile>): Promise<void> {
  const { options } = session;
  const emulator = await startEmulator({ discard: true, latencyMs: profile.latencyMs, connMbps: profile.connMbps, maxLogEntries: 50_000 });
  try {
    const sizes = options.sizes[profile.name];
    if (options.warmup) {
      const smallest = files.get(Math.min(...sizes)) as TestFile;
      log(`[${profile.name}] warm-up (not counted): ours, ${sizeLabel(smallest.size)}`);
      await uploadOnce(session, emulator, profile.name, smallest, 'ours', 0);
    }
    for (const size of sizes) {
      const file = files.get(size) as TestFile;
      const contenders = options.contenders.filter((c) => c !== 'ceiling' || size <= MAX_SINGLE_PUT);
      for (let run = 1; run <= options.runs; run++) {
        // Rotate the order so no contender always runs first (cold caches) or last.
        const order = contenders.map((_, i) => contenders[(i + run - 1) % contenders.length]);
        for (const contender of order) {
          const record = await uploadOnce(session, emulator, profile.name, file, contender, run);
          session.records.push(record);
          const what = record.ok
            ? `${record.mbps?.toFixed(1)} MB/s, RSS ${((record.peakRssBytes ?? 0) / 1e6).toFixed(0)} MB, loop p99 ${record.loopP99Ms?.toFixed(1)} ms, first byte ${record.ttfbMs?.toFixed(0)} ms`
            : `FAILED: ${record.error}`;
          log(`[${profile.name} ${sizeLabel(size)} run ${run}/${options.runs}] ${contender}: ${what}`);
        }
      }
    }
  } finally {
    await emulator.close();
  }
}

async function trafficLimitCheck(session: Session, file: TestFile): Promise<TrafficLimitResult> {
  const limit = session.options.trafficLimit;
  const emulator = await startEmulator({ discard: true, maxLogEntries: 50_000 });
  try {
    log(`[traffic limit] ours with x-cos-traffic-limit ${limit} bit/s, ${sizeLabel(file.size)}`);
    const record = await uploadOnce(session, emulator, 'lan', file, 'ours-limit', 1, limit);
    const base = { limitBitsPerSecond: limit, size: file.size };
    if (!record.ok || record.seconds === undefined) {
      return { ...base, seconds: NaN, concurrency: 0, perRequestMbps: NaN, perRequestErrorPct: NaN, aggregateMbps: NaN, allowedAggregateMbps: NaN, error: record.error };
    }
    const perRequestMbps = median(record.details?.partRatesMbps ?? []);
    const concurrency = record.details?.concurrency ?? 0;
    return {
      ...base,
      seconds: record.seconds,
      concurrency,
      perRequestMbps,
      perRequestErrorPct: ((perRequestMbps * 1e6 - limit) / limit) * 100,
      aggregateMbps: (file.size * 8) / 1e6 / record.seconds,
      allowedAggregateMbps: (limit * concurrency) / 1e6,
    };
  } finally {
    await emulator.close();
  }
}

async function hashSpeeds(): Promise<HashSpeeds | undefined> {
  log('[hash] CRC64 native / TypeScript and MD5 over 256 MiB');
  const result = await runChild('hash-speed', { bytes: 256 * 1024 * 1024 }, 300_000);
  if (result.ok && 'hash' in result) return result.hash;
  log(`[hash] failed: ${result.ok ? 'no figures' : result.error}`);
  return undefined;
}

function autoPartSizeLabel(): string {
  const far = planParts(1024 * 1024 * 1024, 'auto').partSize;
  const near = planParts(1024 * 1024 * 1024, 'auto', { near: true }).partSize;
  return (
    `auto (${sizeLabel(near)} on a near endpoint such as the LAN profile, ${sizeLabel(far)} on a far one; ` +
    `smaller so a file has at least ${MIN_AUTO_PARTS} parts; larger when it would need more than ${MAX_PARTS})`
  );
}

/** Runs the benchmark with command-line `argv`; resolves with the exit code. */
export async function runBench(argv: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    log(USAGE);
    return 2;
  }
  if (options.help) {
    log(USAGE);
    return 0;
  }
  if (options.fromJson) {
    const saved = JSON.parse(await fs.readFile(path.resolve(options.fromJson), 'utf8')) as BenchReport;
    await publish(saved, { ...options, json: undefined });
    return 0;
  }
  if (options.wholeProcessOnly) return wholeProcessOnly(options);
  if (options.downloadOnly) return downloadOnly(options, options.profiles.map((p) => PROFILES[p]), log);
  if (options.smallFilesOnly) {
    const known = SMALL_FILE_SETS.map((set) => set.size);
    const unknown = options.smallFileSizes?.find((size) => !known.includes(size));
    if (unknown !== undefined) {
      log(`--small-sets: no set has files of ${unknown} bytes (sets: ${known.join(', ')} bytes)`);
      return 2;
    }
    return runSmallFiles({
      profiles: options.profiles,
      sets: (options.quick ? QUICK_SMALL_FILE_SETS : SMALL_FILE_SETS).filter((set) => !options.smallFileSizes || options.smallFileSizes.includes(set.size)),
      ...(options.smallFilesContenders ? { contenders: options.smallFilesContenders as SmallFilesContender[] } : {}),
      ...(options.cpuProfDir ? { cpuProfDir: options.cpuProfDir } : {}),
      runs: options.quick ? 1 : options.runs,
      waitQuietSeconds: options.waitQuietSeconds,
      ...(options.tmpDir ? { tmpDir: options.tmpDir } : {}),
      ...(options.json ? { json: options.json } : {}),
      // A --md path is taken from the repository root, as the default is.
      ...(options.markdown ? { markdown: options.markdownIsDefault ? options.markdown : path.relative(findRepoRoot(), path.resolve(options.markdown)) } : {}),
      log,
    });
  }
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const defaults = defaultUploadOptions();
  const session: Session = { options, records: [], runId: randomBytes(4).toString('hex') };
  const dir = await fs.mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'cos-bench-'));
  const onSignal = (): void => {
    killRunningChildren();
    void fs.rm(dir, { recursive: true, force: true }).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let report: BenchReport;
  try {
    const wanted = new Set<number>();
    for (const p of options.profiles) for (const s of options.sizes[p]) wanted.add(s);
    if (options.trafficLimit > 0) wanted.add(options.trafficLimitSize);
    const files = new Map<number, TestFile>();
    for (const size of [...wanted].sort((a, b) => a - b)) {
      log(`Creating a ${sizeLabel(size)} test file in ${dir}`);
      files.set(size, await createFile(dir, size));
    }
    for (const name of options.profiles) await runProfile(session, PROFILES[name], files);
    const wholeProcess = options.wholeProcess ? await runWholeProcess(wholeProcessOptions(options, dir, files)) : undefined;
    const trafficLimit = options.trafficLimit > 0 ? await trafficLimitCheck(session, files.get(options.trafficLimitSize) as TestFile) : undefined;
    const hash = options.hashSpeeds ? await hashSpeeds() : undefined;
    const download = options.download
      ? await runDownloads({
          profiles: options.profiles.map((p) => PROFILES[p]),
          sizes: options.downloadSizes,
          runs: options.runs,
          waitQuietSeconds: options.waitQuietSeconds,
          dir,
          log,
          fileFor: testFileSource(dir, files, log),
        })
      : undefined;
    const rows = summarize(session.records);
    report = {
      startedAt,
      finishedAt: new Date().toISOString(),
      machine,
      profiles: options.profiles.map((p) => PROFILES[p]),
      runsPerRow: options.runs,
      ourDefaults: {
        concurrency: defaults.concurrency,
        maxConcurrency: defaults.maxConcurrency,
        partSize: defaults.partSize === 'auto' ? autoPartSizeLabel() : sizeLabel(defaults.partSize),
      },
      rows,
      ...(trafficLimit ? { trafficLimit } : {}),
      ...(hash ? { hash } : {}),
      targets: [...evaluateTargets(rows, trafficLimit, defaults.concurrency), ...(wholeProcess ? wholeProcessTargets(wholeProcess.rows) : [])],
      records: session.records,
      ...(wholeProcess ? { wholeProcess } : {}),
      ...(download ? { download } : {}),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await fs.rm(dir, { recursive: true, force: true });
  }
  await publish(report, options);
  // Targets are reported, not enforced (timings vary by machine); a failed or unverified upload is an error.
  const failed = report.records.filter((r) => !r.ok).length + (report.download?.records.filter((r) => !r.ok).length ?? 0);
  if (failed > 0) log(`${failed} upload(s) or download(s) failed or left wrong bytes; see the tables.`);
  return failed > 0 ? 1 : 0;
}

function wholeProcessOptions(options: BenchOptions, dir: string, files: Map<number, TestFile>): Parameters<typeof runWholeProcess>[0] {
  return {
    sizes: options.wholeProcessSizes,
    runs: options.wholeProcessRuns,
    waitQuietSeconds: options.waitQuietSeconds,
    log,
    fileFor: testFileSource(dir, files, log),
  };
}

/** `--whole-process-only`: that section alone, printed and written like the full report. */
async function wholeProcessOnly(options: BenchOptions): Promise<number> {
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const dir = await fs.mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'cos-bench-'));
  let section: WholeProcessSection;
  try {
    section = await runWholeProcess(wholeProcessOptions(options, dir, new Map()));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  const targets = wholeProcessTargets(section.rows);
  process.stdout.write(`\n${renderWholeProcessReport(machine, startedAt, section, targets, false)}\n`);
  if (options.json) await fs.writeFile(path.resolve(options.json), JSON.stringify({ startedAt, machine, wholeProcess: section, targets }, null, 2) + '\n');
  if (options.markdown) {
    const file = options.markdownIsDefault ? path.join(findRepoRoot(), options.markdown) : path.resolve(options.markdown);
    await fs.writeFile(file, renderWholeProcessReport(machine, startedAt, section, targets, true) + '\n');
    log(`Tables written to ${file}`);
  }
  const failed = section.records.filter((r) => !r.ok).length;
  if (failed > 0) log(`${failed} run(s) failed; see the table.`);
  return failed > 0 ? 1 : 0;
}

/** Prints the report and writes the files asked for. */
async function publish(report: BenchReport, options: BenchOptions): Promise<void> {
  const render = (markdown: boolean): string => renderReport(report, markdown) + (report.download ? `\n${renderDownloadSection(report.download, markdown)}` : '');
  process.stdout.write(`\n${render(false)}\n`);
  if (options.json) {
    await fs.writeFile(path.resolve(options.json), JSON.stringify(report, null, 2) + '\n');
    log(`Figures written to ${path.resolve(options.json)}`);
  }
  if (options.markdown) {
    const file = options.markdownIsDefault ? path.join(findRepoRoot(), options.markdown) : path.resolve(options.markdown);
    await fs.writeFile(file, render(true) + '\n');
    log(`Tables written to ${file}`);
  }
}

if (require.main === module) {
  runBench(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      log(`The benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
