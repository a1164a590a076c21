import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { UploadCommandResult } from '../../../src/extension/commands/upload';
import type { UploadOutcome } from '../../../src/extension/uploads/uploadManager';
import { extensionApi, testEnv, workspaceFile } from './extensionHelpers';
import { objectSha256 } from './resumeHelpers';

const PROFILE = 'first-command';
const KEY_PREFIX = 'host-first-command/';

function cacheFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => /^extensionCommands-.*\.bin$/.test(name)) : [];
}

/**
 * Runs first (its file sorts first): an upload that is the session's very first command, as from
 * the Explorer with a profile made in an earlier session. It loads the command bundle itself, and
 * leaves V8's code cache of that bundle for the next session (src/core/codeCache.ts).
 */
describe('an upload as the first command of a session', function () {
  this.timeout(120_000);

  after(async () => {
    if ((await extensionApi()).profiles.list().some((p) => p.name === PROFILE)) await vscode.commands.executeCommand('cosUpload.removeProfile', PROFILE);
  });

  it('loads the command bundle, uploads the file, and writes the code cache of the bundle for the next session', async () => {
    const api = await extensionApi();
    const env = testEnv();
    const before = api.activation.commandBundle();
    assert.equal(before.loaded, false, 'something loaded the command bundle before the first command: run this suite first');
    // The harness copies a cache from an earlier run when COS_TEST_SEED_CODE_CACHE names one (to time a later session).
    const seeded = Boolean(process.env.COS_TEST_SEED_CODE_CACHE);
    assert.equal(cacheFiles(before.cacheDir).length, seeded ? 1 : 0, 'code cache files at the start');
    // A profile from an earlier session: saved past the commands, which would load the bundle.
    await api.profiles.saveDirectly(
      { name: PROFILE, bucket: env.bucket, region: env.region, endpoint: env.url, prefix: KEY_PREFIX, encryption: { type: 'none' } },
      { secretId: env.secretId, secretKey: env.secretKey },
    );

    const file = await workspaceFile('firstCommand/first.bin', 4096);
    // To time a command given once the window has settled, as a user's first click is, rather than
    // in the extension host's own start-up work.
    const settle = Number(process.env.COS_TEST_FIRST_COMMAND_DELAY_MS ?? 0);
    if (settle > 0) await new Promise((resolve) => setTimeout(resolve, settle));
    const [outcome] = (await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: PROFILE, overwrite: true })) as UploadOutcome[];
    assert.equal(outcome?.status, 'completed', `the upload ended ${String(outcome?.status)}: ${String((outcome?.error as Error | undefined)?.message)}`);
    assert.equal(await objectSha256(`${KEY_PREFIX}firstCommand/first.bin`), file.sha256);

    const after = api.activation.commandBundle();
    assert.equal(after.loaded, true);
    assert.equal(after.cache, seeded ? 'hit' : 'miss', 'how the load used the code cache');
    await after.saved;
    const caches = cacheFiles(after.cacheDir);
    assert.equal(caches.length, 1, `code cache files: ${caches.join(', ')}`);
    assert.ok(fs.statSync(path.join(after.cacheDir, caches[0])).size > 10_000, 'the code cache is nearly empty');
  });
});
