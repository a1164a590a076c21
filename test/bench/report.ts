/**
 * Turning run records into the benchmark's figures: medians per contender and size, ratios, the
 * issue's targets with PASS/FAIL computed from the figures, and the tables (text and Markdown).
 */

import * as os from 'node:os';
import { sizeLabel, type ProfileName } from './args';
import { CONTENDER_NAMES, type ContenderDetails, type ContenderName, type HashSpeeds } from './contenders';
import type { DownloadSection } from './downloadReport';
import { median } from './measure';
import { WHOLE_PROCESS_BOUND_COLUMNS, WHOLE_PROCESS_COLUMNS, WHOLE_PROCESS_RIGHT, wholeProcessBoundCells, wholeProcessBounds, wholeProcessCells, type WholeProcessSection } from './wholeProcessReport';

const GiB = 1024 ** 3;

export interface MachineInfo {
  cpu: string;
  cores: number;
  node: string;
  os: string;
  totalMemoryGB: number;
  /** 1-minute load average when the run began: other work on the machine skews every figure. */
  loadAverage: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    totalMemoryGB: Math.round(os.totalmem() / 1e8) / 10,
    loadAverage: Math.round(os.loadavg()[0] * 100) / 100,
  };
}

/** One upload by one contender. */
export interface RunRecord {
  profile: ProfileName;
  size: number;
  contender: ContenderName;
  run: number;
  ok: boolean;
  error?: string;
  seconds?: number;
  mbps?: number;
  cpuSeconds?: number;
  rssStartBytes?: number;
  peakRssBytes?: number;
  /** Breakdown at the highest sampled RSS, bytes. */
  memoryAtPeak?: { rss: number; heapTotal: number; external: number; arrayBuffers: number };
  loopP99Ms?: number;
  loopMaxMs?: number;
  /** Start of the upload call to the arrival of the first Upload Part / Put Object at the emulator. */
  ttfbMs?: number;
  /** Start of the upload call to the arrival of its first request of any kind. */
  firstRequestMs?: number;
  details?: ContenderDetails;
  /** The emulator holds an object of the file's size and CRC64. */
  verified?: boolean;
  /** Cores other processes kept busy during the run, on average (Linux only). */
  otherCores?: number;
  /** CPU seconds the emulator (the benchmark's own process) spent during the run. */
  serverCpuSeconds?: number;
}

/** The figures of one contender at one size in one profile, over its runs. */
/** `row`'s MB/s over that of `contender` at the same profile and size, when both are known (upload and download rows). */
export function ratioToPeer<R extends { profile: ProfileName; size: number; contender: string; mbps: number }>(rows: readonly R[], row: R, contender: R['contender']): number | undefined {
  if (!Number.isFinite(row.mbps)) return undefined;
  const peer = rows.find((r) => r.profile === row.profile && r.size === row.size && r.contender === contender && Number.isFinite(r.mbps));
  return peer ? row.mbps / peer.mbps : undefined;
}

export interface RowSummary {
  profile: ProfileName;
  size: number;
  contender: ContenderName;
  runs: number;
  okRuns: number;
  /** Median MB/s (decimal MB) of the successful runs. */
  mbps: number;
  vsSdkDefault?: number;
  vsCeiling?: number;
  /** Highest peak RSS of any run, MB. */
  peakRssMB: number;
  /** Median RSS before the upload began, MB. */
  rssStartMB: number;
  cpuSecondsPerGiB: number;
  /** The emulator's CPU seconds per GiB uploaded (median): the server's share of the machine. */
  serverCpuSecondsPerGiB: number;
  /** Median over runs of each run's event-loop delay p99. */
  loopP99Ms: number;
  loopMaxMs: number;
  ttfbMs: number;
  /** Median cores busy with other processes during the runs. */
  otherCores: number;
  partSize?: number;
  /** Highest parts-in-flight reported. */
  concurrency?: number;
  errors: string[];
}

export interface TrafficLimitResult {
  limitBitsPerSecond: number;
  size: number;
  seconds: number;
  /** Parts in flight the engine reported. */
  concurrency: number;
  /** Median over parts of part bytes / part duration, Mbit/s. */
  perRequestMbps: number;
  perRequestErrorPct: number;
  aggregateMbps: number;
  /** limit × concurrency: what the per-request limit allows in total. */
  allowedAggregateMbps: number;
  error?: string;
}

