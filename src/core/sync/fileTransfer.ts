/**
 * Per-file I/O of a sync: the CRC64 of a local file (hashed on the hash workers), and a small file
 * sent as one Put Object whose CRC64 is checked against COS's answer. Big files go through
 * uploadFile instead (checkpoints, resume, lock).
 */

import * as fs from 'node:fs';
import type { SizedBufferPool } from '../bufferPool';
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
  /** Gives the buffer back to its pool: call it once `data` is sent or no longer needed, never while a request may still read it. */
  release: () => void;
}

/**
 * Reads a small file whole into a pooled buffer and hashes it (MD5 too when Content-MD5 is to be
 * sent). One read asks for a byte more than the listing's size: getting exactly that size is the
 * whole file with no stat call; anything else means it changed since, and it is read as it is now.
 */
export async function readAndHash(filePath: string, listedSize: number, withMd5: boolean, buffers: SizedBufferPool, signal?: AbortSignal): Promise<ReadFile> {
  throwIfAborted(signal);
  const fd = await openForRead(filePath);
  let buffer = buffers.acquire(listedSize + 1);
  let length: number;
  try {
    length = await readAt(fd, buffer, 0, listedSize + 1, 0, filePath);
    if (length !== listedSize) {
      buffers.release(buffer);
      const size = await statSize(fd, filePath);
      buffer = buffers.acquire(size);
      length = 0;
      while (length < size) {
        const bytesRead = await readAt(fd, buffer, length, size - length, length, filePath);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
    }
  } finally {
    await closeFd(fd);
  }
  const data = buffer.subarray(0, length);
  const digest = await sharedHashPool().digest(data, withMd5);
  const pooled = buffer;
  return {
    data,
    crc64: crc64ToDecimal(digest.crc64),
    ...(digest.md5 ? { md5Base64: digest.md5.base64 } : {}),
    release: () => buffers.release(pooled),
  };
}

// Callback fs calls: per small file, FileHandle promises cost more CPU than the read itself.
function openForRead(filePath: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(filePath, 'r', (error, fd) => (error ? reject(unreadable(error, filePath)) : resolve(fd))));
}

/** Reads `length` bytes at file `position` into `buffer` at `offset`. */
function readAt(fd: number, buffer: Buffer, offset: number, length: number, position: number, filePath: string): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buffer, offset, length, position, (error, bytesRead) => (error ? reject(unreadable(error, filePath)) : resolve(bytesRead))));
}

function statSize(fd: number, filePath: string): Promise<number> {
  return new Promise((resolve, reject) => fs.fstat(fd, (error, stats) => (error ? reject(unreadable(error, filePath)) : resolve(stats.size))));
}

function closeFd(fd: number): Promise<void> {
  // A failed close of a file only read loses nothing.
  return new Promise((resolve) => fs.close(fd, () => resolve()));
}

/** CRC64 (decimal) of a file of any size, read in slices: nothing beyond one slice is held. */
export async function fileCrc64(filePath: string, signal?: AbortSignal): Promise<{ crc64: string; size: number }> {
  const fd = await openForRead(filePath);
  try {
    const pool = sharedHashPool();
    const parts: Array<{ crc64: bigint; size: number }> = [];
    let position = 0;
    // One slice, reused: each digest has finished with it before the next read.
    const slice = pool.allocate(HASH_SLICE);
    for (;;) {
      throwIfAborted(signal);
      const bytesRead = await readAt(fd, slice, 0, HASH_SLICE, position, filePath);
      if (bytesRead === 0) break;
      const digest = await pool.digest(slice.subarray(0, bytesRead), false);
      parts.push({ crc64: digest.crc64, size: bytesRead });
      position += bytesRead;
    }
    return { crc64: crc64ToDecimal(combinePartCrcs(parts)), size: position };
  } finally {
    await closeFd(fd);
  }
}

function unreadable(error: NodeJS.ErrnoException, filePath: string): CosError {
  if (error.code === 'ENOENT') return new CosError('FILE_NOT_FOUND', `The file vanished before it could be read: ${filePath}`, { cause: error });
  return new CosError('FILE_UNREADABLE', `The file cannot be read (${error.code ?? 'error'}): ${filePath}`, { cause: error });
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
