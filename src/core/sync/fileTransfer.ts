/**
 * Per-file I/O of a sync: the CRC64 of a local file (hashed on the hash workers), and a small file
 * sent as one Put Object whose CRC64 is checked against COS's answer. Big files go through
 * uploadFile instead (checkpoints, resume, lock).
 */

import { promises as fs } from 'node:fs';
import type { CosClient } from '../cosClient';
import { crc64ToDecimal } from '../crc64';
import { CosError, IntegrityError, throwIfAborted } from '../errors';
import { sharedHashPool } from '../hashPool';
import { combinePartCrcs } from '../integrity';
import type { UploadOptions } from '../types';
import { objectHeaders } from '../uploadHeaders';

/** Slice read and hashed at a time when only the CRC64 of a big file is needed. */
const HASH_SLICE = 8 * 1024 * 1024;

export interface ReadFile {
  data: Buffer;
  crc64: string;
  md5Base64?: string;
}

/** Reads a small file whole and hashes it (MD5 too when Content-MD5 is to be sent). */
export async function readAndHash(filePath: string, withMd5: boolean, signal?: AbortSignal): Promise<ReadFile> {
  throwIfAborted(signal);
  const handle = await openForRead(filePath);
  try {
    const { size } = await handle.stat();
    const pool = sharedHashPool();
    const data = pool.allocate(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(data, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const bytes = filled === size ? data : data.subarray(0, filled);
    const digest = await pool.digest(bytes, withMd5);
    return { data: bytes, crc64: crc64ToDecimal(digest.crc64), ...(digest.md5 ? { md5Base64: digest.md5.base64 } : {}) };
  } finally {
    await handle.close();
  }
}

/** CRC64 (decimal) of a file of any size, read in slices: nothing beyond one slice is held. */
export async function fileCrc64(filePath: string, signal?: AbortSignal): Promise<{ crc64: string; size: number }> {
  const handle = await openForRead(filePath);
  try {
    const pool = sharedHashPool();
    const parts: Array<{ crc64: bigint; size: number }> = [];
    let position = 0;
    // One slice, reused: each digest has finished with it before the next read.
    const slice = pool.allocate(HASH_SLICE);
    for (;;) {
      throwIfAborted(signal);
      const { bytesRead } = await handle.read(slice, 0, HASH_SLICE, position);
      if (bytesRead === 0) break;
      const digest = await pool.digest(slice.subarray(0, bytesRead), false);
      parts.push({ crc64: digest.crc64, size: bytesRead });
      position += bytesRead;
    }
    return { crc64: crc64ToDecimal(combinePartCrcs(parts)), size: position };
  } finally {
    await handle.close();
  }
}

async function openForRead(filePath: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(filePath, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CosError('FILE_NOT_FOUND', `The file vanished before it could be read: ${filePath}`, { cause: error });
    throw new CosError('FILE_UNREADABLE', `The file cannot be read (${code ?? 'error'}): ${filePath}`, { cause: error });
  }
}

export interface PutResult {
  etag: string;
  crc64: string;
  /** COS sent a CRC64 and it equals ours. */
  crc64Verified: boolean;
  requestId?: string;
}

/**
 * One Put Object of bytes already read and hashed; COS's CRC64 must equal ours. A mismatch (bytes
 * damaged on the way) is sent again once, then reported.
 */
export async function putVerified(
  client: CosClient,
  key: string,
  file: ReadFile,
  options: UploadOptions,
  signal?: AbortSignal,
  onBodyProgress?: (sent: number) => void,
): Promise<PutResult> {
  const headers = objectHeaders(key, options);
  if (options.trafficLimit !== undefined) headers['x-cos-traffic-limit'] = String(options.trafficLimit);
  if (options.contentMd5 && file.md5Base64) headers['content-md5'] = file.md5Base64;
  for (let attempt = 1; ; attempt++) {
    const result = await client.putObject(key, file.data, headers, signal, onBodyProgress);
    const verified = result.crc64?.trim() === file.crc64;
    // COS returns a CRC64 for every Put Object; a server that sends none cannot be checked here.
    if (verified || result.crc64 === undefined) {
      return { etag: result.etag, crc64: file.crc64, crc64Verified: verified, ...(result.requestId ? { requestId: result.requestId } : {}) };
    }
    const error = new IntegrityError(`The CRC64 of ${key}`, file.crc64, result.crc64, { requestId: result.requestId });
    if (attempt >= 2) throw error;
  }
}
