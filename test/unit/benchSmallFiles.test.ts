import { strict as assert } from 'node:assert';
import { newSmallFilesSection, renderSmallFiles, summarizeSmallFiles, type SmallFilesRecord } from '../../test/bench/smallFilesReport';

const SET = { count: 2000, size: 64 * 1024 };
const machine = { cpu: 'test cpu', cores: 2, node: 'v20', os: 'Linux', totalMemoryGB: 24, loadAverage: 3.5 };

function rec(profile: 'lan' | 'wan', contender: SmallFilesRecord['contender'], seconds: number, extra: Partial<SmallFilesRecord> = {}): SmallFilesRecord {
  return { profile, set: SET, contender, run: 1, ok: true, seconds, peakRssBytes: 100e6, loopP99Ms: 12, objectBytesSent: SET.count * SET.size, ...extra };
}

describe('bench: many small files report', () => {
  it('takes medians of the good runs and counts failures', () => {
    const rows = summarizeSmallFiles([rec('lan', 'ours', 2), { ...rec('lan', 'ours', 4), run: 2 }, { ...rec('lan', 'ours', 1), run: 3, ok: false, error: 'x' }]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].seconds, 3);
    assert.equal(rows[0].failures, 1);
    assert.equal(rows[0].filesPerSecond, 2000 / 3);
  });

  it('gives the median CPU seconds per 1,000 files and prints them', () => {
    const rows = summarizeSmallFiles([rec('lan', 'ours', 2, { cpuSeconds: 2 }), { ...rec('lan', 'ours', 2, { cpuSeconds: 4 }), run: 2 }]);
    assert.equal(rows[0].cpuPerThousandFiles, 1.5);
    const md = renderSmallFiles(newSmallFilesSection('t', [rec('lan', 'ours', 2, { cpuSeconds: 3, emulatorCpuSeconds: 5 })], [SET], machine), true);
    assert.match(md, /\| CPU s \/ 1,000 files \| emulator CPU s \/ 1,000 files \|/);
    assert.match(md, /\| 1\.50 \| 2\.50 \| 100 \|/, 'CPU columns, then peak RSS');
  });

  it('judges files/s against the SDK defaults and the unchanged re-sync', () => {
    const section = newSmallFilesSection(
      '2026-12-06T00:00:00Z',
      [
        rec('wan', 'ours', 4),
        rec('wan', 'sdk-default', 30),
        rec('lan', 'ours', 2),
        rec('lan', 'sdk-default', 3),
        rec('lan', 'ours-resync', 2.5, { objectBytesSent: 0 }),
      ],
      [SET],
      machine,
    );
    const byName = Object.fromEntries(section.targets.map((t) => [t.target, t]));
    assert.equal(byName["WAN 2,000 x 64 KiB: files/s >= 5x the SDK's defaults"].pass, true, '7.5x');
    assert.equal(byName["LAN 2,000 x 64 KiB: files/s >= 2x the SDK's defaults"].pass, false, '1.5x');
    assert.match(byName["LAN 2,000 x 64 KiB: files/s >= 2x the SDK's defaults"].measured, /^1\.50x/);
    assert.equal(byName['LAN 2,000 x 64 KiB unchanged re-sync: no object bytes sent, < 3 s'].pass, true);
    const md = renderSmallFiles(section, true);
    assert.match(md, /load average 3\.5 at start/);
    assert.match(md, /\| WAN 2,000 x 64 KiB: files\/s >= 5x the SDK's defaults \| 7\.50x \(500 vs 67 files\/s\) \| PASS \|/);
  });

  it('puts the bare PUT ceiling beside the targets as a diagnostic, with no verdict', () => {
    const section = newSmallFilesSection('t', [rec('lan', 'bare-put', 2), rec('lan', 'sdk-default', 3)], [SET], machine);
    const ceiling = section.targets.find((t) => t.target === "LAN 2,000 x 64 KiB: bare PUT ceiling against the SDK's defaults (diagnostic)");
    assert.equal(ceiling?.measured, '1.50x (1000 vs 667 files/s)');
    assert.equal(ceiling?.pass, undefined);
    assert.match(renderSmallFiles(section, true), /\| bare PUT ceiling \(no hashing, no checks\) \|/);
  });

  it('fails a re-sync that sent bytes, and says n/a where a row is missing', () => {
    const section = newSmallFilesSection('t', [rec('lan', 'ours-resync', 1, { objectBytesSent: 10 })], [SET], machine);
    const resync = section.targets.find((t) => t.target.includes('re-sync'));
    assert.equal(resync?.pass, false);
    assert.ok(section.targets.filter((t) => t.target.includes('SDK')).every((t) => t.pass === undefined && t.measured === 'not run'));
  });
});
