/**
 * The benchmark's own logic (options, medians, ratios, target verdicts, tables); the uploads
 * themselves are exercised by running it. Run with: npx mocha --require tsx test/bench/bench.test.ts
 */
import * as assert from 'node:assert/strict';
import { parseBenchArgs, sizeLabel } from './args';
import { median } from './measure';
import { DOWNLOAD_COLUMNS, downloadCells, downloadTargets, summarizeDownloads, type DownloadRecord } from './downloadReport';
import { evaluateTargets, markdownTable, summarize, textTable, type RunRecord, type TrafficLimitResult } from './report';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function record(over: Partial<RunRecord> & Pick<RunRecord, 'contender' | 'mbps'>): RunRecord {
  return {
    profile: 'lan',
    size: GiB,
    run: 1,
    ok: true,
    seconds: GiB / 1e6 / (over.mbps ?? 1),
    cpuSeconds: 2,
    rssStartBytes: 50e6,
    peakRssBytes: 120e6,
    loopP99Ms: 5,
    loopMaxMs: 9,
    ttfbMs: 30,
    details: { partSize: 8 * MiB, concurrency: 4 },
    verified: true,
    ...over,
  };
}

describe('benchmark options', () => {
  it('defaults to both profiles, 3 runs, 1 GiB on LAN and 512 MiB on WAN, and the Markdown file', () => {
    const o = parseBenchArgs([]);
    assert.deepEqual(o.profiles, ['lan', 'wan']);
    assert.equal(o.runs, 3);
    assert.deepEqual(o.sizes.lan, [64 * MiB, GiB]);
    assert.deepEqual(o.sizes.wan, [64 * MiB, 512 * MiB]);
    assert.equal(o.markdown, 'test/bench/LAST_RUN.md');
    assert.equal(o.markdownIsDefault, true);
  });

  it('--quick runs 64 MiB once and writes no Markdown unless asked', () => {
    const o = parseBenchArgs(['--quick']);
    assert.deepEqual(o.sizes, { lan: [64 * MiB], wan: [64 * MiB] });
    assert.equal(o.runs, 1);
    assert.equal(o.markdown, undefined);
    assert.equal(parseBenchArgs(['--quick', '--md', 'x.md']).markdown, 'x.md');
  });

  it('--sizes applies to both profiles, --big adds 10 GiB to LAN, --wan-sizes overrides WAN', () => {
    const o = parseBenchArgs(['--sizes=8MiB,2GiB', '--big', '--wan-sizes', '16MiB', '--runs', '5', '--profiles', 'wan']);
    assert.deepEqual(o.sizes.lan, [8 * MiB, 2 * GiB, 10 * GiB]);
    assert.deepEqual(o.sizes.wan, [16 * MiB]);
    assert.equal(o.runs, 5);
    assert.deepEqual(o.profiles, ['wan']);
  });

  it('rejects unknown options, contenders, profiles and sizes below 1 MiB', () => {
    assert.throws(() => parseBenchArgs(['--fast']), /Unknown option/);
    assert.throws(() => parseBenchArgs(['--contenders', 'ours,aws']), /Unknown contender.*aws/);
    assert.throws(() => parseBenchArgs(['--profiles', 'lan,moon']), /Unknown profile.*moon/);
    assert.throws(() => parseBenchArgs(['--sizes', '512KiB']), /at least 1 MiB/);
    assert.throws(() => parseBenchArgs(['--runs', '0']), /whole number of at least 1/);
  });

  it('--small-sets, --small-contenders and --cpu-prof pick a set, contenders and a profile folder for the small-files section', () => {
    const o = parseBenchArgs(['--small-files-only', '--small-sets', '64KiB', '--small-contenders', 'ours,bare-put', '--cpu-prof', '/tmp/prof']);
    assert.deepEqual(o.smallFileSizes, [64 * 1024]);
    assert.deepEqual(o.smallFilesContenders, ['ours', 'bare-put']);
    assert.equal(o.cpuProfDir, '/tmp/prof');
    assert.equal(parseBenchArgs(['--small-files-only']).smallFilesContenders, undefined);
    assert.throws(() => parseBenchArgs(['--small-contenders', 'ours,aws']), /Unknown small-files contender.*aws/);
  });

  it('labels sizes in binary units', () => {
    assert.equal(sizeLabel(64 * MiB), '64 MiB');
    assert.equal(sizeLabel(GiB), '1 GiB');
    assert.equal(sizeLabel(10 * GiB), '10 GiB');
  });
});

