/**
 * Worker-thread entry: hashes part buffers that live in shared memory, so MD5 and CRC64 of large
 * parts do not block the uploading thread (in VS Code, the extension host every extension shares).
 * The native CRC64 addon is loaded here, not on the main thread: it is not context-aware, so only
 * the first thread of a process that loads it gets it.
 */
import { parentPort } from 'node:worker_threads';
import { crc64EngineStatus, getCrc64Engine, type Crc64EngineStatus } from './crc64';
import { digestPart } from './integrity';
import { lowerThreadPriority } from './threadPriority';

export interface HashJob {
  id: number;
  buffer: SharedArrayBuffer;
  offset: number;
  length: number;
}

export type HashAnswer =
  | { id: number; md5Base64: string; md5Hex: string; crc64: string }
  | { id: number; error: string }
  | { id: 0; ready: Crc64EngineStatus; nice?: number };

// Only as a worker: imported elsewhere, this module must not renice (or load the addon on) that thread.
const nice = parentPort ? lowerThreadPriority() : undefined;
const engine = getCrc64Engine();
parentPort?.postMessage({ id: 0, ready: crc64EngineStatus(), ...(nice !== undefined ? { nice } : {}) } satisfies HashAnswer);

parentPort?.on('message', (job: HashJob) => {
  let answer: HashAnswer;
  try {
    const digest = digestPart(new Uint8Array(job.buffer, job.offset, job.length), engine);
    answer = { id: job.id, md5Base64: digest.md5Base64, md5Hex: digest.md5Hex, crc64: digest.crc64.toString() };
  } catch (error) {
    answer = { id: job.id, error: (error as Error).message };
  }
  parentPort?.postMessage(answer);
});
