/**
 * Upload on save against the emulator: a burst of saves is one Put of the last content, a save
 * during an upload is uploaded after it, a failure shows once in its status bar item and never as
 * a notification, pause holds saves until resume, and another uploader's lock is waited for.
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MessageRequest } from '../../../src/extension/ui/prompts';
import { emulatorControl, emulatorLog, hostSuite, sha256, testEnv, waitFor, withSettings } from './extensionHelpers';
import { arrivedSince, objectSha256, startCli } from './resumeHelpers';

const PROFILE = 'onsave';
const FOLDER = 'onsave';
const PREFIX = 'saved/';

/** Writes `relative` below the test workspace (no save event) and returns its URI. */
async function createFile(relative: string, text: string): Promise<vscode.Uri> {
  const file = path.join(testEnv().workspace, FOLDER, relative);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
  return vscode.Uri.file(file);
}

/** Replaces the document's text and saves it, as a user's edit and Ctrl+S would. */
async function saveText(uri: vscode.Uri, text: string): Promise<void> {
  const document = await vscode.workspace.openTextDocument(uri);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), text);
  assert.ok(await vscode.workspace.applyEdit(edit), `could not edit ${uri.fsPath}`);
  assert.ok(await document.save(), `could not save ${uri.fsPath}`);
}

/** The object's SHA-256, or undefined while it does not exist (or has other bytes). */
async function objectIs(key: string, expected: string): Promise<true | undefined> {
  try {
    return (await objectSha256(key)) === expected ? true : undefined;
  } catch {
    return undefined;
  }
}