describe('benchmark figures', () => {
  it('median ignores non-finite values and averages the middle pair', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([NaN, 7]), 7);
    assert.ok(Number.isNaN(median([])));
  });

  it('summarizes runs into medians, the highest RSS and ratios to the SDK default and the ceiling', () => {
    const rows = summarize([
      record({ contender: 'ours', mbps: 300, run: 1, peakRssBytes: 130e6 }),
      record({ contender: 'ours', mbps: 500, run: 2, peakRssBytes: 110e6 }),
      record({ contender: 'ours', mbps: 400, run: 3, peakRssBytes: 120e6 }),
      record({ contender: 'sdk-default', mbps: 200, details: { partSize: MiB, concurrency: 3 } }),
      record({ contender: 'ceiling', mbps: 500 }),
    ]);
    const ours = rows.find((r) => r.contender === 'ours');
    assert.ok(ours);
    assert.equal(ours.mbps, 400);
    assert.equal(ours.peakRssMB, 130);
    assert.equal(ours.vsSdkDefault, 2);
    assert.equal(ours.vsCeiling, 0.8);
    assert.equal(ours.okRuns, 3);
    assert.equal(ours.cpuSecondsPerGiB, 2);
  });

  it('a failed run is counted but gives no figures', () => {
    const rows = summarize([record({ contender: 'ours', mbps: 100 }), { profile: 'lan', size: GiB, contender: 'ours', run: 2, ok: false, error: 'boom' }]);
    assert.equal(rows[0].runs, 2);
    assert.equal(rows[0].okRuns, 1);
    assert.equal(rows[0].mbps, 100);
    assert.deepEqual(rows[0].errors, ['boom']);
  });

  it('computes each target from the figures', () => {
    const rows = summarize([
      record({ contender: 'ours', mbps: 460, loopP99Ms: 25, ttfbMs: 40, peakRssBytes: 140e6 }),
      record({ contender: 'ceiling', mbps: 500 }),
      record({ contender: 'sdk-tuned', mbps: 400 }),
      record({ profile: 'wan', size: 512 * MiB, contender: 'ours', mbps: 150 }),
      record({ profile: 'wan', size: 512 * MiB, contender: 'sdk-default', mbps: 36 }),
    ]);
    const limit: TrafficLimitResult = {
      limitBitsPerSecond: 50e6,
      size: 64 * MiB,
      seconds: 3,
      concurrency: 4,
      perRequestMbps: 53,
      perRequestErrorPct: 6,
      aggregateMbps: 200,
      allowedAggregateMbps: 200,
    };
    const targets = evaluateTargets(rows, limit, 4);
    const verdict = (prefix: string): boolean | undefined => targets.find((t) => t.target.startsWith(prefix))?.pass;
    assert.equal(verdict('LAN: ours >= 0.90x'), true); // 460 / 500 = 0.92
    assert.equal(verdict('LAN: ours >= 1.2x'), false); // 460 / 400 = 1.15
    assert.equal(verdict('WAN: ours >= 5x'), false); // 150 / 36 = 4.2
    assert.equal(verdict('x-cos-traffic-limit'), false); // 6% off
    assert.equal(verdict('Peak RSS <= 100 MB + concurrency x part size, LAN'), false); // 140 > 100 + 4 x 8.39
    assert.equal(verdict('Event-loop delay'), false); // 25 ms
    assert.equal(verdict('First byte'), true); // 40 ms
  });

  it('marks targets whose rows were not measured as n/a rather than passing them', () => {
    const targets = evaluateTargets(summarize([record({ size: 64 * MiB, contender: 'ours', mbps: 100 })]), undefined, 4);
    const loop = targets.find((t) => t.target.startsWith('Event-loop delay'));
    assert.equal(loop?.pass, undefined);
    assert.match(loop?.measured ?? '', /not measured/);
    assert.equal(targets.find((t) => t.target.startsWith('WAN'))?.pass, undefined);
  });
});

