/**
 * The "whole process" section of the benchmark, as a user times a command: each run spawns a new
 * process and is timed from spawn to exit. Pure: summaries, target verdicts and the table, so they
 * are unit-tested; wholeProcess.ts runs the processes.
 */

import { sizeLabel } from './args';
import { median } from './measure';
import type { TargetResult } from './report';

/**
 * `node -e 0` is the yardstick of the short commands; `curl -T` (one PUT) the ceiling of uploads.
 * The "cores apart" pair runs the same uploads with the client on one core and the emulator on the
 * other, to show how much of the gap is the two sharing 2 cores.
 */
export const WHOLE_PROCESS_COMMANDS = ['node -e 0', '--help', '--version', 'argument error', 'ours', 'curl -T', 'ours, cores apart', 'curl -T, cores apart'] as const;
export type WholeProcessCommand = (typeof WHOLE_PROCESS_COMMANDS)[number];

export interface WholeProcessRecord {
  command: WholeProcessCommand;
  /** File size for `ours` and `curl -T`. */
  size?: number;
  run: number;
  ok: boolean;
  error?: string;
  /** Spawn to exit, as the parent saw it. */
  seconds?: number;
  /** User + system CPU of the process (and its threads). */
  cpuSeconds?: number;
  peakRssBytes?: number;
  /** Cores other processes kept busy during the run. */
  otherCores?: number;
  /** CPU the emulator (the benchmark's own process) used during the run. */
  serverCpuSeconds?: number;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** (max - min) / median, in percent. */
  spreadPct: number;
}

/** Median, range and relative spread of the finite values; NaNs when there are none. */
export function spreadOf(values: readonly number[]): Spread {
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length === 0) return { median: NaN, min: NaN, max: NaN, spreadPct: NaN };
  const mid = median(xs);
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  return { median: mid, min, max, spreadPct: mid > 0 ? ((max - min) / mid) * 100 : NaN };
}

export interface WholeProcessRow {
  command: WholeProcessCommand;
  size?: number;
  runs: number;
  okRuns: number;
  seconds: Spread;
  cpuSeconds: number;
  /** Median of each run's peak RSS. */
  peakRssMB: number;
  otherCores: number;
  serverCpuSeconds: number;
  /** Short commands: median wall time minus that of `node -e 0`, ms. */
  overNodeMs?: number;
  /** Uploads: curl's median time over ours (throughput as a fraction of curl's). */
  vsCurl?: number;
  errors: string[];
}

export interface WholeProcessSection {
  runs: number;
  /** Set when a command could not be run at all (curl missing, /usr/bin/time missing). */
  notes: string[];
  rows: WholeProcessRow[];
  records: WholeProcessRecord[];
}

