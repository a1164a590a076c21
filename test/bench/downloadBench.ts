/**
 * The download section of `npm run bench` (alone with `--download-only`): each object is put once
 * on an emulator that keeps the bytes, then each contender downloads it from its own process under
 * each network profile. Every file left behind is compared (size, CRC64) with the object before
 * the run counts, and removed right after.
 */

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { staticCredentials, uploadFile } from '../../src/core';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { findRepoRoot } from '../repoRoot';
import { sizeLabel, type BenchOptions } from './args';
import { runChild } from './childRunner';
import { DOWNLOAD_CONTENDER_NAMES, type DownloadContenderArgs, type DownloadContenderName } from './downloadContenders';
import { downloadLines, downloadTargets, summarizeDownloads, type DownloadRecord, type DownloadSection } from './downloadReport';
import { machineBusySeconds, mbPerSecond, waitForQuiet } from './measure';
import { machineInfo, machineLine, markdownTable, textTable, type ProfileInfo } from './report';
import { fileCrc64, testFileSource, type TestFile } from './testFile';

export interface DownloadBenchOptions {
  profiles: ProfileInfo[];
  sizes: BenchOptions['downloadSizes'];
  runs: number;
  waitQuietSeconds: number;
  /** Where the downloaded files go (one at a time). */
  dir: string;
  /** The source file of `size` bytes (created on first use). */
  fileFor: (size: number) => Promise<TestFile>;
  log: (message: string) => void;
}

/** Puts the source file on the emulator once (no added delay), returning its key. */
async function putSource(emulator: RunningEmulator, file: TestFile): Promise<string> {
  const key = `bench-download/${sizeLabel(file.size).replace(/\s+/g, '')}.bin`;
  if (emulator.objectInfo(key)) return key;
  const saved = emulator.network;
  emulator.setNetwork({ latencyMs: 0, connMbps: 0 });
  try {
    await uploadFile({
      filePath: file.path,
      key,
      target: { bucket: emulator.bucket, region: emulator.region, endpoint: emulator.url },
      credentials: staticCredentials(emulator.credentials),
    });
  } finally {
    emulator.setNetwork(saved);
  }
  const info = emulator.objectInfo(key);
  if (info?.crc64 !== file.crc64) throw new Error(`The emulator holds other bytes than the ${sizeLabel(file.size)} source file (CRC64 ${info?.crc64 ?? 'none'}, expected ${file.crc64}).`);
  return key;
}

async function downloadOnce(options: DownloadBenchOptions, emulator: RunningEmulator, profile: ProfileInfo, file: TestFile, key: string, contender: DownloadContenderName, run: number): Promise<DownloadRecord> {
  const destPath = path.join(options.dir, `download-${contender}-${run}.bin`);
  const args: DownloadContenderArgs = {
    url: emulator.url,
    bucket: emulator.bucket,
    region: emulator.region,
    secretId: emulator.credentials.secretId,
    secretKey: emulator.credentials.secretKey,
    key,
    size: file.size,
    destPath,
  };
  if (options.waitQuietSeconds > 0) await waitForQuiet(options.waitQuietSeconds, options.log);
  const record: DownloadRecord = { profile: profile.name, size: file.size, contender, run, ok: false };
  const busy0 = machineBusySeconds();
  const parentCpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    // Generous: a stuck downloader must not hang the benchmark, a slow one must finish.
    const result = await runChild(contender, args, 120_000 + (file.size / 1e6) * 1000);
    const wallSeconds = (performance.now() - t0) / 1000;
    const parentCpu = process.cpuUsage(parentCpu0);
    record.serverCpuSeconds = (parentCpu.user + parentCpu.system) / 1e6;
    if (!result.ok) {
      record.error = result.error;
      return record;
    }
    if (!('download' in result)) {
      record.error = 'the child returned no download figures';
      return record;
    }
    const f = result.figures;
    const busy1 = machineBusySeconds();
    if (busy0 !== undefined && busy1 !== undefined) record.otherCores = Math.max(0, (busy1 - busy0 - record.serverCpuSeconds - f.processCpuSeconds) / wallSeconds);
    Object.assign(record, {
      seconds: f.seconds,
      mbps: mbPerSecond(file.size, f.seconds),
      cpuSeconds: f.cpuSeconds,
      peakRssBytes: f.peakRssBytes,
      loopP99Ms: f.loopP99Ms,
      details: result.download,
    });
    // The figures count only if the file holds exactly the object's bytes.
    const left = await fileCrc64(destPath).catch(() => undefined);
    if (!left) record.error = 'no file was left at the destination';
    else if (left.size !== file.size || left.crc64 !== file.crc64) {
      record.error = `the downloaded file differs from the object (size ${left.size}, CRC64 ${left.crc64}; expected ${file.size}, ${file.crc64})`;
    } else record.ok = true;
    return record;
  } finally {
    await fs.rm(destPath, { force: true });
    await fs.rm(`${destPath}.cosdownload`, { force: true });
  }
}

