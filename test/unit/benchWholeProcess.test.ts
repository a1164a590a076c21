/** The benchmark's whole-process section: its options, medians and spreads, ratios and verdicts. */
import * as assert from 'node:assert/strict';
import { parseBenchArgs } from '../bench/args';
import { spreadOf, summarizeWholeProcess, wholeProcessBoundCells, wholeProcessBounds, wholeProcessCells, wholeProcessTargets, type WholeProcessRecord } from '../bench/wholeProcessReport';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function run(command: WholeProcessRecord['command'], seconds: number, over: Partial<WholeProcessRecord> = {}): WholeProcessRecord {
  return { command, run: 1, ok: true, seconds, cpuSeconds: seconds / 2, peakRssBytes: 50e6, otherCores: 0.1, ...over };
}

describe('bench: whole-process section', () => {
  describe('options', () => {
    it('runs 1 B, 64 MiB and 1 GiB five times by default, as part of the full run', () => {
      const options = parseBenchArgs([]);
      assert.equal(options.wholeProcess, true);
      assert.equal(options.wholeProcessOnly, false);
      assert.deepEqual(options.wholeProcessSizes, [1, 64 * MiB, GiB]);
      assert.equal(options.wholeProcessRuns, 5);
    });

    it('--whole-process-only runs the section alone and writes its own Markdown file', () => {
      const options = parseBenchArgs(['--whole-process-only', '--whole-process-sizes', '1B,8MiB', '--whole-process-runs=7']);
      assert.equal(options.wholeProcessOnly, true);
      assert.deepEqual(options.wholeProcessSizes, [1, 8 * MiB]);
      assert.equal(options.wholeProcessRuns, 7);
      assert.equal(options.markdown, 'test/bench/LAST_RUN_WHOLE_PROCESS.md');
    });

    it('--quick keeps it short, --no-whole-process leaves it out, and contradictions are refused', () => {
      const quick = parseBenchArgs(['--quick']);
      assert.deepEqual(quick.wholeProcessSizes, [1, 64 * MiB]);
      assert.equal(quick.wholeProcessRuns, 1);
      assert.equal(parseBenchArgs(['--no-whole-process']).wholeProcess, false);
      assert.throws(() => parseBenchArgs(['--whole-process-only', '--no-whole-process']), /contradict/);
      assert.throws(() => parseBenchArgs(['--whole-process-runs', '0']), /whole number of at least 1/);
      assert.throws(() => parseBenchArgs(['--whole-process-sizes', 'lots']), /Size must be/);
    });
  });

  describe('spreadOf', () => {
    it('gives median, range and (max - min) / median, ignoring non-finite values', () => {
      assert.deepEqual(spreadOf([0.3, 0.1, 0.2, NaN, 0.5]), { median: 0.25, min: 0.1, max: 0.5, spreadPct: 160 });
      assert.deepEqual(spreadOf([2]), { median: 2, min: 2, max: 2, spreadPct: 0 });
      const none = spreadOf([]);
      assert.ok(Number.isNaN(none.median) && Number.isNaN(none.spreadPct));
    });
  });

  describe('summary and targets', () => {
    const records: WholeProcessRecord[] = [
      run('node -e 0', 0.05),
      run('node -e 0', 0.07, { run: 2 }),
      run('node -e 0', 0.06, { run: 3 }),
      run('--help', 0.08),
      run('--help', 0.1, { run: 2 }),
      run('--help', 0.3, { run: 3, ok: false, error: 'exit 1: boom' }),
      run('--version', 0.12),
      run('ours', 0.15, { size: 1, peakRssBytes: 58e6 }),
      run('ours', 0.25, { size: 1, run: 2, peakRssBytes: 62e6 }),
      run('ours', 0.19, { size: 1, run: 3, peakRssBytes: 59e6 }),
      run('curl -T', 0.02, { size: 1 }),
      run('ours', 1.0, { size: 64 * MiB }),
      run('curl -T', 0.9, { size: 64 * MiB }),
      run('ours', 10, { size: GiB }),
      run('curl -T', 9, { size: GiB }),
    ];
    const rows = summarizeWholeProcess(records);

    it('compares the short commands with node -e 0 and the uploads with curl, over successful runs only', () => {
      const help = rows.find((r) => r.command === '--help');
      assert.ok(help);
      assert.equal(help.runs, 3);
      assert.equal(help.okRuns, 2);
      assert.deepEqual(help.errors, ['exit 1: boom']);
      assert.ok(Math.abs((help.overNodeMs ?? NaN) - 30) < 1e-9, `median 0.09 s against 0.06 s: ${help.overNodeMs}`);
      const big = rows.find((r) => r.command === 'ours' && r.size === GiB);
      assert.equal(big?.vsCurl, 0.9);
      const tiny = rows.find((r) => r.command === 'ours' && r.size === 1);
      assert.equal(tiny?.seconds.median, 0.19);
      assert.equal(tiny?.peakRssMB, 59);
      assert.equal(rows.find((r) => r.command === 'curl -T')?.vsCurl, undefined);
    });

    it('orders the short commands first, then each size with ours before curl', () => {
      assert.deepEqual(
        rows.map((r) => `${r.command}${r.size ?? ''}`),
        ['node -e 0', '--help', '--version', 'ours1', 'curl -T1', `ours${64 * MiB}`, `curl -T${64 * MiB}`, `ours${GiB}`, `curl -T${GiB}`],
      );
      assert.deepEqual(wholeProcessCells(rows[1]).slice(0, 6), ['--help (1/3 failed)', '-', '0.090', '0.080-0.100', '22%', '+30 ms']);
    });

    it('judges each target on its median', () => {
      const verdicts = Object.fromEntries(wholeProcessTargets(rows).map((t) => [t.target, t.pass]));
      assert.deepEqual(verdicts, {
        '1-byte upload, whole process: <= 0.2 s wall': true,
        '1-byte upload, whole process: <= 60 MB peak RSS': true,
        'cos-upload --help: within 30 ms of node -e 0': true,
        'cos-upload --version: within 30 ms of node -e 0': false,
        '64 MiB LAN, whole process: >= 0.85 of curl -T': true,
        '1 GiB LAN, whole process: >= 0.92 of curl -T': false,
      });
    });

    it('sets the floor for ours at its 1-byte time plus curl\'s time beyond curl\'s own 1-byte run', () => {
      // ours 1 B 0.19 s, curl 1 B 0.02 s; curl 64 MiB 0.9 s -> floor 0.19 + 0.88 = 1.07 s, best 0.9 / 1.07.
      const bounds = wholeProcessBounds(rows);
      assert.deepEqual(bounds.map((b) => b.size), [64 * MiB, GiB]);
      const [mid, big] = bounds;
      assert.ok(Math.abs(mid.floorSeconds - 1.07) < 1e-9, `${mid.floorSeconds}`);
      assert.ok(Math.abs(mid.bestVsCurl - 0.9 / 1.07) < 1e-9);
      assert.equal(mid.measuredVsCurl, 0.9);
      assert.ok(Math.abs(big.floorSeconds - (0.19 + 8.98)) < 1e-9, `${big.floorSeconds}`);
      assert.deepEqual(wholeProcessBoundCells(mid), ['64 MiB', '-', '0.190', '0.880', '-', '1.070', '0.84x', '0.90x'], 'no server CPU in these records');
      const busy = wholeProcessBounds(summarizeWholeProcess(records.map((r) => (r.command === 'curl -T' ? { ...r, serverCpuSeconds: (r.seconds ?? 0) * 0.9 } : r))));
      assert.equal(wholeProcessBoundCells(busy[0])[1], '90%');
    });

    it('raises the floor when the emulator works longer for ours than curl\'s transfer takes', () => {
      // curl 64 MiB: 0.9 s, emulator CPU 0.9 s (busy 100%). Ours 64 MiB: emulator CPU 1.21 s, ours at 1 B 0.01 s of it.
      const withServer = records.map((r) =>
        r.command === 'curl -T' ? { ...r, serverCpuSeconds: r.seconds ?? 0 } : r.command === 'ours' ? { ...r, serverCpuSeconds: r.size === 1 ? 0.01 : r.size === 64 * MiB ? 1.21 : 0.5 } : r,
      );
      const [mid, big] = wholeProcessBounds(summarizeWholeProcess(withServer));
      assert.ok(Math.abs((mid.serverSecondsForOurs ?? NaN) - 1.2) < 1e-9, `${mid.serverSecondsForOurs}`);
      assert.ok(Math.abs(mid.floorSeconds - (0.19 + 1.2)) < 1e-9, 'the emulator\'s 1.2 s for ours outweighs curl\'s 0.88 s');
      assert.ok(Math.abs(mid.bestVsCurl - 0.9 / 1.39) < 1e-9);
      assert.deepEqual(wholeProcessBoundCells(mid).slice(3, 6), ['0.880', '1.200', '1.390']);
      assert.ok(Math.abs(big.floorSeconds - (0.19 + 8.98)) < 1e-9, 'curl\'s transfer still sets the floor where it is the longer');
      assert.deepEqual(wholeProcessBounds(summarizeWholeProcess(records.filter((r) => !(r.command === 'curl -T' && r.size === 1)))), [], 'no floor without curl at 1 B');
    });

    it('compares "ours, cores apart" with curl held apart the same way, and shows the emulator\'s CPU', () => {
      const apart = summarizeWholeProcess([
        ...records,
        run('ours, cores apart', 2, { size: 64 * MiB, serverCpuSeconds: 0.7 }),
        run('curl -T, cores apart', 1.5, { size: 64 * MiB, serverCpuSeconds: 0.6 }),
      ]);
      const row = apart.find((r) => r.command === 'ours, cores apart');
      assert.equal(row?.vsCurl, 0.75);
      assert.equal(apart.find((r) => r.command === 'ours' && r.size === 64 * MiB)?.vsCurl, 0.9);
      assert.equal(wholeProcessCells(row as NonNullable<typeof row>)[8], '0.700');
      assert.deepEqual(
        apart.filter((r) => r.size === 64 * MiB).map((r) => r.command),
        ['ours', 'curl -T', 'ours, cores apart', 'curl -T, cores apart'],
      );
    });

    it('leaves the curl targets open when curl did not run', () => {
      const withoutCurl = summarizeWholeProcess(records.filter((r) => r.command !== 'curl -T'));
      const target = wholeProcessTargets(withoutCurl).find((t) => t.target.startsWith('1 GiB'));
      assert.deepEqual(target, { target: '1 GiB LAN, whole process: >= 0.92 of curl -T', measured: 'no curl row', pass: undefined });
    });
  });
});
