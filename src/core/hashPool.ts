import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { crc64EngineStatus, getCrc64Engine, typescriptCrc64, type Crc64Engine, type Crc64EngineStatus } from './crc64';
import { wasmCrc64 } from './wasmCrc64';
import { digestPart, digestPartSliced, type PartDigest } from './integrity';
import type { HashAnswer, HashJob } from './hashWorker';

/** What a hash worker reports when it is up: its CRC64 engine and, on Linux, its thread's nice value. */
type WorkerReady = Crc64EngineStatus & { nice?: number };

export type HashingStatus = WorkerReady & { threaded: boolean };

/**
 * Data up to this size is hashed on the calling thread (well under a millisecond): starting a
 * worker and loading the native addon would cost far more than that. The engine there is
 * WebAssembly once something (sync) has started it, else TypeScript.
 */
export const CALLING_THREAD_HASH_MAX = 256 * 1024;

function callingThreadEngine(): Crc64Engine {
  return wasmCrc64() ?? typescriptCrc64;
}

/**
 * Hashes parts on worker threads when the buffer is shared memory and the worker script is present
 * (the bundle ships dist/hashWorker.js, tsc emits hashWorker.js beside this file); otherwise on the
 * calling thread. Either way the result is the same digest of the same bytes that are sent.
 */
export class HashPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { resolve: (d: PartDigest) => void; reject: (e: Error) => void }>();
  private readonly ready: Promise<WorkerReady | undefined>;
  private nextId = 1;
  private turn = 0;
  private broken = false;

  private started = false;
  private announce: (status: WorkerReady | undefined) => void = () => undefined;

  private constructor(
    private readonly script: string | undefined,
    private readonly size: number,
  ) {
    this.ready = new Promise((resolve) => (this.announce = resolve));
  }

  /** Workers start on first need, so a process that only hashes small data never starts one. */
  private start(): void {
    if (this.started) return;
    this.started = true;
    const script = this.script;
    if (!script) {
      this.announce(undefined);
      return;
    }
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(script);
      worker.on('message', (answer: HashAnswer) => {
        // The first worker's engine is the one reported: crc64-ecma182, where liblzma's binding is missing, loads in one thread per process.
        if ('ready' in answer) {
          if (i === 0) this.announce({ ...answer.ready, ...(answer.nice !== undefined ? { nice: answer.nice } : {}) });
          if (this.waiting.size === 0) worker.unref();
          return;
        }
        this.settle(answer);
      });
      worker.on('error', (error) => {
        this.announce(undefined);
        this.fail(error);
      });
      this.workers.push(worker);
    }
    // Idle workers must not keep a CLI process alive: they are ref'd while starting and while a job is out.
  }

  /** One thread per spare core, at least one; none when the worker script cannot be found. */
  static create(threads = defaultHashThreads()): HashPool {
    const script = path.join(__dirname, 'hashWorker.js');
    return new HashPool(threads > 0 && existsSync(script) ? script : undefined, threads);
  }

  /** Whether a worker was asked for yet (none is, while only small data was hashed). */
  get workersStarted(): boolean {
    return this.started;
  }

  get threaded(): boolean {
    this.start();
    return this.workers.length > 0 && !this.broken;
  }

  /** The CRC64 engine that hashes parts, and where: worker threads (with their nice value on Linux) or the calling thread. */
  async status(): Promise<HashingStatus> {
    this.start();
    const fromWorker = await this.ready;
    if (fromWorker && this.threaded) return { ...fromWorker, threaded: true };
    return { ...crc64EngineStatus(), threaded: false };
  }

  /** How data of `bytes` will be hashed; small data starts no worker. */
  statusFor(bytes: number): Promise<HashingStatus> {
    if (bytes > CALLING_THREAD_HASH_MAX) return this.status();
    return Promise.resolve({ name: callingThreadEngine().name, reason: 'small data, hashed on the calling thread', threaded: false });
  }

  /** A buffer the workers can read without a copy. */
  allocate(size: number): Buffer {
    return size > CALLING_THREAD_HASH_MAX && this.threaded ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafe(size);
  }

  /** CRC64 of `data`, and its MD5 when `withMd5`. */
  digest(data: Buffer, withMd5 = true): Promise<PartDigest> {
    if (data.length <= CALLING_THREAD_HASH_MAX) return Promise.resolve(digestPart(data, callingThreadEngine(), withMd5));
    if (!this.threaded || !(data.buffer instanceof SharedArrayBuffer)) {
      return digestPartSliced(data, getCrc64Engine(), withMd5);
    }
    const id = this.nextId++;
    const job: HashJob = { id, buffer: data.buffer, offset: data.byteOffset, length: data.length, md5: withMd5 };
    return new Promise<PartDigest>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const worker = this.workers[this.turn++ % this.workers.length];
      worker.ref();
      worker.postMessage(job);
    });
  }

  private settle(answer: Exclude<HashAnswer, { ready: Crc64EngineStatus }>): void {
    const waiter = this.waiting.get(answer.id);
    if (!waiter) return;
    this.waiting.delete(answer.id);
    if (this.waiting.size === 0) for (const w of this.workers) w.unref();
    if ('error' in answer) {
      waiter.reject(new Error(`Hashing a part on a worker thread failed: ${answer.error}`));
      return;
    }
    waiter.resolve({ ...(answer.md5 ? { md5: answer.md5 } : {}), crc64: BigInt(answer.crc64) });
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

/** COS_UPLOAD_HASH_THREADS overrides (0 = hash on the calling thread, in slices). */
function defaultHashThreads(): number {
  const forced = Number(process.env.COS_UPLOAD_HASH_THREADS);
  if (process.env.COS_UPLOAD_HASH_THREADS !== undefined && Number.isInteger(forced) && forced >= 0) return Math.min(forced, 8);
  return Math.max(1, Math.min(4, os.availableParallelism() - 1));
}

let shared: HashPool | undefined;

/** One pool per process: uploads share it, and its idle threads do not keep the process alive. */
export function sharedHashPool(): HashPool {
  shared ??= HashPool.create();
  return shared;
}

/** Which CRC64 engine uploads use and where, without loading the native addon on this thread. */
export function hashingStatus(): Promise<HashingStatus> {
  return sharedHashPool().status();
}
