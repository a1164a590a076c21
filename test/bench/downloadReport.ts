/**
 * The download section's figures: medians per contender, size and profile, ratios against the
 * single GET (the ceiling), the verified single GET (the ceiling with our guarantees) and the SDK's getObject, the issue's download targets with PASS/FAIL,
 * and the table (text or Markdown).
 */

import { sizeLabel, type ProfileName } from './args';
import { DOWNLOAD_CONTENDER_NAMES, type DownloadContenderDetails, type DownloadContenderName } from './downloadContenders';
import { median } from './measure';
import { markdownTable, ratioToPeer, textTable, type TargetResult } from './report';

const GiB = 1024 ** 3;

/** One download by one contender. */
export interface DownloadRecord {
  profile: ProfileName;
  size: number;
  contender: DownloadContenderName;
  run: number;
  /** The child succeeded and the file it left has the object's size and CRC64. */
  ok: boolean;
  error?: string;
  seconds?: number;
  mbps?: number;
  cpuSeconds?: number;
  peakRssBytes?: number;
  loopP99Ms?: number;
  details?: DownloadContenderDetails;
  /** Cores other processes kept busy during the run, on average (Linux only). */
  otherCores?: number;
  /** CPU seconds the emulator (the benchmark's own process) spent serving the run. */
  serverCpuSeconds?: number;
}

export interface DownloadRow {
  profile: ProfileName;
  size: number;
  contender: DownloadContenderName;
  runs: number;
  okRuns: number;
  /** Median MB/s of the verified runs. */
  mbps: number;
  vsCeiling?: number;
  /** Against one GET that also hashes every byte and fsyncs: what our guarantees cost done the simplest way. */
  vsVerified?: number;
  vsSdk?: number;
  /** Highest peak RSS of any verified run, MB. */
  peakRssMB: number;
  /** Median over runs of each run's event-loop delay p99. */
  loopP99Ms: number;
  cpuSecondsPerGiB: number;
  serverCpuSecondsPerGiB: number;
  otherCores: number;
  /** Ranged GETs and most in flight, from the first verified run. */
  ranges?: number;
  partSize?: number;
  concurrency?: number;
  crc64Verified?: boolean;
  errors: string[];
}

export interface DownloadSection {
  profiles: { name: ProfileName; description: string }[];
  runs: number;
  rows: DownloadRow[];
  targets: TargetResult[];
  /** 1-minute load average when the section ended (the machine is shared). */
  loadAverageEnd: number;
  records: DownloadRecord[];
}

const finite = (values: (number | undefined)[]): number[] => values.filter((v): v is number => v !== undefined && Number.isFinite(v));

