/**
 * How an object is cut into ranged GETs, which of them a resumed download still needs, and the
 * whole-object CRC64 folded from the ranges' CRCs. Pure: no I/O.
 */

import { combinePartCrcs } from '../integrity';
import { partRange, planParts, type PlanContext } from '../partPlan';

/** Bytes start..end, both inclusive, as a Range header names them. */
export interface ByteRange {
  /** 0-based position in the plan. */
  index: number;
  start: number;
  end: number;
}

export interface DownloadPlan {
  size: number;
  partSize: number;
  /** Empty for an empty object: a Range GET of 0 bytes is unsatisfiable (416). */
  ranges: ByteRange[];
}

/** Suffix of the temporary file a download writes beside its target until it is verified. */
export const DOWNLOAD_TEMP_SUFFIX = '.cosdownload';

export function downloadTempPath(destPath: string): string {
  return `${destPath}${DOWNLOAD_TEMP_SUFFIX}`;
}

export function rangeLength(range: ByteRange): number {
  return range.end - range.start + 1;
}

/**
 * Ranges the size uploads would use as parts (partPlan.ts: `auto` grows with the object, and is
 * larger on a near endpoint), so one tuning serves both directions.
 */
export function planDownload(size: number, partSize: number | 'auto', context: PlanContext = {}): DownloadPlan {
  const plan = planParts(size, partSize, context);
  const ranges: ByteRange[] = [];
  if (size > 0) {
    for (let n = 1; n <= plan.partCount; n++) {
      const { offset, length } = partRange(plan, n);
      ranges.push({ index: n - 1, start: offset, end: offset + length - 1 });
    }
  }
  return { size, partSize: plan.partSize, ranges };
}

/** The ranges not in `done`, in order. */
export function missingRanges(plan: DownloadPlan, done: ReadonlySet<number>): ByteRange[] {
  return plan.ranges.filter((r) => !done.has(r.index));
}

/** CRC64 of the whole object from every range's CRC; throws when a range has none. */
export function combineRangeCrcs(plan: DownloadPlan, crcs: ReadonlyMap<number, bigint>): bigint {
  return combinePartCrcs(
    plan.ranges.map((r) => {
      const crc64 = crcs.get(r.index);
      if (crc64 === undefined) throw new RangeError(`Range ${r.index} has no CRC64 yet`);
      return { crc64, size: rangeLength(r) };
    }),
  );
}

/**
 * What is wrong with a 206's Content-Range for `range` of an object of `size` bytes, or undefined
 * when it is exactly `bytes start-end/size`.
 */
export function contentRangeProblem(header: string | undefined, range: ByteRange, size: number): string | undefined {
  if (header === undefined) return 'the answer has no Content-Range header';
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
  if (!m) return `the Content-Range header is malformed: ${header}`;
  if (Number(m[1]) !== range.start || Number(m[2]) !== range.end) return `it holds bytes ${m[1]}-${m[2]} instead of ${range.start}-${range.end}`;
  if (m[3] !== '*' && Number(m[3]) !== size) return `the object is now ${m[3]} bytes, not ${size}`;
  return undefined;
}
