import { strict as assert } from 'node:assert';
import { formatSyncProgress, SyncProgressMeter, SYNC_PROGRESS_INTERVAL_MS } from '../../src/core/sync/syncProgress';

const MiB = 1024 * 1024;

describe('sync progress', () => {
  it('reads files, rate and time left as the issue shows them', () => {
    assert.equal(
      formatSyncProgress({ filesDone: 1204, filesTotal: 2442, bytesSent: 0, bytesTotal: 0, bytesPerSecond: 38 * MiB, secondsLeft: 12 }),
      '1,204/2,442 files · 38.0 MiB/s · 12 s left',
    );
    assert.equal(formatSyncProgress({ filesDone: 0, filesTotal: 20000, bytesSent: 0, bytesTotal: 0 }), '0/20,000 files');
    assert.equal(formatSyncProgress({ filesDone: 5, filesTotal: 5, bytesSent: 10, bytesTotal: 10, bytesPerSecond: 10, secondsLeft: 0 }), '5/5 files · 10 B/s');
    assert.equal(formatSyncProgress({ filesDone: 1, filesTotal: 9, bytesSent: 1, bytesTotal: 9, bytesPerSecond: MiB, secondsLeft: 150 }), '1/9 files · 1.0 MiB/s · 3 min left');
  });

  it('takes localized words', () => {
    const text = formatSyncProgress(
      { filesDone: 1000, filesTotal: 2000, bytesSent: 1, bytesTotal: 2, bytesPerSecond: 2048, secondsLeft: 4 },
      { files: (d, t) => `${d}/${t} 个文件`, rate: (r) => `${r} B/秒`, left: (s) => `剩余 ${s} 秒` },
    );
    assert.equal(text, '1,000/2,000 个文件 · 2048 B/秒 · 剩余 4 秒');
  });

  it('estimates the time left from the slower of bytes and files', () => {
    const meter = new SyncProgressMeter(0);
    // 10 s in: 100 of 1,000 files but 90% of the bytes (one big file went first): files decide.
    const f = meter.figures({ filesDone: 100, filesTotal: 1000, bytesSent: 90 * MiB, bytesTotal: 100 * MiB }, 10_000);
    assert.equal(f.bytesPerSecond, 9 * MiB);
    assert.equal(f.secondsLeft, 90);
    // Half the files but a tenth of the bytes: bytes decide.
    const g = meter.figures({ filesDone: 500, filesTotal: 1000, bytesSent: 10 * MiB, bytesTotal: 100 * MiB }, 10_000);
    assert.equal(g.secondsLeft, 90);
    assert.equal(meter.figures({ filesDone: 0, filesTotal: 10, bytesSent: 0, bytesTotal: 10 }, 5000).bytesPerSecond, undefined);
  });

  it('redraws at most every 250 ms, but always shows the last file', () => {
    const meter = new SyncProgressMeter(0);
    const counts = (done: number) => ({ filesDone: done, filesTotal: 100, bytesSent: done * 1000, bytesTotal: 100_000 });
    let shown = 0;
    // A file finishes every millisecond for 99 ms, then the last one.
    for (let t = 1; t <= 99; t++) if (meter.due(counts(t), t)) shown++;
    assert.equal(shown, 1, 'only the first of a burst is drawn');
    assert.ok(meter.due(counts(100), 100), 'the last file is drawn at once');
    assert.equal(meter.due(counts(99), 101), undefined);
    assert.ok(meter.due(counts(99), 100 + SYNC_PROGRESS_INTERVAL_MS));
    meter.showNext();
    assert.ok(meter.due(counts(99), 100 + SYNC_PROGRESS_INTERVAL_MS + 1), 'showNext lets the next update through');
  });
});
