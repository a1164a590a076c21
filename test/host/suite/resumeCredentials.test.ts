import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Credentials } from '../../../src/core';
import type { ConnectionReport } from '../../../src/extension/commands/testConnection';
import type { UploadCommandResult } from '../../../src/extension/commands/upload';
import type { CredentialsRequest } from '../../../src/extension/ui/prompts';
import type { UploadOutcome } from '../../../src/extension/uploads/uploadManager';
import { addEmulatorProfile, emulatorControl, emulatorLog, type EmulatorLogEntry, hostSuite, MiB, waitFor, withSettings, workspaceFile } from './extensionHelpers';
import { acceptCredentials, checkpointFor, discardListed, objectSha256, restoreEmulatorCredentials, startUpload, temporaryCredentials, uploadsOnServer } from './resumeHelpers';

const PROFILE = 'temporary-credentials';
const PREFIX = 'expiry-tests/';

/** Every Upload Part request of one upload, grouped by part number, in the order the emulator answered them. */
function partRequests(log: EmulatorLogEntry[], uploadId: string): Map<number, EmulatorLogEntry[]> {
  const byPart = new Map<number, EmulatorLogEntry[]>();
  for (const e of log) {
    if (e.operation !== 'uploadPart' || e.uploadId !== uploadId || e.partNumber === undefined) continue;
    byPart.set(e.partNumber, [...(byPart.get(e.partNumber) ?? []), e]);
  }
  return byPart;
}

/**
 * A part COS stored (answered 200, or stored after the client stopped listening) is never sent again;
 * returns how many requests COS refused as expired.
 */