/** One row per command and size, in WHOLE_PROCESS_COMMANDS order, sizes ascending. */
export function summarizeWholeProcess(records: readonly WholeProcessRecord[]): WholeProcessRow[] {
  const groups = new Map<string, WholeProcessRecord[]>();
  for (const r of records) {
    const key = `${r.command}\u0000${r.size ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: WholeProcessRow[] = [...groups.values()].map((runs) => {
    const ok = runs.filter((r) => r.ok);
    const pick = (f: (r: WholeProcessRecord) => number | undefined): number[] => ok.map(f).filter((v): v is number => v !== undefined);
    return {
      command: runs[0].command,
      ...(runs[0].size !== undefined ? { size: runs[0].size } : {}),
      runs: runs.length,
      okRuns: ok.length,
      seconds: spreadOf(pick((r) => r.seconds)),
      cpuSeconds: median(pick((r) => r.cpuSeconds)),
      peakRssMB: median(pick((r) => (r.peakRssBytes === undefined ? undefined : r.peakRssBytes / 1e6))),
      otherCores: median(pick((r) => r.otherCores)),
      serverCpuSeconds: median(pick((r) => r.serverCpuSeconds)),
      errors: runs.filter((r) => !r.ok).map((r) => r.error ?? 'failed'),
    };
  });
  const node = rows.find((r) => r.command === 'node -e 0');
  for (const row of rows) {
    if (node && (row.command === '--help' || row.command === '--version' || row.command === 'argument error')) {
      row.overNodeMs = (row.seconds.median - node.seconds.median) * 1000;
    }
    if (row.command === 'ours' || row.command === 'ours, cores apart') {
      const yardstick = row.command === 'ours' ? 'curl -T' : 'curl -T, cores apart';
      const curl = timedRow(rows, yardstick, row.size);
      if (curl) row.vsCurl = curl.seconds.median / row.seconds.median;
    }
  }
  const order = (r: WholeProcessRow): number => WHOLE_PROCESS_COMMANDS.indexOf(r.command);
  return rows.sort((a, b) => (a.size ?? -1) - (b.size ?? -1) || order(a) - order(b));
}

/** The row of `command` at `size` whose median time is known. */
function timedRow(rows: readonly WholeProcessRow[], command: WholeProcessCommand, size: number | undefined): WholeProcessRow | undefined {
  return rows.find((r) => r.command === command && r.size === size && Number.isFinite(r.seconds.median));
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Issue 19's whole-process targets, judged on the medians of this run. */
export function wholeProcessTargets(rows: readonly WholeProcessRow[]): TargetResult[] {
  const targets: TargetResult[] = [];
  const ours = (size: number): WholeProcessRow | undefined => rows.find((r) => r.command === 'ours' && r.size === size);
  const tiny = ours(1);
  if (tiny) {
    targets.push({ target: '1-byte upload, whole process: <= 0.2 s wall', measured: `${tiny.seconds.median.toFixed(3)} s`, pass: tiny.seconds.median <= 0.2 });
    targets.push({ target: '1-byte upload, whole process: <= 60 MB peak RSS', measured: `${fixedOrDash(tiny.peakRssMB, 1)} MB`, pass: Number.isFinite(tiny.peakRssMB) ? tiny.peakRssMB <= 60 : undefined });
  }
  for (const row of rows) {
    if (row.overNodeMs === undefined) continue;
    targets.push({ target: `cos-upload ${row.command}: within 30 ms of node -e 0`, measured: `${signed(row.overNodeMs)} ms`, pass: row.overNodeMs <= 30 });
  }
  for (const [size, floor] of [
    [64 * MiB, 0.85],
    [GiB, 0.92],
  ] as const) {
    const row = ours(size);
    if (!row) continue;
    targets.push({
      target: `${sizeLabel(size)} LAN, whole process: >= ${floor} of curl -T`,
      measured: row.vsCurl === undefined ? 'no curl row' : `${row.vsCurl.toFixed(2)}x`,
      pass: row.vsCurl === undefined ? undefined : row.vsCurl >= floor,
    });
  }
  return targets;
}

export const WHOLE_PROCESS_COLUMNS = ['command', 'size', 'median s', 'min-max s', 'spread', 'vs node -e 0', 'vs curl -T', 'CPU s', 'server CPU s', 'peak RSS MB', 'other load'];
export const WHOLE_PROCESS_RIGHT = [false, true, true, true, true, true, true, true, true, true, true];

export function wholeProcessCells(row: WholeProcessRow): string[] {
  const failed = row.okRuns < row.runs ? ` (${row.runs - row.okRuns}/${row.runs} failed)` : '';
  return [
    row.command + failed,
    row.size === undefined ? '-' : row.size < MiB ? `${row.size} B` : sizeLabel(row.size),
    fixedOrDash(row.seconds.median, 3),
    `${fixedOrDash(row.seconds.min, 3)}-${fixedOrDash(row.seconds.max, 3)}`,
    `${fixedOrDash(row.seconds.spreadPct, 0)}%`,
    row.overNodeMs === undefined ? '-' : `${signed(row.overNodeMs)} ms`,
    row.vsCurl === undefined ? '-' : `${row.vsCurl.toFixed(2)}x`,
    fixedOrDash(row.cpuSeconds, 3),
    fixedOrDash(row.serverCpuSeconds, 3),
    fixedOrDash(row.peakRssMB, 1),
    fixedOrDash(row.otherCores, 2),
  ];
}

/**
 * The best time ours could reach for a size on this emulator: the emulator takes its bytes on one
 * thread, so no client sends them faster than curl's one PUT does; ours also pays its own fixed
 * cost (a Node process, the bundle, a connection), which its 1-byte upload measures. So the
 * floor is ours at 1 B plus curl's time for the size beyond curl's own 1-byte run.
 */
export interface WholeProcessBound {
  size: number;
  oursFixedSeconds: number;
  curlTransferSeconds: number;
  /**
   * The emulator's CPU for ours' upload beyond its 1-byte one, over its busy share during curl: the
   * time it needs, at the most it ran in parallel, to take in what ours sends (parts, Complete).
   */
  serverSecondsForOurs?: number;
  /** Ours at 1 B plus the longer of curl's transfer and the emulator's time for ours. */
  floorSeconds: number;
  /** curl's time over the floor: the highest "vs curl -T" ours could show. */
  bestVsCurl: number;
  measuredVsCurl?: number;
  /** The emulator's CPU over curl's wall time for the size: near 1, one thread was its limit. */
  serverBusyDuringCurl: number;
}

export function wholeProcessBounds(rows: readonly WholeProcessRow[]): WholeProcessBound[] {
  const oursTiny = timedRow(rows, 'ours', 1);
  const curlTiny = timedRow(rows, 'curl -T', 1);
  if (!oursTiny || !curlTiny) return [];
  const bounds: WholeProcessBound[] = [];
  for (const curl of rows) {
    if (curl.command !== 'curl -T' || curl.size === undefined || curl.size <= 1 || !Number.isFinite(curl.seconds.median)) continue;
    const curlTransferSeconds = Math.max(0, curl.seconds.median - curlTiny.seconds.median);
    const serverBusyDuringCurl = curl.serverCpuSeconds / curl.seconds.median;
    const ours = timedRow(rows, 'ours', curl.size);
    const serverSecondsForOurs =
      ours && serverBusyDuringCurl > 0 && Number.isFinite(ours.serverCpuSeconds) && Number.isFinite(oursTiny.serverCpuSeconds)
        ? Math.max(0, ours.serverCpuSeconds - oursTiny.serverCpuSeconds) / serverBusyDuringCurl
        : undefined;
    const floorSeconds = oursTiny.seconds.median + Math.max(curlTransferSeconds, serverSecondsForOurs ?? 0);
    bounds.push({
      size: curl.size,
      oursFixedSeconds: oursTiny.seconds.median,
      curlTransferSeconds,
      ...(serverSecondsForOurs !== undefined ? { serverSecondsForOurs } : {}),
      floorSeconds,
      bestVsCurl: curl.seconds.median / floorSeconds,
      serverBusyDuringCurl,
      ...(ours?.vsCurl !== undefined ? { measuredVsCurl: ours.vsCurl } : {}),
    });
  }
  return bounds;
}

export const WHOLE_PROCESS_BOUND_COLUMNS = [
  'size',
  'emulator busy during curl',
  'ours at 1 B s',
  'curl beyond its 1 B s',
  'emulator time for ours s',
  'floor for ours s',
  'best possible vs curl -T',
  'measured vs curl -T',
];

export function wholeProcessBoundCells(bound: WholeProcessBound): string[] {
  return [
    sizeLabel(bound.size),
    Number.isFinite(bound.serverBusyDuringCurl) ? `${(bound.serverBusyDuringCurl * 100).toFixed(0)}%` : '-',
    bound.oursFixedSeconds.toFixed(3),
    bound.curlTransferSeconds.toFixed(3),
    bound.serverSecondsForOurs === undefined ? '-' : bound.serverSecondsForOurs.toFixed(3),
    bound.floorSeconds.toFixed(3),
    `${bound.bestVsCurl.toFixed(2)}x`,
    bound.measuredVsCurl === undefined ? '-' : `${bound.measuredVsCurl.toFixed(2)}x`,
  ];
}

function fixedOrDash(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function signed(ms: number): string {
  return `${ms >= 0 ? '+' : ''}${ms.toFixed(0)}`;
}
