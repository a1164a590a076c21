/**
 * Worker-thread entry: hashes part buffers that live in shared memory, so MD5 and CRC64 of large
 * parts do not block the uploading thread (in VS Code, the extension host every extension shares).
 * The native CRC64 addon is loaded here, not on the main thread: it is not context-aware, so only
 * the first thread of a process that loads it gets it.
 */
import { parentPort } from 'node:worker_threads';
import { crc64EngineStatus, getCrc64Engine, type Crc64EngineStatus } from './crc64';
import { digestPart, type Md5Digest } from './integrity';
import { lowerThreadPriority } from './threadPriority';

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
const engine = getCrc64Engine();
parentPort?.postMessage({ id: 0, ready: crc64EngineStatus(), ...(nice !== undefined ? { nice } : {}) } satisfies HashAnswer);

parentPort?.on('message', (job: HashJob) => {
  let answer: HashAnswer;
  try {
    const digest = digestPart(new Uint8Array(job.buffer, job.offset, job.length), engine, job.md5);
    answer = { id: job.id, ...(digest.md5 ? { md5: digest.md5 } : {}), crc64: digest.crc64.toString() };
  } catch (error) {
    answer = { id: job.id, error: (error as Error).message };
  }
  parentPort?.postMessage(answer);
});
