/**
 * How a file is cut into multipart parts, within COS's limits: part numbers 1..10000 with no
 * gaps, every part 1 MiB..5 GiB except the last, which may be smaller.
 */

import { ConfigError } from './errors';
import { describeSize, GiB, MiB } from './sizes';
import type { PartPlan, PartRange } from './types';

export { describeSize, formatBytes, parseSize } from './sizes';

export const MIN_PART_SIZE = MiB;
export const MAX_PART_SIZE = 5 * GiB;
export const MAX_PARTS = 10000;
/**
 * 10000 parts of 5 GiB: 53,687,091,200,000 bytes, which COS documents as "48.82 TB" (it is
 * 48.828 TiB). The multipart limits themselves set this bound, so derive it from them.
 */
export const MAX_OBJECT_SIZE = MAX_PARTS * MAX_PART_SIZE;
/** Small enough to keep memory per part modest, large enough to amortise per-request latency. */
export const DEFAULT_PART_SIZE = 8 * MiB;
/**
 * `auto` on a near endpoint (a LAN, the same region): there both ends are busy hashing and every
 * request costs CPU of its own, so fewer, larger parts go faster. A far endpoint keeps
 * DEFAULT_PART_SIZE: it needs many connections, and the memory cap divides by the part size.
 */
export const NEAR_PART_SIZE = 16 * MiB;

const PART_SIZE_RANGE = `${describeSize(MIN_PART_SIZE)} and ${describeSize(MAX_PART_SIZE)}`;

/** ceil(a / b) for non-negative safe integers, exact where float division might round. */
function ceilDiv(a: number, b: number): number {
  const quotient = Math.floor(a / b);
  return quotient * b < a ? quotient + 1 : quotient;
}

function roundUpToMiB(bytes: number): number {
  return ceilDiv(bytes, MiB) * MiB;
}

function checkFileSize(fileSize: number): void {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) {
    throw new ConfigError('fileSize', `File size must be a whole, non-negative number of bytes: ${fileSize}`);
  }
  if (fileSize > MAX_OBJECT_SIZE) {
    throw new ConfigError(
      'fileSize',
      `The file is larger than COS allows for one object (${MAX_PARTS} parts of ${describeSize(MAX_PART_SIZE)}, ` +
        `${describeSize(MAX_OBJECT_SIZE)}): ${describeSize(fileSize)}`,
    );
  }
}

function checkPartSize(partSize: number): void {
  if (!Number.isSafeInteger(partSize)) {
    throw new ConfigError('partSize', `Part size must be a whole number of bytes between ${PART_SIZE_RANGE}: ${partSize}`);
  }
  if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    throw new ConfigError('partSize', `Part size must be between ${PART_SIZE_RANGE}: ${describeSize(partSize)}`);
  }
}

/** The smallest whole-MiB part size that fits `fileSize` into MAX_PARTS parts. */
function smallestFittingPartSize(fileSize: number): number {
  return Math.max(MIN_PART_SIZE, roundUpToMiB(ceilDiv(fileSize, MAX_PARTS)));
}

/**
 * `preferred` when the file fits in MAX_PARTS parts of that size; otherwise the smallest whole
 * MiB that does. Throws ConfigError for a preferred size out of range or a file too large.
 */
export function autoPartSize(fileSize: number, preferred: number = DEFAULT_PART_SIZE): number {
  checkFileSize(fileSize);
  checkPartSize(preferred);
  if (ceilDiv(fileSize, preferred) <= MAX_PARTS) return preferred;
  return smallestFittingPartSize(fileSize);
}

/**
 * A file should have at least this many parts, so that the connections a far region needs (see
 * adaptiveConcurrency.ts) all have a part to send even when the file is small.
 */
export const MIN_AUTO_PARTS = 16;

export interface PlanContext {
  /** The endpoint answered the first request quickly (see FAR_ROUND_TRIP_MS): `auto` takes NEAR_PART_SIZE. */
  near?: boolean;
}

/**
 * DEFAULT_PART_SIZE (NEAR_PART_SIZE near), or smaller (whole MiB, at least 1 MiB) for files under
 * MIN_AUTO_PARTS of it.
 */
export function preferredPartSize(fileSize: number, context: PlanContext = {}): number {
  const perPart = Math.ceil(fileSize / MIN_AUTO_PARTS / MIN_PART_SIZE) * MIN_PART_SIZE;
  return Math.min(context.near ? NEAR_PART_SIZE : DEFAULT_PART_SIZE, Math.max(MIN_PART_SIZE, perPart));
}

/**
 * Validates the sizes and plans the parts. A user-chosen size is never changed: when it would
 * need more than MAX_PARTS parts the ConfigError names the smallest size that works. An empty
 * file still has one (empty) part.
 */
export function planParts(fileSize: number, partSize: number | 'auto', context: PlanContext = {}): PartPlan {
  checkFileSize(fileSize);
  let size: number;
  if (partSize === 'auto') {
    size = autoPartSize(fileSize, preferredPartSize(fileSize, context));
  } else {
    checkPartSize(partSize);
    const needed = ceilDiv(fileSize, partSize);
    if (needed > MAX_PARTS) {
      throw new ConfigError(
        'partSize',
        `Part size ${describeSize(partSize)} would cut this ${describeSize(fileSize)} file into ${needed} parts, ` +
          `more than the ${MAX_PARTS} COS allows; use a part size of at least: ${describeSize(smallestFittingPartSize(fileSize))}`,
      );
    }
    size = partSize;
  }
  return { partSize: size, partCount: Math.max(1, ceilDiv(fileSize, size)), fileSize };
}

/** Byte range of part `partNumber` (1-based); every part is `partSize` long except the last. */
export function partRange(plan: PartPlan, partNumber: number): PartRange {
  if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > plan.partCount) {
    throw new ConfigError('partNumber', `Part number must be between 1 and ${plan.partCount}: ${partNumber}`);
  }
  const offset = (partNumber - 1) * plan.partSize;
  return { partNumber, offset, length: Math.min(plan.partSize, plan.fileSize - offset) };
}
