import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { formatAgo, type AbortReport } from '../../../src/extension/commands/incomplete';
import type { IncompleteUpload } from '../../../src/core';
import type { UploadOutcome } from '../../../src/extension/uploads/uploadManager';
import { emulatorControl, hostSuite, MiB, workspaceFile } from './extensionHelpers';
import { checkpointFor, emulatorClient, objectSha256, uploadAndPause, uploadsOnServer } from './resumeHelpers';

const PROFILE = 'incomplete-tests';
/** Every key of this file's uploads starts with this, so other tests' uploads stay out of the way. */
const PREFIX = 'incomplete-tests/';
const DAY_MS = 24 * 60 * 60 * 1000;

interface MadeUpload {
  key: string;
  uploadId: string;
  bytes: number;
}

/** Initiates an upload straight on the emulator and sends parts of the given sizes; never completes it. */
async function makeIncomplete(key: string, partSizes: number[], clockSkewMs = 0): Promise<MadeUpload> {
  if (clockSkewMs) await emulatorControl('POST', 'clock', { skewMs: clockSkewMs });
  const client = emulatorClient();
  try {
    const { uploadId } = await client.initiateMultipartUpload(key, {});
    for (const [i, size] of partSizes.entries()) {
      const data = randomBytes(size);
      const md5 = createHash('md5').update(data).digest('base64');
      await client.uploadPart({ key, uploadId, partNumber: i + 1, data, contentMd5: md5 });
    }
    return { key, uploadId, bytes: partSizes.reduce((a, b) => a + b, 0) };
  } finally {
    await client.close();
    if (clockSkewMs) await emulatorControl('POST', 'clock', { skewMs: 0 });
  }
}

function run<T>(args: Record<string, unknown>): Thenable<T> {
  return vscode.commands.executeCommand<T>('cosUpload.manageIncompleteUploads', { profile: PROFILE, prefix: PREFIX, ...args });
}

