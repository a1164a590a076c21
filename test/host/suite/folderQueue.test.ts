import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CosServiceError, UploadAbortedError, type UploadEvent, type UploadResult } from '../../../src/core';
import type { ExtensionSettings } from '../../../src/extension/settings/settings';
import { UploadManager, type UploadBackend, type UploadJob } from '../../../src/extension/uploads/uploadManager';
import { countOutcomes, driveUploadQueue, summaryLogLines, summaryText, type QueueItem } from '../../../src/extension/uploads/uploadQueue';

/** A backend whose runs the test ends by hand; an aborted run rejects as the core does. */
class FakeBackend implements UploadBackend {
  readonly runs: Array<{ job: UploadJob; emit: (e: UploadEvent) => void; finish: () => void; fail: (e: Error) => void }> = [];
  readonly discarded: string[] = [];

  run(job: UploadJob, signal: AbortSignal, onEvent: (event: UploadEvent) => void): Promise<UploadResult> {
    return new Promise<UploadResult>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new UploadAbortedError('user')), { once: true });
      this.runs.push({
        job,
        emit: onEvent,
        finish: () => resolve({ key: job.key, etag: '"e"', crc64: '1', crc64Verified: true, parts: 1, bytes: 100, seconds: 1, resumedParts: 0 }),
        fail: reject,
      });
    });
  }

  async discard(job: UploadJob): Promise<void> {
    this.discarded.push(job.key);
  }
}

