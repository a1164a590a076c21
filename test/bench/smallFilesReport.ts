/**
 * The many-small-files section of `npm run bench` (issue #17 part 5): figures per profile, set and
 * contender, the targets (files/s against the SDK's defaults; an unchanged re-sync sends no object
 * bytes and ends within 3 s on the LAN) and the tables. Pure: smallFiles.ts does the running.
 */

import type { ProfileName } from './args';
import { machineInfo, markdownTable, textTable, type MachineInfo, type TargetResult } from './report';
import { median } from './measure';

export const SMALL_FILES_CONTENDERS = ['ours', 'sdk-default', 'sdk-our-files', 'ours-resync', 'bare-put'] as const;
export type SmallFilesContender = (typeof SMALL_FILES_CONTENDERS)[number];

export interface FileSet {
  count: number;
  /** Bytes of each file. */
  size: number;
}

export interface SmallFilesRecord {
  profile: ProfileName;
  set: FileSet;
  contender: SmallFilesContender;
  run: number;
  ok: boolean;
  error?: string;
  seconds?: number;
  peakRssBytes?: number;
  loopP99Ms?: number;
  /** User + system CPU seconds of the uploading process during the run (not the emulator's). */
  cpuSeconds?: number;
  /** CPU seconds of the bench's own process (the emulator, mostly) from the child's start to its exit. */
  emulatorCpuSeconds?: number;
  /** Object bytes the emulator received in Put Object and Upload Part requests during the run. */
  objectBytesSent?: number;
  /** Files in flight: the SDK's FileParallelLimit, or the most files ours had in flight. */
  fileConcurrency?: number;
}

export interface SmallFilesRow {
  profile: ProfileName;
  set: FileSet;
  contender: SmallFilesContender;
  runs: number;
  failures: number;
  seconds: number;
  filesPerSecond: number;
  mbps: number;
  peakRssBytes: number;
  loopP99Ms: number;
  /** Median CPU seconds of the uploading process per 1,000 files. */
  cpuPerThousandFiles: number;
  /** Median CPU seconds of the emulator's process per 1,000 files. */
  emulatorCpuPerThousandFiles: number;
  objectBytesSent: number;
  fileConcurrency?: number;
}

export interface SmallFilesSection {
  startedAt: string;
  machine: MachineInfo;
  rows: SmallFilesRow[];
  targets: TargetResult[];
  records: SmallFilesRecord[];
}

const setLabel = (set: FileSet): string => `${set.count.toLocaleString('en-US')} x ${set.size >= 1024 * 1024 ? `${set.size / 1024 / 1024} MiB` : `${set.size / 1024} KiB`}`;
const sameSet = (a: FileSet, b: FileSet): boolean => a.count === b.count && a.size === b.size;

/** Medians of the successful runs of each profile, set and contender (the peak RSS is the highest). */
export function summarizeSmallFiles(records: readonly SmallFilesRecord[]): SmallFilesRow[] {
  const rows: SmallFilesRow[] = [];
  for (const r of records) {
    if (rows.some((row) => row.profile === r.profile && row.contender === r.contender && sameSet(row.set, r.set))) continue;
    const mine = records.filter((x) => x.profile === r.profile && x.contender === r.contender && sameSet(x.set, r.set));
    const good = mine.filter((x) => x.ok);
    const seconds = median(good.map((x) => x.seconds ?? NaN));
    const concurrency = median(good.map((x) => x.fileConcurrency ?? NaN));
    rows.push({
      profile: r.profile,
      set: r.set,
      contender: r.contender,
      runs: mine.length,
      failures: mine.length - good.length,
      seconds,
      filesPerSecond: r.set.count / seconds,
      mbps: (r.set.count * r.set.size) / 1e6 / seconds,
      peakRssBytes: good.length ? Math.max(...good.map((x) => x.peakRssBytes ?? 0)) : NaN,
      loopP99Ms: median(good.map((x) => x.loopP99Ms ?? NaN)),
      cpuPerThousandFiles: (median(good.map((x) => x.cpuSeconds ?? NaN)) * 1000) / r.set.count,
      emulatorCpuPerThousandFiles: (median(good.map((x) => x.emulatorCpuSeconds ?? NaN)) * 1000) / r.set.count,
      objectBytesSent: good.length ? Math.max(...good.map((x) => x.objectBytesSent ?? 0)) : NaN,
      ...(Number.isFinite(concurrency) ? { fileConcurrency: concurrency } : {}),
    });
  }
  return rows;
}

