import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { UploadCommandResult } from '../../../src/extension/commands/upload';
import { connectionMessage, type ConnectionReport } from '../../../src/extension/commands/testConnection';
import type { UploadOutcome } from '../../../src/extension/uploads/uploadManager';
import { addEmulatorProfile, emulatorControl, emulatorLog, hostSuite, MiB, testEnv, workspaceFile } from './extensionHelpers';
import { objectSha256 } from './resumeHelpers';

const HOUR = 3_600_000;
const PREFIX = 'host-clock/';

describe('clock skew, credential causes and custom endpoints through the commands', function () {
  this.timeout(120_000);

  const host = hostSuite({ settings: { partSize: 1, multipartThreshold: 1, concurrency: 2 } });

  /** Log lines written since `from` lines were there. */
  const linesSince = (from: number): string[] => host.api.log.lines().slice(from);

  it('uploads with the server clock 1 h ahead and then 1 h behind: the Head Object check corrects the clock, the log says by how much', async () => {
    await addEmulatorProfile('clock-skew', { prefix: PREFIX });
    for (const skew of [HOUR, -HOUR]) {
      await emulatorControl('POST', 'clock', { skewMs: skew });
      const file = await workspaceFile(`clock/skew${skew > 0 ? 'ahead' : 'behind'}.bin`, 2 * MiB + 7);
      const key = `${PREFIX}clock/skew${skew > 0 ? 'ahead' : 'behind'}.bin`;
      const fromLine = host.api.log.lines().length;
      const fromRequest = (await emulatorLog()).length;
      // No overwrite argument: the command checks for an existing object (a HEAD) before anything else.
      const [outcome] = (await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: 'clock-skew' })) as UploadOutcome[];
      assert.ok(outcome, 'the upload command returned nothing: the existence check failed');
      assert.equal(outcome.status, 'completed', `the upload ended ${outcome.status}: ${String((outcome.error as Error | undefined)?.message)}`);
      const requests = (await emulatorLog()).slice(fromRequest);
      assert.deepEqual(
        requests.filter((e) => e.operation === 'head').map((e) => e.status),
        [403, 404],
        'the HEAD refused for its signing time is sent again with the server time',
      );
      assert.deepEqual(
        requests.filter((e) => e.operation !== 'head' && e.status === 403).map((e) => e.operation),
        [],
        'the upload started with the offset the check measured',
      );
      const line = linesSince(fromLine).find((l) => /Clock differs from the COS server by -?\d+ s/.test(l));
      assert.ok(line, `no clock line in the log:\n${linesSince(fromLine).join('\n')}`);
      const seconds = Number(/by (-?\d+) s/.exec(line)?.[1]);
      assert.ok(Math.abs(seconds - skew / 1000) <= 2, `the log names ${seconds} s for a ${skew / 1000} s skew: ${line}`);
      assert.match(line, /corrected/);
      // The test's own signed GET uses this machine's clock.
      await emulatorControl('POST', 'clock', { skewMs: 0 });
      assert.equal(await objectSha256(key), file.sha256);
    }
  });

  it('keeps the offset Test Connection measured for every later request of that profile in the session', async () => {
    await addEmulatorProfile('clock-measured', { prefix: PREFIX });
    await emulatorControl('POST', 'clock', { skewMs: HOUR });
    const report = await vscode.commands.executeCommand<ConnectionReport>('cosUpload.testConnection', 'clock-measured');
    assert.equal(report.ok, true, `Test Connection failed: ${report.code}`);
    const file = await workspaceFile('clock/measured.bin', 2 * MiB + 3);
    const fromRequest = (await emulatorLog()).length;
    const [outcome] = (await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: 'clock-measured' })) as UploadOutcome[];
    assert.equal(outcome?.status, 'completed', `the upload ended ${outcome?.status}`);
    const refused = (await emulatorLog()).slice(fromRequest).filter((e) => e.status === 403);
    assert.deepEqual(refused.map((e) => e.operation), [], 'a request after Test Connection was signed with the uncorrected clock');
  });

  const causes: Array<[string, Record<string, string>, string, RegExp]> = [
    ['a wrong SecretKey', { secretKey: 'not-the-secret-key-0123456789' }, 'SIGNATURE_MISMATCH', /SecretKey is wrong/],
    ['an unknown SecretId', { secretId: 'AKIDunknownSecretId0123456789' }, 'INVALID_SECRET_ID', /does not know this SecretId/],
  ];
  for (const [what, secrets, code, advice] of causes) {
    it(`names ${what} when the upload's Head Object check is refused (${code})`, async () => {
      const name = `cred-${code.toLowerCase()}`;
      await addEmulatorProfile(name, { prefix: PREFIX, ...secrets });
      const file = await workspaceFile(`clock/${name}.bin`, 4096);
      const fromLine = host.api.log.lines().length;
      const result = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: file.uri, profile: name });
      assert.deepEqual(result, [], 'nothing was uploaded');
      const failure = linesSince(fromLine).find((l) => l.includes('head object failed'));
      assert.ok(failure, `no failure line:\n${linesSince(fromLine).join('\n')}`);
      assert.ok(failure.includes(`${code}:`), failure);
      assert.match(failure, advice);
      for (const secret of Object.values(secrets)) assert.ok(!failure.includes(secret), 'a secret in the log');
    });
  }

  it('Test Connection with a custom endpoint says the bucket name was not checked, instead of "Connected to" a bucket that does not exist', async () => {
    const name = 'custom-endpoint';
    await addEmulatorProfile(name, { bucket: 'nosuchbucket-1250000000' });
    const fromLine = host.api.log.lines().length;
    const report = await vscode.commands.executeCommand<ConnectionReport>('cosUpload.testConnection', name);
    assert.equal(report.ok, true);
    assert.equal(report.bucketChecked, false);
    assert.ok(linesSince(fromLine).some((l) => l.includes('bucketChecked=false')), 'the log does not say the bucket was not checked');
    const { text } = connectionMessage({ bucket: 'nosuchbucket-1250000000', region: testEnv().region, endpoint: testEnv().url }, report);
    assert.doesNotMatch(text, /Connected to nosuchbucket/);
    assert.match(text, /accepted the keys/);
    assert.match(text, /bucket name nosuchbucket-1250000000 in the profile was not checked/);

    const defaultDomain = connectionMessage({ bucket: 'b-1250000000', region: 'ap-guangzhou' }, { ok: true, bucketChecked: true });
    assert.match(defaultDomain.text, /^Connected to b-1250000000 in ap-guangzhou/);
  });
});
