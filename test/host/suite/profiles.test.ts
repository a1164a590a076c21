import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { keysDescription } from '../../../src/extension/commands/profiles';
import { addEmulatorProfile, extensionApi, testEnv, waitFor } from './extensionHelpers';

/** Every file under `dir` (missing dir: none). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('bucket profiles', () => {
  // Distinctive values, so finding one anywhere is unambiguous.
  const secrets = {
    secretId: `AKIDTEST${randomBytes(12).toString('hex')}`,
    secretKey: `sk-${randomBytes(16).toString('hex')}`,
    sessionToken: `token-${randomBytes(24).toString('hex')}`,
    sseCustomerKey: randomBytes(32).toString('base64'),
  };
  const name = 'secrets-check';

  afterEach(async () => {
    const api = await extensionApi();
    if (api.profiles.list().some((p) => p.name === name)) await vscode.commands.executeCommand('cosUpload.removeProfile', name);
  });

  it('keeps the secrets of a profile saved through the command only in SecretStorage', async () => {
    const api = await extensionApi();
    const env = testEnv();
    const saved = await vscode.commands.executeCommand<Record<string, unknown> | undefined>('cosUpload.addProfile', {
      name,
      bucket: env.bucket,
      region: env.region,
      endpoint: env.url,
      prefix: 'uploads/',
      encryption: 'SSE-C',
      ...secrets,
    });
    assert.ok(saved, 'the profile was not saved');
    const id = String(saved.id);

    // Stored where they belong...
    for (const field of ['secretId', 'secretKey', 'sessionToken', 'sseCustomerKey'] as const) {
      assert.equal(await api.profiles.hasSecret(id, field), true, `${field} is not in SecretStorage`);
    }
    const listed = api.profiles.list().find((p) => p.id === id);
    assert.ok(listed, 'the profile is not listed');
    assert.equal(listed.bucket, env.bucket);
    assert.equal(listed.prefix, 'uploads/');
    assert.deepEqual(listed.encryption, { type: 'SSE-C' });

    // ...and nowhere else: the command's answer, globalState, settings, files, the log.
    const places: Array<[string, string]> = [
      ['the command result', JSON.stringify(saved)],
      ['the profile list', JSON.stringify(api.profiles.list())],
      ['globalState', JSON.stringify(api.storage.globalStateKeys().map((key) => [key, api.storage.globalStateValue(key)]))],
      ['the settings', JSON.stringify(vscode.workspace.getConfiguration())],
      ['the log', api.log.lines().join('\n')],
    ];
    assert.ok(places[2][1].includes(env.bucket), 'globalState does not hold the profile record at all');
    // The user settings.json sits next to globalStorage: <user>/globalStorage/<extension id>.
    const userDir = path.dirname(path.dirname(api.storage.globalStorageDir));
    for (const file of [path.join(userDir, 'settings.json'), path.join(env.workspace, '.vscode', 'settings.json'), ...(await filesUnder(api.storage.globalStorageDir))]) {
      const text = await fs.readFile(file, 'utf8').catch(() => undefined);
      if (text !== undefined) places.push([file, text]);
    }
    for (const [place, text] of places) {
      for (const [field, value] of Object.entries(secrets)) {
        assert.ok(!text.includes(value), `${field} leaked into ${place}`);
      }
    }
  });

  it('sets cosUpload.hasProfile and removes the secrets with the profile', async () => {
    const api = await extensionApi();
    const profile = await addEmulatorProfile(name, { sessionToken: secrets.sessionToken });
    assert.equal(await api.profiles.hasSecret(profile.id, 'sessionToken'), true);
    const removed = await vscode.commands.executeCommand<boolean>('cosUpload.removeProfile', name);
    assert.equal(removed, true);
    assert.equal(api.profiles.list().some((p) => p.id === profile.id), false, 'the profile is still listed');
    for (const field of ['secretId', 'secretKey', 'sessionToken'] as const) {
      assert.equal(await api.profiles.hasSecret(profile.id, field), false, `${field} stayed in SecretStorage`);
    }
  });

  it('edits fields without touching stored secrets, and replaces them when given', async () => {
    const api = await extensionApi();
    const profile = await addEmulatorProfile(name);
    const edited = await vscode.commands.executeCommand<{ prefix: string } | undefined>('cosUpload.editProfile', { profile: name, prefix: 'renamed/' });
    assert.equal(edited?.prefix, 'renamed/');
    assert.equal(await api.profiles.hasSecret(profile.id, 'secretKey'), true, 'editing a field dropped the SecretKey');
    const report = await vscode.commands.executeCommand<{ ok: boolean }>('cosUpload.testConnection', name);
    assert.equal(report.ok, true, 'the stored keys stopped working after an edit');

    await vscode.commands.executeCommand('cosUpload.editProfile', { profile: name, secretKey: 'not-the-right-key' });
    const denied = await vscode.commands.executeCommand<{ ok: boolean; code?: string }>('cosUpload.testConnection', name);
    assert.equal(denied.ok, false);
    assert.equal(denied.code, 'SIGNATURE_MISMATCH');
  });

  it('says which fields an edit changed, SecretId and SecretKey told apart, never their values', async () => {
    const api = await extensionApi();
    await addEmulatorProfile(name);
    const said: string[] = [];
    api.prompts.set({ message: (request) => void said.push(request.message) });
    try {
      const newId = `AKIDNEW${randomBytes(8).toString('hex')}`;
      const edits: Array<[Record<string, string>, RegExp]> = [
        [{ secretId: newId }, /saved; changed: SecretId\.$/],
        [{ secretKey: `sk-${randomBytes(8).toString('hex')}` }, /saved; changed: SecretKey\.$/],
        // The same SecretId typed again is no change.
        [{ prefix: 'edited/', secretId: newId, secretKey: 'another-key-123' }, /saved; changed: SecretKey, Key prefix\.$/],
        [{ secretId: `AKIDNEW${randomBytes(8).toString('hex')}`, secretKey: 'a-third-key-456' }, /saved; changed: SecretId, SecretKey\.$/],
        [{ prefix: 'edited/' }, /saved; nothing changed\.$/],
      ];
      for (const [changes, expected] of edits) {
        said.length = 0;
        assert.ok(await vscode.commands.executeCommand('cosUpload.editProfile', { profile: name, ...changes }), `${JSON.stringify(changes)} was not saved`);
        await waitFor('the confirmation', () => said.find((m) => m.startsWith(`Bucket profile ${name} saved`)));
        assert.match(said.find((m) => m.startsWith(`Bucket profile ${name} saved`)) ?? '', expected);
        for (const value of Object.values(changes)) if (!value.endsWith('/')) assert.ok(!said.some((m) => m.includes(value)), 'a secret is in the message');
      }
    } finally {
      api.prompts.set(undefined);
    }
    assert.equal(keysDescription({ secretId: 'x' }), 'SecretId changed');
    assert.equal(keysDescription({ secretKey: 'x' }), 'SecretKey changed');
    assert.equal(keysDescription({ secretId: 'x', secretKey: 'y' }), 'SecretId and SecretKey changed');
    assert.equal(keysDescription({}), undefined);
  });

  it('refuses an invalid bucket name and saves nothing', async () => {
    const api = await extensionApi();
    const before = api.profiles.list().length;
    const env = testEnv();
    const saved = await vscode.commands.executeCommand('cosUpload.addProfile', {
      name,
      bucket: 'Not_A_Bucket',
      region: env.region,
      secretId: env.secretId,
      secretKey: env.secretKey,
    });
    assert.equal(saved, undefined);
    assert.equal(api.profiles.list().length, before);
  });

  it('reports a working connection to the emulator', async () => {
    await addEmulatorProfile(name);
    const report = await vscode.commands.executeCommand<{ ok: boolean; incompleteUploads?: number }>('cosUpload.testConnection', name);
    assert.equal(report.ok, true);
    assert.equal(typeof report.incompleteUploads, 'number');
  });
});