/** The issue's targets, measured where this run has the rows for them (else n/a). */
export function smallFilesTargets(rows: readonly SmallFilesRow[], sets: readonly FileSet[]): TargetResult[] {
  const find = (profile: ProfileName, set: FileSet, contender: SmallFilesContender): SmallFilesRow | undefined =>
    rows.find((r) => r.profile === profile && r.contender === contender && sameSet(r.set, set) && r.failures < r.runs);
  const targets: TargetResult[] = [];
  for (const [profile, factor] of [['wan', 5], ['lan', 2]] as const) {
    for (const set of sets) {
      const ours = find(profile, set, 'ours');
      const sdk = find(profile, set, 'sdk-default');
      const ratio = ours && sdk ? ours.filesPerSecond / sdk.filesPerSecond : undefined;
      targets.push({
        target: `${profile.toUpperCase()} ${setLabel(set)}: files/s >= ${factor}x the SDK's defaults`,
        measured: ratio === undefined ? 'not run' : `${ratio.toFixed(2)}x (${ours?.filesPerSecond.toFixed(0)} vs ${sdk?.filesPerSecond.toFixed(0)} files/s)`,
        pass: ratio === undefined ? undefined : ratio >= factor,
      });
    }
  }
  // Not a target: how far the emulator goes at all on these cores, when a target looks out of reach.
  for (const profile of ['wan', 'lan'] as const) {
    for (const set of sets) {
      const bare = find(profile, set, 'bare-put');
      const sdk = find(profile, set, 'sdk-default');
      if (!bare || !sdk) continue;
      targets.push({
        target: `${profile.toUpperCase()} ${setLabel(set)}: bare PUT ceiling against the SDK's defaults (diagnostic)`,
        measured: `${(bare.filesPerSecond / sdk.filesPerSecond).toFixed(2)}x (${bare.filesPerSecond.toFixed(0)} vs ${sdk.filesPerSecond.toFixed(0)} files/s)`,
        pass: undefined,
      });
    }
  }
  for (const set of sets) {
    const resync = find('lan', set, 'ours-resync');
    if (!resync) continue;
    targets.push({
      target: `LAN ${setLabel(set)} unchanged re-sync: no object bytes sent, < 3 s`,
      measured: `${resync.objectBytesSent} object bytes, ${resync.seconds.toFixed(2)} s`,
      pass: resync.objectBytesSent === 0 && resync.seconds < 3,
    });
  }
  return targets;
}

export function newSmallFilesSection(startedAt: string, records: SmallFilesRecord[], sets: readonly FileSet[], machine = machineInfo()): SmallFilesSection {
  const rows = summarizeSmallFiles(records);
  return { startedAt, machine, rows, targets: smallFilesTargets(rows, sets), records };
}

const CONTENDER_WORDS: Record<SmallFilesContender, string> = {
  ours: 'ours (sync, fresh prefix)',
  'sdk-default': 'SDK uploadFiles (3 files x 3 parts)',
  'sdk-our-files': 'SDK uploadFiles (our ceiling of files)',
  'ours-resync': 'ours, unchanged re-sync',
  'bare-put': 'bare PUT ceiling (no hashing, no checks)',
};

const fixed = (n: number | undefined, digits: number): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));

/** The section as text or Markdown, machine line first. */
export function renderSmallFiles(section: SmallFilesSection, markdown: boolean): string {
  const table = markdown ? markdownTable : textTable;
  const m = section.machine;
  const header = ['profile', 'set', 'contender', 'files/s', 'MB/s', 'seconds', 'files at once', 'object bytes sent', 'CPU s / 1,000 files', 'emulator CPU s / 1,000 files', 'peak RSS MB', 'loop p99 ms', 'runs (failed)'];
  const body = section.rows.map((r) => [
    r.profile,
    setLabel(r.set),
    CONTENDER_WORDS[r.contender],
    fixed(r.filesPerSecond, 0),
    fixed(r.mbps, 1),
    fixed(r.seconds, 2),
    fixed(r.fileConcurrency, 0),
    Number.isFinite(r.objectBytesSent) ? String(r.objectBytesSent) : '-',
    fixed(r.cpuPerThousandFiles, 2),
    fixed(r.emulatorCpuPerThousandFiles, 2),
    fixed(r.peakRssBytes / 1e6, 0),
    fixed(r.loopP99Ms, 1),
    `${r.runs} (${r.failures})`,
  ]);
  const targets = table(
    ['target', 'measured', 'result'],
    section.targets.map((t) => [t.target, t.measured, t.pass === undefined ? 'n/a' : t.pass ? 'PASS' : 'FAIL']),
  );
  return [
    markdown ? '### Many small files' : 'Many small files',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.totalMemoryGB} GB RAM, ${m.os}, Node ${m.node}, load average ${m.loadAverage} at start. Run ${section.startedAt}.`,
    '',
    'Each contender runs in its own process against one emulator per profile, in the parent process (it shares the cores): LAN is loopback, WAN delays every answer 40 ms and paces each connection to 200 Mbit/s. ' +
      'Ours is the core sync of the folder to a fresh prefix (the re-sync runs it again over the same, unchanged files: listing, Head Object and local CRC64). The SDK is cos-nodejs-sdk-v5 uploadFiles. ' +
      "Every object is checked on the emulator (size and CRC64). CPU is the uploading process's user + system time; the emulator's is the bench process's while the contender ran. " +
      "On the LAN the two together, over the machine's cores, bound the files/s. Medians; peak RSS is the highest run.",
    '',
    table(header, body, header.map((_, i) => i >= 3)),
    '',
    markdown ? '### Many-small-files targets' : 'Targets',
    '',
    targets,
  ].join('\n');
}
