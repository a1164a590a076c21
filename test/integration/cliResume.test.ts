/**
 * Crash and recovery through the shipped CLI (dist/cli.js): SIGKILL mid-upload then
 * `cos-upload resume`, the server going away and coming back, a file changed between runs, an
 * upload the server forgot, and `cos-upload incomplete` listing and aborting what is left behind.
 * Each test gets its own emulator (in this process) and state folder; what the server received is
 * checked in the emulator's request log.
 */

import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CosClient, staticCredentials, type Checkpoint } from '../../src/core';
import { startEmulator, type RequestLogEntry, type RunningEmulator } from '../../src/emulator';
import { baseEnv, ensureBundle, jsonLines, killLiveChildren, lastJson, runCli, type RunResult } from './cliHarness';
import { MiB, sha256 } from './helpers';

const PART_COUNT = 16;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Part numbers Upload Part stored (HTTP 200) for `uploadId` in these log entries, with repeats. */
function storedParts(log: readonly RequestLogEntry[], uploadId: string): number[] {
  return log.filter((e) => e.operation === 'uploadPart' && e.uploadId === uploadId && e.status === 200).map((e) => e.partNumber as number);
}

function countBy(numbers: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const n of numbers) counts.set(n, (counts.get(n) ?? 0) + 1);
  return counts;
}

