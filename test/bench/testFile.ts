/** The benchmark's test files: random bytes written in chunks, with their CRC64 computed on the way. */

import { randomFillSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { getCrc64Engine } from '../../src/core';
import { sizeLabel } from './args';

const WRITE_CHUNK = 16 * 1024 * 1024;

export interface TestFile {
  path: string;
  size: number;
  /** CRC64 (decimal) of the bytes, to check what each contender left behind. */
  crc64: string;
}

/** Random bytes written in chunks (a 10 GiB file never sits in memory), CRC64 computed on the way. */
export async function createFile(dir: string, size: number): Promise<TestFile> {
  const file = path.join(dir, `bench-${sizeLabel(size).replace(/\s+/g, '')}.bin`);
  const engine = getCrc64Engine();
  const chunk = Buffer.allocUnsafe(Math.min(WRITE_CHUNK, Math.max(1, size)));
  const handle = await fs.open(file, 'w');
  let crc = 0n;
  try {
    for (let offset = 0; offset < size; offset += chunk.length) {
      const piece = chunk.subarray(0, Math.min(chunk.length, size - offset));
      randomFillSync(piece);
      crc = engine.update(crc, piece);
      await handle.write(piece, 0, piece.length, offset);
    }
  } finally {
    await handle.close();
  }
  return { path: file, size, crc64: crc.toString() };
}

/** CRC64 (decimal) of a file's bytes, read in chunks: how the benchmark checks a downloaded file. */
export async function fileCrc64(file: string): Promise<{ size: number; crc64: string }> {
  const engine = getCrc64Engine();
  const chunk = Buffer.allocUnsafe(WRITE_CHUNK);
  const handle = await fs.open(file, 'r');
  let crc = 0n;
  let size = 0;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, size);
      if (bytesRead === 0) break;
      crc = engine.update(crc, chunk.subarray(0, bytesRead));
      size += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return { size, crc64: crc.toString() };
}

/** The test file of each size, created in `dir` on first use and kept in `files` for the next section. */
export function testFileSource(dir: string, files: Map<number, TestFile>, log: (message: string) => void): (size: number) => Promise<TestFile> {
  return async (size) => {
    let file = files.get(size);
    if (!file) {
      log(`Creating a ${size >= 1024 * 1024 ? sizeLabel(size) : `${size} B`} test file in ${dir}`);
      file = await createFile(dir, size);
      files.set(size, file);
    }
    return file;
  };
}
