import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ConfigError, CosError, CosServiceError } from '../../../src/core';
import { describeFailure } from '../../../src/extension/ui/errorUi';
import { defaultObjectKey, objectKeyProblem, workspaceRelativePath } from '../../../src/extension/files/keyNaming';
import { UploadLog, type LogSink } from '../../../src/extension/ui/log';
import { abortSignalFromToken, formatTimeLeft, progressMessage, ThrottledProgress } from '../../../src/extension/ui/progressUi';
import { settingsFrom } from '../../../src/extension/settings/settings';
import { SpeedEstimator } from '../../../src/extension/uploads/speedEstimator';
import type { UploadSnapshot } from '../../../src/extension/uploads/uploadManager';
import { testEnv } from './extensionHelpers';

function snapshot(partial: Partial<UploadSnapshot>): UploadSnapshot {
  return {
    id: '1',
    job: { filePath: '/w/a.bin', displayPath: 'a.bin', key: 'a.bin', profileId: 'p', profileName: 'p', bucket: 'b-125' },
    state: 'running',
    bytesSent: 0,
    bytesConfirmed: 0,
    bytesTotal: 1000,
    partsDone: 0,
    partCount: 10,
    resumedParts: 0,
    ...partial,
  };
}

describe('progress reporting', () => {
  it('estimates speed over a moving window, counting only bytes that moved forward', () => {
    let now = 0;
    const speed = new SpeedEstimator(5000, () => now);
    speed.add(500); // baseline: resumed bytes are not speed
    assert.equal(speed.bytesPerSecond(), undefined);
    now = 1000;
    speed.add(1500);
    assert.equal(speed.bytesPerSecond(), 1000);
    now = 2000;
    speed.add(1000); // a retried part restarts: the drop is not negative speed
    now = 3000;
    speed.add(2000);
    assert.equal(speed.bytesPerSecond(), 2000 / 3);
    assert.equal(speed.secondsLeft(1000), 1.5);
    now = 20_000;
    speed.add(2000); // nothing moved for a long time: the window forgets the burst
    assert.equal(speed.bytesPerSecond(), 0);
    assert.equal(speed.secondsLeft(1000), undefined);
  });

  it('throttles reports, never reports a negative increment, and sums to at most 100', async () => {
    let now = 0;
    const reports: Array<{ message?: string; increment?: number }> = [];
    const throttled = new ThrottledProgress({ report: (v) => reports.push(v) }, 250, () => now);
    throttled.update(snapshot({ bytesSent: 150, bytesConfirmed: 100, partsDone: 1 }));
    now = 10;
    throttled.update(snapshot({ bytesSent: 250, bytesConfirmed: 200, partsDone: 2 }));
    throttled.update(snapshot({ bytesSent: 350, bytesConfirmed: 300, partsDone: 3 }));
    assert.equal(reports.length, 1, 'updates within the interval were not held back');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(reports.length, 2, 'the latest held-back update was not delivered');
    assert.match(reports[1].message ?? '', /^3\/10 parts · 30%/);
    now = 1000;
    throttled.update(snapshot({ bytesSent: 150, bytesConfirmed: 300, partsDone: 3 })); // retry: bytes on the wire drop
    now = 1500;
    throttled.update(snapshot({ bytesSent: 1000, bytesConfirmed: 1000, partsDone: 10 }), true);
    assert.ok(reports.reduce((sum, r) => sum + (r.increment ?? 0), 0) < 100, 'the bar was full before COS confirmed Complete');
    assert.equal(reports.at(-1)?.message, 'completing…', 'all parts confirmed, Complete not yet: the notification must say completing…');
    now = 2000;
    throttled.update(snapshot({ bytesSent: 1000, bytesConfirmed: 1000, partsDone: 10, state: 'completed' }), true);
    throttled.dispose();
    assert.ok(reports.every((r) => (r.increment ?? 0) >= 0), 'a negative increment was reported');
    const total = reports.reduce((sum, r) => sum + (r.increment ?? 0), 0);
    assert.ok(Math.abs(total - 100) < 1e-9, `increments sum to ${total}`);
  });

  it('words the notification as parts n/N · percent · speed · time left, both counting what COS confirmed, with plurals', () => {
    const text = progressMessage(snapshot({ partsDone: 12, partCount: 128, bytesConfirmed: 94, bytesSent: 300, bytesPerSecond: 48 * 1024 * 1024, secondsLeft: 65 }));
    assert.equal(text, '12/128 parts · 9% · 48.0 MiB/s · 1 min left');
    assert.equal(formatTimeLeft(5.2), '6 s left');
    assert.equal(formatTimeLeft(2 * 3600 + 5 * 60), '2 h 5 min left');
    assert.match(progressMessage(snapshot({ state: 'queued' })), /waiting/);
    assert.equal(progressMessage(snapshot({ partsDone: 0, partCount: 1, bytesSent: 600 })), '0/1 part · 0%');
    assert.equal(progressMessage(snapshot({ partsDone: 1, partCount: 1, bytesConfirmed: 1000 })), 'completing…');
    assert.match(progressMessage(snapshot({ partsDone: 3, resumedParts: 1, bytesConfirmed: 300 })), /resumed with 1 part already on COS$/);
  });

  it('turns a cancellation token into an abort signal and lets go of it', () => {
    const source = new vscode.CancellationTokenSource();
    const { signal, dispose } = abortSignalFromToken(source.token);
    assert.equal(signal.aborted, false);
    source.cancel();
    assert.equal(signal.aborted, true);
    dispose();
    const late = new vscode.CancellationTokenSource();
    const second = abortSignalFromToken(late.token);
    second.dispose();
    late.cancel();
    assert.equal(second.signal.aborted, false, 'a disposed listener still fired');
  });
});