export interface TargetResult {
  target: string;
  measured: string;
  /** undefined: not measured in this run (the row it needs was not selected). */
  pass: boolean | undefined;
}

export interface ProfileInfo {
  name: ProfileName;
  description: string;
  latencyMs: number;
  connMbps: number;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  profiles: ProfileInfo[];
  runsPerRow: number;
  /** Our defaults at the time of the run, as the core reports them. */
  ourDefaults: { concurrency: number; maxConcurrency: number; partSize: string };
  rows: RowSummary[];
  trafficLimit?: TrafficLimitResult;
  hash?: HashSpeeds;
  targets: TargetResult[];
  records: RunRecord[];
  /** Whole processes timed spawn to exit (cos-upload, curl -T, node -e 0). */
  wholeProcess?: WholeProcessSection;
  /** Downloads: ours, the SDK's getObject and one streamed GET (downloadBench.ts). */
  download?: DownloadSection;
}

/** Largest value, NaN for none (Math.max() of nothing is -Infinity). */
function maxOf(values: readonly number[]): number {
  return values.length === 0 ? NaN : Math.max(...values);
}

export function summarize(records: readonly RunRecord[]): RowSummary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const id = `${r.profile}|${r.size}|${r.contender}`;
    const group = groups.get(id) ?? [];
    group.push(r);
    groups.set(id, group);
  }
  const rows: RowSummary[] = [];
  for (const group of groups.values()) {
    const ok = group.filter((r) => r.ok);
    const first = group[0];
    const pick = (f: (r: RunRecord) => number | undefined): number[] => ok.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const concurrencies = pick((r) => r.details?.concurrency);
    rows.push({
      profile: first.profile,
      size: first.size,
      contender: first.contender,
      runs: group.length,
      okRuns: ok.length,
      mbps: median(pick((r) => r.mbps)),
      peakRssMB: maxOf(pick((r) => r.peakRssBytes)) / 1e6,
      rssStartMB: median(pick((r) => r.rssStartBytes)) / 1e6,
      cpuSecondsPerGiB: median(pick((r) => (r.cpuSeconds === undefined ? undefined : r.cpuSeconds / (r.size / GiB)))),
      serverCpuSecondsPerGiB: median(pick((r) => (r.serverCpuSeconds === undefined ? undefined : r.serverCpuSeconds / (r.size / GiB)))),
      loopP99Ms: median(pick((r) => r.loopP99Ms)),
      loopMaxMs: maxOf(pick((r) => r.loopMaxMs)),
      ttfbMs: median(pick((r) => r.ttfbMs)),
      otherCores: median(group.map((r) => r.otherCores).filter((v): v is number => v !== undefined)),
      ...(ok[0]?.details?.partSize !== undefined ? { partSize: ok[0].details.partSize } : {}),
      ...(concurrencies.length ? { concurrency: Math.max(...concurrencies) } : {}),
      errors: group.filter((r) => !r.ok).map((r) => r.error ?? 'failed'),
    });
  }
  for (const row of rows) {
    const sdk = ratioToPeer(rows, row, 'sdk-default');
    const ceiling = ratioToPeer(rows, row, 'ceiling');
    if (sdk !== undefined) row.vsSdkDefault = sdk;
    if (ceiling !== undefined) row.vsCeiling = ceiling;
  }
  return rows;
}

