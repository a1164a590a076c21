import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SyncResult } from '../../../src/core';
import type { PickRequest } from '../../../src/extension/ui/prompts';
import { addEmulatorProfile, emulatorLog, extensionApi, manifest, sha256, testEnv, trackAddedProfiles, waitFor, withSettings } from './extensionHelpers';
import { emulatorClient, objectSha256 } from './resumeHelpers';

const PROFILE = 'sync-folder';

async function write(relative: string, content: string): Promise<string> {
  const file = path.join(testEnv().workspace, relative);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
  return sha256(Buffer.from(content));
}

function sync(args: Record<string, unknown>): Thenable<SyncResult | undefined> {
  return vscode.commands.executeCommand<SyncResult | undefined>('cosUpload.syncFolder', { profile: PROFILE, confirm: true, ...args });
}

describe('Sync Folder to COS', function () {
  this.timeout(120_000);
  let removeAddedProfiles: () => Promise<void>;

  before(async () => {
    await extensionApi();
    removeAddedProfiles = await trackAddedProfiles();
    await addEmulatorProfile(PROFILE);
  });
  after(() => removeAddedProfiles?.());

  it('is offered on folders in the Explorer and in the palette', async () => {
    const menus = (manifest as unknown as { contributes: { menus: Record<string, Array<{ command: string; when?: string }>> } }).contributes.menus;
    const explorer = menus['explorer/context'].find((m) => m.command === 'cosUpload.syncFolder');
    assert.ok(explorer?.when?.includes('explorerResourceIsFolder'));
    assert.ok((await vscode.commands.getCommands(true)).includes('cosUpload.syncFolder'));
  });

  it('sends new and changed files, skips unchanged ones by content, deletes remote-only objects when asked', async () => {
    const folder = vscode.Uri.file(path.join(testEnv().workspace, 'syncme'));
    const hashes: Record<string, string> = {
      'index.html': await write('syncme/index.html', '<h1>one</h1>'),
      'a b/汉字 +%.txt': await write('syncme/a b/汉字 +%.txt', 'special'),
    };
    const first = await sync({ folder, prefix: 'synced' });
    assert.ok(first, 'the sync returned no result');
    assert.equal(first.uploaded.length, 2);
    for (const [relative, hash] of Object.entries(hashes)) assert.equal(await objectSha256(`synced/${relative}`), hash, relative);

    // Same size, other bytes: sent again; the other file is unchanged and not sent.
    hashes['index.html'] = await write('syncme/index.html', '<h1>two</h1>');
    await fs.rm(path.join(testEnv().workspace, 'syncme', 'a b'), { recursive: true });
    const from = (await emulatorLog()).length;
    const kept = await sync({ folder, prefix: 'synced' });
    assert.ok(kept);
    assert.deepEqual(
      kept.uploaded.map((u) => u.key),
      ['synced/index.html'],
    );
    assert.deepEqual(kept.deleted, [], 'nothing is deleted unless asked');
    const third = await sync({ folder, prefix: 'synced', delete: true });
    assert.ok(third);
    assert.deepEqual(third.uploaded, []);
    assert.deepEqual(third.deleted, ['synced/a b/汉字 +%.txt']);
    const writes = (await emulatorLog()).slice(from).filter((e) => e.operation === 'putObject' || e.operation === 'uploadPart');
    assert.deepEqual(
      writes.map((e) => e.key),
      ['synced/index.html'],
    );
    assert.equal(await objectSha256('synced/index.html'), hashes['index.html']);
  });

  it('with cosUpload.syncUpdateHeaders, a changed header rule shows "1 headers to update" in the plan and sends only that file', async () => {
    const folder = vscode.Uri.file(path.join(testEnv().workspace, 'synchdr'));
    await write('synchdr/index.html', '<h1>same</h1>');
    await write('synchdr/site.css', 'body{}');
    const rule = (cacheControl: string) => ({ syncUpdateHeaders: true, headers: [{ glob: '*.css', headers: { 'Cache-Control': cacheControl } }] });
    const api = await extensionApi();
    let restore = await withSettings(rule('max-age=60'));
    const picks: PickRequest[] = [];
    try {
      const first = await sync({ folder, prefix: 'synchdr' });
      assert.equal(first?.uploaded.length, 2);
      await restore();
      restore = await withSettings(rule('max-age=120'));
      const from = (await emulatorLog()).length;
      const said: string[] = [];
      api.prompts.set({
        pick: (request) => {
          picks.push(request);
          return 'Sync';
        },
        message: (request) => void said.push(request.message),
      });
      const second = await sync({ folder, prefix: 'synchdr', confirm: false });
      assert.equal(picks.length, 1, 'the plan was not shown once');
      assert.match(picks[0].title, /: 0 to upload \(0 B\), 1 headers to update \(6 B\), 1 unchanged, 0 to delete$/);
      assert.deepEqual(
        second?.uploaded.map((u) => [u.key, u.action]),
        [['synchdr/site.css', 'update-headers']],
      );
      const writes = (await emulatorLog()).slice(from).filter((e) => e.operation === 'putObject' || e.operation === 'uploadPart');
      assert.deepEqual(
        writes.map((e) => e.key),
        ['synchdr/site.css'],
      );
      // The end message counts the header-only re-send apart from uploads.
      const done = await waitFor('the end-of-sync message', () => said.find((m) => m.startsWith('Synced to ')));
      assert.match(done, /: 0 uploaded \(0 B\), 1 headers updated \(6 B\), 1 unchanged, 0 deleted\.$/);
      const client = emulatorClient();
      try {
        assert.equal((await client.headObject('synchdr/site.css'))?.cacheControl, 'max-age=120');
      } finally {
        await client.close();
      }
    } finally {
      api.prompts.set(undefined);
      await restore();
    }
  });
});