/** Runs every download contender over every profile and size; resolves with the section's figures. */
export async function runDownloads(options: DownloadBenchOptions): Promise<DownloadSection> {
  const records: DownloadRecord[] = [];
  const emulator = await startEmulator({ maxLogEntries: 10_000 });
  try {
    for (const profile of options.profiles) {
      for (const size of options.sizes[profile.name]) {
        const file = await options.fileFor(size);
        const key = await putSource(emulator, file);
        emulator.setNetwork({ latencyMs: profile.latencyMs, connMbps: profile.connMbps });
        const contenders = [...DOWNLOAD_CONTENDER_NAMES];
        for (let run = 1; run <= options.runs; run++) {
          // Rotate the order so no contender always runs first (cold caches) or last.
          const order = contenders.map((_, i) => contenders[(i + run - 1) % contenders.length]);
          for (const contender of order) {
            const record = await downloadOnce(options, emulator, profile, file, key, contender, run);
            records.push(record);
            emulator.clearLog();
            const what = record.ok
              ? `${record.mbps?.toFixed(1)} MB/s, RSS ${((record.peakRssBytes ?? 0) / 1e6).toFixed(0)} MB, loop p99 ${record.loopP99Ms?.toFixed(1)} ms, file verified`
              : `FAILED: ${record.error}`;
            options.log(`[download ${profile.name} ${sizeLabel(size)} run ${run}/${options.runs}] ${contender}: ${what}`);
          }
        }
      }
    }
  } finally {
    await emulator.close();
  }
  const rows = summarizeDownloads(records);
  return {
    profiles: options.profiles.map((p) => ({ name: p.name, description: p.description })),
    runs: options.runs,
    rows,
    targets: downloadTargets(rows),
    loadAverageEnd: Math.round(os.loadavg()[0] * 100) / 100,
    records,
  };
}

/** The section with its own targets table, as printed after the upload report or alone. */
export function renderDownloadSection(section: DownloadSection, markdown: boolean): string {
  const table = markdown ? markdownTable : textTable;
  const verdict = (pass: boolean | undefined): string => (pass === undefined ? 'n/a' : pass ? 'PASS' : 'FAIL');
  return [
    ...downloadLines(section, markdown),
    markdown ? '### Download targets' : '== Download targets',
    '',
    table(['target', 'measured', 'result'], section.targets.map((t) => [t.target, t.measured, verdict(t.pass)])),
    '',
    `1-minute load average at the end: ${section.loadAverageEnd}.`,
    '',
  ].join('\n');
}

/** `--download-only`: that section alone, printed and written like the full report. */
export async function downloadOnly(options: BenchOptions, profiles: ProfileInfo[], log: (message: string) => void): Promise<number> {
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const dir = await fs.mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'cos-bench-'));
  let section: DownloadSection;
  try {
    section = await runDownloads({
      profiles,
      sizes: options.downloadSizes,
      runs: options.runs,
      waitQuietSeconds: options.waitQuietSeconds,
      dir,
      log,
      fileFor: testFileSource(dir, new Map(), log),
    });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  const render = (markdown: boolean): string => [`Machine: ${machineLine(machine)}. Run ${startedAt}.`, '', renderDownloadSection(section, markdown)].join('\n');
  process.stdout.write(`\n${render(false)}\n`);
  if (options.json) await fs.writeFile(path.resolve(options.json), JSON.stringify({ startedAt, machine, download: section }, null, 2) + '\n');
  if (options.markdown) {
    const file = options.markdownIsDefault ? path.join(findRepoRoot(), options.markdown) : path.resolve(options.markdown);
    await fs.writeFile(file, render(true) + '\n');
    log(`Tables written to ${file}`);
  }
  const failed = section.records.filter((r) => !r.ok).length;
  if (failed > 0) log(`${failed} download(s) failed or left a wrong file; see the table.`);
  return failed > 0 ? 1 : 0;
}
