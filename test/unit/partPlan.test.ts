import * as assert from 'node:assert/strict';
import { ConfigError, CosError } from '../../src/core/errors';
import {
  autoPartSize,
  DEFAULT_PART_SIZE,
  NEAR_PART_SIZE,
  describeSize,
  formatBytes,
  MAX_OBJECT_SIZE,
  MAX_PART_SIZE,
  MAX_PARTS,
  MIN_PART_SIZE,
  parseSize,
  partRange,
  planParts,
} from '../../src/core/partPlan';
import { formatRate } from '../../src/core/sizes';
import type { PartPlan } from '../../src/core/types';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Asserts a ConfigError for `field` whose message matches every pattern; returns it. */
function expectConfigError(fn: () => unknown, field: string, ...patterns: RegExp[]): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected ConfigError, got ${String(caught)}`);
  assert.ok(CosError.is(caught));
  assert.equal(caught.code, 'INVALID_ARGUMENT');
  assert.equal(caught.field, field);
  for (const pattern of patterns) assert.match(caught.message, pattern);
  return caught;
}

/** Every part in order: contiguous, covering the file, full-size except the last. */
function assertCoversFile(plan: PartPlan): void {
  let expectedOffset = 0;
  for (let n = 1; n <= plan.partCount; n++) {
    const range = partRange(plan, n);
    assert.equal(range.partNumber, n);
    assert.equal(range.offset, expectedOffset);
    if (n < plan.partCount) assert.equal(range.length, plan.partSize);
    else assert.ok(range.length <= plan.partSize && (range.length > 0 || plan.fileSize === 0));
    expectedOffset += range.length;
  }
  assert.equal(expectedOffset, plan.fileSize);
}

describe('partPlan', () => {
  it('states the COS limits', () => {
    assert.equal(MIN_PART_SIZE, 1_048_576);
    assert.equal(MAX_PART_SIZE, 5_368_709_120);
    assert.equal(MAX_PARTS, 10_000);
    assert.equal(MAX_OBJECT_SIZE, 53_687_091_200_000);
    // COS writes this as 48.82 TB; it is 48.828 TiB.
    assert.equal(Math.floor((MAX_OBJECT_SIZE / 2 ** 40) * 100) / 100, 48.82);
    assert.equal(DEFAULT_PART_SIZE, 8 * MiB);
  });

  describe("'auto' part size for small files", () => {
    it('gives a file at least 16 parts, in whole MiB, between 1 MiB and the default', () => {
      assert.equal(planParts(64 * MiB, 'auto').partSize, 4 * MiB);
      assert.equal(planParts(64 * MiB, 'auto').partCount, 16);
      assert.equal(planParts(10 * MiB, 'auto').partSize, MiB);
      assert.equal(planParts(100 * MiB, 'auto').partSize, 7 * MiB);
      assert.equal(planParts(GiB, 'auto').partSize, DEFAULT_PART_SIZE);
      assert.equal(planParts(64 * MiB, 8 * MiB).partSize, 8 * MiB, 'a chosen size is kept');
    });
  });

  describe("'auto' part size on a near endpoint", () => {
    it('takes NEAR_PART_SIZE (16 MiB) for large files, the same 16-part rule for small ones, and never overrides a chosen size', () => {
      assert.equal(NEAR_PART_SIZE, 16 * MiB);
      assert.equal(planParts(GiB, 'auto', { near: true }).partSize, NEAR_PART_SIZE);
      assert.equal(planParts(GiB, 'auto', { near: false }).partSize, DEFAULT_PART_SIZE);
      assert.equal(planParts(64 * MiB, 'auto', { near: true }).partSize, 4 * MiB, 'a 64 MiB file still gets 16 parts');
      assert.equal(planParts(144 * MiB, 'auto', { near: true }).partSize, 9 * MiB);
      assert.equal(planParts(144 * MiB, 'auto').partSize, 8 * MiB);
      assert.equal(planParts(GiB, 8 * MiB, { near: true }).partSize, 8 * MiB, 'a chosen size is kept');
      // Near or far, the 10000-part limit wins.
      const huge = MAX_PARTS * 16 * MiB + 1;
      assert.equal(planParts(huge, 'auto', { near: true }).partSize, 17 * MiB);
      assert.ok(planParts(huge, 'auto', { near: true }).partCount <= MAX_PARTS);
    });
  });

  describe('planParts edges', () => {
    it('0 bytes: one empty part', () => {
      const plan = planParts(0, 'auto');
      assert.deepEqual(plan, { partSize: MiB, partCount: 1, fileSize: 0 });
      assert.deepEqual(partRange(plan, 1), { partNumber: 1, offset: 0, length: 0 });
      assert.deepEqual(planParts(0, MiB), { partSize: MiB, partCount: 1, fileSize: 0 });
    });

    it('1 byte: one part of 1 byte', () => {
      const plan = planParts(1, 'auto');
      assert.equal(plan.partCount, 1);
      assert.deepEqual(partRange(plan, 1), { partNumber: 1, offset: 0, length: 1 });
    });

    it('exactly one part', () => {
      const plan = planParts(8 * MiB, 8 * MiB);
      assert.equal(plan.partCount, 1);
      assert.equal(partRange(plan, 1).length, 8 * MiB);
    });

    it('one part plus one byte: a 1-byte last part', () => {
      const plan = planParts(8 * MiB + 1, 8 * MiB);
      assert.equal(plan.partCount, 2);
      assert.deepEqual(partRange(plan, 2), { partNumber: 2, offset: 8 * MiB, length: 1 });
      assertCoversFile(plan);
    });

    it('exactly 10000 parts keeps the chosen size', () => {
      const fileSize = MAX_PARTS * 8 * MiB;
      assert.deepEqual(planParts(fileSize, 8 * MiB), { partSize: 8 * MiB, partCount: 10_000, fileSize });
      assert.deepEqual(planParts(fileSize, 'auto'), { partSize: 8 * MiB, partCount: 10_000, fileSize });
      assert.deepEqual(partRange(planParts(fileSize, 'auto'), 10_000), { partNumber: 10_000, offset: fileSize - 8 * MiB, length: 8 * MiB });
    });

    it("one byte more: 'auto' grows to the next whole MiB, a chosen size is refused with the smallest that works", () => {
      const fileSize = MAX_PARTS * 8 * MiB + 1;
      const plan = planParts(fileSize, 'auto');
      assert.equal(plan.partSize, 9 * MiB);
      assert.equal(plan.partCount, Math.ceil(fileSize / (9 * MiB)));
      assert.ok(plan.partCount <= MAX_PARTS);
      expectConfigError(() => planParts(fileSize, 8 * MiB), 'partSize', /8 MiB/, /10001 parts/, /10000/, /at least: 9 MiB$/);
    });

    it('48.82 TB, the largest object: 10000 parts of 5 GiB', () => {
      const plan = planParts(MAX_OBJECT_SIZE, 'auto');
      assert.deepEqual(plan, { partSize: MAX_PART_SIZE, partCount: MAX_PARTS, fileSize: MAX_OBJECT_SIZE });
      assert.deepEqual(partRange(plan, MAX_PARTS), { partNumber: MAX_PARTS, offset: MAX_OBJECT_SIZE - MAX_PART_SIZE, length: MAX_PART_SIZE });
      assert.deepEqual(planParts(MAX_OBJECT_SIZE, MAX_PART_SIZE), plan);
      expectConfigError(() => planParts(MAX_OBJECT_SIZE, 4 * GiB), 'partSize', /4 GiB/, /at least: 5 GiB$/);
    });

    it('larger than the largest object: refused, naming the limit and the size', () => {
      for (const [size, shown] of [
        [MAX_OBJECT_SIZE + 1, /: 48\.8 TiB \(53687091200001 bytes\)$/],
        [60 * 2 ** 40, /: 60 TiB$/],
      ] as const) {
        expectConfigError(() => planParts(size, 'auto'), 'fileSize', /10000 parts of 5 GiB/, /53687091200000 bytes/, shown);
        expectConfigError(() => planParts(size, MAX_PART_SIZE), 'fileSize', shown);
      }
    });

    it('refuses impossible file sizes', () => {
      for (const size of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expectConfigError(() => planParts(size, 'auto'), 'fileSize', /whole, non-negative/, new RegExp(`: ${size}$`));
      }
    });
  });

  describe('part size validation', () => {
    it('refuses sizes below 1 MiB or above 5 GiB, naming the size and the range', () => {
      expectConfigError(() => planParts(100, 512 * KiB), 'partSize', /between 1 MiB and 5 GiB: 512 KiB$/);
      expectConfigError(() => planParts(100, MiB - 1), 'partSize', /between 1 MiB and 5 GiB: 1\.0 MiB \(1048575 bytes\)$/);
      expectConfigError(() => planParts(100, MAX_PART_SIZE + 1), 'partSize', /between 1 MiB and 5 GiB: .*\(5368709121 bytes\)$/);
      expectConfigError(() => planParts(100, 0), 'partSize', /between 1 MiB and 5 GiB: 0 B$/);
      expectConfigError(() => planParts(100, -MiB), 'partSize', /between 1 MiB and 5 GiB: -1 MiB$/);
    });

    it('refuses fractional and non-finite sizes', () => {
      expectConfigError(() => planParts(100, MiB + 0.5), 'partSize', /whole number of bytes between 1 MiB and 5 GiB: 1048576\.5$/);
      expectConfigError(() => planParts(100, Number.NaN), 'partSize', /1 MiB and 5 GiB: NaN$/);
    });

    it('accepts the bounds themselves and sizes that are not whole MiB', () => {
      assert.equal(planParts(10 * MiB, MIN_PART_SIZE).partCount, 10);
      assert.equal(planParts(10 * GiB, MAX_PART_SIZE).partCount, 2);
      const odd = planParts(10 * MiB, MiB + 3);
      assert.equal(odd.partSize, MiB + 3);
      assertCoversFile(odd);
    });
  });

  describe('autoPartSize', () => {
    it('keeps the preferred size while it fits', () => {
      assert.equal(autoPartSize(0), DEFAULT_PART_SIZE);
      assert.equal(autoPartSize(50 * GiB), DEFAULT_PART_SIZE);
      assert.equal(autoPartSize(50 * GiB, 16 * MiB), 16 * MiB);
      assert.equal(autoPartSize(5 * MiB, MiB + 1), MiB + 1);
    });

    it('grows to the smallest whole MiB that fits, for sizes across the whole range', () => {
      let seed = 12345;
      const random = (): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed / 2 ** 32;
      };
      const sizes = [MAX_OBJECT_SIZE, MAX_OBJECT_SIZE - 1, 10_000 * MiB + 1, 100 * GiB, 2 ** 40];
      for (let i = 0; i < 200; i++) sizes.push(Math.floor(random() * MAX_OBJECT_SIZE));
      for (const fileSize of sizes) {
        const size = autoPartSize(fileSize);
        assert.ok(size >= DEFAULT_PART_SIZE && size <= MAX_PART_SIZE, `${fileSize}`);
        assert.ok(Math.ceil(fileSize / size) <= MAX_PARTS, `${fileSize} fits`);
        if (size > DEFAULT_PART_SIZE) {
          assert.equal(size % MiB, 0, `${fileSize} whole MiB`);
          assert.ok(Math.ceil(fileSize / (size - MiB)) > MAX_PARTS, `${fileSize} smallest`);
        }
      }
    });

    it('validates its inputs', () => {
      expectConfigError(() => autoPartSize(100, 512 * KiB), 'partSize', /512 KiB$/);
      expectConfigError(() => autoPartSize(MAX_OBJECT_SIZE + 1), 'fileSize', /\(53687091200001 bytes\)$/);
    });
  });

  describe('partRange', () => {
    it('refuses part numbers outside 1..partCount', () => {
      const plan = planParts(20 * MiB, 8 * MiB);
      for (const n of [0, 4, -1, 1.5]) {
        expectConfigError(() => partRange(plan, n), 'partNumber', /between 1 and 3/, new RegExp(`: ${n}$`));
      }
      assert.deepEqual(partRange(plan, 3), { partNumber: 3, offset: 16 * MiB, length: 4 * MiB });
    });

    it('covers the file exactly for assorted plans', () => {
      for (const [fileSize, partSize] of [
        [1, MiB],
        [MiB, MiB],
        [MiB + 1, MiB],
        [7 * MiB - 5, 2 * MiB],
        [123_456_789, 5 * MiB + 7],
      ] as const) {
        assertCoversFile(planParts(fileSize, partSize));
      }
    });
  });

  describe('parseSize', () => {
    it('reads plain bytes and binary units, with or without a space, any case', () => {
      const cases: Array<[string, number]> = [
        ['1048576', 1_048_576],
        ['0', 0],
        ['512B', 512],
        ['8MiB', 8 * MiB],
        ['8 MiB', 8 * MiB],
        ['8M', 8 * MiB],
        ['8MB', 8 * MiB],
        ['8mb', 8 * MiB],
        ['64k', 64 * KiB],
        ['64 KB', 64 * KiB],
        ['1GiB', GiB],
        ['5G', 5 * GiB],
        ['1TiB', 2 ** 40],
        ['1.5MiB', 1.5 * MiB],
        ['.5 GiB', 512 * MiB],
        ['  16MiB  ', 16 * MiB],
      ];
      for (const [text, bytes] of cases) assert.equal(parseSize(text), bytes, text);
    });

    it('rounds fractional results to the nearest byte', () => {
      assert.equal(parseSize('0.3KiB'), 307);
    });

    it('refuses anything else, naming the text', () => {
      for (const text of ['', 'MiB', '-1MiB', '8 MiBs', '8 PB', '1e6', '8,5MiB', '0x10', 'eight', '8 M B']) {
        const error = expectConfigError(() => parseSize(text, 'partSize'), 'partSize', /unit B, KiB, MiB, GiB or TiB/);
        assert.ok(error.message.endsWith(`: ${JSON.stringify(text)}`), error.message);
      }
      expectConfigError(() => parseSize('9999999999 TiB'), 'size', /too large/, /"9999999999 TiB"$/);
    });
  });

  describe('formatBytes and describeSize', () => {
    it('formats with one decimal and binary units', () => {
      assert.equal(formatBytes(0), '0 B');
      assert.equal(formatBytes(512), '512 B');
      assert.equal(formatBytes(1023), '1023 B');
      assert.equal(formatBytes(1024), '1.0 KiB');
      assert.equal(formatBytes(8 * MiB), '8.0 MiB');
      assert.equal(formatBytes(1.2 * GiB), '1.2 GiB');
      assert.equal(formatBytes(MiB - 1), '1.0 MiB');
      assert.equal(formatBytes(MAX_OBJECT_SIZE), '48.8 TiB');
    });

    it('describes sizes exactly when they are whole units, and adds the byte count otherwise', () => {
      assert.equal(describeSize(512), '512 B');
      assert.equal(describeSize(512 * KiB), '512 KiB');
      assert.equal(describeSize(5 * GiB), '5 GiB');
      assert.equal(describeSize(1536 * KiB), '1.5 MiB');
      assert.equal(describeSize(1537 * KiB), '1.5 MiB (1573888 bytes)');
      assert.equal(describeSize(MAX_OBJECT_SIZE), '48.8 TiB (53687091200000 bytes)');
      assert.equal(describeSize(MiB + 1), '1.0 MiB (1048577 bytes)');
    });

    it('formats a rate as a whole number of bytes per second, with the unit worded by the caller', () => {
      assert.equal(formatRate(48 * MiB), '48.0 MiB/s');
      assert.equal(formatRate(511.6), '512 B/s');
      assert.equal(formatRate(-3), '0 B/s');
      assert.equal(formatRate(2 * KiB, (size) => `${size}/秒`), '2.0 KiB/秒');
    });
  });
});
