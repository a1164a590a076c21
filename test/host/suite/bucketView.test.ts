import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DownloadResult } from '../../../src/core';
import type { ViewNode } from '../../../src/extension/bucketView/nodes';
import type { ViewDeleteReport } from '../../../src/extension/bucketView/viewActions';
import type { ViewObjectProperties } from '../../../src/extension/bucketView/viewObject';
import type { MessageRequest } from '../../../src/extension/ui/prompts';
import type { UploadCommandResult } from '../../../src/extension/commands/upload';
import { emulatorLog, hostSuite, sha256, testEnv, withSettings, workspaceFile } from './extensionHelpers';
import { emulatorClient, objectSha256 } from './resumeHelpers';

const PROFILE = 'view-tests';
/** Every object of this suite lives under it; the profile is filtered to it, so other suites' objects stay out. */
const ROOT = 'view-tests/';
const FLAT = 12;

async function put(key: string, data: Buffer, headers: Record<string, string> = {}): Promise<void> {
  const client = emulatorClient();
  try {
    await client.putObject(key, data, headers);
  } finally {
    await client.close();
  }
}

async function exists(key: string): Promise<boolean> {
  const client = emulatorClient();
  try {
    return (await client.headObject(key)) !== undefined;
  } finally {
    await client.close();
  }
}

function run<T>(command: string, ...args: unknown[]): Thenable<T> {
  return vscode.commands.executeCommand<T>(command, ...args);
}