function item(name: string): QueueItem {
  return { job: { filePath: `/tmp/${name}`, displayPath: `dir/${name}`, key: `p/dir/${name}`, profileId: 'p1', profileName: 'test', bucket: 'b-1250000000' }, size: 100 };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the upload queue of a folder or multi-file batch', () => {
  let backend: FakeBackend;
  let manager: UploadManager;
  let onCancel: 'keep' | 'abort';
  let messages: string[];
  const progress = { report: (value: { message?: string }) => void (value.message && messages.push(value.message)) };
  const deps = (limit: number) => ({ manager, settings: () => ({ maxConcurrentUploads: limit }) as ExtensionSettings });

  beforeEach(() => {
    backend = new FakeBackend();
    onCancel = 'keep';
    // The manager's own cap is higher, so the queue's feeding is what is tested.
    manager = new UploadManager(backend, { maxConcurrentUploads: () => 8, onCancel: () => onCancel });
    messages = [];
  });

  afterEach(() => manager.dispose());

  it('hands the manager maxConcurrentUploads files at a time, in order, and goes on past a failure', async () => {
    const items = ['a', 'b', 'c', 'd', 'e'].map(item);
    const token = new vscode.CancellationTokenSource();
    const done = driveUploadQueue(deps(2), items, progress, token.token);
    assert.deepEqual(backend.runs.map((r) => r.job.key), ['p/dir/a', 'p/dir/b']);
    backend.runs[1].fail(new CosServiceError({ status: 403, code: 'ACCESS_DENIED', cosCode: 'AccessDenied', cosMessage: 'Access Denied.', operation: 'Put Object', requestId: 'req-b' }));
    await tick();
    assert.deepEqual(backend.runs.map((r) => r.job.key), ['p/dir/a', 'p/dir/b', 'p/dir/c'], 'the failure did not free its slot for the next file');
    // Finish the others one by one as they start; never more than two at once.
    for (let finished = 1; finished < 5; finished++) {
      const run = backend.runs[finished === 1 ? 0 : finished];
      assert.ok(backend.runs.length - finished <= 2, `${backend.runs.length - finished} files ran at once`);
      run.finish();
      await tick();
    }
    const result = await done;
    assert.deepEqual(result.outcomes.map((o) => [o.job.key, o.status]), [
      ['p/dir/a', 'completed'],
      ['p/dir/b', 'failed'],
      ['p/dir/c', 'completed'],
      ['p/dir/d', 'completed'],
      ['p/dir/e', 'completed'],
    ]);
    assert.deepEqual(result.notStarted, []);
    assert.equal(result.cancelled, false);
    assert.ok(messages.some((m) => /^\d\/5 files · 1 failed/.test(m)), `no "n/5 files · 1 failed" message in ${JSON.stringify(messages)}`);
    assert.equal(messages.at(-1)?.startsWith('5/5 files'), true, `the last message is ${messages.at(-1)}`);

    const counts = countOutcomes(result, { existing: 1 });
    assert.equal(summaryText(counts), '4 uploaded, 1 failed, 1 skipped: already in COS');
    // Skipped files say why, whichever rule left them out.
    assert.equal(summaryText(countOutcomes(result, { gitignore: 1 })), '4 uploaded, 1 failed, 1 skipped: ignored by .gitignore');
    assert.equal(
      summaryText(countOutcomes(result, { existing: 1, locked: 1, gitignore: 2, filesExclude: 1, excludeGlobs: 3 })),
      '4 uploaded, 1 failed, 8 skipped: 1 already in COS; 1 locked by another running upload; 2 ignored by .gitignore; 1 excluded by files.exclude; 3 excluded by cosUpload.excludeGlobs',
    );
    const lines = summaryLogLines('b-1250000000', result, counts, 400);
    assert.match(lines[0], /^batch bucket=b-1250000000 uploaded=4 failed=1 paused=0 cancelled=0 notStarted=0 skipped=1 skipped.existing=1 skipped.locked=0 skipped.gitignore=0 skipped.filesExclude=0 skipped.excludeGlobs=0 bytes=400 /);
    assert.equal(lines.length, 2);
    assert.match(lines[1], /^ {2}failed file=dir\/b key=p\/dir\/b requestId=req-b: /);
  });

  it('Cancel stops the queue: files not started stay so, running ones are kept for resuming (onCancel "keep")', async () => {
    const items = ['a', 'b', 'c', 'd'].map(item);
    const token = new vscode.CancellationTokenSource();
    const done = driveUploadQueue(deps(2), items, progress, token.token);
    backend.runs[0].finish();
    await tick();
    assert.equal(backend.runs.length, 3);
    token.cancel();
    const result = await done;
    assert.equal(result.cancelled, true);
    assert.deepEqual(result.outcomes.map((o) => [o.job.key, o.status]), [
      ['p/dir/a', 'completed'],
      ['p/dir/b', 'paused'],
      ['p/dir/c', 'paused'],
    ]);
    assert.deepEqual(result.notStarted.map((j) => j.key), ['p/dir/d']);
    assert.equal(backend.runs.length, 3, 'a file started after Cancel');
    assert.deepEqual(backend.discarded, [], 'a kept upload was aborted on COS');
    assert.equal(summaryText(countOutcomes(result, {})), '1 uploaded, 2 paused (resumable from Show Uploads), 1 not started');
    const lines = summaryLogLines('b', result, countOutcomes(result, {}), 100);
    assert.ok(lines.some((l) => l === '  not started file=dir/d key=p/dir/d: the batch was cancelled'));
  });

  it('with onCancel "abort", Cancel aborts the running uploads on COS', async () => {
    onCancel = 'abort';
    const token = new vscode.CancellationTokenSource();
    const done = driveUploadQueue(deps(1), ['a', 'b'].map(item), progress, token.token);
    token.cancel();
    const result = await done;
    assert.deepEqual(result.outcomes.map((o) => o.status), ['cancelled']);
    assert.deepEqual(backend.discarded, ['p/dir/a']);
    assert.deepEqual(result.notStarted.map((j) => j.key), ['p/dir/b']);
  });

  it('reports overall bytes and speed across the running files', async () => {
    const token = new vscode.CancellationTokenSource();
    const done = driveUploadQueue(deps(2), ['a', 'b'].map(item), progress, token.token);
    for (const run of backend.runs) run.emit({ type: 'start', key: run.job.key, fileSize: 100, partSize: 100, partCount: 1, resumedParts: 0, multipart: false, crcEngine: 'typescript' });
    for (let sent = 10; sent <= 50; sent += 10) {
      for (const run of backend.runs) run.emit({ type: 'progress', bytesSent: sent, bytesTotal: 100, partsDone: 0, partCount: 1, concurrency: 1 });
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
    assert.ok(messages.some((m) => /^0\/2 files · .+\/s · /.test(m)), `no speed and time left in ${JSON.stringify(messages)}`);
    for (const run of backend.runs) run.finish();
    const result = await done;
    assert.deepEqual(result.outcomes.map((o) => o.status), ['completed', 'completed']);
  });
});