describe('settings', () => {
  it('converts the settings to core options in the core units', () => {
    const values: Record<string, unknown> = {
      partSize: 16,
      multipartThreshold: 0,
      concurrency: 8,
      maxConcurrency: 16,
      retries: 2,
      trafficLimit: 100,
      sendContentMD5: true,
      onCancel: 'abort',
      maxConcurrentUploads: 3,
      excludeGlobs: ['**/*.log', ''],
      presignedUrlExpirySeconds: 600,
    };
    const s = settingsFrom((n) => values[n], (n) => n !== 'maxConcurrency');
    assert.deepEqual(s.uploadOptions, { partSize: 16 * 1024 * 1024, multipartThreshold: 0, concurrency: 8, retries: 2, trafficLimit: 819_200, contentMd5: true });
    assert.equal(s.onCancel, 'abort');
    assert.equal(s.maxConcurrentUploads, 3);
    assert.deepEqual(s.excludeGlobs, ['**/*.log']);
    assert.equal(s.presignedUrlExpirySeconds, 600);
    const autoValues: Record<string, unknown> = { partSize: 0, trafficLimit: 0, sendContentMD5: false };
    const auto = settingsFrom((n) => autoValues[n]);
    assert.equal(auto.uploadOptions.partSize, 'auto');
    assert.equal(auto.uploadOptions.trafficLimit, undefined);
    assert.equal(auto.uploadOptions.contentMd5, undefined, 'off is the core default, not an override');
    assert.equal(auto.onCancel, 'keep');
  });
});

describe('object keys', () => {
  it('joins the prefix and the workspace-relative path with "/"', () => {
    assert.equal(defaultObjectKey('backups/', 'data\\big.bin'), 'backups/data/big.bin');
    assert.equal(defaultObjectKey('/img-', 'a.png'), 'img-a.png');
    assert.equal(defaultObjectKey('', 'a.png'), 'a.png');
    const workspace = testEnv().workspace;
    assert.equal(workspaceRelativePath(vscode.Uri.file(`${workspace}/docs/notes.md`)), 'docs/notes.md');
    assert.equal(workspaceRelativePath(vscode.Uri.file('/elsewhere/x.bin')), 'x.bin');
  });

  it('explains what is wrong with a key', () => {
    assert.equal(objectKeyProblem('ok/key.bin'), undefined);
    assert.ok(objectKeyProblem(''));
    assert.match(objectKeyProblem('/abs') ?? '', /leading/);
    assert.match(objectKeyProblem('folder/') ?? '', /folder/);
    assert.match(objectKeyProblem('x'.repeat(851)) ?? '', /850/);
    assert.ok(objectKeyProblem('a/../b'));
  });
});

