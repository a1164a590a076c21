import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { UploadCommandResult } from '../../../src/extension/commands/upload';
import type { UploadOutcome } from '../../../src/extension/uploads/uploadManager';
import { hostSuite, testEnv, waitFor, workspaceFile } from './extensionHelpers';
import { objectSha256 } from './resumeHelpers';

const PROFILE = 'secret-cache';
const PREFIX = 'host-secret-cache/';
const WRONG_KEY = 'not-the-secret-key-0123456789';

/**
 * The profile store reads a profile's secrets from SecretStorage once per session: the first upload
 * pays the round trips, later ones none, and every way the secrets can change drops the cached copy.
 */
describe('session cache of profile secrets', function () {
  this.timeout(120_000);
  const host = hostSuite({ profile: PROFILE, profileFields: { prefix: PREFIX } });

  const profileId = (): string => {
    const profile = host.api.profiles.list().find((p) => p.name === PROFILE);
    assert.ok(profile, `profile ${PROFILE} is missing`);
    return profile.id;
  };

  /** One small file through the upload command, overwriting: no prompt, no existence check. */
  const upload = async (name: string): Promise<{ outcome: UploadOutcome; sha256: string }> => {
    const file = await workspaceFile(`secretCache/${name}`, 4096 + name.length);
    const [outcome] = (await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: PROFILE, overwrite: true })) as UploadOutcome[];
    assert.ok(outcome, 'the upload command returned nothing');
    return { outcome, sha256: file.sha256 };
  };

  const assertCompleted = (outcome: UploadOutcome): void =>
    assert.equal(outcome.status, 'completed', `the upload ended ${outcome.status}: ${String((outcome.error as Error | undefined)?.message)}`);

  const assertRefusedKey = (outcome: UploadOutcome): void => {
    assert.equal(outcome.status, 'failed', 'the upload signed with the old, still valid key');
    assert.equal((outcome.error as { code?: string }).code, 'SIGNATURE_MISMATCH');
  };

  /** Waits until the store has dropped its copy (a check of the secret then reads SecretStorage again). */
  const waitForInvalidation = async (): Promise<void> => {
    await waitFor('SecretStorage change event to reach the profile store', async () => {
      const before = host.api.profiles.secretReads();
      await host.api.profiles.hasSecret(profileId(), 'secretKey');
      return host.api.profiles.secretReads() > before || undefined;
    });
  };

  it('reads the secrets for the first upload of the profile and none for the second', async () => {
    const start = host.api.profiles.secretReads();
    const first = await upload('first.bin');
    assertCompleted(first.outcome);
    const afterFirst = host.api.profiles.secretReads();
    assert.ok(afterFirst > start, 'the first upload after the profile was saved read no secret: the counter does not count');
    const second = await upload('second.bin');
    assertCompleted(second.outcome);
    assert.equal(host.api.profiles.secretReads(), afterFirst, 'the second upload read SecretStorage again');
    assert.equal(await objectSha256(`${PREFIX}secretCache/second.bin`), second.sha256);
  });

  it('uses a SecretKey changed with Edit Bucket Profile on the next upload', async () => {
    assertCompleted((await upload('before-edit.bin')).outcome);
    const cached = host.api.profiles.secretReads();
    await vscode.commands.executeCommand('cosUpload.editProfile', { profile: PROFILE, secretKey: WRONG_KEY });
    assertRefusedKey((await upload('wrong-key.bin')).outcome);
    assert.ok(host.api.profiles.secretReads() > cached, 'the upload after the edit did not read the new secret');

    await vscode.commands.executeCommand('cosUpload.editProfile', { profile: PROFILE, secretKey: testEnv().secretKey });
    const restored = await upload('right-key.bin');
    assertCompleted(restored.outcome);
    assert.equal(await objectSha256(`${PREFIX}secretCache/right-key.bin`), restored.sha256);
  });

  it('drops the cached secrets when SecretStorage says another window changed them', async () => {
    assertCompleted((await upload('before-change.bin')).outcome);
    await host.api.profiles.storeSecretDirectly(profileId(), 'secretKey', WRONG_KEY);
    await waitForInvalidation();
    assertRefusedKey((await upload('changed-elsewhere.bin')).outcome);

    await host.api.profiles.storeSecretDirectly(profileId(), 'secretKey', testEnv().secretKey);
    await waitForInvalidation();
    assertCompleted((await upload('changed-back.bin')).outcome);
  });
});
