/**
 * What the user sees around an upload: the overwrite question's safe default, the status bar
 * (bytes of a folder upload, paused uploads), settings scopes and titles, wording.
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CosError } from '../../../src/core';
import type { UploadCommandResult } from '../../../src/extension/commands/upload';
import { encryptionItems } from '../../../src/extension/profiles/profileSteps';
import { describeFailure, joinSentences } from '../../../src/extension/ui/errorUi';
import type { MessageRequest } from '../../../src/extension/ui/prompts';
import { RENAMED_SETTINGS, settingsFrom } from '../../../src/extension/settings/settings';
import type { UploadOutcome } from '../../../src/extension/uploads/uploadManager';
import { emulatorControl, emulatorLog, hostSuite, manifest, MiB, testEnv, waitFor, withSettings, workspaceFile } from './extensionHelpers';
import { objectSha256 } from './resumeHelpers';

const PROFILE = 'ui-behaviour';
const PREFIX = 'ui-behaviour/';

/** The title VS Code's Settings editor derives from a key (settingsTreeModels `wordifyKey`, without its term table). */
function settingsTitle(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/^[a-z]/, (c) => c.toUpperCase());
}

async function writeFolder(dir: string, files: Record<string, string>): Promise<vscode.Uri> {
  const root = path.join(testEnv().workspace, dir);
  await fs.mkdir(root, { recursive: true });
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(root, name), text);
  return vscode.Uri.file(root);
}

