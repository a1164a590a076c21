import * as assert from 'node:assert/strict';
import { UploadAbortedError, type UploadEvent, type UploadResult } from '../../../src/core';
import { progressMessage } from '../../../src/extension/ui/progressUi';
import { UploadManager, type UploadBackend, type UploadJob } from '../../../src/extension/uploads/uploadManager';

/** A backend whose runs the test finishes by hand; an aborted run rejects as the core does. */
class FakeBackend implements UploadBackend {
  readonly runs: Array<{ job: UploadJob; signal: AbortSignal; emit: (e: UploadEvent) => void; finish: () => void; fail: (e: Error) => void }> = [];
  readonly discarded: Array<{ key: string; uploadId?: string }> = [];
  discardError: Error | undefined;

  run(job: UploadJob, signal: AbortSignal, onEvent: (event: UploadEvent) => void): Promise<UploadResult> {
    return new Promise<UploadResult>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new UploadAbortedError('user')), { once: true });
      this.runs.push({
        job,
        signal,
        emit: onEvent,
        finish: () => resolve({ key: job.key, etag: '"e"', crc64: '1', crc64Verified: true, parts: 2, bytes: 20, seconds: 1, resumedParts: 0 }),
        fail: reject,
      });
    });
  }

  async discard(job: UploadJob, uploadId: string | undefined): Promise<void> {
    if (this.discardError) throw this.discardError;
    this.discarded.push({ key: job.key, uploadId });
  }
}

