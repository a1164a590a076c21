import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { UploadCommandResult } from '../../../src/extension/commands/upload';
import type { UploadOutcome } from '../../../src/extension/uploads/uploadManager';
import { emulatorControl, emulatorLog, hostSuite, MiB, testEnv, waitFor, withSettings, workspaceFile } from './extensionHelpers';
import { checkpointFor, objectSha256 } from './resumeHelpers';

const PROFILE = 'emulator';
const PREFIX = 'host-tests/';

interface EmulatorUpload {
  key: string;
  uploadId: string;
  parts: number;
}

function completedOutcome(result: UploadCommandResult): UploadOutcome {
  assert.equal(result.length, 1, `expected one outcome, got ${JSON.stringify(result)}`);
  const outcome = result[0] as UploadOutcome;
  assert.equal(outcome.status, 'completed', `the upload ended ${outcome.status}: ${String((outcome.error as Error | undefined)?.message)}`);
  assert.ok(outcome.result);
  return outcome;
}

describe('uploading through the commands', function () {
  this.timeout(120_000);

  const host = hostSuite({ profile: PROFILE, profileFields: { prefix: PREFIX }, keepProfile: true, settings: { partSize: 1, multipartThreshold: 1, concurrency: 3 } });

  it('uploads a workspace file byte-identical, one log line per part as the emulator saw it, status bar shown meanwhile', async () => {
    const file = await workspaceFile('big/upload-5m.bin', 5 * MiB + 12345);
    // Slow enough for the status bar to be seen, fast enough for CI.
    await emulatorControl('POST', 'network', { latencyMs: 100 });
    const shown: string[] = [];
    const poll = setInterval(() => {
      const bar = host.api.statusBar.snapshot();
      if (bar.visible) shown.push(`${bar.text}\n${bar.tooltip}`);
    }, 10);
    let result: UploadCommandResult;
    try {
      result = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: PROFILE, overwrite: true });
    } finally {
      clearInterval(poll);
    }
    const outcome = completedOutcome(result);
    const upload = outcome.result!;
    const key = `${PREFIX}big/upload-5m.bin`;
    assert.equal(upload.key, key);
    assert.equal(upload.parts, 6);
    assert.equal(upload.crc64Verified, true);
    assert.equal(await objectSha256(key), file.sha256, 'the object differs from the workspace file');

    // One line per part, each with the ETag and request id the emulator answered that part with.
    const served = (await emulatorLog()).filter((e) => e.operation === 'uploadPart' && e.uploadId === upload.uploadId && e.status === 200 && !e.interrupted);
    assert.equal(served.length, 6, 'the emulator did not see six successful Upload Part requests');
    const lines = host.api.log.lines();
    const partLines = lines.filter((l) => / part \d+\/6 file=big\/upload-5m\.bin /.test(` ${l.replace(/^\[\w+\] /, '')}`));
    assert.equal(partLines.length, 6, `expected 6 part lines, got:\n${partLines.join('\n')}`);
    for (const entry of served) {
      const line = partLines.filter((l) => l.includes(`part ${entry.partNumber}/6 `));
      assert.equal(line.length, 1, `part ${entry.partNumber} has ${line.length} lines`);
      assert.ok(line[0].includes(`etag=${entry.etag}`), `part ${entry.partNumber}: ETag ${entry.etag} missing in ${line[0]}`);
      assert.ok(line[0].includes(`requestId=${entry.requestId}`), `part ${entry.partNumber}: request id ${entry.requestId} missing in ${line[0]}`);
      assert.match(line[0], /crc64=\d+ attempt=1 duration=\d+ms$/);
    }
    assert.ok(lines.some((l) => l.includes('start file=big/upload-5m.bin') && l.includes(`uploadId=${upload.uploadId}`)), 'no start line with the uploadId');
    assert.ok(lines.some((l) => l.includes('complete file=big/upload-5m.bin') && l.includes(`etag=${upload.etag}`) && l.includes('crc64 verified')), 'no complete line');
    assert.ok(!lines.some((l) => /authorization|q-signature=[0-9a-f]/i.test(l)), 'a signature reached the log');

    assert.ok(
      shown.some((s) => /^\$\(cloud-upload\) 1 · \d+%/.test(s) && s.includes(`big/upload-5m.bin → ${testEnv().bucket}/${key}`)),
      `the status bar never showed the running upload; it showed: ${JSON.stringify([...new Set(shown)].slice(0, 5))}`,
    );
    await waitFor('the status bar to show the result', () => (host.api.statusBar.snapshot().text.includes('$(check)') ? true : undefined), 5000);
  });

  it('cancel mid-upload keeps a resumable upload on COS, and resume completes it byte-identical', async () => {
    const file = await workspaceFile('big/cancel-12m.bin', 12 * MiB);
    await emulatorControl('POST', 'network', { latencyMs: 300 });
    const pending = vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: PROFILE, overwrite: true });
    const running = await waitFor('two parts to be uploaded', () =>
      host.api.uploads.list().find((s) => s.job.filePath === file.uri.fsPath && s.state === 'running' && s.partsDone >= 2),
    );
    await vscode.commands.executeCommand('cosUpload.showUploads', { action: 'cancel', id: running.id });
    const [cancelled] = (await pending) as UploadOutcome[];
    assert.equal(cancelled.status, 'paused', 'with the default onCancel "keep", a cancelled upload must stay resumable');

    const paused = host.api.uploads.list().find((s) => s.id === running.id);
    assert.equal(paused?.state, 'paused');
    const uploadId = paused.uploadId;
    assert.ok(uploadId, 'the paused upload has no uploadId');
    const checkpoint = await checkpointFor(host.api, uploadId);
    assert.ok(checkpoint, 'no checkpoint file was left for the cancelled upload');
    assert.ok(checkpoint.parts.length >= 2, `the checkpoint holds ${checkpoint.parts.length} parts`);
    assert.equal(checkpoint.filePath, file.uri.fsPath);
    const onServer = (await emulatorControl<EmulatorUpload[]>('GET', 'uploads')).find((u) => u.uploadId === uploadId);
    assert.ok(onServer, 'the upload is no longer on the server');
    assert.ok(onServer.parts >= checkpoint.parts.length);

    await emulatorControl('POST', 'network', { latencyMs: 0 });
    const resumed = await vscode.commands.executeCommand<UploadOutcome>('cosUpload.showUploads', { action: 'resume', id: running.id });
    assert.equal(resumed.status, 'completed', `resume ended ${resumed.status}`);
    assert.equal(resumed.result?.uploadId, uploadId, 'resume started a new upload instead of continuing');
    assert.ok((resumed.result?.resumedParts ?? 0) >= checkpoint.parts.length, `only ${resumed.result?.resumedParts} parts were resumed`);
    assert.equal(await objectSha256(`${PREFIX}big/cancel-12m.bin`), file.sha256);
    assert.equal(await checkpointFor(host.api, uploadId), undefined, 'the checkpoint outlived the completed upload');
    assert.equal(host.api.uploads.list().some((s) => s.id === running.id), false, 'the completed upload is still listed');
  });

  it('with onCancel "abort", cancelling deletes the upload on COS and its checkpoint', async () => {
    const restore = await withSettings({ onCancel: 'abort' });
    try {
      const file = await workspaceFile('big/abort-8m.bin', 8 * MiB);
      await emulatorControl('POST', 'network', { latencyMs: 300 });
      const pending = vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: PROFILE, overwrite: true });
      const running = await waitFor('a part to be uploaded', () =>
        host.api.uploads.list().find((s) => s.job.filePath === file.uri.fsPath && s.state === 'running' && s.partsDone >= 1 && s.uploadId),
      );
      await vscode.commands.executeCommand('cosUpload.showUploads', { action: 'cancel', id: running.id });
      const [outcome] = (await pending) as UploadOutcome[];
      assert.equal(outcome.status, 'cancelled');
      assert.equal(await checkpointFor(host.api, running.uploadId!), undefined, 'the checkpoint was kept');
      const onServer = (await emulatorControl<EmulatorUpload[]>('GET', 'uploads')).find((u) => u.uploadId === running.uploadId);
      assert.equal(onServer, undefined, 'the upload is still on the server');
      assert.equal(host.api.uploads.list().some((s) => s.id === running.id), false);
    } finally {
      await restore();
    }
  });

  it('uploads an Explorer multi-selection to the default keys, leaving out folders', async () => {
    const a = await workspaceFile('multi/a.bin', 300 * 1024);
    const b = await workspaceFile('multi/nested/b.bin', 2 * MiB + 7);
    const folder = vscode.Uri.file(path.join(testEnv().workspace, 'multi', 'nested'));
    // As the Explorer calls it: the clicked item, then the whole selection.
    const result = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFromExplorer', a.uri, [a.uri, b.uri, folder]);
    assert.deepEqual(
      result.map((o) => [o.status, (o as UploadOutcome).result?.key]),
      [
        ['completed', `${PREFIX}multi/a.bin`],
        ['completed', `${PREFIX}multi/nested/b.bin`],
      ],
    );
    assert.equal(await objectSha256(`${PREFIX}multi/a.bin`), a.sha256);
    assert.equal(await objectSha256(`${PREFIX}multi/nested/b.bin`), b.sha256);
    // Both files are hashed by the CRC64 engine; it is named (with why, when not native) once a session, not per file.
    const engineLines = () => host.api.log.lines().filter((line: string) => line.includes('hashing: crc64Engine='));
    await waitFor('the CRC64 engine line', () => (engineLines().length > 0 ? true : undefined));
    assert.equal(engineLines().length, 1, engineLines().join('\n'));
  });

  it('skips an existing object when told not to overwrite', async () => {
    const file = await workspaceFile('small/exists.txt', 1000);
    const key = `${PREFIX}small/exists.txt`;
    completedOutcome(await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: PROFILE, overwrite: true }));
    const second = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: PROFILE, overwrite: false });
    assert.equal(second.length, 1);
    assert.equal(second[0].status, 'skipped');
    const puts = (await emulatorLog()).filter((e) => e.operation === 'putObject' && e.key === key);
    assert.equal(puts.length, 1, 'the second command uploaded the object again');
  });

  it('uploads a workspace-relative path given as an argument to the key given as an argument', async () => {
    const file = await workspaceFile('small/custom-key.txt', 4096);
    const outcome = completedOutcome(
      await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: 'small/custom-key.txt', profile: PROFILE, key: 'elsewhere/renamed.txt', overwrite: true }),
    );
    assert.equal(outcome.job.filePath, file.uri.fsPath);
    assert.equal(outcome.result?.key, 'elsewhere/renamed.txt');
    assert.equal(await objectSha256('elsewhere/renamed.txt'), file.sha256);
  });

  it('reports a refused upload with its COS code and request id in the log, and keeps it listed', async () => {
    const file = await workspaceFile('big/denied-2m.bin', 2 * MiB);
    await emulatorControl('POST', 'faults', { operation: 'initiate', fault: 'status', status: 403, code: 'AccessDenied', message: 'Access Denied.' });
    const [outcome] = (await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: PROFILE, overwrite: true })) as UploadOutcome[];
    assert.equal(outcome.status, 'failed');
    assert.equal((outcome.error as { code?: string }).code, 'ACCESS_DENIED');
    const denied = (await emulatorLog()).filter((e) => e.operation === 'initiate' && e.status === 403).at(-1);
    assert.ok(denied, 'the emulator did not refuse the initiate');
    const line = host.api.log.lines().find((l) => l.includes('failed file=big/denied-2m.bin'));
    assert.ok(line, 'no failure line in the log');
    assert.match(line, /code=ACCESS_DENIED/);
    assert.match(line, /cosCode=AccessDenied/);
    assert.ok(line.includes(`requestId=${denied.requestId}`), `the failure line lacks the request id: ${line}`);
    assert.equal(host.api.uploads.list().find((s) => s.id === outcome.id)?.state, 'failed');
    await vscode.commands.executeCommand('cosUpload.showUploads', { action: 'cancel', id: outcome.id });
    assert.equal(host.api.uploads.list().some((s) => s.id === outcome.id), false, 'discarding did not remove the failed upload');
  });
});
