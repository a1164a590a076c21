import { constants as fsConstants, promises as fs } from 'node:fs';
import { CosError } from './errors';
import type { PartRange } from './types';

/**
 * The file being uploaded, opened once. Each part is read straight from disk when it is sent, and
 * size/mtime are re-checked so a file edited mid-upload is refused rather than stitched together.
 */
export class SourceFile {
  private constructor(
    readonly path: string,
    private readonly handle: fs.FileHandle,
    readonly size: number,
    readonly mtimeMs: number,
    /** Also compared during the upload: a rewrite that restores mtime (cp -p, rsync -t) cannot restore ctime. */
    private readonly ctimeMs: number,
  ) {}

  static async open(filePath: string): Promise<SourceFile> {
    // Stat and open side by side: on a busy event loop (the extension host) each await waits a turn.
    // Non-blocking, so opening a FIFO returns at once and is then refused as a special file.
    const flags = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0);
    const [statted, opened] = await Promise.allSettled([fs.stat(filePath), fs.open(filePath, flags)]);
    const close = () => (opened.status === 'fulfilled' ? opened.value.close().catch(() => undefined) : undefined);
    if (statted.status === 'rejected') {
      await close();
      throw fileError(filePath, statted.reason);
    }
    const stat = statted.value;
    if (!stat.isFile()) {
      await close();
      throw new CosError('FILE_NOT_A_FILE', `Only regular files can be uploaded; this is a ${stat.isDirectory() ? 'folder' : 'special file'}: ${filePath}`);
    }
    if (opened.status === 'rejected') throw fileError(filePath, opened.reason);
    return new SourceFile(filePath, opened.value, stat.size, stat.mtimeMs, stat.ctimeMs);
  }

  /** Reads finish one at a time, in the order they were asked for. */
  private readQueue: Promise<unknown> = Promise.resolve();

  /**
   * Reads `range` into `buffer` (which must be large enough) and returns the filled slice. Reads
   * are queued, not run side by side: parallel reads make the first part wait for all of them
   * before it can be hashed; one at a time, part 1 is hashed while part 2 is read. A disk is far
   * faster than an upload, so the queue never holds the upload back.
   */
  read(range: PartRange, buffer: Buffer): Promise<Buffer> {
    const result = this.readQueue.then(() => this.readNow(range, buffer));
    this.readQueue = result.catch(() => undefined);
    return result;
  }

  private async readNow(range: PartRange, buffer: Buffer): Promise<Buffer> {
    const target = buffer.subarray(0, range.length);
    let filled = 0;
    while (filled < range.length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(target, filled, range.length - filled, range.offset + filled));
      } catch (error) {
        throw fileError(this.path, error);
      }
      if (bytesRead === 0) {
        throw new CosError('FILE_CHANGED', `The file became shorter during the upload (part ${range.partNumber} ends past its end); the upload is kept so nothing is lost, start it over once the file is final: ${this.path}`);
      }
      filled += bytesRead;
    }
    return target;
  }

  /** Throws FILE_CHANGED when the file's size or modification time differs from when it was opened. */
  async assertUnchanged(): Promise<void> {
    let stat;
    try {
      stat = await fs.stat(this.path);
    } catch (error) {
      throw fileError(this.path, error);
    }
    if (stat.size !== this.size || stat.mtimeMs !== this.mtimeMs || stat.ctimeMs !== this.ctimeMs) {
      const what =
        stat.size !== this.size ? `size ${this.size} → ${stat.size} bytes` : stat.mtimeMs !== this.mtimeMs ? 'modification time changed' : 'rewritten or its attributes changed';
      throw new CosError('FILE_CHANGED', `The file changed during the upload (${what}); nothing was completed on COS. Upload it again once it is no longer being written: ${this.path}`);
    }
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

function fileError(filePath: string, error: unknown): CosError {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return new CosError('FILE_NOT_FOUND', `The file does not exist: ${filePath}`, { cause: error });
    case 'EISDIR':
      return new CosError('FILE_NOT_A_FILE', `Only regular files can be uploaded; this is a folder: ${filePath}`, { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new CosError('FILE_UNREADABLE', `The file cannot be read (permission denied); check its permissions: ${filePath}`, { cause: error });
    default:
      return new CosError('FILE_UNREADABLE', `The file cannot be read (${code ?? (error as Error).message}): ${filePath}`, { cause: error });
  }
}
