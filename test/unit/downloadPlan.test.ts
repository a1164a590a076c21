import * as assert from 'node:assert/strict';
import { crc64 } from '../../src/core/crc64';
import type { DownloadCheckpoint } from '../../src/core/download/downloadCheckpoint';
import {
  combineRangeCrcs,
  contentRangeProblem,
  downloadTempPath,
  missingRanges,
  planDownload,
  rangeLength,
} from '../../src/core/download/rangePlan';
import { checkpointMismatch } from '../../src/core/download/resumeRanges';
import { MAX_PARTS, NEAR_PART_SIZE } from '../../src/core/partPlan';
import { prng } from '../seededRandom';

const MiB = 1024 * 1024;

describe('download range plan', () => {
  it('has no range for an empty object and one inclusive range for a small one', () => {
    assert.deepEqual(planDownload(0, MiB).ranges, []);
    assert.deepEqual(planDownload(1, MiB).ranges, [{ index: 0, start: 0, end: 0 }]);
    assert.deepEqual(planDownload(MiB, MiB).ranges, [{ index: 0, start: 0, end: MiB - 1 }]);
  });

  it('cuts at part boundaries: the ranges tile the object with no gap or overlap', () => {
    for (const size of [MiB - 1, MiB + 1, 3 * MiB, 7 * MiB + 12345]) {
      const { ranges } = planDownload(size, MiB);
      assert.equal(ranges.length, Math.ceil(size / MiB));
      assert.equal(ranges[0].start, 0);
      assert.equal(ranges[ranges.length - 1].end, size - 1);
      for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i].start, ranges[i - 1].end + 1);
      assert.equal(ranges.reduce((n, r) => n + rangeLength(r), 0), size);
    }
  });

  it('chooses the size like uploads: auto grows past 10000 ranges and is larger near', () => {
    const huge = planDownload(200 * 1024 * MiB, 'auto');
    assert.ok(huge.ranges.length <= MAX_PARTS);
    assert.equal(planDownload(1024 * MiB, 'auto', { near: true }).partSize, NEAR_PART_SIZE);
  });

  it('lists the ranges still missing after a resume', () => {
    const plan = planDownload(5 * MiB, MiB);
    assert.deepEqual(
      missingRanges(plan, new Set([0, 2, 4])).map((r) => r.index),
      [1, 3],
    );
    assert.deepEqual(missingRanges(plan, new Set([0, 1, 2, 3, 4])), []);
  });

  it('combines range CRCs into the CRC64 of the whole object, in any completion order', () => {
    const random = prng(7);
    const data = Buffer.alloc(5 * 1024 + 33);
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(random() * 256);
    const plan = planDownload(data.length, 1024 * 1024);
    // A 1 MiB plan is one range here; cut finer by hand to exercise the fold.
    const ranges = [0, 1000, 1024, 4096, data.length].slice(0, -1).map((start, index, starts) => ({
      index,
      start,
      end: (starts[index + 1] ?? data.length) - 1,
    }));
    const fine = { ...plan, ranges };
    const crcs = new Map<number, bigint>();
    for (const r of [...ranges].reverse()) crcs.set(r.index, crc64(data.subarray(r.start, r.end + 1)));
    assert.equal(combineRangeCrcs(fine, crcs), crc64(data));
    assert.equal(combineRangeCrcs(planDownload(0, MiB), new Map()), 0n);
    crcs.delete(2);
    assert.throws(() => combineRangeCrcs(fine, crcs), /Range 2 has no CRC64/);
  });

  it('checks that a 206 holds exactly the bytes asked for', () => {
    const range = { index: 1, start: MiB, end: 2 * MiB - 1 };
    assert.equal(contentRangeProblem(`bytes ${MiB}-${2 * MiB - 1}/${3 * MiB}`, range, 3 * MiB), undefined);
    assert.match(contentRangeProblem(undefined, range, 3 * MiB) ?? '', /no Content-Range/);
    assert.match(contentRangeProblem(`bytes 0-${MiB - 1}/${3 * MiB}`, range, 3 * MiB) ?? '', /instead of/);
    assert.match(contentRangeProblem(`bytes ${MiB}-${2 * MiB - 1}/${4 * MiB}`, range, 3 * MiB) ?? '', /now/);
    assert.match(contentRangeProblem('items 1-2/3', range, 3 * MiB) ?? '', /malformed/);
  });

  it('puts the temporary file beside the target', () => {
    assert.equal(downloadTempPath('/a/b/c.iso'), '/a/b/c.iso.cosdownload');
  });

  it('resumes a checkpoint only for the same object version, range size and temporary file', () => {
    const plan = planDownload(4 * MiB, MiB);
    const checkpoint = { etag: '"e1"', size: 4 * MiB, partSize: MiB, tempPath: '/t/x.cosdownload' } as DownloadCheckpoint;
    assert.equal(checkpointMismatch(checkpoint, { size: 4 * MiB, etag: '"e1"' }, plan, '/t/x.cosdownload'), undefined);
    assert.match(checkpointMismatch(checkpoint, { size: 4 * MiB, etag: '"e2"' }, plan, '/t/x.cosdownload') ?? '', /changed on COS/);
    assert.match(checkpointMismatch(checkpoint, { size: 5 * MiB, etag: '"e1"' }, plan, '/t/x.cosdownload') ?? '', /changed on COS/);
    assert.match(checkpointMismatch(checkpoint, { size: 4 * MiB, etag: '"e1"' }, planDownload(4 * MiB, 2 * MiB), '/t/x.cosdownload') ?? '', /range size/);
  });
});
