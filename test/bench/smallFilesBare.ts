/**
 * The lightest uploader the bench can write, to show what the emulator absorbs at all on this
 * machine: each file read whole into a reused buffer and sent as one signed Put Object over a pool
 * of connections, no hashing, no checks, no retries. Not an uploader to use, a ceiling for the others.
 */

import { close, open, read } from 'node:fs';
import { Pool } from 'undici';
import { objectPath } from '../../src/core/endpoint';
import { signAuthorization } from '../../src/core/signer';
import type { SmallFilesChildArgs } from './smallFilesChild';

/** The file's first `buffer.length` bytes, read into `buffer` (the bench's files fit). */
function readInto(file: string, buffer: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    open(file, 'r', (error, fd) => {
      if (error) return reject(error);
      read(fd, buffer, 0, buffer.length, 0, (readError, bytesRead) => close(fd, () => (readError ? reject(readError) : resolve(buffer.subarray(0, bytesRead)))));
    }),
  );
}

/** Puts every file of `files` (relative paths under args.folder), `concurrency` at once; throws naming the first failure. */
export async function barePutFiles(args: SmallFilesChildArgs, files: readonly string[], concurrency: number, fileSize: number): Promise<number> {
  const url = new URL(args.url);
  const pool = new Pool(url.origin, { connections: concurrency });
  const credentials = { secretId: args.secretId, secretKey: args.secretKey };
  let next = 0;
  const worker = async (): Promise<void> => {
    // One buffer per connection, reused: each request has its answer before the next read.
    const buffer = Buffer.allocUnsafe(fileSize);
    while (next < files.length) {
      const relative = files[next++];
      const body = await readInto(`${args.folder}/${relative}`, buffer);
      const key = args.prefix + relative;
      const headers: Record<string, string> = { host: url.host, 'content-length': String(body.length) };
      headers.authorization = signAuthorization({ method: 'PUT', pathname: `/${key}`, headers }, { credentials });
      const res = await pool.request({ method: 'PUT', path: objectPath(key), headers, body });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`Put Object ${key} answered ${res.statusCode}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await pool.close();
  }
  return concurrency;
}
