/** The benchmark's download section: its options, medians and ratios, target verdicts and table cells. */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseBenchArgs } from '../bench/args';
import { downloadCells, downloadLines, downloadTargets, summarizeDownloads, type DownloadRecord } from '../bench/downloadReport';
import { createFile, fileCrc64 } from '../bench/testFile';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function dl(contender: DownloadRecord['contender'], mbps: number, over: Partial<DownloadRecord> = {}): DownloadRecord {
  const size = over.size ?? GiB;
  return {
    profile: 'lan',
    size,
    contender,
    run: 1,
    ok: true,
    seconds: size / 1e6 / mbps,
    mbps,
    cpuSeconds: 2,
    peakRssBytes: 100e6,
    loopP99Ms: 4,
    serverCpuSeconds: 1,
    otherCores: 0.1,
    details:
      contender === 'ours-download'
        ? { ranges: 64, partSize: 16 * MiB, concurrency: 6, crc64Verified: true }
        : { ranges: 1, partSize: size, concurrency: 1, crc64Verified: false },
    ...over,
  };
}

describe('bench: download section', () => {
  describe('options', () => {
    it('downloads 1 GiB on LAN and 512 MiB on WAN as part of the full run', () => {
      const options = parseBenchArgs([]);
      assert.equal(options.download, true);
      assert.equal(options.downloadOnly, false);
      assert.deepEqual(options.downloadSizes, { lan: [GiB], wan: [512 * MiB] });
      assert.equal(options.markdown, 'test/bench/LAST_RUN.md');
    });

    it('--download-only runs the section alone into its own Markdown file; sizes per profile can be set', () => {
      const options = parseBenchArgs(['--download-only', '--download-sizes', '8MiB', '--download-wan-sizes=16MiB,32MiB']);
      assert.equal(options.downloadOnly, true);
      assert.deepEqual(options.downloadSizes, { lan: [8 * MiB], wan: [16 * MiB, 32 * MiB] });
      assert.equal(options.markdown, 'test/bench/LAST_RUN_DOWNLOAD.md');
    });

    it('--quick downloads 64 MiB, --no-download leaves it out, and contradictions are refused', () => {
      assert.deepEqual(parseBenchArgs(['--quick', '--download-only']).downloadSizes, { lan: [64 * MiB], wan: [64 * MiB] });
      assert.equal(parseBenchArgs(['--quick', '--download-only']).markdown, undefined);
      assert.equal(parseBenchArgs(['--no-download']).download, false);
      assert.throws(() => parseBenchArgs(['--download-only', '--no-download']), /contradict/);
      assert.throws(() => parseBenchArgs(['--download-only', '--whole-process-only']), /pick one/);
      assert.throws(() => parseBenchArgs(['--download-lan-sizes', '512KiB']), /at least 1 MiB/);
    });
  });

  describe('medians and ratios', () => {
    it('takes the median of the verified runs and compares with the single GET and the SDK of the same profile and size', () => {
      const rows = summarizeDownloads([
        dl('ours-download', 400, { run: 1 }),
        dl('ours-download', 460, { run: 2, peakRssBytes: 180e6 }),
        dl('ours-download', 9000, { run: 3, ok: false, error: 'the downloaded file differs from the object' }),
        dl('single-get', 500),
        dl('sdk-getobject', 250),
        dl('single-get', 50, { profile: 'wan' }),
      ]);
      const ours = rows.find((r) => r.contender === 'ours-download' && r.profile === 'lan');
      assert.ok(ours);
      assert.equal(ours.runs, 3);
      assert.equal(ours.okRuns, 2);
      assert.equal(ours.mbps, 430, 'the wrong answer at 9000 MB/s does not count');
      assert.equal(ours.vsCeiling, 430 / 500);
      assert.equal(ours.vsSdk, 430 / 250);
      assert.equal(ours.peakRssMB, 180);
      assert.deepEqual(ours.errors, ['the downloaded file differs from the object']);
      assert.equal(rows.find((r) => r.contender === 'single-get' && r.profile === 'wan')?.vsSdk, undefined, 'no SDK row on WAN to compare with');
    });
  });

  describe('targets', () => {
    it('LAN passes at 0.9x the single GET and fails below; WAN needs 5x the SDK', () => {
      const verdicts = (records: DownloadRecord[]): (boolean | undefined)[] => downloadTargets(summarizeDownloads(records)).map((t) => t.pass);
      const lan = (ours: number): DownloadRecord[] => [dl('ours-download', ours), dl('single-get', 500), dl('sdk-getobject', 300)];
      const wan = (ours: number): DownloadRecord[] =>
        [dl('ours-download', ours), dl('sdk-getobject', 20), dl('single-get', 25)].map((r) => ({ ...r, profile: 'wan' as const, size: 512 * MiB }));
      assert.deepEqual(verdicts([...lan(450), ...wan(100)]), [true, true]);
      assert.deepEqual(verdicts([...lan(449), ...wan(99)]), [false, false]);
      const targets = downloadTargets(summarizeDownloads(lan(450)));
      assert.match(targets[0].measured, /^0\.90x \(450 vs 500 MB\/s\)$/);
      assert.equal(targets[1].pass, undefined, 'no WAN runs: not measured rather than failed');
      assert.match(targets[1].measured, /not measured/);
    });

    it('a contender with no verified run leaves the target unmeasured', () => {
      const targets = downloadTargets(summarizeDownloads([dl('ours-download', 800, { ok: false, error: 'exit 1' }), dl('single-get', 500)]));
      assert.equal(targets[0].pass, undefined);
      assert.match(targets[0].measured, /needs verified runs/);
    });
  });

  describe('table', () => {
    it('shows the ranges, the verification and the failed runs', () => {
      const records = [dl('ours-download', 450), dl('ours-download', 10, { run: 2, ok: false, error: 'exit 1' }), dl('single-get', 500)];
      const rows = summarizeDownloads(records);
      const ours = rows.find((r) => r.contender === 'ours-download');
      assert.ok(ours);
      const cells = downloadCells(ours);
      assert.equal(cells[0], 'ours-download (1/2 ok)');
      assert.equal(cells[2], '450.0');
      assert.equal(cells[3], '0.90x');
      assert.equal(cells[4], '-', 'no verified single GET measured');
      assert.equal(cells[5], '-', 'no SDK row measured');
      assert.equal(cells[10], '16 MiB x 64, 6 in flight');
      assert.equal(cells[11], 'verified');
      const single = rows.find((r) => r.contender === 'single-get');
      assert.ok(single);
      assert.equal(downloadCells(single)[10], 'one GET');
      const lines = downloadLines({ profiles: [{ name: 'lan', description: 'loopback' }], runs: 2, rows, targets: [], loadAverageEnd: 1, records }, true);
      assert.ok(lines.includes('Run by run (MB/s, in run order): ours-download 1 GiB 450.0, failed; single-get 1 GiB 500.0.'));
      assert.ok(lines.includes('  ours-download 1 GiB failed: exit 1'));
      assert.match(lines.join('\n'), /^\| ours-download \(1\/2 ok\) \| 1 GiB \| 450\.0 \|/m);
    });
  });

  describe('file check', () => {
    it('fileCrc64 gives the CRC64 createFile computed, and another one once a byte changes', async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-dl-test-'));
      try {
        const file = await createFile(dir, 20 * MiB + 3);
        assert.deepEqual(await fileCrc64(file.path), { size: file.size, crc64: file.crc64 });
        const handle = await fs.open(file.path, 'r+');
        const byte = Buffer.alloc(1);
        await handle.read(byte, 0, 1, 17 * MiB);
        byte[0] ^= 1;
        await handle.write(byte, 0, 1, 17 * MiB);
        await handle.close();
        assert.notEqual((await fileCrc64(file.path)).crc64, file.crc64);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  });
});
