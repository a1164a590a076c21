/**
 * Worker-thread entry: hashes part buffers that live in shared memory, so MD5 and CRC64 of large
 * parts do not block the uploading thread (in VS Code, the extension host every extension shares).
 * The compiled CRC64 engines are loaded here, not on the main thread: liblzma's binding loads in
 * every worker, but crc64-ecma182 is not context-aware, so only the first thread of a process that
 * loads it gets it. Where neither loads, WebAssembly hashes.
 */
import { parentPort } from 'node:worker_threads';
import type { Crc64Engine, Crc64EngineStatus } from './crc64';
import { digestPart, type Md5Digest } from './integrity';
import { lowerThreadPriority } from './threadPriority';
import { fastestCrc64 } from './wasmCrc64';

export interface HashJob {
  id: number;
  buffer: SharedArrayBuffer;
  offset: number;
  length: number;
  /** Also MD5 (for Content-MD5 or checking an ETag); CRC64 is always computed. */
  md5: boolean;
}

export type HashAnswer =
  | { id: number; md5?: Md5Digest; crc64: string }
  | { id: number; error: string }
  | { id: 0; ready: Crc64EngineStatus; nice?: number };

// Only as a worker: imported elsewhere, this module must not renice (or load the addon on) that thread.
const nice = parentPort ? lowerThreadPriority() : undefined;
const chosen = parentPort ? fastestCrc64() : undefined;
void chosen?.then(({ status }) => parentPort?.postMessage({ id: 0, ready: status, ...(nice !== undefined ? { nice } : {}) } satisfies HashAnswer));

// Jobs that arrive while WebAssembly compiles wait for it, in the order they came.
parentPort?.on('message', (job: HashJob) => void chosen?.then(({ engine }) => parentPort?.postMessage(answer(job, engine))));

function answer(job: HashJob, engine: Crc64Engine): HashAnswer {
  try {
    const digest = digestPart(new Uint8Array(job.buffer, job.offset, job.length), engine, job.md5);
    return { id: job.id, ...(digest.md5 ? { md5: digest.md5 } : {}), crc64: digest.crc64.toString() };
  } catch (error) {
    return { id: job.id, error: (error as Error).message };
  }
}
