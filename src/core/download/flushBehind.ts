/**
 * Flushes a download's temporary file to disk in the background while ranges still arrive, so the
 * sync that must precede the rename finds little left to write. At most one flush runs at a time;
 * a failed one is kept and thrown at the next write or at the final sync, never swallowed (after a
 * failed fsync the kernel may drop the dirty pages, so a later sync succeeding proves nothing).
 */

import type { FileHandle } from 'node:fs/promises';
import { CosError } from '../errors';

/** Bytes written since the last background flush began that start the next one. */
export const FLUSH_BEHIND_BYTES = 32 * 1024 * 1024;

/** What flushing needs of the file: a FileHandle, or a test's stand-in. */
export type FlushableFile = Pick<FileHandle, 'datasync' | 'sync'>;

function unwritable(error: unknown): CosError {
  return new CosError('FILE_UNWRITABLE', `Could not flush the download's temporary file to disk (${(error as NodeJS.ErrnoException).code ?? 'error'}); check the free space and the disk.`, {
    cause: error,
  });
}

export class FlushBehind {
  private unflushed = 0;
  private inFlight: Promise<void> | undefined;
  private failure: CosError | undefined;

  constructor(
    private readonly file: FlushableFile,
    private readonly everyBytes = FLUSH_BEHIND_BYTES,
  ) {}

  /** Counts bytes just written; starts a flush once enough piled up and none runs. Throws an earlier flush's failure. */
  written(bytes: number): void {
    if (this.failure) throw this.failure;
    this.unflushed += bytes;
    if (this.inFlight || this.unflushed < this.everyBytes) return;
    this.unflushed = 0;
    this.inFlight = this.file.datasync().then(
      () => {
        this.inFlight = undefined;
      },
      (error: unknown) => {
        this.failure ??= unwritable(error);
        this.inFlight = undefined;
      },
    );
  }

  /** Waits for the flush in flight, if any; throws if any flush failed. */
  async settle(): Promise<void> {
    await this.inFlight;
    if (this.failure) throw this.failure;
  }

  /** The sync before the rename: after the background flushes, data and metadata of every byte written. */
  async syncAll(): Promise<void> {
    await this.settle();
    await this.file.sync().catch((error: unknown) => {
      throw unwritable(error);
    });
  }
}
