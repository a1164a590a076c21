import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import type { MessageRequest } from '../../../src/extension/ui/prompts';
import { progressMessage } from '../../../src/extension/ui/progressUi';
import type { UploadOutcome, UploadSnapshot } from '../../../src/extension/uploads/uploadManager';
import { emulatorLog, hostSuite, MiB, sha256, workspaceFile } from './extensionHelpers';
import { arrivedSince, checkpointFiles, checkpointFor, discardListed, emulatorClient, objectSha256, uploadAndPause, uploadsOnServer } from './resumeHelpers';

const PROFILE = 'resume-tests';
const PREFIX = 'resume-tests/';

/** Answers every notification by label: the resume offer with Resume / Resume All, others as `answers` says. */
function answering(asked: MessageRequest[], answers: Array<[RegExp, string]> = []): (request: MessageRequest) => string | undefined {
  return (request) => {
    asked.push(request);
    if (/^Resume \d+ interrupted upload/.test(request.message)) return request.actions.find((a) => a === 'Resume' || a === 'Resume All');
    return answers.find(([pattern]) => pattern.test(request.message))?.[1];
  };
}

describe('restarted uploads in the progress notification', () => {
  it('says when an upload started over, and why', () => {
    const base: UploadSnapshot = {
      id: '1',
      job: { filePath: '/w/a.bin', displayPath: 'a.bin', key: 'a.bin', profileId: 'p', profileName: 'p', bucket: 'b-1250000000' },
      state: 'running',
      bytesSent: 100,
      bytesConfirmed: 100,
      bytesTotal: 1000,
      partsDone: 1,
      partCount: 10,
      resumedParts: 0,
    };
    assert.doesNotMatch(progressMessage(base), /started over/);
    assert.match(progressMessage({ ...base, restarted: { reason: 'the server no longer knows the upload (NoSuchUpload)', previousUploadId: 'u1', serverForgot: true } }), /started over: COS no longer knew the interrupted upload$/);
    assert.match(progressMessage({ ...base, restarted: { reason: 'file changed', previousUploadId: 'u1', serverForgot: false } }), /started over: the file changed$/);
  });
});