describe('cos-upload resume and incomplete (dist/cli.js)', function () {
  this.timeout(120_000);

  let emulator: RunningEmulator;
  let work: string;
  let stateDir: string;
  let env: NodeJS.ProcessEnv;

  before(ensureBundle);

  beforeEach(async () => {
    emulator = await startEmulator();
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-upload-resume-test-'));
    stateDir = path.join(work, 'state');
    env = baseEnv({ COS_SECRET_ID: emulator.credentials.secretId, COS_SECRET_KEY: emulator.credentials.secretKey });
  });

  afterEach(async () => {
    await killLiveChildren();
    await emulator?.close();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  const target = () => ['--bucket', emulator.bucket, '--region', emulator.region, '--endpoint', emulator.url];

  function uploadArgs(file: string, key: string, extra: string[] = []): string[] {
    return ['upload', file, '--key', key, ...target(), '--state-dir', stateDir, '--part-size', '1MiB', '--multipart-threshold', '0', '--concurrency', '2', '--json', ...extra];
  }

  async function writeFile(name: string, size: number): Promise<{ file: string; data: Buffer }> {
    const data = randomBytes(size);
    const file = path.join(work, name);
    await fs.writeFile(file, data);
    return { file, data };
  }

  async function checkpoints(): Promise<Checkpoint[]> {
    let names: string[];
    try {
      names = await fs.readdir(stateDir);
    } catch {
      return [];
    }
    const jsons = names.filter((n) => n.endsWith('.json'));
    return Promise.all(jsons.map(async (n) => JSON.parse(await fs.readFile(path.join(stateDir, n), 'utf8')) as Checkpoint));
  }

  /** Runs `args` and SIGKILLs the CLI once `parts` part lines are on its stdout. */
  async function killAfterParts(args: string[], parts: number): Promise<RunResult> {
    let killed = false;
    const result = await runCli(args, env, {
      onStdout: (stdout: string, child: ChildProcess) => {
        if (!killed && stdout.split('"type":"part"').length - 1 >= parts) {
          killed = true;
          child.kill('SIGKILL');
        }
      },
    });
    assert.equal(result.signal, 'SIGKILL', `the upload was to be killed mid-way, but it exited with ${String(result.code)}: ${result.stderr}`);
    // Let the emulator notice the dropped connections and log the interrupted requests.
    await sleep(300);
    return result;
  }

  /** Leaves an interrupted upload behind: part `failAt` fails with 500 and no retries are allowed. */
  async function interruptWithFault(file: string, key: string, failAt: number): Promise<Checkpoint> {
    const rule = emulator.faults.add({ operation: 'uploadPart', partNumber: failAt, fault: 'status', status: 500, times: 'always' });
    const result = await runCli(uploadArgs(file, key, ['--concurrency', '1', '--retries', '0']), env);
    emulator.faults.clear(rule.id);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /cos-upload resume/, 'the failure says how to resume');
    const found = (await checkpoints()).find((c) => c.key === key);
    assert.ok(found, 'a checkpoint is kept after the failure');
    assert.equal(found.parts.length, failAt - 1);
    return found;
  }

  it('SIGKILL at about half the parts, then `resume`: recorded parts are not sent again and the object is byte-identical', async () => {
    // 16 × 1 MiB at ~4 MB/s per connection, two connections: about 2 s, time enough to kill mid-way.
    emulator.setNetwork({ connMbps: 32 });
    const { file, data } = await writeFile('big.bin', PART_COUNT * MiB);
    const key = 'crash/big.bin';
    const first = await killAfterParts(uploadArgs(file, key), PART_COUNT / 2);
    const start = jsonLines(first.stdout)[0];
    assert.equal(start.type, 'start');
    const uploadId = String(start.uploadId);

    const [checkpoint] = await checkpoints();
    assert.ok(checkpoint, 'the killed upload left its checkpoint');
    assert.equal(checkpoint.uploadId, uploadId);
    const recorded = new Set(checkpoint.parts.map((p) => p.partNumber));
    assert.ok(recorded.size >= PART_COUNT / 2 - 2 && recorded.size < PART_COUNT, `parts in the checkpoint: ${recorded.size}`);
    assert.ok(!emulator.log.some((e) => e.operation === 'complete'), 'nothing was completed before the kill');

    const firstRun = emulator.log.length;
    emulator.setNetwork({ connMbps: 0 });
    const second = await runCli(['resume', '--state-dir', stateDir, '--json'], env);
    assert.equal(second.code, 0, second.stderr);
    const summary = lastJson(second.stdout);
    assert.equal(summary.type, 'summary');
    assert.equal(summary.uploadId, uploadId, 'the same multipart upload was continued');
    assert.equal(summary.parts, PART_COUNT);
    // Recorded parts, plus the parts COS stored just before the kill (adopted from their pending digests).
    assert.ok(Number(summary.resumedParts) >= recorded.size, 'every part the checkpoint recorded was confirmed by List Parts');

    const before = storedParts(emulator.log.slice(0, firstRun), uploadId);
    const after = storedParts(emulator.log.slice(firstRun), uploadId);
    for (const n of after) assert.ok(!recorded.has(n), `part ${n} was in the checkpoint yet sent again`);
    assert.equal(countBy(after).size, after.length, 'the resume sent each part once');
    assert.deepEqual([...new Set([...before, ...after])].sort((a, b) => a - b), Array.from({ length: PART_COUNT }, (_, i) => i + 1));
    // A part COS stored whose answer never reached the checkpoint is adopted from its pending digest: no part goes twice.
    const resent = [...new Set(before)].filter((n) => after.includes(n));
    assert.deepEqual(resent, [], `parts stored in both runs: ${resent.join(', ')}`);
    assert.equal(summary.resumedParts, new Set(before).size, 'every part stored before the kill was kept');
    const completes = emulator.log.filter((e) => e.operation === 'complete' && e.status === 200);
    assert.equal(completes.length, 1);

    assert.equal(await emulator.objectSha256(key), sha256(data));
    assert.equal(emulator.objectInfo(key)?.etag, summary.etag);
    assert.deepEqual(await checkpoints(), [], 'the checkpoint is removed once the object is complete');
    assert.deepEqual(emulator.listUploads(), []);
    // Reported for the record (see the report on in-flight parts): how many parts went twice this run.
    console.log(`      SIGKILL: ${recorded.size} parts checkpointed, ${before.length} stored before the kill, ${resent.length} re-sent (${resent.join(', ') || 'none'})`);
  });

  it('rides out the server going away for 1.5 s (connections refused) and completes byte-identical', async () => {
    emulator.setNetwork({ connMbps: 32 });
    const { file, data } = await writeFile('outage.bin', 12 * MiB);
    const key = 'outage/short.bin';
    let outage: Promise<void> | undefined;
    const result = await runCli(uploadArgs(file, key, ['--retries', '10']), env, {
      onStdout: (stdout) => {
        if (!outage && stdout.split('"type":"part"').length - 1 >= 4) {
          outage = (async () => {
            await emulator.pause();
            await sleep(1500);
            await emulator.resume();
          })();
        }
      },
    });
    await outage;
    assert.ok(outage, 'the outage happened mid-upload');
    assert.equal(result.code, 0, result.stderr);
    const lines = jsonLines(result.stdout);
    const retries = lines.filter((l) => l.type === 'retry');
    assert.ok(retries.length >= 1, 'the outage caused retries');
    assert.ok(retries.some((r) => r.code === 'NETWORK'), JSON.stringify(retries));
    assert.equal(lastJson(result.stdout).type, 'summary');
    assert.equal(await emulator.objectSha256(key), sha256(data));
    assert.deepEqual(await checkpoints(), []);
  });

  it('fails clearly when the outage outlasts the retries, and `resume` finishes it once the server is back', async () => {
    emulator.setNetwork({ connMbps: 32 });
    const { file, data } = await writeFile('long-outage.bin', 10 * MiB);
    const key = 'outage/long.bin';
    let paused: Promise<void> | undefined;
    const first = await runCli(uploadArgs(file, key, ['--retries', '1']), env, {
      onStdout: (stdout) => {
        if (!paused && stdout.split('"type":"part"').length - 1 >= 3) paused = emulator.pause();
      },
    });
    await paused;
    assert.ok(paused, 'the server went away mid-upload');
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stderr, /^error (NETWORK|TIMEOUT): /m);
    assert.match(first.stderr, /cos-upload resume/);
    const error = lastJson(first.stdout);
    assert.equal(error.type, 'error');
    const [checkpoint] = await checkpoints();
    assert.ok(checkpoint && checkpoint.parts.length >= 3, 'the parts sent before the outage are recorded');
    const recorded = new Set(checkpoint.parts.map((p) => p.partNumber));

    await emulator.resume();
    emulator.setNetwork({ connMbps: 0 });
    const firstRun = emulator.log.length;
    const second = await runCli(['resume', file, '--state-dir', stateDir, '--json'], env);
    assert.equal(second.code, 0, second.stderr);
    const summary = lastJson(second.stdout);
    assert.equal(summary.uploadId, checkpoint.uploadId);
    assert.ok(Number(summary.resumedParts) >= recorded.size);
    for (const n of storedParts(emulator.log.slice(firstRun), checkpoint.uploadId)) assert.ok(!recorded.has(n), `part ${n} sent again`);
    assert.equal(await emulator.objectSha256(key), sha256(data));
    assert.deepEqual(await checkpoints(), []);
  });

  it('refuses to resume a file that changed (nothing merged, checkpoint kept); --restart aborts the old upload and uploads the new content', async () => {
    const { file } = await writeFile('changing.bin', 6 * MiB);
    const key = 'changed/file.bin';
    const checkpoint = await interruptWithFault(file, key, 3);
    const oldUploadId = checkpoint.uploadId;

    // Same size, other bytes, later mtime: only size and mtime can reveal it without re-reading.
    const fresh = randomBytes(6 * MiB);
    await fs.writeFile(file, fresh);
    const later = new Date(Date.now() + 5_000);
    await fs.utimes(file, later, later);

    const mark = emulator.log.length;
    const refused = await runCli(['resume', '--state-dir', stateDir, '--json'], env);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^error FILE_CHANGED: .*changed/m);
    assert.match(refused.stderr, /--restart/);
    const error = lastJson(refused.stdout);
    assert.equal(error.type, 'error');
    assert.equal(error.code, 'FILE_CHANGED');
    assert.deepEqual(emulator.log.slice(mark), [], 'no request at all: nothing sent, nothing completed, nothing aborted');
    assert.equal((await checkpoints())[0]?.uploadId, oldUploadId, 'the checkpoint is kept');
    assert.ok(emulator.listUploads().some((u) => u.uploadId === oldUploadId), 'the old upload is still on the server');

    const restarted = await runCli(['resume', file, '--restart', '--state-dir', stateDir, '--json'], env);
    assert.equal(restarted.code, 0, restarted.stderr);
    const lines = jsonLines(restarted.stdout);
    const notice = lines.find((l) => l.type === 'restarted');
    assert.ok(notice, restarted.stdout);
    assert.equal(notice.previousUploadId, oldUploadId);
    assert.match(restarted.stderr, /starting over: file changed; upload \S+ is not resumed/);
    const summary = lastJson(restarted.stdout);
    assert.notEqual(summary.uploadId, oldUploadId);
    assert.equal(summary.resumedParts, 0);
    assert.equal(await emulator.objectSha256(key), sha256(fresh));
    assert.ok(emulator.log.some((e) => e.operation === 'abort' && e.uploadId === oldUploadId && e.status >= 200 && e.status < 300));
    assert.ok(!emulator.listUploads().some((u) => u.uploadId === oldUploadId), 'the old upload is aborted');
    assert.ok(!emulator.log.some((e) => e.operation === 'complete' && e.uploadId === oldUploadId), 'the old parts were never completed');
    assert.deepEqual(await checkpoints(), []);
  });

  it('starts over, and says so, when the server no longer knows the upload (NoSuchUpload)', async () => {
    const { file, data } = await writeFile('forgotten.bin', 4 * MiB);
    const key = 'forgotten/file.bin';
    const checkpoint = await interruptWithFault(file, key, 3);
    // Someone (a lifecycle rule, another tool) aborts the upload behind the CLI's back.
    const client = new CosClient({ target: { bucket: emulator.bucket, region: emulator.region, endpoint: emulator.url }, credentials: staticCredentials(emulator.credentials) });
    await client.abortMultipartUpload(key, checkpoint.uploadId);
    await client.close();

    const result = await runCli(['resume', '--state-dir', stateDir], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /starting over: .*NoSuchUpload.*upload \S+ is not resumed and every part is sent again/);
    assert.match(result.stdout, /uploaded cos:\/\/.+\/forgotten\/file\.bin/);
    assert.match(result.stdout, /in 4 parts,/, 'no part counted as resumed');
    assert.equal(await emulator.objectSha256(key), sha256(data));
    assert.deepEqual(await checkpoints(), []);
  });

  it('asks which upload to resume when there are several, lists them, and resumes one file or --all', async () => {
    const a = await writeFile('a.bin', 3 * MiB);
    const b = await writeFile('b.bin', 3 * MiB);
    await interruptWithFault(a.file, 'pick/a.bin', 2);
    await interruptWithFault(b.file, 'pick/b.bin', 3);

    const ambiguous = await runCli(['resume', '--state-dir', stateDir], env);
    assert.equal(ambiguous.code, 2, ambiguous.stderr);
    assert.match(ambiguous.stdout, /2 interrupted uploads in /);
    assert.ok(ambiguous.stdout.includes(a.file) && ambiguous.stdout.includes(b.file), ambiguous.stdout);
    assert.match(ambiguous.stderr, /name the file to resume, or pass --all/);

    const listed = await runCli(['resume', '--list', '--json', '--state-dir', stateDir], env);
    assert.equal(listed.code, 0, listed.stderr);
    const entries = jsonLines(listed.stdout);
    assert.deepEqual(entries.map((e) => [e.type, e.key, e.partsDone, e.bytesDone]), [
      ['checkpoint', 'pick/a.bin', 1, MiB],
      ['checkpoint', 'pick/b.bin', 2, 2 * MiB],
    ]);

    const unknown = await runCli(['resume', path.join(work, 'other.bin'), '--state-dir', stateDir], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error CHECKPOINT: No interrupted upload of this file/m);

    const one = await runCli(['resume', a.file, '--state-dir', stateDir, '--json'], env);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(lastJson(one.stdout).key, 'pick/a.bin');
    assert.equal(await emulator.objectSha256('pick/a.bin'), sha256(a.data));
    assert.equal(emulator.objectInfo('pick/b.bin'), undefined, 'only the named file was resumed');

    const all = await runCli(['resume', '--all', '--state-dir', stateDir, '--json'], env);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(lastJson(all.stdout).resumedParts, 2);
    assert.equal(await emulator.objectSha256('pick/b.bin'), sha256(b.data));

    const nothing = await runCli(['resume', '--state-dir', stateDir], env);
    assert.equal(nothing.code, 0);
    assert.match(nothing.stderr, /Nothing to resume/);
  });

  it('`incomplete` lists abandoned uploads with bytes, initiated time and local file, and aborts them', async () => {
    const a = await writeFile('inc-a.bin', 3 * MiB);
    const b = await writeFile('inc-b.bin', 4 * MiB);
    await interruptWithFault(a.file, 'inc/a.bin', 2);
    await interruptWithFault(b.file, 'inc/b.bin', 3);
    // One more that this machine knows nothing about.
    const client = new CosClient({ target: { bucket: emulator.bucket, region: emulator.region, endpoint: emulator.url }, credentials: staticCredentials(emulator.credentials) });
    const { uploadId: foreignId } = await client.initiateMultipartUpload('inc/foreign.bin', {});
    await client.close();
    const incomplete = (...args: string[]) => runCli(['incomplete', ...target(), '--state-dir', stateDir, ...args], env);

    const listed = await incomplete('--json');
    assert.equal(listed.code, 0, listed.stderr);
    const uploads = jsonLines(listed.stdout).filter((l) => l.type === 'upload');
    const byKey = new Map(uploads.map((u) => [u.key, u]));
    assert.deepEqual([...byKey.keys()].sort(), ['inc/a.bin', 'inc/b.bin', 'inc/foreign.bin']);
    assert.equal(byKey.get('inc/a.bin')?.bytes, MiB);
    assert.equal(byKey.get('inc/b.bin')?.bytes, 2 * MiB);
    assert.equal(byKey.get('inc/b.bin')?.parts, 2);
    assert.equal(byKey.get('inc/foreign.bin')?.bytes, 0);
    assert.equal(byKey.get('inc/a.bin')?.localFile, a.file);
    assert.equal(byKey.get('inc/foreign.bin')?.localFile, null);
    for (const u of uploads) {
      const initiated = Date.parse(String(u.initiated));
      assert.ok(Math.abs(Date.now() - initiated) < 60_000, `initiated ${String(u.initiated)}`);
    }
    assert.deepEqual(lastJson(listed.stdout), { type: 'summary', uploads: 3, parts: 3, bytes: 3 * MiB });

    const human = await incomplete();
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^3 incomplete multipart uploads in cos:\/\/\S+, 3\.0 MiB in 3 parts:$/m);
    assert.ok(human.stdout.includes(`local file ${a.file}: cos-upload resume ${a.file}`), human.stdout);

    const young = await incomplete('--abort-older-than', '1', '--json');
    assert.equal(young.code, 0, young.stderr);
    assert.equal(lastJson(young.stdout).selected, 0, 'uploads begun just now are not a day old');

    const dryRun = await incomplete('--abort-older-than', '0', '--dry-run', '--json');
    assert.equal(dryRun.code, 0, dryRun.stderr);
    assert.equal(jsonLines(dryRun.stdout).filter((l) => l.type === 'would-abort').length, 3);
    assert.equal(emulator.listUploads().length, 3, 'a dry run aborts nothing');

    const one = await incomplete('--abort', foreignId);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^aborted {2}.*inc\/foreign\.bin/m);
    assert.equal(emulator.listUploads().length, 2);

    const rest = await incomplete('--abort-older-than', '0', '--json');
    assert.equal(rest.code, 0, rest.stderr);
    assert.deepEqual(jsonLines(rest.stdout).filter((l) => l.type === 'aborted').map((l) => l.key).sort(), ['inc/a.bin', 'inc/b.bin']);
    assert.equal(lastJson(rest.stdout).aborted, 2);
    assert.equal(lastJson(rest.stdout).bytes, 3 * MiB);
    assert.deepEqual(emulator.listUploads(), []);
    assert.deepEqual(await checkpoints(), [], 'the local checkpoints of aborted uploads are removed');

    const empty = await incomplete('--json');
    assert.deepEqual(jsonLines(empty.stdout), [{ type: 'summary', uploads: 0, parts: 0, bytes: 0 }]);

    const bogus = await incomplete('--abort', 'no-such-upload-id');
    assert.equal(bogus.code, 1);
    assert.match(bogus.stderr, /^error NO_SUCH_UPLOAD: No incomplete upload with this id/m);
  });
});
