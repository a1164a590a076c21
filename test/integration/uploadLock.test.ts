/**
 * One uploader per file and key (src/core/uploadLock.ts), through the shipped CLI: two runs started
 * together, a SIGKILLed run whose lock is taken over, `resume --all` skipping a locked upload, and a
 * single PUT, which takes no lock.
 * What reached the server is checked in the emulator's request log.
 */

import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { baseEnv, ensureBundle, jsonLines, killLiveChildren, lastJson, runCli, type RunResult } from './cliHarness';
import { MiB, sha256 } from './helpers';

const EXIT_LOCKED = 75;
const PART_COUNT = 16;

describe('upload lock (dist/cli.js)', function () {
  this.timeout(120_000);

  let emulator: RunningEmulator;
  let work: string;
  let stateDir: string;
  let lockDir: string;
  let env: NodeJS.ProcessEnv;

  before(ensureBundle);

  beforeEach(async () => {
    emulator = await startEmulator();
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-upload-lock-test-'));
    stateDir = path.join(work, 'state');
    lockDir = path.join(work, 'locks');
    env = baseEnv({ COS_SECRET_ID: emulator.credentials.secretId, COS_SECRET_KEY: emulator.credentials.secretKey, COS_UPLOAD_LOCK_DIR: lockDir });
  });

  afterEach(async () => {
    await killLiveChildren();
    await emulator?.close();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  function uploadArgs(file: string, key: string, multipartThreshold = '0'): string[] {
    const target = ['--bucket', emulator.bucket, '--region', emulator.region, '--endpoint', emulator.url];
    return ['upload', file, '--key', key, ...target, '--state-dir', stateDir, '--part-size', '1MiB', '--multipart-threshold', multipartThreshold, '--concurrency', '2', '--json'];
  }

  async function writeFile(name: string, size: number): Promise<{ file: string; data: Buffer }> {
    const data = randomBytes(size);
    const file = path.join(work, name);
    await fs.writeFile(file, data);
    return { file, data };
  }

  async function lockFiles(): Promise<string[]> {
    return (await fs.readdir(lockDir).catch(() => [] as string[])).filter((n) => n.endsWith('.lock')).map((n) => path.join(lockDir, n));
  }

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
    await new Promise((resolve) => setTimeout(resolve, 300));
    return result;
  }

  it('two runs started together on one file: one uploads, the other exits LOCKED at once having sent nothing', async () => {
    // About 2 s of upload, so the second run's exit can be placed before the first one's Complete.
    emulator.setNetwork({ connMbps: 32 });
    const { file, data } = await writeFile('twice.bin', PART_COUNT * MiB);
    const key = 'lock/twice.bin';
    let completesWhenLockedExited = -1;
    const runs = [uploadArgs(file, key), uploadArgs(file, key)].map((args) =>
      runCli(args, env).then((result) => {
        if (result.code === EXIT_LOCKED) completesWhenLockedExited = emulator.log.filter((e) => e.operation === 'complete').length;
        return result;
      }),
    );
    const results = await Promise.all(runs);
    const winners = results.filter((r) => r.code === 0);
    const losers = results.filter((r) => r.code === EXIT_LOCKED);
    assert.equal(winners.length, 1, results.map((r) => `${String(r.code)}: ${r.stderr}`).join('\n'));
    assert.equal(losers.length, 1, results.map((r) => `${String(r.code)}: ${r.stderr}`).join('\n'));
    const [loser] = losers;
    const resolved = path.resolve(file);
    assert.match(
      loser.stderr,
      new RegExp(`^error LOCKED: another upload of ${resolved.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} to ${key} is running \\(pid \\d+ on this machine since \\d\\d:\\d\\d:\\d\\d\\); wait for it or stop it$`, 'm'),
    );
    assert.ok(!jsonLines(loser.stdout).some((l) => l.type === 'start'), 'the locked run did not start an upload');
    assert.equal(completesWhenLockedExited, 0, 'the locked run exited while the other was still uploading');
    // Everything the server saw is one upload: one Initiate, each part once, one Complete.
    const log = emulator.log;
    assert.equal(log.filter((e) => e.operation === 'initiate').length, 1);
    assert.equal(new Set(log.filter((e) => e.uploadId).map((e) => e.uploadId)).size, 1);
    const parts = log.filter((e) => e.operation === 'uploadPart').map((e) => e.partNumber);
    assert.equal(parts.length, PART_COUNT, `part requests: ${parts.join(',')}`);
    assert.equal(log.filter((e) => e.operation === 'complete').length, 1);
    assert.ok(!log.some((e) => e.operation === 'listParts' || e.operation === 'abort'), log.map((e) => e.operation).join(','));
    assert.equal(await emulator.objectSha256(key), sha256(data));
    assert.deepEqual(await lockFiles(), [], 'the lock is removed when the upload ends');
  });

  it('SIGKILL leaves a stale lock; running again takes it over and resumes with no finished part resent', async () => {
    emulator.setNetwork({ connMbps: 32 });
    const { file, data } = await writeFile('killed.bin', PART_COUNT * MiB);
    const key = 'lock/killed.bin';
    const first = await killAfterParts(uploadArgs(file, key), PART_COUNT / 2);
    const uploadId = String(jsonLines(first.stdout)[0].uploadId);
    const left = await lockFiles();
    assert.equal(left.length, 1, 'the killed run left its lock behind');
    const stale = JSON.parse(await fs.readFile(left[0], 'utf8')) as { pid: number };
    assert.notEqual(stale.pid, process.pid);

    const stored = new Set(emulator.log.filter((e) => e.operation === 'uploadPart' && e.status === 200).map((e) => e.partNumber));
    const firstRun = emulator.log.length;
    emulator.setNetwork({ connMbps: 0 });
    const second = await runCli(uploadArgs(file, key), env);
    assert.equal(second.code, 0, second.stderr);
    const summary = lastJson(second.stdout);
    assert.equal(summary.uploadId, uploadId, 'the same multipart upload was resumed');
    const resent = emulator.log.slice(firstRun).filter((e) => e.operation === 'uploadPart' && stored.has(e.partNumber));
    assert.deepEqual(resent.map((e) => e.partNumber), [], 'finished parts were sent again');
    assert.equal(await emulator.objectSha256(key), sha256(data));
    assert.deepEqual(await lockFiles(), []);
  });

  it('a single PUT takes no lock: while a live uploader holds the lock of the file and key, the file sent whole uploads and the lock stays; sent multipart it is refused', async () => {
    emulator.setNetwork({ connMbps: 32 });
    const { file, data } = await writeFile('whole.bin', PART_COUNT * MiB);
    const key = 'lock/whole.bin';
    await killAfterParts(uploadArgs(file, key), 4);
    const [lock] = await lockFiles();
    // This test's own process stands for the multipart uploader, still running on this machine.
    const held = JSON.stringify({ ...(JSON.parse(await fs.readFile(lock, 'utf8')) as Record<string, unknown>), pid: process.pid });
    await fs.writeFile(lock, held);
    emulator.setNetwork({ connMbps: 0 });

    let before = emulator.log.length;
    const multipart = await runCli(uploadArgs(file, key), env);
    assert.equal(multipart.code, EXIT_LOCKED, multipart.stderr);
    assert.deepEqual(emulator.log.slice(before), [], 'the refused multipart run sent nothing');

    before = emulator.log.length;
    const whole = await runCli(uploadArgs(file, key, '64MiB'), env);
    assert.equal(whole.code, 0, whole.stderr);
    assert.deepEqual(
      emulator.log.slice(before).map((e) => e.operation),
      ['putObject'],
      'the file went as one Put Object',
    );
    assert.equal(await emulator.objectSha256(key), sha256(data));
    assert.deepEqual(await lockFiles(), [lock]);
    assert.equal(await fs.readFile(lock, 'utf8'), held, 'the other uploader\'s lock was left as it was');
  });

  it('`resume --all` skips a checkpoint whose upload is locked by a live process, says so, and sends nothing for it', async () => {
    emulator.setNetwork({ connMbps: 32 });
    const { file } = await writeFile('held.bin', PART_COUNT * MiB);
    await killAfterParts(uploadArgs(file, 'lock/held.bin'), 4);
    const [lock] = await lockFiles();
    // This test's own process stands for an uploader still running on this machine.
    const record = JSON.parse(await fs.readFile(lock, 'utf8')) as Record<string, unknown>;
    await fs.writeFile(lock, JSON.stringify({ ...record, pid: process.pid }));

    const before = emulator.log.length;
    const result = await runCli(['resume', '--all', '--state-dir', stateDir], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`skipped \\(locked\\): another upload of .*held\\.bin to lock/held\\.bin is running \\(pid ${process.pid} on this machine`));
    assert.deepEqual(emulator.log.slice(before), [], 'nothing was sent for the locked upload');
    assert.equal(JSON.parse(await fs.readFile(lock, 'utf8')).pid, process.pid, 'the live lock was left in place');
  });
});