function job(name: string): UploadJob {
  return { filePath: `/tmp/${name}`, displayPath: name, key: `k/${name}`, profileId: 'p1', profileName: 'test', bucket: 'b-1250000000' };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('UploadManager', () => {
  let backend: FakeBackend;
  let limit: number;
  let onCancel: 'keep' | 'abort';
  let manager: UploadManager;

  beforeEach(() => {
    backend = new FakeBackend();
    limit = 1;
    onCancel = 'keep';
    manager = new UploadManager(backend, { maxConcurrentUploads: () => limit, onCancel: () => onCancel });
  });

  afterEach(() => manager.dispose());

  it('runs no more uploads at once than the setting allows, and starts the next when one ends', async () => {
    const a = manager.enqueue(job('a'));
    const b = manager.enqueue(job('b'));
    assert.equal(backend.runs.length, 1);
    assert.deepEqual(
      manager.list().map((s) => s.state),
      ['running', 'queued'],
    );
    backend.runs[0].finish();
    assert.equal((await a.done).status, 'completed');
    assert.equal(backend.runs.length, 2);
    backend.runs[1].finish();
    assert.equal((await b.done).status, 'completed');
    assert.equal(manager.list().length, 0, 'completed uploads stay listed');
  });

  it('raises the number of parallel uploads when the limit setting changes', () => {
    manager.enqueue(job('a'));
    manager.enqueue(job('b'));
    manager.enqueue(job('c'));
    assert.equal(backend.runs.length, 1);
    limit = 3;
    manager.pump();
    assert.equal(backend.runs.length, 3);
  });

  it('tracks progress, speed and parts from the core events', () => {
    manager.enqueue(job('a'));
    const run = backend.runs[0];
    run.emit({ type: 'start', key: 'k/a', uploadId: 'u1', fileSize: 100, partSize: 10, partCount: 10, resumedParts: 3, multipart: true, crcEngine: 'typescript' });
    run.emit({ type: 'progress', bytesSent: 45, bytesTotal: 100, partsDone: 4, partCount: 10, concurrency: 2 });
    run.emit({ type: 'part', partNumber: 4, partCount: 10, bytes: 10, etag: '"e4"', crc64: '4', attempt: 1, durationMs: 5 });
    const s = manager.list()[0];
    assert.equal(s.uploadId, 'u1');
    assert.equal(s.resumedParts, 3);
    assert.equal(s.bytesSent, 45);
    assert.equal(s.partsDone, 4);
    assert.equal(s.bytesConfirmed, 40);
    assert.equal(s.partCount, 10);
  });

  it('counts a part done and its bytes confirmed in the same snapshot: the notification and the status bar agree', () => {
    manager.enqueue(job('a'));
    const run = backend.runs[0];
    const seen: Array<[number, number]> = [];
    const sub = manager.onDidChange(({ snapshot }) => seen.push([snapshot.partsDone, snapshot.bytesConfirmed]));
    run.emit({ type: 'start', key: 'k/a', uploadId: 'u1', fileSize: 140, partSize: 10, partCount: 14, resumedParts: 0, multipart: true, crcEngine: 'typescript' });
    // As the core emits a finished part: its progress event (partsDone 1) first, then the part event.
    run.emit({ type: 'progress', bytesSent: 30, bytesTotal: 140, partsDone: 1, partCount: 14, concurrency: 3 });
    run.emit({ type: 'part', partNumber: 1, partCount: 14, bytes: 10, etag: '"e1"', crc64: '1', attempt: 1, durationMs: 5 });
    sub.dispose();
    for (const [parts, confirmed] of seen) assert.equal(confirmed, parts * 10, `a snapshot said ${parts}/14 parts with ${confirmed} bytes confirmed`);
    assert.deepEqual(seen.at(-1), [1, 10]);
    const s = manager.list()[0];
    assert.equal(progressMessage(s).split(' · ').slice(0, 2).join(' · '), '1/14 parts · 7%');
  });

  it('pauses a running upload (kept for resuming) and resumes it with the same job', async () => {
    const first = manager.enqueue(job('a'));
    backend.runs[0].emit({ type: 'start', key: 'k/a', uploadId: 'u1', fileSize: 100, partSize: 10, partCount: 10, resumedParts: 0, multipart: true, crcEngine: 'native' });
    manager.pause(first.id);
    assert.equal(backend.runs[0].signal.aborted, true);
    const paused = await first.done;
    assert.equal(paused.status, 'paused');
    assert.equal(manager.get(first.id)?.state, 'paused');
    assert.equal(backend.discarded.length, 0, 'pausing must not abort on COS');

    const again = manager.resume(first.id);
    assert.equal(again.id, first.id);
    assert.equal(backend.runs.length, 2);
    assert.deepEqual(backend.runs[1].job, backend.runs[0].job);
    backend.runs[1].finish();
    assert.equal((await again.done).status, 'completed');
  });

  it('cancel follows the onCancel setting: keep leaves it paused, abort discards it on COS', async () => {
    const kept = manager.enqueue(job('a'));
    await manager.cancel(kept.id);
    assert.equal((await kept.done).status, 'paused');
    assert.equal(backend.discarded.length, 0);

    onCancel = 'abort';
    const aborted = manager.enqueue(job('b'));
    await tick();
    const run = backend.runs.find((r) => r.job.key === 'k/b');
    assert.ok(run, 'the second upload did not start');
    run.emit({ type: 'start', key: 'k/b', uploadId: 'u2', fileSize: 100, partSize: 10, partCount: 10, resumedParts: 0, multipart: true, crcEngine: 'native' });
    const outcome = await manager.cancel(aborted.id);
    assert.equal(outcome?.status, 'cancelled');
    assert.deepEqual(backend.discarded, [{ key: 'k/b', uploadId: 'u2' }]);
    assert.equal(manager.get(aborted.id), undefined);
  });

  it('cancelling a paused upload discards it; a failed discard keeps it listed as failed', async () => {
    const a = manager.enqueue(job('a'));
    manager.pause(a.id);
    await a.done;
    backend.discardError = new Error('network down');
    const failed = await manager.cancel(a.id);
    assert.equal(failed?.status, 'failed');
    assert.equal(manager.get(a.id)?.state, 'failed');
    backend.discardError = undefined;
    const discarded = await manager.cancel(a.id);
    assert.equal(discarded?.status, 'cancelled');
    assert.equal(manager.get(a.id), undefined);
  });

  it('keeps a failed upload listed with its error code, and lets it be retried', async () => {
    const a = manager.enqueue(job('a'));
    const error = Object.assign(new Error('boom'), { code: 'NETWORK' });
    backend.runs[0].fail(error);
    const outcome = await a.done;
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error, error);
    assert.equal(manager.get(a.id)?.state, 'failed');
    const retry = manager.resume(a.id);
    backend.runs[1].finish();
    assert.equal((await retry.done).status, 'completed');
  });

  it('lists uploads restored from checkpoints as paused and resumes them', async () => {
    const restored = manager.restore(job('old'), { uploadId: 'u9', bytesSent: 30, bytesTotal: 100, partsDone: 3, partCount: 10 });
    assert.equal(restored.state, 'paused');
    assert.equal(restored.uploadId, 'u9');
    // The same file and key is listed once.
    assert.equal(manager.restore(job('old'), { uploadId: 'u9', bytesSent: 30, bytesTotal: 100, partsDone: 3, partCount: 10 }).id, restored.id);
    const resumed = manager.resume(restored.id);
    backend.runs[0].finish();
    assert.equal((await resumed.done).status, 'completed');
  });

  it('stops running uploads on shutdown, keeping them resumable', async () => {
    const a = manager.enqueue(job('a'));
    await manager.shutdown(1000);
    assert.equal(backend.runs[0].signal.aborted, true);
    assert.equal((await a.done).status, 'paused');
  });
});