describe('COS view (bucket browser)', function () {
  this.timeout(120_000);
  const host = hostSuite({ profile: PROFILE });
  const readme = randomBytes(3000);
  const messages: MessageRequest[] = [];
  /** What the next modal is answered with (a button label, or undefined to dismiss). */
  let answer: string | undefined;

  const view = () => host.api.bucketView;
  const profileNode = async (): Promise<ViewNode> => {
    const node = (await view().children()).find((n) => n.profile === PROFILE);
    assert.ok(node, `the view does not list profile ${PROFILE}`);
    return node;
  };
  /** Every child of a node, clicking "Load more" until there is none. */
  const allChildren = async (node: ViewNode): Promise<ViewNode[]> => {
    for (;;) {
      const children = await view().children(node);
      const more = children.find((c) => c.kind === 'loadMore');
      if (!more) return children;
      await run('cosUpload.view.loadMore', more);
    }
  };
  const prefixNode = (prefix: string): ViewNode => ({ kind: 'prefix', profile: PROFILE, prefix });
  const objectNode = (key: string) => ({ profile: PROFILE, key });

  before(async () => {
    await put(`${ROOT}docs/readme.md`, readme, { 'content-type': 'text/markdown', 'cache-control': 'max-age=60', 'x-cos-meta-owner': 'tests' });
    await put(`${ROOT}docs/guide.md`, randomBytes(10));
    await put(`${ROOT}img/logo.png`, randomBytes(500));
    for (let i = 0; i < FLAT; i++) await put(`${ROOT}file-${String(i).padStart(2, '0')}.txt`, randomBytes(100 + i));
    assert.equal(await run('cosUpload.view.filter', await profileNode(), { prefix: ROOT }), ROOT);
  });

  beforeEach(() => {
    messages.length = 0;
    answer = undefined;
    host.api.prompts.set({
      message: (request) => {
        messages.push(request);
        return answer;
      },
    });
  });

  it('lists the profiles at the top level, the bucket under each, with the filter shown', async () => {
    const node = await profileNode();
    assert.equal(node.kind, 'profile');
    const item = view().treeItem(node);
    assert.equal(item.contextValue, 'cosProfile');
    assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    assert.match(String(item.description), new RegExp(`${testEnv().bucket}.*${ROOT}`));
  });

  it('lists folders, then objects with size, date and storage class, and the incomplete uploads node first', async () => {
    const children = await allChildren(await profileNode());
    assert.equal(children[0].kind, 'incomplete');
    assert.equal(view().treeItem(children[0]).command?.command, 'cosUpload.view.incompleteUploads');
    const prefixes = children.filter((c) => c.kind === 'prefix').map((c) => (c.kind === 'prefix' ? c.prefix : ''));
    assert.deepEqual(prefixes, [`${ROOT}docs/`, `${ROOT}img/`]);
    const objects = children.filter((c) => c.kind === 'object');
    assert.equal(objects.length, FLAT);
    const first = objects[0];
    assert.ok(first.kind === 'object');
    assert.equal(first.key, `${ROOT}file-00.txt`);
    assert.equal(first.size, 100);
    const item = view().treeItem(first);
    assert.equal(item.contextValue, 'cosObject');
    assert.equal(item.label, 'file-00.txt');
    assert.match(String(item.description), /^100 B · .+ · STANDARD$/);
    const folder = view().treeItem(children[1]);
    assert.equal(folder.contextValue, 'cosPrefix');
    assert.equal(folder.label, 'docs/');
  });

  it('lists a folder lazily, a page at a time, with "Load more" past the page size', async () => {
    const restore = await withSettings({ viewPageSize: 5 });
    try {
      await run('cosUpload.view.refresh');
      const before = (await emulatorLog()).length;
      const firstPage = await view().children(await profileNode());
      // The incomplete-uploads node, five entries, and "Load more".
      assert.equal(firstPage.length, 7);
      const more = firstPage[6];
      assert.equal(more.kind, 'loadMore');
      assert.equal(view().treeItem(more).command?.command, 'cosUpload.view.loadMore');
      const listed = (await emulatorLog()).slice(before).filter((e) => e.operation === 'listObjects');
      assert.equal(listed.length, 1, 'opening the profile listed more than one page');
      const next = await run<ViewNode[]>('cosUpload.view.loadMore', more);
      assert.equal(next.length, 6);
      const all = await allChildren(await profileNode());
      assert.equal(all.filter((c) => c.kind === 'object').length, FLAT);
      assert.equal(all.filter((c) => c.kind === 'loadMore').length, 0);
      // 2 folders + 12 objects in pages of 5: three pages.
      assert.equal((await emulatorLog()).slice(before).filter((e) => e.operation === 'listObjects').length, 3);
    } finally {
      await restore();
      await run('cosUpload.view.refresh');
    }
  });

  it('lists a folder\'s own objects under its node', async () => {
    const children = await view().children(prefixNode(`${ROOT}docs/`));
    assert.deepEqual(
      children.map((c) => (c.kind === 'object' ? c.key : c.kind)),
      [`${ROOT}docs/guide.md`, `${ROOT}docs/readme.md`],
    );
  });

  it('copies keys, URLs and presigned URLs of the selection', async () => {
    const a = objectNode(`${ROOT}file-00.txt`);
    const b = objectNode(`${ROOT}file-01.txt`);
    const keys = await run<string>('cosUpload.view.copyKey', a, [a, b]);
    assert.equal(keys, `${a.key}\n${b.key}`);
    assert.equal(await vscode.env.clipboard.readText(), keys);
    const url = await run<string>('cosUpload.view.copyUrl', a);
    assert.ok(url.endsWith(`/${a.key}`), url);
    const presigned = await run<string>('cosUpload.view.copyPresignedUrl', objectNode(`${ROOT}docs/readme.md`));
    assert.match(presigned, /q-signature=/);
    const res = await fetch(presigned);
    assert.equal(res.status, 200);
    assert.equal(sha256(Buffer.from(await res.arrayBuffer())), sha256(readme));
  });

  it('shows the properties of an object: size, ETag, CRC64, Content-Type, Cache-Control, metadata, storage class', async () => {
    const properties = await run<ViewObjectProperties>('cosUpload.view.properties', objectNode(`${ROOT}docs/readme.md`));
    assert.equal(properties.size, readme.length);
    assert.equal(properties.contentType, 'text/markdown');
    assert.equal(properties.cacheControl, 'max-age=60');
    assert.deepEqual(properties.metadata, { owner: 'tests' });
    assert.match(properties.crc64 ?? '', /^\d+$/);
    const shown = messages.find((m) => m.modal && m.message === `${ROOT}docs/readme.md`);
    assert.ok(shown?.detail, 'no properties dialog');
    assert.match(shown.detail, /Content-Type: text\/markdown/);
    assert.match(shown.detail, /Storage class: STANDARD/);
    assert.match(shown.detail, /owner=tests/);
  });

  it('downloads an object, and asks before replacing an existing file', async () => {
    const dest = path.join(testEnv().workspace, 'view-downloads', 'readme.md');
    await fs.rm(path.dirname(dest), { recursive: true, force: true });
    const result = await run<DownloadResult>('cosUpload.view.download', objectNode(`${ROOT}docs/readme.md`), { destPath: dest });
    assert.equal(result.bytes, readme.length);
    assert.equal(sha256(await fs.readFile(dest)), sha256(readme));
    await fs.writeFile(dest, 'local edits');
    answer = undefined;
    assert.equal(await run('cosUpload.view.download', objectNode(`${ROOT}docs/readme.md`), { destPath: dest }), undefined);
    assert.equal(await fs.readFile(dest, 'utf8'), 'local edits', 'the file was replaced without consent');
    assert.match(messages.at(-1)?.message ?? '', /already exists/);
    answer = 'Replace';
    await run('cosUpload.view.download', objectNode(`${ROOT}docs/readme.md`), { destPath: dest });
    assert.equal(sha256(await fs.readFile(dest)), sha256(readme));
  });

  it('uploads files picked for Upload Here under the folder, through the upload queue', async () => {
    const file = await workspaceFile('view-upload/here.bin', 2048);
    const result = await run<UploadCommandResult>('cosUpload.view.uploadHere', prefixNode(`${ROOT}img/`), { uris: [file.uri] });
    assert.equal(result.length, 1);
    assert.equal(result[0].status, 'completed');
    assert.equal(await objectSha256(`${ROOT}img/here.bin`), file.sha256);
    const listed = await view().children(prefixNode(`${ROOT}img/`));
    assert.ok(listed.some((n) => n.kind === 'object' && n.key === `${ROOT}img/here.bin`), 'the folder was not listed again');
  });

  it('uploads a folder dropped from the Explorer onto a folder, keeping its name and layout', async () => {
    const a = await workspaceFile('dropped/one.txt', 300);
    const b = await workspaceFile('dropped/sub/two.txt', 400);
    const data = new vscode.DataTransfer();
    data.set('text/uri-list', new vscode.DataTransferItem(vscode.Uri.file(path.join(testEnv().workspace, 'dropped')).toString()));
    const queued = new Set<string>();
    const watch = host.api.uploads.onDidChange(({ snapshot }) => {
      if (snapshot.state === 'completed') queued.add(snapshot.job.key);
    });
    try {
      await view().handleDrop(prefixNode(`${ROOT}docs/`), data);
    } finally {
      watch.dispose();
    }
    assert.equal(await objectSha256(`${ROOT}docs/dropped/one.txt`), a.sha256);
    assert.equal(await objectSha256(`${ROOT}docs/dropped/sub/two.txt`), b.sha256);
    assert.deepEqual([...queued].sort(), [`${ROOT}docs/dropped/one.txt`, `${ROOT}docs/dropped/sub/two.txt`], 'the dropped files did not go through the upload queue');
    const listed = await view().children(prefixNode(`${ROOT}docs/`));
    assert.ok(listed.some((n) => n.kind === 'prefix' && n.prefix === `${ROOT}docs/dropped/`), 'the drop target was not listed again');
  });

  it('deletes the selected objects after one confirmation naming the count, and nothing when dismissed', async () => {
    const a = objectNode(`${ROOT}file-10.txt`);
    const b = objectNode(`${ROOT}file-11.txt`);
    answer = undefined;
    assert.equal(await run('cosUpload.view.delete', a, [a, b]), undefined);
    assert.equal(messages.length, 1);
    assert.ok(messages[0].modal);
    assert.match(messages[0].message, /^Delete 2 objects from /);
    assert.ok((await exists(a.key)) && (await exists(b.key)), 'dismissing the confirmation deleted something');
    answer = 'Delete';
    const report = await run<ViewDeleteReport>('cosUpload.view.delete', a, [a, b]);
    assert.deepEqual(report.deleted.sort(), [a.key, b.key]);
    assert.equal(await exists(a.key), false);
    assert.equal(await exists(b.key), false);
    const keys = (await allChildren(await profileNode())).flatMap((n) => (n.kind === 'object' ? [n.key] : []));
    assert.ok(!keys.includes(a.key), 'the view still lists a deleted object');
  });

  it('deletes a prefix after naming its object count and bytes', async () => {
    const node = prefixNode(`${ROOT}img/`);
    answer = undefined;
    assert.equal(await run('cosUpload.view.deletePrefix', node), undefined);
    // logo.png (500 B) and here.bin (2,048 B) from the Upload Here test.
    assert.match(messages.at(-1)?.message ?? '', /^Delete 2 objects \(2\.5 KiB\) under view-tests\/img\//);
    assert.ok(await exists(`${ROOT}img/logo.png`));
    answer = 'Delete';
    const report = await run<ViewDeleteReport>('cosUpload.view.deletePrefix', node);
    assert.deepEqual(report.deleted.sort(), [`${ROOT}img/here.bin`, `${ROOT}img/logo.png`]);
    assert.equal(await exists(`${ROOT}img/logo.png`), false);
    assert.equal(await exists(`${ROOT}docs/readme.md`), true, 'a neighbouring folder was touched');
  });
});
