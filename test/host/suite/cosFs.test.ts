import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PrefixDownloadResult } from '../../../src/core';
import type { InputRequest, MessageRequest, OpenDialogRequest, PickRequest } from '../../../src/extension/ui/prompts';
import { addEmulatorProfile, hostSuite, sha256, waitFor, withSettings } from './extensionHelpers';
import { emulatorClient } from './resumeHelpers';

const PROFILE = 'cos-fs';

async function put(key: string, data: Buffer): Promise<void> {
  const client = emulatorClient();
  try {
    await client.putObject(key, data, {});
  } finally {
    await client.close();
  }
}

function uriOf(key: string): vscode.Uri {
  return vscode.Uri.from({ scheme: 'cos', authority: PROFILE, path: `/${key}` });
}

function openObject(key: string): Thenable<string | undefined> {
  return vscode.commands.executeCommand<string | undefined>('cosUpload.openObject', { profile: PROFILE, key });
}

const isNoPermissions = (error: unknown): boolean => error instanceof vscode.FileSystemError && error.code === 'NoPermissions';

describe('cos: read-only file system, Open COS Object and Download Folder', function () {
  this.timeout(120_000);
  const host = hostSuite({ profile: PROFILE });
  const text = 'hello from COS\n第二行 line 2\n';

  before(async () => {
    await put('cosfs/notes.txt', Buffer.from(text));
    await put('cosfs/a b+c%.txt', Buffer.from('odd name'));
    await put('cosfs/sub/inner.txt', Buffer.from('inner'));
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens a text object in an editor: the document holds the object, on a read-only file system', async () => {
    const opened = await openObject('cosfs/notes.txt');
    assert.equal(opened, uriOf('cosfs/notes.txt').toString());
    const doc = await waitFor('the cos: document', () => vscode.workspace.textDocuments.find((d) => d.uri.toString() === opened));
    assert.equal(doc.getText(), text);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), opened);
    assert.equal(vscode.workspace.fs.isWritableFileSystem('cos'), false);
    const stat = await vscode.workspace.fs.stat(uriOf('cosfs/notes.txt'));
    assert.equal(stat.type, vscode.FileType.File);
    assert.equal(stat.size, Buffer.byteLength(text));
    assert.equal(stat.permissions, vscode.FilePermission.Readonly);
    // A key needing percent-encoding survives the URI round trip.
    const odd = await openObject('cosfs/a b+c%.txt');
    assert.ok(odd);
    const oddDoc = await waitFor('the odd-named document', () => vscode.workspace.textDocuments.find((d) => d.uri.toString() === odd));
    assert.equal(oddDoc.getText(), 'odd name');
  });

  it('asks before opening an object above cosUpload.openSizeLimitMB: dismissed, nothing opens; Open opens it', async () => {
    const restore = await withSettings({ openSizeLimitMB: 0.001 });
    try {
      await put('cosfs/big.txt', Buffer.from('x'.repeat(4096)));
      const asked: MessageRequest[] = [];
      host.api.prompts.set({
        message: (request) => {
          asked.push(request);
          return undefined;
        },
      });
      assert.equal(await openObject('cosfs/big.txt'), undefined);
      assert.equal(asked.length, 1);
      assert.ok(asked[0].modal);
      assert.match(asked[0].message, /cosfs\/big\.txt is 4\.0 KiB, above the 0\.001 MiB limit/);
      assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === uriOf('cosfs/big.txt').toString()), 'nothing was opened');
      host.api.prompts.set({ message: (request) => request.actions[0] });
      const opened = await openObject('cosfs/big.txt');
      assert.equal(opened, uriOf('cosfs/big.txt').toString());
      await waitFor('the big document', () => vscode.workspace.textDocuments.find((d) => d.uri.toString() === opened));
    } finally {
      await restore();
    }
  });

  it('refuses writes, deletes, renames and new folders, pointing to Upload', async () => {
    const uri = uriOf('cosfs/notes.txt');
    const provider = host.api.cosFileSystem;
    const refusals: Array<() => unknown> = [
      () => provider.writeFile(uri, Buffer.from('changed'), { create: true, overwrite: true }),
      () => provider.delete(uri, { recursive: false }),
      () => provider.rename(uri, uriOf('cosfs/renamed.txt'), { overwrite: false }),
      () => provider.createDirectory(uriOf('cosfs/newdir')),
    ];
    for (const refuse of refusals) {
      assert.throws(refuse, (error: unknown) => isNoPermissions(error) && /read-only.*Upload File to COS/.test((error as Error).message));
    }
    // Through VS Code's own file service too; the object stays as it was.
    await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(uri, Buffer.from('changed'))));
    await assert.rejects(Promise.resolve(vscode.workspace.fs.delete(uri)));
    assert.equal(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString(), text);
  });

  it('lists a folder: objects as files, deeper prefixes as folders; a missing key is FileNotFound', async () => {
    const entries = await vscode.workspace.fs.readDirectory(uriOf('cosfs/'));
    const sorted = [...entries].sort((a, b) => a[0].localeCompare(b[0]));
    const expected: Array<[string, vscode.FileType]> = [
      ['a b+c%.txt', vscode.FileType.File],
      ['big.txt', vscode.FileType.File],
      ['notes.txt', vscode.FileType.File],
      ['sub', vscode.FileType.Directory],
    ];
    assert.deepEqual(sorted, expected);
    assert.equal((await vscode.workspace.fs.stat(uriOf('cosfs/sub'))).type, vscode.FileType.Directory);
    await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(uriOf('cosfs/none.txt'))), (e: unknown) => e instanceof vscode.FileSystemError && e.code === 'FileNotFound');
  });

  it('Download Folder writes every object under the prefix byte for byte into a folder named after it', async () => {
    const objects = new Map<string, Buffer>([
      ['dl/readme.md', Buffer.from('# hi')],
      ['dl/data/blob.bin', randomBytes(3 * 1024 * 1024 + 7)],
      ['dl/data/deeper/x.txt', Buffer.from('x')],
    ]);
    for (const [key, data] of objects) await put(key, data);
    await put('dl/data/', Buffer.alloc(0));
    const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-fs-download-'));
    try {
      const result = await vscode.commands.executeCommand<PrefixDownloadResult | undefined>('cosUpload.downloadFolder', { profile: PROFILE, prefix: 'dl/', destination: parent });
      assert.ok(result, 'the download returned no result');
      assert.equal(result.destDir, path.join(parent, 'dl'));
      assert.equal(result.downloaded.length, objects.size);
      assert.deepEqual(result.failed, []);
      for (const [key, data] of objects) {
        assert.equal(sha256(await fs.readFile(path.join(parent, 'dl', ...key.slice('dl/'.length).split('/')))), sha256(data), key);
      }
      const names = (await fs.readdir(path.join(parent, 'dl'), { recursive: true, encoding: 'utf8' })).sort();
      assert.deepEqual(names, ['data', 'data/blob.bin', 'data/deeper', 'data/deeper/x.txt', 'readme.md'].map((n) => n.split('/').join(path.sep)));
      assert.ok(host.api.log.lines().some((line) => line.includes('Downloaded dl/data/blob.bin to ')), 'one log line per file');
    } finally {
      await fs.rm(parent, { recursive: true, force: true });
    }
  });

  describe('from the palette, without a COS view item: the prompts answered through the test API', () => {
    const OTHER = 'cos-fs-other';
    const picks: PickRequest[] = [];
    const inputs: InputRequest[] = [];
    const dialogs: OpenDialogRequest[] = [];
    const answer = (key: string, folder?: vscode.Uri) =>
      host.api.prompts.set({
        pick: (request) => (picks.push(request), PROFILE),
        input: (request) => (inputs.push(request), key),
        openDialog: (request) => (dialogs.push(request), folder ? [folder] : undefined),
        message: () => undefined,
      });

    // A second profile, so the profile is asked for (with one there is nothing to ask).
    before(() => addEmulatorProfile(OTHER));
    beforeEach(() => {
      picks.length = 0;
      inputs.length = 0;
      dialogs.length = 0;
    });

    it('Open COS Object asks for the profile and the key, then shows the object read-only; a folder key is refused', async () => {
      answer('cosfs/sub/inner.txt');
      const opened = await vscode.commands.executeCommand<string | undefined>('cosUpload.openObject');
      assert.equal(opened, uriOf('cosfs/sub/inner.txt').toString());
      assert.equal(picks.length, 1);
      assert.ok(picks[0].labels.includes(PROFILE) && picks[0].labels.includes(OTHER), picks[0].labels.join(', '));
      assert.equal(inputs.length, 1);
      assert.match(inputs[0].prompt, /^Object key in /);
      const doc = await waitFor('the cos: document', () => vscode.workspace.textDocuments.find((d) => d.uri.toString() === opened));
      assert.equal(doc.getText(), 'inner');
      assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), opened);
      assert.equal(vscode.workspace.fs.isWritableFileSystem('cos'), false);

      // The key box refuses a key ending in "/": nothing opens.
      answer('cosfs/sub/');
      assert.equal(await vscode.commands.executeCommand<string | undefined>('cosUpload.openObject'), undefined);
    });

    it('Download Folder asks for the profile, the prefix and the folder, then writes the objects byte for byte', async () => {
      const objects = new Map<string, Buffer>([
        ['pal/a.txt', Buffer.from('from the palette')],
        ['pal/deep/b.bin', randomBytes(1024 * 1024 + 3)],
      ]);
      for (const [key, data] of objects) await put(key, data);
      const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-fs-palette-'));
      try {
        answer('pal/', vscode.Uri.file(parent));
        const result = await vscode.commands.executeCommand<PrefixDownloadResult | undefined>('cosUpload.downloadFolder');
        assert.ok(result, 'the download returned no result');
        assert.equal(picks.length, 1);
        assert.equal(inputs.length, 1);
        assert.match(inputs[0].prompt, /^Key prefix in .* to download/);
        assert.equal(dialogs.length, 1);
        assert.equal(dialogs[0].canSelectFolders, true);
        assert.equal(result.destDir, path.join(parent, 'pal'));
        assert.deepEqual(result.failed, []);
        for (const [key, data] of objects) {
          assert.equal(sha256(await fs.readFile(path.join(parent, 'pal', ...key.slice('pal/'.length).split('/')))), sha256(data), key);
        }
        const names = (await fs.readdir(path.join(parent, 'pal'), { recursive: true, encoding: 'utf8' })).sort();
        assert.deepEqual(names, ['a.txt', 'deep', 'deep/b.bin'].map((n) => n.split('/').join(path.sep)));

        // Cancelling the folder dialog downloads nothing.
        answer('pal/');
        assert.equal(await vscode.commands.executeCommand<PrefixDownloadResult | undefined>('cosUpload.downloadFolder'), undefined);
        assert.equal(dialogs.length, 2);
      } finally {
        await fs.rm(parent, { recursive: true, force: true });
      }
    });
  });
});
