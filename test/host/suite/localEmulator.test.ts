import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CosClient, staticCredentials } from '../../../src/core';
import type { UploadCommandResult } from '../../../src/extension/commands/upload';
import type { BucketProfile } from '../../../src/extension/profiles/profileStore';
import type { UploadOutcome } from '../../../src/extension/uploads/uploadManager';
import { extensionApi, MiB, sha256, waitFor, withSettings, workspaceFile } from './extensionHelpers';

const NAME = 'local-emulator-test';

interface EmulatorInfo {
  url: string;
  bucket: string;
  region: string;
  credentials: { secretId: string; secretKey: string };
  dataDir: string;
}

async function info(endpoint: string): Promise<EmulatorInfo> {
  const res = await fetch(`${endpoint}/_emulator/info`);
  assert.equal(res.status, 200);
  return (await res.json()) as EmulatorInfo;
}

describe('the "Local emulator" endpoint', function () {
  this.timeout(120_000);
  let profile: BucketProfile | undefined;

  after(async () => {
    const api = await extensionApi();
    if (api.profiles.list().some((p) => p.name === NAME)) await vscode.commands.executeCommand('cosUpload.removeProfile', NAME);
  });

  it('starts the bundled emulator in the extension host and saves a profile for it, secrets in SecretStorage', async () => {
    const api = await extensionApi();
    profile = await vscode.commands.executeCommand<BucketProfile | undefined>('cosUpload.addProfile', { localEmulator: true, name: NAME });
    assert.ok(profile, 'no profile was saved');
    assert.match(profile.endpoint ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(profile.endpoint, process.env.COS_TEST_EMULATOR_URL, 'the profile points at the runner\'s emulator, not the extension\'s');
    const emulator = await info(profile.endpoint!);
    assert.equal(profile.bucket, emulator.bucket);
    assert.equal(profile.region, emulator.region);
    assert.equal(await api.profiles.hasSecret(profile.id, 'secretId'), true);
    assert.equal(await api.profiles.hasSecret(profile.id, 'secretKey'), true);
    // Under globalStorage, and nothing secret in the record kept in globalState.
    assert.ok(emulator.dataDir.startsWith(api.storage.globalStorageDir), `the data dir is elsewhere: ${emulator.dataDir}`);
    const state = JSON.stringify(api.storage.globalStateKeys().map((k) => [k, api.storage.globalStateValue(k)]));
    assert.ok(!state.includes(emulator.credentials.secretKey), 'the emulator\'s SecretKey reached globalState');
    assert.ok(api.log.lines().some((l) => l.includes(`local emulator started url=${profile!.endpoint}`)), 'no start line in the log');
    assert.ok(!api.log.lines().some((l) => l.includes(emulator.credentials.secretKey)), 'the SecretKey reached the log');

    // Asked again, it hands back the same profile and emulator rather than a second one.
    const again = await vscode.commands.executeCommand<BucketProfile | undefined>('cosUpload.addProfile', { localEmulator: true, name: 'another-name' });
    assert.equal(again?.id, profile.id);
  });

  it('takes a multipart upload byte-identical, and stops when its profile is removed', async () => {
    assert.ok(profile?.endpoint, 'the previous test did not create the profile');
    const restore = await withSettings({ partSize: 1, multipartThreshold: 1 });
    const file = await workspaceFile('local-emulator/data.bin', 3 * MiB + 5);
    let result: UploadCommandResult;
    try {
      result = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: NAME, overwrite: true });
    } finally {
      await restore();
    }
    const outcome = result[0] as UploadOutcome;
    assert.equal(outcome.status, 'completed', `the upload ended ${outcome.status}`);
    assert.equal(outcome.result?.parts, 4);
    assert.equal(outcome.result?.crc64Verified, true);

    const emulator = await info(profile.endpoint);
    const client = new CosClient({ target: { bucket: emulator.bucket, region: emulator.region, endpoint: emulator.url }, credentials: staticCredentials(emulator.credentials) });
    try {
      const res = await fetch(await client.presignUrl('local-emulator/data.bin', 300));
      assert.equal(res.status, 200);
      assert.equal(sha256(Buffer.from(await res.arrayBuffer())), file.sha256);
    } finally {
      await client.close();
    }

    assert.equal(await vscode.commands.executeCommand<boolean>('cosUpload.removeProfile', NAME), true);
    await waitFor('the emulator to stop', async () => ((await fetch(`${profile!.endpoint}/_emulator/info`).then(() => false, () => true)) ? true : undefined), 10_000, 100);
  });
});