describe('error messages', () => {
  const ctx = { file: 'a.bin', profileName: 'prod', bucket: 'b-1250000000', region: 'ap-guangzhou' };

  it('says what to do for the common failures', () => {
    const denied = describeFailure(new CosServiceError({ status: 403, cosCode: 'SignatureDoesNotMatch', operation: 'Upload Part 3', code: 'SIGNATURE_MISMATCH', requestId: 'rid-1' }), ctx);
    assert.match(denied.message, /^Could not upload a\.bin\./);
    assert.match(denied.message, /SecretKey of bucket profile prod is wrong/);
    assert.match(denied.message, /rid-1/);
    assert.ok(denied.actions.includes('editProfile') && denied.actions.includes('showLog'));

    const unknownId = describeFailure(new CosServiceError({ status: 403, cosCode: 'InvalidAccessKeyId', operation: 'Head Object', code: 'INVALID_SECRET_ID' }), ctx);
    assert.match(unknownId.message, /does not know the SecretId of bucket profile prod/);
    const forbidden = describeFailure(new CosServiceError({ status: 403, cosCode: 'AccessDenied', operation: 'Head Object', code: 'ACCESS_DENIED' }), ctx);
    assert.match(forbidden.message, /CAM policy/);
    assert.doesNotMatch(forbidden.message, /SecretKey/);

    const skew = describeFailure(new CosServiceError({ status: 403, cosCode: 'RequestTimeTooSkewed', operation: 'Upload Part 1', code: 'CLOCK_SKEW' }), ctx);
    assert.match(skew.message, /clock/);

    const bucket = describeFailure(new CosError('NO_SUCH_BUCKET', 'x'), ctx);
    assert.match(bucket.message, /b-1250000000 does not exist in region ap-guangzhou/);

    const changed = describeFailure(new CosError('FILE_CHANGED', 'x'), ctx);
    assert.match(changed.message, /changed while it was being uploaded/);
    assert.deepEqual(changed.actions, ['startOver', 'discard', 'showLog']);

    const network = describeFailure(new CosError('NETWORK', 'x', { retryable: true }), ctx);
    assert.ok(network.actions.includes('retry'));

    const setting = describeFailure(new ConfigError('partSize', 'Part size 12 bytes is out of range'), ctx);
    assert.equal(setting.setting, 'cosUpload.partSize');
    assert.ok(setting.actions.includes('openSettings'));
  });
});

describe('the log', () => {
  function fakeSink(): LogSink & { written: string[] } {
    const written: string[] = [];
    const write = (m: string) => void written.push(m);
    return { written, debug: write, info: write, warn: write, error: write, show: () => undefined, dispose: () => undefined };
  }

  it('masks registered secrets and signature fields in the channel and the ring buffer', () => {
    const sink = fakeSink();
    const log = new UploadLog(sink, 3);
    log.addSecret('SUPERSECRETKEY');
    log.info('key=SUPERSECRETKEY url=http://x/?q-ak=AKID1&q-signature=abcdef0123 Authorization: q-sign-algorithm=sha1');
    assert.ok(!sink.written[0].includes('SUPERSECRETKEY'));
    assert.ok(!sink.written[0].includes('abcdef0123'));
    assert.ok(!sink.written[0].includes('AKID1'));
    assert.ok(!log.recentLines()[0].includes('SUPERSECRETKEY'));
    log.info('2');
    log.warn('3');
    log.error('4');
    assert.deepEqual(log.recentLines(), ['[info] 2', '[warn] 3', '[error] 4']);
  });

  it('does not write to a disposed channel (it would throw "Channel has been closed")', () => {
    const sink = fakeSink();
    let closed = false;
    const closing: LogSink = { ...sink, info: (m) => (closed ? assert.fail(`written after dispose: ${m}`) : sink.info(m)), dispose: () => void (closed = true) };
    const log = new UploadLog(closing);
    log.info('before');
    log.dispose();
    log.info('after');
    log.dispose();
    assert.deepEqual(sink.written, ['before']);
    assert.deepEqual(log.recentLines(), ['[info] before', '[info] after']);
  });
});
