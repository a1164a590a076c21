import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CosError } from './errors';
import type { BucketTarget, Checkpoint, CheckpointStore } from './types';

/** Stable id of one upload: the same file to the same place resumes the same checkpoint. */
export function checkpointId(target: BucketTarget, key: string, filePath: string): string {
  const identity = [target.bucket, target.region, target.endpoint ?? '', target.accelerate ? 'accelerate' : '', key, path.resolve(filePath)].join('\n');
  return createHash('sha256').update(identity).digest('hex').slice(0, 32);
}

function isCheckpoint(value: unknown): value is Checkpoint {
  const c = value as Checkpoint;
  return (
    typeof c === 'object' &&
    c !== null &&
    c.version === 1 &&
    typeof c.uploadId === 'string' &&
    typeof c.key === 'string' &&
    typeof c.filePath === 'string' &&
    Number.isFinite(c.fileSize) &&
    Number.isFinite(c.partSize) &&
    Array.isArray(c.parts)
  );
}

/**
 * Writes `value` as JSON to `target` in `dir` through a fsynced temporary file and a rename, so a
 * crash leaves the previous or the new content, never half of it. Owner-only permissions.
 */
export async function saveJsonAtomically(dir: string, target: string, value: unknown): Promise<void> {
  const temp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.mkdir(dir, { recursive: true });
    const handle = await fs.open(temp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(value));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw new CosError('CHECKPOINT', `Could not save the checkpoint in ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * One JSON file per upload. Writes go to a temporary file that is fsynced and renamed over the old
 * one, so a crash leaves either the previous or the new checkpoint, never half of one.
 */
export class FileCheckpointStore implements CheckpointStore {
  constructor(readonly dir: string) {}

  private file(id: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new CosError('CHECKPOINT', `Checkpoint id is invalid: ${id}`);
    return path.join(this.dir, `${id}.json`);
  }

  async load(id: string): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.file(id), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CosError('CHECKPOINT', `Could not read the checkpoint ${this.file(id)}: ${(error as Error).message}`, { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      // Kept on disk for inspection rather than deleted: it may be the only record of the uploadId.
      throw new CosError('CHECKPOINT', `The checkpoint ${this.file(id)} is not valid JSON; move it aside to start over.`, { cause: error });
    }
    if (!isCheckpoint(parsed)) {
      throw new CosError('CHECKPOINT', `The checkpoint ${this.file(id)} has an unknown shape; move it aside to start over.`);
    }
    return parsed;
  }

  async save(id: string, checkpoint: Checkpoint): Promise<void> {
    await saveJsonAtomically(this.dir, this.file(id), checkpoint);
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.file(id), { force: true });
  }

  async list(): Promise<Array<{ id: string; checkpoint: Checkpoint }>> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const result: Array<{ id: string; checkpoint: Checkpoint }> = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      try {
        const checkpoint = await this.load(id);
        if (checkpoint) result.push({ id, checkpoint });
      } catch {
        // A damaged file is reported when it is loaded by id; listing the rest still helps.
      }
    }
    return result;
  }
}

/**
 * Serialises writes of one checkpoint and coalesces bursts: while a write runs, later updates
 * wait and the newest state is written once, so a fast upload does not queue hundreds of writes.
 */
export class CheckpointWriter<T = Checkpoint> {
  private pending: T | undefined;
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly store: { save(id: string, checkpoint: T): Promise<void> },
    private readonly id: string,
  ) {}

  /** Resolves once a write containing `checkpoint` (or a newer state) is on disk. */
  write(checkpoint: T): Promise<void> {
    this.pending = checkpoint;
    if (!this.running) this.running = this.drain();
    return this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        const next = this.pending;
        this.pending = undefined;
        await this.store.save(this.id, next);
      }
    } catch (error) {
      this.failure = error;
      throw error;
    } finally {
      this.running = undefined;
    }
  }

  /** Waits for every queued write; rethrows the first failure. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure) throw this.failure;
  }
}
