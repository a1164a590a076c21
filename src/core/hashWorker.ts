/**
 * Worker-thread entry: hashes part buffers that live in shared memory, so MD5 and CRC64 of large
 * parts do not block the uploading thread (in VS Code, the extension host every extension shares).
 */
import { parentPort } from 'node:worker_threads';
import { digestPart } from './integrity';

export interface HashJob {
  id: number;
  buffer: SharedArrayBuffer;
  offset: number;
  length: number;
}

export interface HashAnswer {
  id: number;
  md5Base64?: string;
  md5Hex?: string;
  crc64?: string;
  error?: string;
}

parentPort?.on('message', (job: HashJob) => {
  let answer: HashAnswer;
  try {
    const digest = digestPart(new Uint8Array(job.buffer, job.offset, job.length));
    answer = { id: job.id, md5Base64: digest.md5Base64, md5Hex: digest.md5Hex, crc64: digest.crc64.toString() };
  } catch (error) {
    answer = { id: job.id, error: (error as Error).message };
  }
  parentPort?.postMessage(answer);
});
