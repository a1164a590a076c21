/**
 * `cosUpload.headers` and `cosUpload.tagging` from settings reach the object when a file is
 * uploaded through the extension's command; an invalid header value stops the upload before any
 * request, with the INVALID_HEADER message.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { UploadCommandResult } from '../../../src/extension/commands/upload';
import type { UploadOutcome } from '../../../src/extension/uploads/uploadManager';
import type { MessageRequest } from '../../../src/extension/ui/prompts';
import { emulatorLog, hostSuite, withSettings, workspaceFile } from './extensionHelpers';
import { emulatorClient } from './resumeHelpers';

const PROFILE = 'object-headers';
const PREFIX = 'header-tests/';
const WRITES = new Set(['putObject', 'initiate', 'uploadPart', 'complete']);

async function headers(key: string): Promise<Record<string, string>> {
  const client = emulatorClient();
  try {
    const info = await client.headObject(key);
    assert.ok(info, `${key} is not in the bucket`);
    return info.headers as Record<string, string>;
  } finally {
    await client.close();
  }
}

function upload(uri: vscode.Uri): Thenable<UploadCommandResult> {
  return vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri, profile: PROFILE, overwrite: true });
}

describe('object headers from settings', function () {
  this.timeout(120_000);
  const host = hostSuite({ profile: PROFILE, profileFields: { prefix: PREFIX } });
  const messages: MessageRequest[] = [];

  beforeEach(() => {
    messages.length = 0;
    host.api.prompts.set({ message: (request) => void messages.push(request) });
  });

  it('cosUpload.headers and cosUpload.tagging reach the object, with a utf-8 Content-Type for text', async () => {
    const restore = await withSettings({
      headers: [
        { glob: '*.txt', headers: { 'Cache-Control': 'max-age=60', 'Content-Disposition': 'attachment; filename="notes.txt"', 'x-cos-meta-owner': 'host-tests' } },
        { glob: '*.html', headers: { 'Cache-Control': 'no-cache' } },
      ],
      tagging: 'team=docs&env=test',
    });
    try {
      const txt = await workspaceFile('headers/notes.txt', 300);
      const html = await workspaceFile('headers/page.html', 200);
      for (const file of [txt, html]) {
        const outcome = (await upload(file.uri))[0] as UploadOutcome;
        assert.equal(outcome.status, 'completed', `${file.relative}: ${String((outcome.error as Error | undefined)?.message)}`);
      }
      const t = await headers(`${PREFIX}headers/notes.txt`);
      assert.equal(t['content-type'], 'text/plain; charset=utf-8');
      assert.equal(t['cache-control'], 'max-age=60');
      assert.equal(t['content-disposition'], 'attachment; filename="notes.txt"');
      assert.equal(t['x-cos-meta-owner'], 'host-tests');
      assert.equal(t['x-cos-tagging-count'], '2');
      const h = await headers(`${PREFIX}headers/page.html`);
      assert.equal(h['content-type'], 'text/html; charset=utf-8');
      assert.equal(h['cache-control'], 'no-cache');
      assert.equal(h['content-disposition'], undefined, 'the *.txt rule reached an .html file');
      assert.equal(h['x-cos-meta-owner'], undefined);
      assert.deepEqual(
        messages.filter((m) => m.severity !== 'info'),
        [],
        'an upload that worked showed a warning or an error',
      );
      assert.equal(messages.filter((m) => m.message.startsWith('Uploaded ')).length, 2);
    } finally {
      await restore();
    }
  });

  it('an invalid header value in settings shows the INVALID_HEADER message and sends nothing', async () => {
    const restore = await withSettings({ headers: [{ glob: '*.txt', headers: { 'Cache-Control': 'max-age=60\u00e9' } }] });
    try {
      const file = await workspaceFile('headers/refused.txt', 100);
      const key = `${PREFIX}headers/refused.txt`;
      const from = (await emulatorLog()).length;
      const outcome = (await upload(file.uri))[0] as UploadOutcome;
      assert.equal(outcome.status, 'failed');
      assert.equal((outcome.error as { code?: string } | undefined)?.code, 'INVALID_HEADER');
      const shown = messages.find((m) => m.message.includes('An object header setting is not valid, so nothing was sent'));
      assert.ok(shown, `no INVALID_HEADER message among ${JSON.stringify(messages.map((m) => m.message))}`);
      assert.equal(shown.severity, 'error');
      assert.match(shown.message, /Cache-Control/);
      const writes = (await emulatorLog()).slice(from).filter((e) => e.key === key && WRITES.has(e.operation));
      assert.deepEqual(writes, [], 'a write reached the emulator');
      const client = emulatorClient();
      try {
        assert.equal(await client.headObject(key), undefined, 'the refused file is in the bucket');
      } finally {
        await client.close();
      }
    } finally {
      await restore();
    }
  });
});