describe('benchmark tables', () => {
  it('aligns text columns and right-aligns figures', () => {
    const text = textTable(['name', 'MB/s'], [['ours', '412.5'], ['sdk-default', '36.1']], [false, true]);
    const lines = text.split('\n');
    assert.equal(lines[0], 'name          MB/s');
    assert.equal(lines[2], 'ours         412.5');
    assert.equal(lines[3], 'sdk-default   36.1');
  });

  it('writes Markdown with right-aligned figure columns and escaped pipes', () => {
    const md = markdownTable(['a', 'b'], [['x|y', '1']], [false, true]);
    assert.equal(md, '| a | b |\n| --- | ---: |\n| x\\|y | 1 |');
  });
});

describe('download report: the verified single GET', () => {
  const download = (contender: DownloadRecord['contender'], mbps: number, crc64Verified: boolean): DownloadRecord => ({
    profile: 'lan',
    size: GiB,
    contender,
    run: 1,
    ok: true,
    seconds: GiB / 1e6 / mbps,
    mbps,
    cpuSeconds: 2,
    peakRssBytes: 100e6,
    loopP99Ms: 4,
    details: contender === 'ours-download' ? { ranges: 64, partSize: 16 * MiB, concurrency: 6, crc64Verified } : { ranges: 1, partSize: GiB, concurrency: 1, crc64Verified },
  });
  const rows = summarizeDownloads([
    download('ours-download', 400, true),
    download('single-get', 500, false),
    download('single-get-verified', 320, true),
    download('sdk-getobject', 200, false),
  ]);
  const row = (name: DownloadRecord['contender']) => {
    const found = rows.find((r) => r.contender === name);
    assert.ok(found, name);
    return found;
  };

  it('compares every row with the verified single GET as well as with the plain one', () => {
    assert.equal(row('ours-download').vsVerified, 400 / 320);
    assert.equal(row('ours-download').vsCeiling, 400 / 500);
    assert.equal(row('single-get').vsVerified, 500 / 320);
    assert.equal(row('single-get-verified').vsVerified, 1);
    assert.equal(row('single-get-verified').vsCeiling, 320 / 500);
  });

  it('shows the ratio in its own column, next to the single GET one, and the verification', () => {
    const at = (column: string): number => DOWNLOAD_COLUMNS.indexOf(column);
    assert.equal(at('vs verified GET'), at('vs single GET') + 1);
    const ours = downloadCells(row('ours-download'));
    assert.equal(ours.length, DOWNLOAD_COLUMNS.length);
    assert.equal(ours[at('vs single GET')], '0.80x');
    assert.equal(ours[at('vs verified GET')], '1.25x');
    const verified = downloadCells(row('single-get-verified'));
    assert.equal(verified[at('GETs')], 'one GET');
    assert.equal(verified[at('CRC64')], 'verified');
  });

  it('leaves the LAN target against the plain single GET', () => {
    const lan = downloadTargets(rows)[0];
    assert.match(lan.target, /^Download LAN: ours \(CRC64 verified\) >= 0\.90x one streamed GET, 1 GiB$/);
    assert.equal(lan.measured, '0.80x (400 vs 500 MB/s)');
    assert.equal(lan.pass, false, 'beating the verified GET does not meet the target');
  });
});
