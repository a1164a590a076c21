import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Crc64Engine } from './crc64';
import { digestPart, type PartDigest } from './integrity';
import type { HashAnswer, HashJob } from './hashWorker';

/**
 * Hashes parts on worker threads when the buffer is shared memory and the worker script is present
 * (the bundle ships dist/hashWorker.js, tsc emits hashWorker.js beside this file); otherwise on the
 * calling thread. Either way the result is the same digest of the same bytes that are sent.
 */
export class HashPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { resolve: (d: PartDigest) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private turn = 0;
  private broken = false;

  private constructor(script: string | undefined, size: number) {
    if (!script) return;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script);
      worker.unref();
      worker.on('message', (answer: HashAnswer) => this.settle(answer));
      worker.on('error', (error) => this.fail(error));
      this.workers.push(worker);
    }
  }

  /** One thread per spare core, at least one; none when the worker script cannot be found. */
  static create(threads = Math.max(1, Math.min(4, os.availableParallelism() - 1))): HashPool {
    const script = path.join(__dirname, 'hashWorker.js');
    return new HashPool(existsSync(script) ? script : undefined, threads);
  }

  get threaded(): boolean {
    return this.workers.length > 0 && !this.broken;
  }

  /** A buffer the workers can read without a copy. */
  allocate(size: number): Buffer {
    return this.threaded ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafe(size);
  }

  digest(data: Buffer, engine: Crc64Engine): Promise<PartDigest> {
    if (!this.threaded || !(data.buffer instanceof SharedArrayBuffer) || engine.name !== 'native') {
      // The TypeScript CRC engine is chosen where the native one cannot load; keep it on this thread.
      return Promise.resolve(digestPart(data, engine));
    }
    const id = this.nextId++;
    const job: HashJob = { id, buffer: data.buffer, offset: data.byteOffset, length: data.length };
    return new Promise<PartDigest>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const worker = this.workers[this.turn++ % this.workers.length];
      worker.ref();
      worker.postMessage(job);
    });
  }

  private settle(answer: HashAnswer): void {
    const waiter = this.waiting.get(answer.id);
    if (!waiter) return;
    this.waiting.delete(answer.id);
    if (this.waiting.size === 0) for (const w of this.workers) w.unref();
    if (answer.error || answer.md5Base64 === undefined || answer.md5Hex === undefined || answer.crc64 === undefined) {
      waiter.reject(new Error(`Hashing a part on a worker thread failed: ${answer.error ?? 'incomplete answer'}`));
      return;
    }
    waiter.resolve({ md5Base64: answer.md5Base64, md5Hex: answer.md5Hex, crc64: BigInt(answer.crc64) });
  }

  private fail(error: Error): void {
    this.broken = true;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}

let shared: HashPool | undefined;

/** One pool per process: uploads share it, and its idle threads do not keep the process alive. */
export function sharedHashPool(): HashPool {
  shared ??= HashPool.create();
  return shared;
}