async function putsSince(key: string, since: number): Promise<number> {
  return arrivedSince(await emulatorLog(), since).filter((e) => e.key === key && e.operation === 'putObject').length;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('upload on save', function () {
  this.timeout(120_000);
  const host = hostSuite({
    profile: PROFILE,
    settings: { uploadOnSave: [{ folder: FOLDER, profile: PROFILE, prefix: PREFIX }], partSize: 1, multipartThreshold: 1, retries: 0 },
  });
  const asked: MessageRequest[] = [];

  beforeEach(() => {
    asked.length = 0;
    host.api.prompts.set({ message: (request) => void asked.push(request) });
  });

  it('shows its status bar item while an entry applies', async () => {
    const shown = await waitFor('the upload-on-save item', () => (host.api.uploadOnSave.snapshot().visible ? host.api.uploadOnSave.snapshot() : undefined));
    assert.equal(shown.text, '$(cloud-upload) on save');
    assert.equal(shown.paused, false);
  });

  it('ten quick saves: exactly one Put, of the last content, and no notification', async () => {
    const uri = await createFile('ten.txt', 'start\n');
    const key = `${PREFIX}ten.txt`;
    // Opened first, so the burst measures saves, not the first load of the document.
    await vscode.workspace.openTextDocument(uri);
    const since = Date.now();
    let last = '';
    const took: number[] = [];
    for (let i = 1; i <= 10; i++) {
      last = `save ${i}\n`.repeat(100);
      const started = Date.now();
      await saveText(uri, last);
      took.push(Date.now() - started);
    }
    await waitFor('the last content on COS', () => objectIs(key, sha256(Buffer.from(last))));
    // Long enough for a second upload to have started, had the burst not been coalesced.
    await pause(1500);
    const uploads = host.api.log.lines().filter((line) => line.includes('ten.txt'));
    assert.equal(await putsSince(key, since), 1, `saves took ${took.join(', ')} ms; log:\n${uploads.join('\n')}`);
    assert.deepEqual(asked, [], 'a save showed a notification');
    assert.equal(host.api.statusBar.snapshot().text.includes('Upload failed'), false);
  });

  it('a save during a slowed upload is uploaded after it, with the newest bytes, never two at once', async () => {
    const uri = await createFile('slow.txt', 'start\n');
    const key = `${PREFIX}slow.txt`;
    let running = 0;
    let maxRunning = 0;
    const watch = host.api.uploads.onDidChange(({ snapshot, stateChanged }) => {
      if (!stateChanged || snapshot.job.key !== key) return;
      if (snapshot.state === 'running') maxRunning = Math.max(maxRunning, ++running);
      else if (running > 0 && snapshot.state !== 'queued') running--;
    });
    const failuresBefore = host.api.uploadOnSave.snapshot().failuresShown;
    try {
      await emulatorControl('POST', 'network', { connMbps: 1 });
      const since = Date.now();
      await saveText(uri, 'first\n'.repeat(40_000));
      await waitFor('the first upload running', () => host.api.uploads.list().find((s) => s.job.key === key && s.state === 'running'));
      const newest = 'second\n'.repeat(40_000);
      await saveText(uri, newest);
      await emulatorControl('POST', 'network', { connMbps: 0 });
      await waitFor('the newest content on COS', () => objectIs(key, sha256(Buffer.from(newest))), 60_000);
      assert.ok((await putsSince(key, since)) >= 2, 'the save during the upload was not uploaded again');
      assert.equal(maxRunning, 1, 'two uploads of one key ran at once');
      assert.equal(host.api.uploadOnSave.snapshot().failuresShown, failuresBefore, 'the superseded upload was shown as a failure');
    } finally {
      watch.dispose();
    }
  });

  it('a failing upload: the item shows the failure once, with the reason; no error notification; the next good save clears it', async () => {
    const uri = await createFile('fail.txt', 'start\n');
    const key = `${PREFIX}fail.txt`;
    const failuresBefore = host.api.uploadOnSave.snapshot().failuresShown;
    await emulatorControl('POST', 'faults', { operation: 'putObject', fault: 'status', status: 403, code: 'AccessDenied', message: 'Access Denied.', times: 'always' });
    const since = Date.now();
    await saveText(uri, 'one\n');
    const failed = await waitFor('the failed item', () => {
      const s = host.api.uploadOnSave.snapshot();
      return s.text.startsWith('$(error)') ? s : undefined;
    });
    assert.match(failed.tooltip, /Upload on save failed: Could not upload onsave\/fail\.txt\./);
    await saveText(uri, 'two\n');
    await waitFor('the second attempt', async () => ((await putsSince(key, since)) >= 2 ? true : undefined));
    // A failed save is not left in Show Uploads beside the next one.
    await waitFor('the second attempt to end and leave the list', () => (host.api.uploads.list().some((s) => s.job.key === key) ? undefined : true));
    assert.equal(host.api.uploadOnSave.snapshot().failuresShown, failuresBefore + 1, 'the failure was shown more than once');
    assert.equal(host.api.statusBar.snapshot().text.includes('Upload failed'), false, 'the main status bar reported the save');
    assert.deepEqual(
      asked.filter((r) => r.severity !== 'info'),
      [],
      'a failed save showed a notification',
    );
    await emulatorControl('DELETE', 'faults');
    await saveText(uri, 'three\n');
    await waitFor('the good content on COS', () => objectIs(key, sha256(Buffer.from('three\n'))));
    await waitFor('the item back to normal', () => (host.api.uploadOnSave.snapshot().text === '$(cloud-upload) on save' ? true : undefined));
  });

  it('paused: a save uploads nothing; resumed: the held save uploads', async () => {
    const uri = await createFile('paused.txt', 'start\n');
    const key = `${PREFIX}paused.txt`;
    await vscode.commands.executeCommand('cosUpload.pauseUploadOnSave');
    try {
      assert.equal(host.api.uploadOnSave.snapshot().text, '$(debug-pause) on save');
      const since = Date.now();
      await saveText(uri, 'held\n');
      await pause(1500);
      assert.equal(await putsSince(key, since), 0, 'a save uploaded while paused');
      assert.match(host.api.uploadOnSave.snapshot().tooltip, /Upload on save is paused; 1 saved files wait for Resume\./);
    } finally {
      await vscode.commands.executeCommand('cosUpload.resumeUploadOnSave');
    }
    assert.equal(host.api.uploadOnSave.snapshot().paused, false);
    await waitFor('the held save on COS', () => objectIs(key, sha256(Buffer.from('held\n'))));
  });

  it('a pause outlives a reload: kept in workspaceState, and upload on save rebuilt from it is paused and sends nothing', async () => {
    const uri = await createFile('reload.txt', 'start\n');
    const key = `${PREFIX}reload.txt`;
    assert.equal(host.api.uploadOnSave.pausedState(), undefined, 'an earlier test left it paused');
    await vscode.commands.executeCommand('cosUpload.pauseUploadOnSave');
    let reloaded: ReturnType<typeof host.api.uploadOnSave.reactivate> | undefined;
    try {
      assert.equal(host.api.uploadOnSave.pausedState(), true);
      reloaded = host.api.uploadOnSave.reactivate();
      assert.equal(reloaded.snapshot().paused, true, 'rebuilt from workspaceState, it is not paused');
      assert.equal(reloaded.snapshot().text, '$(debug-pause) on save');
      const since = Date.now();
      await saveText(uri, 'held after reload\n');
      const rebuilt = reloaded;
      await waitFor('the save held by the rebuilt upload on save', () => (/1 saved files wait for Resume/.test(rebuilt.snapshot().tooltip) ? true : undefined));
      await pause(1500);
      assert.equal(await putsSince(key, since), 0, 'a save uploaded while paused');
    } finally {
      reloaded?.dispose();
      await vscode.commands.executeCommand('cosUpload.resumeUploadOnSave');
    }
    assert.equal(host.api.uploadOnSave.pausedState(), undefined, 'resume did not clear the stored pause');
    const again = host.api.uploadOnSave.reactivate();
    try {
      assert.equal(again.snapshot().paused, false);
    } finally {
      again.dispose();
    }
    await waitFor('the held save on COS', () => objectIs(key, sha256(Buffer.from('held after reload\n'))));
  });

  it('saving a notebook that matches an entry uploads it (the built-in .ipynb serializer)', async () => {
    const uri = await createFile('analysis.ipynb', JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }));
    const key = `${PREFIX}analysis.ipynb`;
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    const edit = new vscode.WorkspaceEdit();
    edit.set(uri, [vscode.NotebookEdit.insertCells(0, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'print("saved from a notebook")', 'python')])]);
    assert.ok(await vscode.workspace.applyEdit(edit), 'could not edit the notebook');
    assert.ok(await notebook.save(), 'could not save the notebook');
    const saved = await fs.readFile(uri.fsPath);
    assert.match(saved.toString('utf8'), /saved from a notebook/);
    await waitFor('the notebook on COS', () => objectIs(key, sha256(saved)));
    assert.deepEqual(asked, [], 'no notification');
  });

  it('the CLI uploading the same file: waits for its lock without a message, then uploads', async () => {
    // Every size goes multipart here: only a checkpointed upload takes the lock the CLI holds.
    const restoreSettings = await withSettings({ multipartThreshold: 0 });
    const text = 'locked line\n'.repeat(1000);
    const uri = await createFile('locked.txt', text);
    const key = `${PREFIX}locked.txt`;
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-upload-cli-state-'));
    const failuresBefore = host.api.uploadOnSave.snapshot().failuresShown;
    // The CLI's parts hang until it is stopped, so it holds the lock meanwhile.
    await emulatorControl('POST', 'faults', { operation: 'uploadPart', fault: 'stall', times: 'always' });
    const cli = startCli(uri.fsPath, key, stateDir);
    try {
      await cli.started;
      const newest = `${text}saved while the CLI ran\n`;
      await saveText(uri, newest);
      await waitFor('the item waiting for the lock', () => (host.api.uploadOnSave.snapshot().text === '$(watch) on save' ? true : undefined));
      // A few lock retries (one every 2 s), each of which must stay quiet.
      await pause(4500);
      assert.deepEqual(asked, [], 'the lock showed a message');
      const waits = host.api.log.lines().filter((line) => line.includes('upload on save: waiting for the lock') && line.includes('locked.txt'));
      assert.equal(waits.length, 1, `the wait was logged ${waits.length} times`);
      assert.equal(host.api.uploadOnSave.snapshot().failuresShown, failuresBefore);
      await emulatorControl('DELETE', 'faults');
      cli.child.kill('SIGKILL');
      await waitFor('the saved content on COS', () => objectIs(key, sha256(Buffer.from(newest))), 60_000);
      assert.equal(host.api.uploadOnSave.snapshot().failuresShown, failuresBefore);
    } finally {
      cli.child.kill('SIGKILL');
      await emulatorControl('DELETE', 'faults');
      await fs.rm(stateDir, { recursive: true, force: true });
      await restoreSettings();
    }
  });
});