describe('resuming uploads left by an earlier session (what activation does after a window reload)', function () {
  this.timeout(120_000);

  const host = hostSuite({ profile: PROFILE, profileFields: { prefix: PREFIX }, settings: { partSize: 1, multipartThreshold: 1, concurrency: 2 } });

  it('offers "Resume 1 interrupted upload", and resuming sends only the parts the checkpoint lacks; the object is byte-identical', async () => {
    const file = await workspaceFile('resume/reload-10m.bin', 10 * MiB + 777);
    const { snapshot, uploadId, checkpoint } = await uploadAndPause(host.api, file.uri, PROFILE, 3);
    const alreadySent = new Set(checkpoint.parts.map((p) => p.partNumber));
    assert.equal((await checkpointFiles(host.api)).length, 1, 'another test left a checkpoint behind');
    const resumedAt = Date.now();

    const asked: MessageRequest[] = [];
    host.api.prompts.set({ message: answering(asked) });
    const report = await host.api.startup.simulate();

    assert.equal(report.offered.length, 1);
    assert.equal(report.offered[0].uploadId, uploadId);
    assert.equal(report.offered[0].state, 'paused');
    assert.equal(report.offered[0].partsDone, checkpoint.parts.length, 'the offer does not show the parts already on COS');
    assert.match(report.message ?? '', /^Resume 1 interrupted upload\? .+ resume\/reload-10m\.bin$/);
    assert.deepEqual(asked[0].actions, ['Resume', 'Show Uploads', 'Later']);
    assert.equal(report.choice, 'resume');

    assert.equal(report.outcomes.length, 1);
    const [outcome] = report.outcomes;
    assert.equal(outcome.status, 'completed', `the resumed upload ended ${outcome.status}: ${String((outcome.error as Error | undefined)?.message)}`);
    assert.equal(outcome.result?.uploadId, uploadId, 'resuming began a new multipart upload');
    assert.ok((outcome.result?.resumedParts ?? 0) >= alreadySent.size, `only ${outcome.result?.resumedParts} parts were taken from COS`);
    assert.equal(outcome.restarted, undefined);

    // By arrival: a part aborted by the pause may be logged late, when its connection closes.
    const sent = arrivedSince(await emulatorLog(), resumedAt).filter((e) => e.operation === 'uploadPart' && e.uploadId === uploadId);
    const resent = sent.filter((e) => alreadySent.has(e.partNumber ?? 0));
    assert.deepEqual(resent.map((e) => e.partNumber), [], 'parts recorded in the checkpoint were sent again');
    const stored = new Set(sent.filter((e) => e.status === 200 && !e.interrupted).map((e) => e.partNumber));
    assert.equal(stored.size + (outcome.result?.resumedParts ?? 0), checkpoint.partCount, 'the parts sent and the parts resumed do not add up to the file');
    assert.equal(await objectSha256(`${PREFIX}resume/reload-10m.bin`), file.sha256, 'the object differs from the file');
    assert.equal(await checkpointFor(host.api, uploadId), undefined, 'the checkpoint outlived the upload');
    // The same ending as any other successful upload: the integrity verdict and the same actions.
    const done = asked.find((r) => r.message.startsWith('Uploaded '));
    assert.ok(done, `no completion message; asked: ${JSON.stringify(asked.map((r) => r.message))}`);
    assert.match(done.message, new RegExp(`\\(CRC64 verified\\): ${PREFIX}resume/reload-10m\\.bin$`));
    assert.deepEqual(done.actions, ['Copy URL', 'Copy Presigned URL', 'Show Log']);

    await discardListed(host.api, snapshot.id);
  });

  it('when the file changed since, says so and Start Over aborts the old upload and uploads the file as it is now', async () => {
    const file = await workspaceFile('resume/changed-6m.bin', 6 * MiB);
    const { snapshot, uploadId } = await uploadAndPause(host.api, file.uri, PROFILE, 2);
    const changed = Buffer.concat([await fs.readFile(file.uri.fsPath), Buffer.from('appended after the interruption')]);
    await fs.writeFile(file.uri.fsPath, changed);

    const asked: MessageRequest[] = [];
    host.api.prompts.set({ message: answering(asked, [[/changed since its upload was interrupted/, 'Start Over']]) });
    const report = await host.api.startup.simulate();

    const question = asked.find((r) => /changed since its upload was interrupted/.test(r.message));
    assert.ok(question, `the change was not reported; asked: ${asked.map((r) => r.message).join(' | ')}`);
    assert.deepEqual(question.actions, ['Start Over', 'Discard']);
    const [outcome] = report.outcomes;
    assert.equal(outcome.status, 'completed', `start over ended ${outcome.status}: ${String((outcome.error as Error | undefined)?.message)}`);
    assert.notEqual(outcome.result?.uploadId, uploadId, 'start over continued the old upload');
    assert.equal(outcome.restarted?.previousUploadId, uploadId);
    assert.equal(outcome.restarted?.serverForgot, false);
    assert.equal((await uploadsOnServer()).some((u) => u.uploadId === uploadId), false, 'the old upload was not aborted on COS');
    assert.equal(await objectSha256(`${PREFIX}resume/changed-6m.bin`), sha256(changed), 'the object is not the changed file');
    assert.ok(asked.some((r) => r.message.includes('uploaded again from the start')), 'the closing message does not say the file was uploaded from the start');
    assert.equal(await checkpointFor(host.api, uploadId), undefined);

    await discardListed(host.api, snapshot.id);
  });

  it('when the file changed since, Discard aborts the upload on COS and deletes its checkpoint', async () => {
    const file = await workspaceFile('resume/discard-6m.bin', 6 * MiB);
    const { snapshot, uploadId } = await uploadAndPause(host.api, file.uri, PROFILE, 2);
    await fs.appendFile(file.uri.fsPath, 'changed');

    const asked: MessageRequest[] = [];
    host.api.prompts.set({ message: answering(asked, [[/changed since its upload was interrupted/, 'Discard']]) });
    const report = await host.api.startup.simulate();

    const [outcome] = report.outcomes;
    assert.equal(outcome.status, 'cancelled', `discard ended ${outcome.status}`);
    assert.equal((await uploadsOnServer()).some((u) => u.uploadId === uploadId), false, 'the upload is still on COS');
    assert.equal(await checkpointFor(host.api, uploadId), undefined, 'the checkpoint was kept');

    await discardListed(host.api, snapshot.id);
  });

  it('when COS no longer knows the upload, starts it over by itself and says so clearly', async () => {
    const file = await workspaceFile('resume/forgotten-5m.bin', 5 * MiB + 3);
    const { snapshot, uploadId } = await uploadAndPause(host.api, file.uri, PROFILE, 2);
    // As if a lifecycle rule or another machine aborted it meanwhile.
    const client = emulatorClient();
    try {
      await client.abortMultipartUpload(`${PREFIX}resume/forgotten-5m.bin`, uploadId);
    } finally {
      await client.close();
    }

    const asked: MessageRequest[] = [];
    host.api.prompts.set({ message: answering(asked) });
    const report = await host.api.startup.simulate();

    const [outcome] = report.outcomes as UploadOutcome[];
    assert.equal(outcome.status, 'completed', `the restarted upload ended ${outcome.status}: ${String((outcome.error as Error | undefined)?.message)}`);
    assert.notEqual(outcome.result?.uploadId, uploadId);
    assert.equal(outcome.restarted?.previousUploadId, uploadId);
    assert.equal(outcome.restarted?.serverForgot, true);
    assert.equal(outcome.result?.resumedParts, 0);
    const closing = asked.find((r) => r.message.includes('COS no longer knew the interrupted upload'));
    assert.ok(closing, `the restart was not said; asked: ${asked.map((r) => r.message).join(' | ')}`);
    assert.equal(closing.severity, 'warning');
    assert.ok(
      host.api.log.lines().some((l) => l.includes('restart file=resume/forgotten-5m.bin') && l.includes(`previousUploadId=${uploadId}`) && l.includes('NoSuchUpload')),
      'the restart is not in the log',
    );
    assert.equal(await objectSha256(`${PREFIX}resume/forgotten-5m.bin`), file.sha256);

    await discardListed(host.api, snapshot.id);
  });

  it('Later leaves the upload paused in Show Uploads with its checkpoint, and sends nothing', async () => {
    const file = await workspaceFile('resume/later-4m.bin', 4 * MiB);
    const { snapshot, uploadId } = await uploadAndPause(host.api, file.uri, PROFILE, 1);
    const offeredAt = Date.now();
    const asked: MessageRequest[] = [];
    host.api.prompts.set({ message: (r) => (asked.push(r), 'Later') });
    const report = await host.api.startup.simulate();

    assert.equal(report.choice, 'later');
    assert.deepEqual(report.outcomes, []);
    assert.equal(asked.length, 1, 'more than the offer was asked');
    assert.ok(await checkpointFor(host.api, uploadId), 'the checkpoint is gone');
    const sent = arrivedSince(await emulatorLog(), offeredAt).filter((e) => e.uploadId === uploadId);
    assert.deepEqual(sent.map((e) => `${e.operation} ${e.partNumber ?? ''}`), [], 'Later sent requests');

    await discardListed(host.api, snapshot.id);
    assert.equal(await checkpointFor(host.api, uploadId), undefined);
    assert.equal((await uploadsOnServer()).some((u) => u.uploadId === uploadId), false);
  });
});