/** The targets, each computed from the figures of this run. */
export function evaluateTargets(
  rows: readonly RowSummary[],
  trafficLimit: TrafficLimitResult | undefined,
  ourConcurrency: number,
): TargetResult[] {
  const targets: TargetResult[] = [];
  const find = (profile: ProfileName, size: number, contender: ContenderName): RowSummary | undefined =>
    rows.find((r) => r.profile === profile && r.size === size && r.contender === contender && r.okRuns > 0);
  const sizesOf = (profile: ProfileName): number[] => [...new Set(rows.filter((r) => r.profile === profile).map((r) => r.size))].sort((a, b) => a - b);
  const notMeasured = (target: string, why: string): void => {
    targets.push({ target, measured: `not measured: ${why}`, pass: undefined });
  };

  const ratioTarget = (profile: ProfileName, other: ContenderName, min: number, label: string): void => {
    const sizes = sizesOf(profile);
    if (sizes.length === 0) notMeasured(label, `no ${profile.toUpperCase()} runs`);
    for (const size of sizes) {
      const ours = find(profile, size, 'ours');
      const peer = find(profile, size, other);
      const target = `${label}, ${sizeLabel(size)}`;
      if (!ours || !peer) {
        notMeasured(target, `needs ours and ${other}`);
        continue;
      }
      const ratio = ours.mbps / peer.mbps;
      targets.push({ target, measured: `${ratio.toFixed(2)}x (${ours.mbps.toFixed(0)} vs ${peer.mbps.toFixed(0)} MB/s)`, pass: ratio >= min });
    }
  };
  ratioTarget('lan', 'ceiling', 0.9, 'LAN: ours >= 0.90x the single-PUT ceiling');
  ratioTarget('lan', 'sdk-tuned', 1.2, 'LAN: ours >= 1.2x the SDK at equal part size and concurrency');
  ratioTarget('wan', 'sdk-default', 5, "WAN: ours >= 5x the SDK's defaults");

  if (!trafficLimit) {
    notMeasured('x-cos-traffic-limit: per-request rate within 5% of the limit', 'the check was skipped');
  } else if (trafficLimit.error) {
    targets.push({ target: 'x-cos-traffic-limit: per-request rate within 5% of the limit', measured: `failed: ${trafficLimit.error}`, pass: false });
  } else {
    const limitMbps = trafficLimit.limitBitsPerSecond / 1e6;
    targets.push({
      target: 'x-cos-traffic-limit: per-request rate within 5% of the limit',
      measured: `${trafficLimit.perRequestMbps.toFixed(1)} Mbit/s per request vs ${limitMbps.toFixed(1)} (${signedPct(trafficLimit.perRequestErrorPct)})`,
      pass: Math.abs(trafficLimit.perRequestErrorPct) <= 5,
    });
  }

  const ourRows = rows.filter((r) => r.contender === 'ours' && r.okRuns > 0);
  if (ourRows.length === 0) notMeasured('Peak RSS <= 100 MB + concurrency x part size', 'no runs of ours');
  for (const row of ourRows) {
    const concurrency = Math.max(ourConcurrency, row.concurrency ?? 0);
    const budgetMB = 100 + (concurrency * (row.partSize ?? 0)) / 1e6;
    targets.push({
      target: `Peak RSS <= 100 MB + concurrency x part size, ${row.profile.toUpperCase()} ${sizeLabel(row.size)}`,
      measured: `${row.peakRssMB.toFixed(0)} MB (budget ${budgetMB.toFixed(0)} MB = 100 + ${concurrency} x ${((row.partSize ?? 0) / 1e6).toFixed(1)})`,
      pass: row.peakRssMB <= budgetMB,
    });
  }

  const gibRows = ourRows.filter((r) => r.size === GiB);
  if (gibRows.length === 0) {
    notMeasured('Event-loop delay p99 <= 20 ms during a 1 GiB upload', 'no 1 GiB run of ours');
    notMeasured('First byte on the wire <= 100 ms after the start, 1 GiB', 'no 1 GiB run of ours');
  }
  for (const row of gibRows) {
    targets.push({
      target: `Event-loop delay p99 <= 20 ms during a 1 GiB upload, ${row.profile.toUpperCase()}`,
      measured: `${row.loopP99Ms.toFixed(1)} ms (max ${row.loopMaxMs.toFixed(1)} ms)`,
      pass: row.loopP99Ms <= 20,
    });
  }
  for (const row of gibRows) {
    targets.push({
      target: `First byte on the wire <= 100 ms after the start, 1 GiB, ${row.profile.toUpperCase()}`,
      measured: `${row.ttfbMs.toFixed(0)} ms`,
      pass: row.ttfbMs <= 100,
    });
  }
  return targets;
}