describe('Manage Incomplete Uploads', function () {
  this.timeout(120_000);
  let recent: MadeUpload;
  let empty: MadeUpload;
  let old: MadeUpload;

  const host = hostSuite({ profile: PROFILE, profileFields: { prefix: PREFIX }, settings: { partSize: 1, multipartThreshold: 1, concurrency: 2 } });

  before(async () => {
    recent = await makeIncomplete(`${PREFIX}recent.bin`, [MiB, 300 * 1024]);
    empty = await makeIncomplete(`${PREFIX}empty.bin`, []);
    // Initiated ten days ago, by the emulator's clock.
    old = await makeIncomplete(`${PREFIX}old/ten-days.bin`, [5000], -10 * DAY_MS);
  });

  it('is contributed to the palette in category COS', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('cosUpload.manageIncompleteUploads'));
  });

  it('shows ages relative to now: just now, minutes, hours, days', () => {
    assert.equal(formatAgo(20_000), 'just now');
    assert.equal(formatAgo(12 * 60_000), '12 min ago');
    assert.equal(formatAgo(5 * 3_600_000 + 59_000), '5 h ago');
    assert.equal(formatAgo(DAY_MS + 1000), '1 day ago');
    assert.equal(formatAgo(3 * DAY_MS + 7 * 3_600_000), '3 days ago');
    assert.equal(formatAgo(undefined), 'initiated at an unknown time');
  });

  it('lists every incomplete upload with its initiated time and the bytes its parts hold', async () => {
    const listed = await run<IncompleteUpload[]>({ action: 'list' });
    const byId = new Map(listed.map((u) => [u.uploadId, u]));
    for (const made of [recent, empty, old]) {
      const item = byId.get(made.uploadId);
      assert.ok(item, `upload ${made.key} is not listed`);
      assert.equal(item.key, made.key);
      assert.equal(item.bytes, made.bytes, `${made.key}: wrong byte count`);
      assert.equal(item.localFile, undefined, `${made.key} has no local checkpoint`);
      assert.ok(item.initiated && !Number.isNaN(Date.parse(item.initiated)), `${made.key} has no initiated time`);
    }
    assert.equal(byId.get(recent.uploadId)?.parts, 2);
    const age = Date.now() - Date.parse(byId.get(old.uploadId)!.initiated!);
    assert.ok(age > 9.9 * DAY_MS && age < 10.1 * DAY_MS, `the old upload is ${age / DAY_MS} days old`);
    assert.ok(listed.every((u) => u.key.startsWith(PREFIX)), 'the prefix did not limit the listing');
  });

  it('knows which uploads a local checkpoint can resume, and resumes one byte-identical', async () => {
    const file = await workspaceFile('incomplete/local-5m.bin', 5 * MiB);
    const { snapshot, uploadId } = await uploadAndPause(host.api, file.uri, PROFILE, 1);
    const listed = await run<IncompleteUpload[]>({ action: 'list' });
    const local = listed.find((u) => u.uploadId === uploadId);
    assert.ok(local, 'the paused upload is not listed');
    assert.equal(local.localFile, file.uri.fsPath);
    assert.ok((local.bytes ?? 0) >= MiB, `the paused upload holds ${local.bytes} bytes`);

    const outcome = await run<UploadOutcome>({ action: 'resume', uploadId });
    assert.equal(outcome.status, 'completed', `resume ended ${outcome.status}: ${String((outcome.error as Error | undefined)?.message)}`);
    assert.equal(outcome.result?.uploadId, uploadId);
    assert.equal(outcome.id, snapshot.id, 'resume made a second entry instead of resuming the listed one');
    assert.equal(await objectSha256(`${PREFIX}incomplete/local-5m.bin`), file.sha256);
    assert.equal((await run<IncompleteUpload[]>({ action: 'list' })).some((u) => u.uploadId === uploadId), false);
  });

  it('refuses to resume an upload no local checkpoint knows', async () => {
    await assert.rejects(Promise.resolve(run({ action: 'resume', uploadId: recent.uploadId })), /No checkpoint on this machine knows this upload/);
  });

  it('aborts only the uploads older than N days, reporting their bytes', async () => {
    const report = await run<AbortReport>({ action: 'abortOlderThan', days: 5 });
    assert.deepEqual(report.aborted.map((a) => a.uploadId), [old.uploadId]);
    assert.equal(report.bytes, old.bytes);
    assert.deepEqual(report.failed, []);
    const onServer = new Set((await uploadsOnServer()).map((u) => u.uploadId));
    assert.equal(onServer.has(old.uploadId), false, 'the old upload is still on COS');
    assert.ok(onServer.has(recent.uploadId) && onServer.has(empty.uploadId), 'a recent upload was aborted');
  });

  it('aborts one upload by id (key looked up), and one by id and key', async () => {
    const first = await run<AbortReport>({ action: 'abort', uploadId: recent.uploadId });
    assert.deepEqual(first.aborted, [{ key: recent.key, uploadId: recent.uploadId, bytes: recent.bytes }]);
    const second = await run<AbortReport>({ action: 'abort', uploadId: empty.uploadId, key: empty.key });
    assert.deepEqual(second.aborted.map((a) => a.uploadId), [empty.uploadId]);
    const left = await run<IncompleteUpload[]>({ action: 'list' });
    assert.deepEqual(left, [], `uploads are left: ${JSON.stringify(left)}`);
  });

  it('aborting an upload paused in Show Uploads also deletes its checkpoint and drops it from the list', async () => {
    const file = await workspaceFile('incomplete/paused-4m.bin', 4 * MiB);
    const { snapshot, uploadId } = await uploadAndPause(host.api, file.uri, PROFILE, 1);
    const report = await run<AbortReport>({ action: 'abort', uploadId });
    assert.deepEqual(report.aborted.map((a) => a.uploadId), [uploadId]);
    assert.equal(await checkpointFor(host.api, uploadId), undefined, 'the checkpoint was kept');
    assert.equal(host.api.uploads.list().some((s) => s.id === snapshot.id), false, 'the aborted upload is still in Show Uploads');
    assert.equal((await uploadsOnServer()).some((u) => u.uploadId === uploadId), false);
  });

  it('says so when there is no such upload to abort', async () => {
    await assert.rejects(Promise.resolve(run({ action: 'abort', uploadId: 'no-such-upload-id' })), (error: Error) => /no incomplete upload with this id/i.test(error.message));
  });
});