function assertNoFinishedPartResent(log: EmulatorLogEntry[], uploadId: string, partCount: number): number {
  const byPart = partRequests(log, uploadId);
  let refused = 0;
  for (let n = 1; n <= partCount; n++) {
    const requests = byPart.get(n) ?? [];
    // An ETag in the log means the part was stored, even when the client had gone before the answer.
    const ok = requests.findIndex((e) => e.status === 200 || (e.interrupted === true && e.etag !== undefined));
    assert.ok(ok >= 0, `part ${n} was never stored: ${JSON.stringify(requests)}`);
    assert.equal(requests.length - 1, ok, `part ${n} was sent again after COS had stored it: ${requests.map((e) => e.status).join(', ')}`);
    refused += requests.filter((e) => e.status === 403).length;
  }
  return refused;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('temporary credentials expiring mid-upload', function () {
  this.timeout(120_000);

  const host = hostSuite({ settings: { partSize: 1, multipartThreshold: 1, concurrency: 3 } });

  afterEach(restoreEmulatorCredentials);

  /** A profile with temporary credentials the emulator accepts now. */
  async function temporaryProfile(): Promise<Credentials> {
    const credentials = temporaryCredentials();
    await acceptCredentials(credentials);
    await addEmulatorProfile(PROFILE, { ...credentials, prefix: PREFIX });
    return credentials;
  }

  it('asks once for new credentials, saves them, and the upload continues without re-sending a finished part', async () => {
    await temporaryProfile();
    const file = await workspaceFile('expiry/prompt-10m.bin', 10 * MiB);
    const asked: CredentialsRequest[] = [];
    const fresh = deferred<Credentials | undefined>();
    host.api.prompts.set({
      credentials: (request) => {
        asked.push(request);
        return fresh.promise;
      },
    });
    await emulatorControl('POST', 'network', { latencyMs: 200 });
    let renewed: Credentials;
    let started: Awaited<ReturnType<typeof startUpload>>;
    try {
      started = await startUpload(host.api, file.uri, PROFILE, 3);
      // The emulator now refuses the old pair as expired and accepts only the new one.
      renewed = await emulatorControl<Credentials>('POST', 'credentials/expire');
      assert.ok(renewed.sessionToken, 'the emulator returned no session token');
      await emulatorControl('POST', 'network', { latencyMs: 0 });
      fresh.resolve(renewed);
    } finally {
      fresh.resolve(undefined);
    }
    const { pending, running } = started;

    const [outcome] = (await pending) as UploadOutcome[];
    assert.equal(outcome.status, 'completed', `the upload ended ${outcome.status}: ${String((outcome.error as Error | undefined)?.message)}`);
    assert.equal(outcome.result?.uploadId, running.uploadId, 'the upload started over instead of continuing');
    assert.deepEqual(asked.map((r) => r.profileName), [PROFILE], 'the user was not asked exactly once');
    const refused = assertNoFinishedPartResent(await emulatorLog(), running.uploadId!, outcome.result!.parts);
    assert.ok(refused > 0, 'no request was refused as expired: the credentials did not expire mid-upload');

    // Saved to SecretStorage: a later command uses them (the emulator accepts nothing else now).
    const report = await vscode.commands.executeCommand<ConnectionReport>('cosUpload.testConnection', PROFILE);
    assert.equal(report.ok, true, `Test Connection with the saved credentials failed: ${report.code}`);
    await restoreEmulatorCredentials();
    assert.equal(await objectSha256(`${PREFIX}expiry/prompt-10m.bin`), file.sha256);
    const lines = host.api.log.lines();
    assert.ok(lines.some((l) => l.includes(`credentials profile=${PROFILE}: new temporary credentials saved`)), 'the renewal is not in the log');
    assert.ok(!lines.some((l) => l.includes(renewed.secretKey) || l.includes(renewed.sessionToken!)), 'a secret reached the log');
  });

  it('asks once however many uploads of the profile hit the expiry', async () => {
    await temporaryProfile();
    const restore = await withSettings({ maxConcurrentUploads: 2 });
    const fresh = deferred<Credentials | undefined>();
    try {
      const a = await workspaceFile('expiry/together-a-10m.bin', 10 * MiB);
      const b = await workspaceFile('expiry/together-b-10m.bin', 10 * MiB);
      let asked = 0;
      host.api.prompts.set({ credentials: () => (asked++, fresh.promise) });
      await emulatorControl('POST', 'network', { latencyMs: 300 });
      const pending = [a, b].map((f) => vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: f.uri, profile: PROFILE, overwrite: true }));
      const [runA, runB] = await waitFor('both uploads to be running', () => {
        const running = [a, b].map((f) => host.api.uploads.list().find((s) => s.job.filePath === f.uri.fsPath && s.state === 'running' && s.partsDone >= 1 && s.uploadId));
        return running[0] && running[1] ? running : undefined;
      });
      const renewed = await emulatorControl<Credentials>('POST', 'credentials/expire');
      // Both uploads must be waiting on the expiry before the answer comes.
      await waitFor('both uploads to meet the expiry', async () => {
        const refused = new Set((await emulatorLog()).filter((e) => e.status === 403).map((e) => e.uploadId));
        return refused.has(runA!.uploadId) && refused.has(runB!.uploadId) ? true : undefined;
      });
      await emulatorControl('POST', 'network', { latencyMs: 0 });
      fresh.resolve(renewed);
      const outcomes = (await Promise.all(pending)).flat() as UploadOutcome[];
      assert.deepEqual(outcomes.map((o) => o.status), ['completed', 'completed'], `ended ${outcomes.map((o) => `${o.status} ${String((o.error as Error | undefined)?.message)}`).join('; ')}`);
      assert.equal(asked, 1, `the user was asked ${asked} times`);
      await restoreEmulatorCredentials();
      assert.equal(await objectSha256(`${PREFIX}expiry/together-a-10m.bin`), a.sha256);
      assert.equal(await objectSha256(`${PREFIX}expiry/together-b-10m.bin`), b.sha256);
    } finally {
      // Never leave an upload waiting on a question nobody answers.
      fresh.resolve(undefined);
      await restore();
    }
  });

  it('uses credentials updated meanwhile with Edit Bucket Profile without asking', async () => {
    await temporaryProfile();
    const file = await workspaceFile('expiry/edited-8m.bin', 8 * MiB);
    let asked = 0;
    host.api.prompts.set({ credentials: () => (asked++, undefined) });
    await emulatorControl('POST', 'network', { latencyMs: 200 });
    const { pending, running } = await startUpload(host.api, file.uri, PROFILE, 2);
    const next = temporaryCredentials();
    await vscode.commands.executeCommand('cosUpload.editProfile', { profile: PROFILE, ...next });
    // The running upload still signs with the old pair, which the emulator now refuses.
    await acceptCredentials(next);
    await emulatorControl('POST', 'network', { latencyMs: 0 });

    const [outcome] = (await pending) as UploadOutcome[];
    assert.equal(outcome.status, 'completed', `the upload ended ${outcome.status}: ${String((outcome.error as Error | undefined)?.message)}`);
    assert.equal(asked, 0, 'the user was asked although the profile held newer credentials');
    assert.equal(outcome.result?.uploadId, running.uploadId);
    const refused = assertNoFinishedPartResent(await emulatorLog(), running.uploadId!, outcome.result!.parts);
    assert.ok(refused > 0, 'no request was refused: the old credentials were never rejected');
    assert.ok(host.api.log.lines().some((l) => l.includes(`credentials profile=${PROFILE}: the temporary credentials expired; using the newer ones stored in the profile`)));
    await restoreEmulatorCredentials();
    assert.equal(await objectSha256(`${PREFIX}expiry/edited-8m.bin`), file.sha256);
  });

  it('Cancel leaves the upload paused with its checkpoint and parts; it resumes once new credentials are stored', async () => {
    await temporaryProfile();
    const file = await workspaceFile('expiry/cancel-8m.bin', 8 * MiB);
    let asked = 0;
    host.api.prompts.set({ credentials: () => (asked++, undefined) });
    await emulatorControl('POST', 'network', { latencyMs: 200 });
    const { pending, running } = await startUpload(host.api, file.uri, PROFILE, 2);
    const renewed = await emulatorControl<Credentials>('POST', 'credentials/expire');
    await emulatorControl('POST', 'network', { latencyMs: 0 });

    const [outcome] = (await pending) as UploadOutcome[];
    assert.equal(outcome.status, 'paused', `declining new credentials ended the upload ${outcome.status}`);
    assert.equal((outcome.error as { code?: string }).code, 'CREDENTIALS_EXPIRED');
    assert.equal(asked, 1);
    const paused = host.api.uploads.list().find((s) => s.id === running.id);
    assert.equal(paused?.state, 'paused');
    assert.equal(paused.error?.code, 'CREDENTIALS_EXPIRED');
    const checkpoint = await checkpointFor(host.api, running.uploadId!);
    assert.ok(checkpoint && checkpoint.parts.length >= 2, 'the finished parts were not kept in the checkpoint');
    assert.ok((await uploadsOnServer()).some((u) => u.uploadId === running.uploadId), 'the upload is gone from COS');

    await vscode.commands.executeCommand('cosUpload.editProfile', { profile: PROFILE, ...renewed });
    const resumed = await vscode.commands.executeCommand<UploadOutcome>('cosUpload.showUploads', { action: 'resume', id: running.id });
    assert.equal(resumed.status, 'completed', `resume ended ${resumed.status}: ${String((resumed.error as Error | undefined)?.message)}`);
    assert.equal(resumed.result?.uploadId, running.uploadId);
    assert.ok((resumed.result?.resumedParts ?? 0) >= checkpoint.parts.length);
    assert.equal(asked, 1, 'resuming with stored credentials asked again');
    assertNoFinishedPartResent(await emulatorLog(), running.uploadId!, resumed.result!.parts);
    await restoreEmulatorCredentials();
    assert.equal(await objectSha256(`${PREFIX}expiry/cancel-8m.bin`), file.sha256);
    await discardListed(host.api, running.id);
  });
});