describe('UI behaviour: safe defaults, status bar, settings', function () {
  this.timeout(120_000);

  const host = hostSuite({ profile: PROFILE, profileFields: { prefix: PREFIX }, settings: { partSize: 1, multipartThreshold: 1, concurrency: 2 } });

  it('asks about existing objects before uploading, Skip Existing first (the focused default), with the count; skipping overwrites nothing and says so', async () => {
    const folder = await writeFolder('overwrite-host', { 'a.txt': 'old a', 'b.txt': 'old b' });
    const first = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uris: [folder], profile: PROFILE });
    assert.deepEqual(first.map((r) => r.status), ['completed', 'completed']);
    const before = await objectSha256(`${PREFIX}overwrite-host/a.txt`);

    await writeFolder('overwrite-host', { 'a.txt': 'new a', 'b.txt': 'new b', 'c.txt': 'new c' });
    const asked: MessageRequest[] = [];
    const requestsAtQuestion: number[] = [];
    // Answer as Enter or Space would: the first button, the one a modal focuses.
    host.api.prompts.set({
      message: async (r) => {
        asked.push(r);
        if (r.modal) requestsAtQuestion.push((await emulatorLog()).filter((e) => e.method === 'PUT' || e.method === 'POST').length);
        return r.modal ? r.actions[0] : undefined;
      },
    });
    const putsBefore = (await emulatorLog()).filter((e) => e.method === 'PUT' || e.method === 'POST').length;
    const second = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uris: [folder], profile: PROFILE });
    const question = asked.find((r) => r.modal);
    assert.ok(question, `no modal question; asked: ${JSON.stringify(asked.map((r) => r.message))}`);
    assert.equal(question.actions[0], 'Skip Existing', `the first (default) button is ${question.actions[0]}`);
    assert.ok(question.actions.some((a) => /^Overwrite 2 Objects$/.test(a)), `no overwrite button with the count: ${question.actions.join(', ')}`);
    assert.match(question.message, /^2 of the 3 objects already exist in .+\. Skip them and upload the other 1, or overwrite all 2\?$/);
    assert.equal(requestsAtQuestion[0], putsBefore, 'the upload started before the question was answered');
    assert.deepEqual(second.map((r) => r.status).sort(), ['completed', 'skipped', 'skipped']);
    assert.equal(await objectSha256(`${PREFIX}overwrite-host/a.txt`), before, 'Skip Existing overwrote an object');

    asked.length = 0;
    const third = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uris: [folder], profile: PROFILE });
    assert.deepEqual(third.map((r) => r.status), ['skipped', 'skipped', 'skipped']);
    const summary = await waitFor('the summary', () => asked.find((r) => !r.modal && /skipped/.test(r.message)), 5000);
    assert.equal(summary.message, '0 uploaded, 3 skipped: already in COS.');
  });

  it('the status bar moves with the bytes COS confirmed over a whole folder upload and stays below 100% until the end', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 8; i++) files[`f${i}.txt`] = String(i).repeat(200 * 1024);
    const folder = await writeFolder('statusbar-folder', files);
    await emulatorControl('POST', 'network', { latencyMs: 150 });
    const seen: string[] = [];
    const poll = setInterval(() => {
      const bar = host.api.statusBar.snapshot();
      if (bar.visible) seen.push(bar.text);
    }, 10);
    const restore = await withSettings({ multipartThreshold: 8 });
    try {
      const result = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uris: [folder], profile: PROFILE, overwrite: true });
      assert.equal(result.filter((r) => r.status === 'completed').length, 8);
    } finally {
      clearInterval(poll);
      await restore();
    }
    const percents = seen.map((t) => /^\$\(cloud-upload\) \d+ · (\d+)%/.exec(t)?.[1]).filter((p) => p !== undefined).map(Number);
    assert.ok(percents.some((p) => p > 0 && p < 100), `the status bar never moved between 0% and 100%: ${JSON.stringify([...new Set(seen)])}`);
    assert.ok(!percents.includes(100), 'the status bar showed 100% while uploads were still running');
  });

  it('keeps "$(debug-pause) 1 paused" in the status bar while an upload is paused, and a click opens Show Uploads', async () => {
    const file = await workspaceFile('statusbar/paused-6m.bin', 6 * MiB);
    await emulatorControl('POST', 'network', { latencyMs: 300 });
    const pending = vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: PROFILE, overwrite: true });
    const running = await waitFor('a part to be uploaded', () => host.api.uploads.list().find((s) => s.job.filePath === file.uri.fsPath && s.state === 'running' && s.partsDone >= 1));
    await vscode.commands.executeCommand('cosUpload.showUploads', { action: 'pause', id: running.id });
    const [paused] = (await pending) as UploadOutcome[];
    assert.equal(paused.status, 'paused');
    // Longer than the few seconds a finished upload's result stays.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const bar = host.api.statusBar.snapshot();
    assert.equal(bar.visible, true, 'the status bar item went away while an upload is paused');
    assert.equal(bar.text, '$(debug-pause) 1 paused');
    assert.match(bar.tooltip, /Show Uploads/);
    await vscode.commands.executeCommand('cosUpload.showUploads', { action: 'cancel', id: running.id });
    await waitFor('the item to go once nothing is paused', () => (host.api.statusBar.snapshot().visible ? undefined : true), 5000);
  });

  it('gives every setting a scope that works in remote windows and a title that reads well', () => {
    const properties = manifest.contributes.configuration.properties as Record<string, { scope?: string; markdownDeprecationMessage?: string }>;
    for (const [key, schema] of Object.entries(properties)) {
      const name = key.slice('cosUpload.'.length);
      if (name === 'allowInsecureHttp') assert.equal(schema.scope, 'machine', 'allowInsecureHttp belongs to one machine');
      else assert.ok(schema.scope === 'window' || schema.scope === 'resource', `${key} has scope ${schema.scope}`);
      if (schema.markdownDeprecationMessage) {
        assert.ok(Object.values(RENAMED_SETTINGS).includes(name), `${key} is deprecated but not read as a fallback`);
        continue;
      }
      const title = settingsTitle(name);
      assert.ok(!/\b[A-Za-z]\b|\bMi\b|\bKi\b|\bMd5\b/.test(title), `${key} reads "${title}" in the Settings editor`);
    }
    for (const [now, old] of Object.entries(RENAMED_SETTINGS)) assert.ok(properties[`cosUpload.${now}`] && properties[`cosUpload.${old}`], `${now}/${old} not both declared`);
  });

  it('a value set in the User settings takes effect in this remote (code-server) window: cosUpload.trafficLimit reaches every part as x-cos-traffic-limit', async () => {
    const file = await workspaceFile('settings/user-traffic-2m.bin', 2 * MiB + 1);
    const kibps = 10240;
    const config = vscode.workspace.getConfiguration('cosUpload');
    const previous = config.inspect('trafficLimit')?.globalValue;
    const applied = new Promise<void>((resolve) => {
      const sub = vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('cosUpload.trafficLimit')) return;
        sub.dispose();
        resolve();
      });
    });
    await config.update('trafficLimit', kibps, vscode.ConfigurationTarget.Global);
    try {
      await applied;
      // It landed in the User settings.json of code-server's user-data-dir (where globalStorage also lives);
      // a machine-scoped setting would have gone to the remote settings instead.
      const userSettings = path.join(path.dirname(path.dirname(host.api.storage.globalStorageDir)), 'settings.json');
      const onDisk = JSON.parse(await fs.readFile(userSettings, 'utf8')) as Record<string, unknown>;
      assert.equal(onDisk['cosUpload.trafficLimit'], kibps, `the value is not in the User settings ${userSettings}`);
      const [outcome] = (await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: PROFILE, overwrite: true })) as UploadOutcome[];
      assert.equal(outcome.status, 'completed');
      const parts = (await emulatorLog()).filter((e) => e.operation === 'uploadPart' && e.uploadId === outcome.result?.uploadId);
      assert.equal(parts.length, 3);
      assert.deepEqual(
        parts.map((e) => e.trafficLimit),
        parts.map(() => String(kibps * 8192)),
        'the User-level trafficLimit did not reach the part requests',
      );
    } finally {
      await config.update('trafficLimit', previous, vscode.ConfigurationTarget.Global);
    }
  });

  it('reads an old setting name when only it is set, the new one when both are', () => {
    const oldOnly: Record<string, unknown> = { partSizeMiB: 8, trafficLimitKiBps: 100, contentMd5: true, multipartThresholdMiB: 2 };
    const s = settingsFrom((n) => oldOnly[n], (n) => n in oldOnly);
    assert.deepEqual(s.uploadOptions, { partSize: 8 * MiB, multipartThreshold: 2 * MiB, trafficLimit: 819_200, contentMd5: true });
    const both: Record<string, unknown> = { partSizeMiB: 8, partSize: 16 };
    assert.equal(settingsFrom((n) => both[n], (n) => n in both).uploadOptions.partSize, 16 * MiB);
  });

  it('labels the encryption choices apart, SSE-C described in its own row only', () => {
    const items = encryptionItems();
    assert.equal(new Set(items.map((i) => i.label)).size, items.length);
    for (const item of items) {
      const text = `${item.label} ${item.description ?? ''} ${item.detail ?? ''}`;
      if (item.type !== 'SSE-C') assert.doesNotMatch(text, /SSE-C\b|key you provide|your own key/, `${item.type} mentions SSE-C`);
    }
    assert.match(items.find((i) => i.type === 'SSE-C')?.detail ?? '', /COS keeps no copy/);
  });

  it('words failures truthfully: no "request to COS failed" when none was sent, no space after "。"', () => {
    const local = describeFailure(new CosError('INVALID_ARGUMENT', 'bad prefix'), { profileName: 'p' });
    assert.doesNotMatch(local.message, /request to COS failed/);
    const remote = describeFailure(new CosError('TIMEOUT', 'slow', { retryable: true }), { profileName: 'p' });
    assert.match(remote.message, /^The request to COS failed\. /);
    assert.equal(joinSentences('无法上传 a.bin。', 'COS 未能及时响应。', '请求 ID：x'), '无法上传 a.bin。COS 未能及时响应。请求 ID：x');
    assert.equal(joinSentences('Could not upload a.bin.', '', 'Retry.'), 'Could not upload a.bin. Retry.');
  });
});
