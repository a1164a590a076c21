/**
 * One uploader per file and key across processes (the CLI holding the lock, the extension asked to
 * upload the same file), and what the extension says when COS no longer knows an upload: a real
 * abort mid-way, and a Complete that failed and then found the upload gone (Upload Again).
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { UploadCommandResult } from '../../../src/extension/commands/upload';
import type { MessageRequest } from '../../../src/extension/ui/prompts';
import type { UploadOutcome } from '../../../src/extension/uploads/uploadManager';
import { emulatorControl, emulatorLog, hostSuite, MiB, waitFor, workspaceFile } from './extensionHelpers';
import { arrivedSince, emulatorClient, objectSha256, startCli, startUpload } from './resumeHelpers';

const PROFILE = 'endings';
const PREFIX = 'endings/';
/** Collects every message the extension shows; `answer` clicks a button of the ones it matches. */
function recordMessages(asked: MessageRequest[], answer: (request: MessageRequest) => string | undefined | Promise<string | undefined> = () => undefined) {
  return { message: (request: MessageRequest) => (asked.push(request), answer(request)) };
}

describe('one uploader per file and key, and honest endings when COS lost the upload', function () {
  this.timeout(120_000);
  const host = hostSuite({ profile: PROFILE, profileFields: { prefix: PREFIX }, settings: { partSize: 1, multipartThreshold: 1, concurrency: 2 } });

  it('the CLI uploading a file: the extension asked to upload it to the same key says LOCKED at once and sends nothing, not even the existence check', async () => {
    const file = await workspaceFile('endings/locked-3m.bin', 3 * MiB);
    const key = `${PREFIX}locked-3m.bin`;
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-upload-cli-state-'));
    // The CLI's first part hangs until the CLI is stopped: its upload (and its lock) stays.
    await emulatorControl('POST', 'faults', { operation: 'uploadPart', fault: 'stall', times: 'always' });
    const cli = startCli(file.uri.fsPath, key, stateDir);
    try {
      await cli.started;
      const askedAt = Date.now();
      const asked: MessageRequest[] = [];
      host.api.prompts.set(recordMessages(asked));
      const result = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: PROFILE, key });
      assert.deepEqual(
        result.map((r) => [r.status, r.job.key]),
        [['skipped', key]],
      );
      const locked = await waitFor('the LOCKED message', () => asked.find((r) => r.message.startsWith('Another upload of')), 5000);
      assert.equal(locked.severity, 'error');
      const since = /since (\d\d:\d\d:\d\d)\)/.exec(locked.message)?.[1];
      assert.equal(
        locked.message,
        `Another upload of ${file.uri.fsPath} to ${key} is running (pid ${cli.child.pid} on this machine since ${since}); wait for it or stop it.`,
      );
      assert.deepEqual(locked.actions, [], 'Show Uploads is offered only when the other upload is this window\'s own');
      // Let any request the command might have sent reach the log, then look: none for this key.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const sent = arrivedSince(await emulatorLog(), askedAt).filter((e) => e.key === key);
      assert.deepEqual(
        sent.map((e) => `${e.method} ${e.operation}`),
        [],
        'the extension sent requests for a file another process is uploading',
      );
      assert.equal(host.api.uploads.list().some((s) => s.job.key === key), false, 'the locked file was queued');
    } finally {
      cli.child.kill('SIGKILL');
      await emulatorControl('DELETE', 'faults');
      await fs.rm(stateDir, { recursive: true, force: true });
    }
  });

  it('this window uploading a file: asked again for the same key, it says LOCKED with Show Uploads', async () => {
    const file = await workspaceFile('endings/own-4m.bin', 4 * MiB);
    await emulatorControl('POST', 'network', { latencyMs: 250 });
    const { pending, running } = await startUpload(host.api, file.uri, PROFILE, 1);
    const askedAt = Date.now();
    const asked: MessageRequest[] = [];
    host.api.prompts.set(recordMessages(asked));
    const again = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: PROFILE, key: running.job.key });
    assert.deepEqual(again.map((r) => r.status), ['skipped']);
    const locked = await waitFor('the LOCKED message', () => asked.find((r) => r.message.startsWith('Another upload of')), 5000);
    assert.match(locked.message, new RegExp(`\\(pid ${process.pid} on this machine since \\d\\d:\\d\\d:\\d\\d\\); wait for it or stop it\\.$`));
    assert.deepEqual(locked.actions, ['Show Uploads']);
    await emulatorControl('POST', 'network', { latencyMs: 0 });
    const [outcome] = (await pending) as UploadOutcome[];
    assert.equal(outcome.status, 'completed');
    const heads = arrivedSince(await emulatorLog(), askedAt).filter((e) => e.key === running.job.key && e.operation === 'head');
    assert.deepEqual(heads, [], 'the second command sent an existence check');
    assert.equal(await objectSha256(running.job.key), file.sha256);
  });

  it('an upload aborted on COS mid-way (by someone else) ends with what is known: COS no longer knows the upload id', async () => {
    const file = await workspaceFile('endings/aborted-6m.bin', 6 * MiB);
    await emulatorControl('POST', 'network', { latencyMs: 250 });
    const asked: MessageRequest[] = [];
    host.api.prompts.set(recordMessages(asked));
    const { pending, running } = await startUpload(host.api, file.uri, PROFILE, 1);
    const client = emulatorClient();
    try {
      await client.abortMultipartUpload(running.job.key, running.uploadId!);
    } finally {
      await client.close();
    }
    const [outcome] = (await pending) as UploadOutcome[];
    assert.equal(outcome.status, 'failed');
    assert.equal((outcome.error as { code?: string }).code, 'NO_SUCH_UPLOAD');
    const said = await waitFor('the failure message', () => asked.find((r) => r.severity === 'error'), 5000);
    assert.match(
      said.message,
      /^Could not upload endings\/aborted-6m\.bin\. COS no longer knows this multipart upload id: it was aborted, expired by a lifecycle rule, or completed by another uploader\. Upload the file again\./,
    );
    assert.doesNotMatch(said.message, /Complete Multipart Upload failed/);
    assert.ok(said.actions.includes('Upload Again'), `no Upload Again in ${JSON.stringify(said.actions)}`);
    await vscode.commands.executeCommand('cosUpload.showUploads', { action: 'cancel', id: outcome.id });
  });

  it('Complete answering 200 with an <Error>, then the upload gone: the message says so, and Upload Again uploads the file byte-identical', async () => {
    const file = await workspaceFile('endings/complete-lost-3m.bin', 3 * MiB + 5);
    const key = `${PREFIX}complete-lost-3m.bin`;
    await emulatorControl('POST', 'faults', [
      { operation: 'complete', fault: 'completeErrorIn200' },
      { operation: 'complete', fault: 'status', status: 404, code: 'NoSuchUpload', message: 'The specified upload does not exist.', times: 'always' },
    ]);
    const asked: MessageRequest[] = [];
    host.api.prompts.set(
      recordMessages(asked, async (request) => {
        if (!request.actions.includes('Upload Again')) return undefined;
        // The click: from now on COS behaves.
        await emulatorControl('DELETE', 'faults');
        return 'Upload Again';
      }),
    );
    const [outcome] = (await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: PROFILE, key, overwrite: true })) as UploadOutcome[];
    assert.equal(outcome.status, 'failed');
    const said = await waitFor('the failure message', () => asked.find((r) => r.severity === 'error'), 5000);
    assert.match(
      said.message,
      /^Could not upload endings\/complete-lost-3m\.bin\. Complete Multipart Upload failed with InternalError, and when it was sent again COS no longer knew the upload: the upload is gone and no object was created from it\. Upload Again sends the file from the start\./,
    );
    assert.doesNotMatch(said.message, /abort/i, 'the message claims an abort that did not happen');
    assert.deepEqual(said.actions, ['Upload Again', 'Show Log']);
    const done = await waitFor('the success message of the upload started again', () => asked.find((r) => r.message.startsWith('Uploaded ') && r.message.endsWith(key)), 30_000);
    assert.match(done.message, /CRC64 verified/);
    assert.equal(await objectSha256(key), file.sha256, 'the object uploaded again differs from the file');
    assert.equal(host.api.uploads.list().some((s) => s.job.key === key), false, 'the failed upload is still listed');
  });
});
