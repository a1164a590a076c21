/**
 * Durable state of one download: which ranges of which object version are in the temporary file,
 * with each range's CRC64 so a resumed download can check the bytes on disk before trusting them.
 * Stored as the upload checkpoints are (checkpoint.ts), in a `downloads` folder of the same state
 * directory. Never holds a secret.
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkpointId, saveJsonAtomically } from '../checkpoint';
import { CosError } from '../errors';
import type { BucketTarget, ServerSideEncryption } from '../types';

export interface DownloadCheckpoint {
  version: 1;
  kind: 'download';
  bucket: string;
  region: string;
  endpoint?: string;
  accelerate?: boolean;
  key: string;
  destPath: string;
  tempPath: string;
  /** The object version being fetched: a different size or ETag on COS means start over. */
  size: number;
  etag: string;
  crc64?: string;
  partSize: number;
  /** Finished ranges and the CRC64 (decimal) of their bytes. */
  ranges: Array<{ index: number; crc64: string }>;
  sse: ServerSideEncryption['type'];
  createdAt: string;
  updatedAt: string;
}

/** The same object to the same file resumes the same checkpoint. */
export function downloadCheckpointId(target: BucketTarget, key: string, destPath: string): string {
  return checkpointId(target, key, destPath);
}

function isDownloadCheckpoint(value: unknown): value is DownloadCheckpoint {
  const c = value as DownloadCheckpoint;
  return (
    typeof c === 'object' &&
    c !== null &&
    c.version === 1 &&
    c.kind === 'download' &&
    typeof c.key === 'string' &&
    typeof c.tempPath === 'string' &&
    typeof c.etag === 'string' &&
    Number.isSafeInteger(c.size) &&
    Number.isSafeInteger(c.partSize) &&
    Array.isArray(c.ranges) &&
    c.ranges.every((r) => Number.isSafeInteger(r.index) && typeof r.crc64 === 'string')
  );
}

export class DownloadCheckpointStore {
  readonly dir: string;

  /** `stateDir` is the upload checkpoints' folder; downloads keep theirs in a subfolder of it. */
  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'downloads');
  }

  private file(id: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new CosError('CHECKPOINT', `Checkpoint id is invalid: ${id}`);
    return path.join(this.dir, `${id}.json`);
  }

  /** undefined when there is none; a damaged one is also undefined (it only saves time, never data). */
  async load(id: string): Promise<DownloadCheckpoint | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.file(id), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CosError('CHECKPOINT', `Could not read the download checkpoint ${this.file(id)}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const parsed: unknown = JSON.parse(text);
      return isDownloadCheckpoint(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  save(id: string, checkpoint: DownloadCheckpoint): Promise<void> {
    return saveJsonAtomically(this.dir, this.file(id), checkpoint);
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.file(id), { force: true });
  }
}