export function summarizeDownloads(records: readonly DownloadRecord[]): DownloadRow[] {
  const groups = new Map<string, DownloadRecord[]>();
  for (const r of records) {
    const id = `${r.profile}|${r.size}|${r.contender}`;
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  const rows: DownloadRow[] = [];
  for (const group of groups.values()) {
    const ok = group.filter((r) => r.ok);
    const first = group[0];
    const perGiB = (seconds: number | undefined, r: DownloadRecord): number | undefined => (seconds === undefined ? undefined : seconds / (r.size / GiB));
    const peaks = finite(ok.map((r) => r.peakRssBytes));
    rows.push({
      profile: first.profile,
      size: first.size,
      contender: first.contender,
      runs: group.length,
      okRuns: ok.length,
      mbps: median(finite(ok.map((r) => r.mbps))),
      peakRssMB: peaks.length ? Math.max(...peaks) / 1e6 : NaN,
      loopP99Ms: median(finite(ok.map((r) => r.loopP99Ms))),
      cpuSecondsPerGiB: median(finite(ok.map((r) => perGiB(r.cpuSeconds, r)))),
      serverCpuSecondsPerGiB: median(finite(ok.map((r) => perGiB(r.serverCpuSeconds, r)))),
      otherCores: median(finite(group.map((r) => r.otherCores))),
      ...(ok[0]?.details
        ? { ranges: ok[0].details.ranges, partSize: ok[0].details.partSize, concurrency: Math.max(...ok.map((r) => r.details?.concurrency ?? 0)), crc64Verified: ok[0].details.crc64Verified }
        : {}),
      errors: group.filter((r) => !r.ok).map((r) => r.error ?? 'failed'),
    });
  }
  for (const row of rows) {
    const ceiling = ratioToPeer(rows, row, 'single-get');
    const verified = ratioToPeer(rows, row, 'single-get-verified');
    const sdk = ratioToPeer(rows, row, 'sdk-getobject');
    if (ceiling !== undefined) row.vsCeiling = ceiling;
    if (verified !== undefined) row.vsVerified = verified;
    if (sdk !== undefined) row.vsSdk = sdk;
  }
  return rows;
}

/** The issue's download targets: LAN ours >= 0.9x the single GET, WAN ours >= 5x the SDK's getObject, at every size measured. */
export function downloadTargets(rows: readonly DownloadRow[]): TargetResult[] {
  const targets: TargetResult[] = [];
  const find = (profile: ProfileName, size: number, contender: DownloadContenderName): DownloadRow | undefined =>
    rows.find((r) => r.profile === profile && r.size === size && r.contender === contender && r.okRuns > 0);
  const check = (profile: ProfileName, peerName: DownloadContenderName, min: number, label: string): void => {
    const sizes = [...new Set(rows.filter((r) => r.profile === profile).map((r) => r.size))].sort((a, b) => a - b);
    if (sizes.length === 0) targets.push({ target: label, measured: `not measured: no ${profile.toUpperCase()} downloads`, pass: undefined });
    for (const size of sizes) {
      const target = `${label}, ${sizeLabel(size)}`;
      const ours = find(profile, size, 'ours-download');
      const peer = find(profile, size, peerName);
      if (!ours || !peer) {
        targets.push({ target, measured: `not measured: needs verified runs of ours-download and ${peerName}`, pass: undefined });
        continue;
      }
      const ratio = ours.mbps / peer.mbps;
      targets.push({ target, measured: `${ratio.toFixed(2)}x (${ours.mbps.toFixed(0)} vs ${peer.mbps.toFixed(0)} MB/s)`, pass: ratio >= min });
    }
  };
  check('lan', 'single-get', 0.9, 'Download LAN: ours (CRC64 verified) >= 0.90x one streamed GET');
  check('wan', 'sdk-getobject', 5, "Download WAN: ours >= 5x the SDK's getObject");
  return targets;
}

export const DOWNLOAD_COLUMNS = ['contender', 'size', 'MB/s', 'vs single GET', 'vs verified GET', 'vs SDK', 'peak RSS MB', 'loop p99 ms', 'CPU s/GiB', 'server CPU s/GiB', 'GETs', 'CRC64', 'other load'];
const RIGHT = [false, true, true, true, true, true, true, true, true, true, false, false, true];

function fixed(value: number | undefined, digits: number, suffix = ''): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(digits)}${suffix}`;
}

export function downloadCells(row: DownloadRow): string[] {
  const gets = row.ranges === undefined ? '-' : row.ranges === 1 ? 'one GET' : `${sizeLabel(row.partSize ?? 0)} x ${row.ranges}, ${row.concurrency ?? '?'} in flight`;
  return [
    row.okRuns < row.runs ? `${row.contender} (${row.okRuns}/${row.runs} ok)` : row.contender,
    sizeLabel(row.size),
    fixed(row.mbps, 1),
    fixed(row.vsCeiling, 2, 'x'),
    fixed(row.vsVerified, 2, 'x'),
    fixed(row.vsSdk, 2, 'x'),
    fixed(row.peakRssMB, 0),
    fixed(row.loopP99Ms, 1),
    fixed(row.cpuSecondsPerGiB, 2),
    fixed(row.serverCpuSecondsPerGiB, 2),
    gets,
    row.crc64Verified === undefined ? '-' : row.crc64Verified ? 'verified' : 'no',
    fixed(row.otherCores, 2),
  ];
}

/** Each run's MB/s of the row's contender, size and profile; a failed run shows as "failed". */
function runFigures(records: readonly DownloadRecord[], row: DownloadRow): string {
  return records
    .filter((r) => r.profile === row.profile && r.size === row.size && r.contender === row.contender)
    .sort((a, b) => a.run - b.run)
    .map((r) => (r.ok ? fixed(r.mbps, 1) : 'failed'))
    .join(', ');
}

/** The download section: heading, explanation, one table per profile and the failures. */
export function downloadLines(section: DownloadSection, markdown: boolean): string[] {
  const table = markdown ? markdownTable : textTable;
  const heading = (text: string): string[] => [markdown ? `### ${text}` : `== ${text}`, ''];
  const order: readonly string[] = DOWNLOAD_CONTENDER_NAMES;
  const out = [
    ...heading('Downloads'),
    `Each contender downloads the same object from one emulator on loopback into a new file, from its own process, ${section.runs} run(s) per row with the order rotating; median MB/s (1 MB = 10^6 bytes). ` +
      '`ours-download` is the core at its defaults (parallel ranged GETs with If-Match, CRC64 of every byte compared with the object\'s); `sdk-getobject` is `cos-nodejs-sdk-v5` getObject into a file write stream at its defaults; `single-get` is one streamed GET piped into a file (undici, no verification): the ceiling; `single-get-verified` is the same GET with our guarantees done the simplest way (CRC64 of every byte with the engine ours uses, compared with the object\'s; fsync before close; rename into place): the verified ceiling. ' +
      'After every run the benchmark compares the file\'s size and CRC64 with the object\'s: a run that left other bytes counts as failed. Peak RSS is the highest of the runs; loop p99 and CPU are medians; "server CPU" is the emulator\'s, which shares the cores.',
    '',
  ];
  for (const profile of section.profiles) {
    const rows = section.rows
      .filter((r) => r.profile === profile.name)
      .sort((a, b) => a.size - b.size || order.indexOf(a.contender) - order.indexOf(b.contender));
    if (rows.length === 0) continue;
    out.push(...heading(`Download ${profile.name.toUpperCase()}: ${profile.description}`), table(DOWNLOAD_COLUMNS, rows.map(downloadCells), RIGHT), '');
    out.push(`Run by run (MB/s, in run order): ${rows.map((row) => `${row.contender} ${sizeLabel(row.size)} ${runFigures(section.records, row)}`).join('; ')}.`, '');
    for (const row of rows) for (const e of new Set(row.errors)) out.push(`  ${row.contender} ${sizeLabel(row.size)} failed: ${e}`);
  }
  return out;
}
