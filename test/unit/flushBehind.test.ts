/** The download's background flush: when it starts, that one runs at a time, that failures are not lost, and the order of the final sync. */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CosError } from '../../src/core/errors';
import { FlushBehind, type FlushableFile } from '../../src/core/download/flushBehind';

/** A file whose flushes finish when the test says so, recording what was called in which order. */
class RecordingFile implements FlushableFile {
  readonly calls: string[] = [];
  private pending: { resolve: () => void; reject: (error: Error) => void }[] = [];

  datasync(): Promise<void> {
    this.calls.push('datasync');
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  sync(): Promise<void> {
    this.calls.push('sync');
    return Promise.resolve();
  }

  /** Ends the oldest flush in flight, then lets its handlers run. */
  async finishFlush(error?: Error): Promise<void> {
    const next = this.pending.shift();
    assert.ok(next, 'a flush is in flight');
    if (error) next.reject(error);
    else next.resolve();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const diskFull = (): Error => Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });

describe('download: background flush', () => {
  it('starts a flush once enough bytes were written, and no second one while it runs', async () => {
    const file = new RecordingFile();
    const flush = new FlushBehind(file, 100);
    flush.written(60);
    assert.deepEqual(file.calls, []);
    flush.written(40);
    assert.deepEqual(file.calls, ['datasync']);
    flush.written(500);
    assert.deepEqual(file.calls, ['datasync'], 'one flush at a time');
    await file.finishFlush();
    flush.written(1);
    assert.deepEqual(file.calls, ['datasync', 'datasync'], 'bytes written while a flush ran count towards the next');
    await file.finishFlush();
    flush.written(99);
    assert.deepEqual(file.calls, ['datasync', 'datasync'], 'the count restarted when the second flush began');
    flush.written(1);
    assert.deepEqual(file.calls, ['datasync', 'datasync', 'datasync']);
    await file.finishFlush();
  });

  it('the final sync waits for the flush in flight and comes after it', async () => {
    const file = new RecordingFile();
    const flush = new FlushBehind(file, 10);
    flush.written(10);
    let synced = false;
    const final = flush.syncAll().then(() => (synced = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(synced, false);
    assert.deepEqual(file.calls, ['datasync']);
    await file.finishFlush();
    await final;
    assert.deepEqual(file.calls, ['datasync', 'sync']);
  });

  it('a failed flush is thrown as FILE_UNWRITABLE at the next write and by the final sync, which then does not sync', async () => {
    const file = new RecordingFile();
    const flush = new FlushBehind(file, 10);
    flush.written(10);
    await file.finishFlush(diskFull());
    assert.throws(
      () => flush.written(1),
      (error: unknown) => CosError.is(error) && error.code === 'FILE_UNWRITABLE' && /ENOSPC/.test(error.message),
    );
    await assert.rejects(flush.syncAll(), (error: unknown) => CosError.is(error) && error.code === 'FILE_UNWRITABLE');
    assert.deepEqual(file.calls, ['datasync'], 'no sync after a failed flush: it would prove nothing');
  });

  it('a failing final sync is FILE_UNWRITABLE too', async () => {
    const flush = new FlushBehind({ datasync: () => Promise.resolve(), sync: () => Promise.reject(diskFull()) });
    await assert.rejects(flush.syncAll(), (error: unknown) => CosError.is(error) && error.code === 'FILE_UNWRITABLE' && error.cause instanceof Error);
  });

  it('flushes a real file while it is written', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flush-behind-'));
    const handle = await fs.open(path.join(dir, 'f.bin'), 'w');
    try {
      const flush = new FlushBehind(handle, 1024);
      const block = Buffer.alloc(4096, 7);
      for (let i = 0; i < 8; i++) {
        await handle.write(block, 0, block.length, i * block.length);
        flush.written(block.length);
      }
      await flush.syncAll();
      assert.equal((await handle.stat()).size, 8 * 4096);
    } finally {
      await handle.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
