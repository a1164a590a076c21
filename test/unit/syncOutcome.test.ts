import { strict as assert } from 'node:assert';
import { syncSummaryLines } from '../../src/cli/sync';
import { summarizePlan, syncOutcomeCounts, type PlanItem, type SyncResult, type UploadedFile } from '../../src/core';

function result(uploaded: UploadedFile[], unchanged: number): SyncResult {
  const items: PlanItem[] = [
    ...uploaded.map((u): PlanItem => ({ action: u.action, key: u.key, relativePath: u.key, size: u.bytes })),
    ...Array.from({ length: unchanged }, (_, i): PlanItem => ({ action: 'skip-unchanged', key: `same/${i}`, relativePath: `same/${i}`, size: 1 })),
    { action: 'excluded', key: 'x', relativePath: 'x', size: 1 },
  ];
  return { items, summary: summarizePlan(items), dryRun: false, uploaded, failed: [], deleted: ['gone'], deleteRefused: [], deletesSkipped: 0, peakFilesAtOnce: 4, seconds: 2 };
}

const sent = (key: string, action: UploadedFile['action'], bytes: number): UploadedFile => ({ key, action, bytes, etag: '"e"', crc64: '1' });

describe('end-of-sync counts (header-only re-sends apart from uploads)', () => {
  const mixed = result(
    [sent('a', 'upload-new', 1000), sent('b', 'upload-changed', 24), sent('c', 'upload-new', 0), sent('d.css', 'update-headers', 6), sent('e.css', 'update-headers', 4)],
    2310,
  );

  it('counts files sent for their headers on their own', () => {
    assert.deepEqual(syncOutcomeCounts(mixed), {
      uploaded: 3,
      uploadedBytes: 1024,
      headersUpdated: 2,
      headersUpdatedBytes: 10,
      unchanged: 2310,
      deleted: 1,
      failed: 0,
      excluded: 1,
    });
  });

  it('the CLI summary reads "3 uploaded, 2 headers updated, 2,310 unchanged"', () => {
    const [line] = syncSummaryLines(mixed);
    assert.match(line, /^3 uploaded \(1\.0 KiB\), 2 headers updated \(10 B\), 2,310 unchanged, 1 deleted, 0 failed, 1 excluded in /);
  });

  it('leaves the headers out when none were updated', () => {
    const [line] = syncSummaryLines(result([sent('a', 'upload-new', 5)], 1));
    assert.match(line, /^1 uploaded \(5 B\), 1 unchanged, 1 deleted, /);
    assert.doesNotMatch(line, /headers/);
  });
});