function signedPct(pct: number): string {
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

// ------------------------------------------------------------------------------------------ tables

const COLUMNS = ['contender', 'size', 'MB/s', 'vs SDK default', 'vs ceiling', 'peak RSS MB', 'CPU s/GiB', 'server CPU s/GiB', 'loop p99 ms', 'first byte ms', 'parts', 'other load'];
/** Right-align every figure column. */
const RIGHT = [false, true, true, true, true, true, true, true, true, true, false, true];

function fixed(value: number | undefined, digits: number, suffix = ''): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(digits)}${suffix}`;
}

function rowCells(row: RowSummary): string[] {
  const failed = row.okRuns < row.runs ? ` (${row.runs - row.okRuns}/${row.runs} failed)` : '';
  const parts =
    row.contender === 'ceiling' ? 'one PUT' : `${row.partSize ? sizeLabel(row.partSize) : '?'} x ${row.concurrency ?? '?'}`;
  return [
    row.contender + failed,
    sizeLabel(row.size),
    fixed(row.mbps, 1),
    fixed(row.vsSdkDefault, 2, 'x'),
    fixed(row.vsCeiling, 2, 'x'),
    fixed(row.peakRssMB, 0),
    fixed(row.cpuSecondsPerGiB, 2),
    fixed(row.serverCpuSecondsPerGiB, 2),
    fixed(row.loopP99Ms, 1),
    fixed(row.ttfbMs, 0),
    parts,
    fixed(row.otherCores, 2),
  ];
}

export function textTable(header: string[], body: string[][], right: boolean[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function markdownTable(header: string[], body: string[][], right: boolean[] = []): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map((_, i) => (right[i] ? '---:' : '---')).join(' | ')} |`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function orderedRows(rows: readonly RowSummary[], profile: ProfileName): RowSummary[] {
  // Rows follow the order the contenders are declared in.
  const order: readonly ContenderName[] = CONTENDER_NAMES;
  return rows
    .filter((r) => r.profile === profile)
    .sort((a, b) => a.size - b.size || order.indexOf(a.contender) - order.indexOf(b.contender));
}

export function machineLine(m: MachineInfo): string {
  return `${m.cpu}, ${m.cores} cores, ${m.totalMemoryGB} GB RAM, ${m.os}, Node ${m.node}, load average ${m.loadAverage} at start`;
}

function verdict(pass: boolean | undefined): string {
  return pass === undefined ? 'n/a' : pass ? 'PASS' : 'FAIL';
}

/** The whole report as text (markdown = false) or Markdown. */
export function renderReport(report: BenchReport, markdown: boolean): string {
  const table = markdown ? markdownTable : textTable;
  const out: string[] = [];
  const heading = (text: string): void => {
    out.push(markdown ? `### ${text}` : `== ${text}`, '');
  };
  heading('Benchmark');
  out.push(
    `Machine: ${machineLine(report.machine)}.`,
    `Run ${report.startedAt} (${report.runsPerRow} run(s) per row, median MB/s; 1 MB = 10^6 bytes). ` +
      `Our defaults: part size ${report.ourDefaults.partSize}, concurrency ${report.ourDefaults.concurrency} (max ${report.ourDefaults.maxConcurrency}).`,
    'Each contender uploads the same file from its own process to one emulator on loopback that hashes (MD5, CRC64) and discards the bytes. ' +
      'Peak RSS is the highest of the runs; CPU, loop p99 and first byte are medians; "server CPU" is the emulator\'s, which shares the 2 cores. `ours-md5` (ours with Content-MD5 on every part, as the SDK sends it), `ours-max` (ours with the maximum concurrency from the start) and `ours-shared` (ours without the V8 flags the CLI sets for its own process, as in the extension host) are diagnostics, not target rows. ' +
      '"other load" is the cores other processes kept busy during the runs (median): above about 0.2 the figures are disturbed.',
    '',
  );
  for (const profile of report.profiles) {
    const rows = orderedRows(report.rows, profile.name);
    if (rows.length === 0) continue;
    heading(`${profile.name.toUpperCase()}: ${profile.description}`);
    out.push(markdown ? table(COLUMNS, rows.map(rowCells), RIGHT) : table(COLUMNS, rows.map(rowCells), RIGHT), '');
    for (const row of rows) for (const e of new Set(row.errors)) out.push(`  ${row.contender} ${sizeLabel(row.size)} failed: ${e}`);
  }
  if (report.trafficLimit) {
    const t = report.trafficLimit;
    heading('x-cos-traffic-limit');
    out.push(
      t.error
        ? `The check failed: ${t.error}`
        : `Limit ${(t.limitBitsPerSecond / 1e6).toFixed(1)} Mbit/s per request (the header goes on each Upload Part), ${sizeLabel(t.size)}, LAN: ` +
            `each part ran at ${t.perRequestMbps.toFixed(1)} Mbit/s (median, ${signedPct(t.perRequestErrorPct)}); with ${t.concurrency} parts in flight ` +
            `the upload ran at ${t.aggregateMbps.toFixed(1)} Mbit/s, against ${t.allowedAggregateMbps.toFixed(1)} allowed (limit x concurrency).`,
      '',
    );
  }
  if (report.hash) {
    const h = report.hash;
    heading('Hashing engines (one core, best of 3 over 256 MiB)');
    out.push(
      table(
        ['engine', 'MB/s'],
        [
          ['CRC64 liblzma (lzma_crc64, src/native)', fixed(h.crc64LzmaMBps, 0)],
          ['CRC64 native (crc64-ecma182)', fixed(h.crc64NativeMBps, 0)],
          ['CRC64 WebAssembly (hash-wasm)', fixed(h.crc64WasmMBps, 0)],
          ['CRC64 TypeScript fallback', fixed(h.crc64TypescriptMBps, 0)],
          ['MD5 (node:crypto)', fixed(h.md5MBps, 0)],
        ],
        [false, true],
      ),
      '',
      `The core uses the ${h.coreEngine} CRC64 engine on this machine.`,
      '',
    );
  }
  if (report.wholeProcess) out.push(...wholeProcessLines(report.wholeProcess, markdown));
  heading('Targets (2 cores, Node 20; compared inside this run)');
  out.push(table(['target', 'measured', 'result'], report.targets.map((t) => [t.target, t.measured, verdict(t.pass)])), '');
  return out.join('\n');
}

