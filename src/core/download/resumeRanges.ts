/**
 * Which finished ranges of an interrupted download can be kept: the checkpoint must describe the
 * same object version and plan, and each range's bytes in the temporary file must still hash to
 * the CRC64 recorded for it (a crash may have lost writes the checkpoint already counted).
 */

import type { FileHandle } from 'node:fs/promises';
import type { Crc64Engine } from '../crc64';
import { parseCrc64 } from '../crc64';
import { throwIfAborted } from '../errors';
import type { DownloadCheckpoint } from './downloadCheckpoint';
import { rangeLength, type DownloadPlan } from './rangePlan';

const READ_SLICE = 1024 * 1024;

/** Why a checkpoint cannot be resumed for this object and plan, or undefined when it can. */
export function checkpointMismatch(checkpoint: DownloadCheckpoint, object: { size: number; etag: string }, plan: DownloadPlan, tempPath: string): string | undefined {
  if (checkpoint.etag !== object.etag || checkpoint.size !== object.size) return 'the object changed on COS since the download began';
  if (checkpoint.partSize !== plan.partSize) return `the range size changed (${checkpoint.partSize} → ${plan.partSize} bytes)`;
  if (checkpoint.tempPath !== tempPath) return 'the temporary file is elsewhere';
  return undefined;
}

/** The recorded ranges whose bytes in `file` still match their CRC64, as index → CRC64. */
export async function verifiedRanges(
  file: FileHandle,
  plan: DownloadPlan,
  recorded: DownloadCheckpoint['ranges'],
  engine: Crc64Engine,
  signal?: AbortSignal,
): Promise<Map<number, bigint>> {
  const kept = new Map<number, bigint>();
  const buffer = Buffer.allocUnsafe(READ_SLICE);
  for (const { index, crc64 } of recorded) {
    const range = plan.ranges[index];
    const expected = parseCrc64(crc64);
    if (!range || expected === undefined) continue;
    throwIfAborted(signal);
    let crc = 0n;
    let complete = true;
    for (let offset = 0; offset < rangeLength(range); ) {
      const want = Math.min(READ_SLICE, rangeLength(range) - offset);
      const { bytesRead } = await file.read(buffer, 0, want, range.start + offset);
      if (bytesRead === 0) {
        complete = false;
        break;
      }
      crc = engine.update(crc, buffer.subarray(0, bytesRead));
      offset += bytesRead;
    }
    if (complete && crc === expected) kept.set(index, crc);
  }
  return kept;
}