/** The whole-process section's heading, explanation and table. */
export function wholeProcessLines(section: WholeProcessSection, markdown: boolean): string[] {
  const table = markdown ? markdownTable : textTable;
  return [
    markdown ? '### Whole process (LAN profile): spawn to exit' : '== Whole process (LAN profile): spawn to exit',
    '',
    `Each row spawns a new process per run, timed from spawn to exit, ${section.runs} interleaved round(s), order rotating; median, range and spread ((max-min)/median). ` +
      '`ours` is `node dist/cli.js upload` (default output, drained); `curl -T` one signed PUT of the same file to the same emulator (the ceiling). ' +
      '"vs curl -T" is curl\'s median time over ours; "vs node -e 0" the median time over an empty Node process. CPU and peak RSS are medians of the processes\' own figures (/usr/bin/time); ' +
      '"server CPU s" is what the emulator used meanwhile. The "cores apart" rows run the same uploads with the client held on core 1 and the emulator on core 0 (taskset), so neither takes CPU from the other; they run after all the other rounds, as they slowed the unpinned uploads that followed them.',
    '',
    table(WHOLE_PROCESS_COLUMNS, section.rows.map(wholeProcessCells), WHOLE_PROCESS_RIGHT),
    '',
    ...boundLines(section, markdown),
    ...section.notes.map((n) => `Note: ${n}`),
    ...section.rows.flatMap((row) => [...new Set(row.errors)].map((e) => `  ${row.command} failed: ${e}`)),
    '',
  ];
}

/** What the emulator allows ours at best, from this run's own rows (see wholeProcessBounds). */
function boundLines(section: WholeProcessSection, markdown: boolean): string[] {
  const bounds = wholeProcessBounds(section.rows);
  if (bounds.length === 0) return [];
  const table = markdown ? markdownTable : textTable;
  return [
    'The emulator hashes (MD5, CRC64) every byte on one thread: when it is busy near 100% of curl\'s time (its CPU over curl\'s wall time), no client gets bytes into it faster than curl\'s one PUT, ' +
      'and ours also pays its fixed cost, its 1-byte upload. The emulator also works longer for ours\' upload (parts, Complete) than for curl\'s one PUT: its CPU during ours beyond ours\' 1-byte run, ' +
      'at most as busy as during curl, is the emulator\'s time for ours. Floor for ours = ours at 1 B + the longer of curl\'s time beyond its own 1-byte run and the emulator\'s time for ours; ' +
      'the best ratio ours could show is curl\'s time over that floor.',
    '',
    table(WHOLE_PROCESS_BOUND_COLUMNS, bounds.map(wholeProcessBoundCells), WHOLE_PROCESS_BOUND_COLUMNS.map((_, i) => i > 0)),
    '',
  ];
}

/** The report of `--whole-process-only`: the machine, the section and its targets. */
export function renderWholeProcessReport(machine: MachineInfo, startedAt: string, section: WholeProcessSection, targets: readonly TargetResult[], markdown: boolean): string {
  const table = markdown ? markdownTable : textTable;
  return [
    `Machine: ${machineLine(machine)}. Run ${startedAt}.`,
    '',
    ...wholeProcessLines(section, markdown),
    markdown ? '### Whole-process targets' : '== Whole-process targets',
    '',
    table(['target', 'measured', 'result'], targets.map((t) => [t.target, t.measured, verdict(t.pass)])),
    '',
  ].join('\n');
}
