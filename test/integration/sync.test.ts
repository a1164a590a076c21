/**
 * `cos-upload sync` and `cos-upload upload <dir>` end to end: the shipped CLI bundle against an
 * emulator in this process. Every object is checked byte for byte, and the emulator's request log
 * shows what was (and was not) sent.
 */

import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CosClient } from '../../src/core/cosClient';
import { staticCredentials } from '../../src/core/credentials';
import { startEmulator, type RequestLogEntry, type RunningEmulator } from '../../src/emulator';
import { baseEnv, ensureBundle, killLiveChildren, lastJson, runCli } from './cliHarness';

const MiB = 1024 * 1024;
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Keys that hold characters URLs, XML and shells treat specially. */
const SPECIAL = ['a b/c d.txt', 'ü/汉字 +%?#&=.txt', "quote's & <angle>.txt"];

describe('cos-upload sync (dist/cli.js)', function () {
  this.timeout(180_000);
  let emu: RunningEmulator;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let client: CosClient;

  before(async () => {
    await ensureBundle();
    emu = await startEmulator();
    env = baseEnv({ COS_SECRET_ID: emu.credentials.secretId, COS_SECRET_KEY: emu.credentials.secretKey });
    client = new CosClient({ target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url }, credentials: staticCredentials(emu.credentials) });
  });
  beforeEach(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-sync-test-'));
  });
  afterEach(async () => {
    await killLiveChildren();
    emu.faults.clear();
    emu.denyDelete([]);
    await fs.rm(work, { recursive: true, force: true });
  });
  after(async () => {
    await client.close();
    await emu.close();
  });

  const target = (): string[] => ['--bucket', emu.bucket, '--region', emu.region, '--endpoint', emu.url, '--state-dir', path.join(work, 'state')];

  async function write(folder: string, relative: string, data: Buffer): Promise<void> {
    const file = path.join(folder, ...relative.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, data);
  }

  /** Every local file under `folder` (but the excluded ones) is at prefix+path, byte for byte. */
  async function assertMirrored(folder: string, prefix: string, files: Record<string, Buffer>): Promise<void> {
    for (const [relative, data] of Object.entries(files)) {
      const key = prefix + relative;
      assert.ok(emu.objectInfo(key), `object missing: ${key}`);
      assert.equal(await emu.objectSha256(key), sha256(data), `bytes differ: ${key}`);
    }
    void folder;
  }

  const writes = (log: readonly RequestLogEntry[]): RequestLogEntry[] =>
    log.filter((e) => ['putObject', 'uploadPart', 'initiate', 'complete', 'deleteObject', 'deleteMultiple'].includes(e.operation));

  it('syncs new, changed (same size), unchanged, excluded, remote-only (kept, then deleted) and renamed files', async () => {
    const folder = path.join(work, 'site');
    const files: Record<string, Buffer> = {
      'index.html': randomBytes(2000),
      'big.bin': randomBytes(3 * MiB + 123),
      ...Object.fromEntries(SPECIAL.map((name) => [name, randomBytes(500)])),
    };
    for (const [relative, data] of Object.entries(files)) await write(folder, relative, data);
    await write(folder, 'logs/debug.log', Buffer.from('local only, excluded'));
    await client.putObject('site/remote-only.txt', Buffer.from('no local file'), {});
    await client.putObject('site/old.log', Buffer.from('excluded remote copy'), {});
    await client.putObject('site/logs/debug.log', Buffer.from('excluded, has a local file'), {});
    const args = ['sync', folder, ...target(), '--prefix', 'site', '--exclude', '**/*.log', '--multipart-threshold', '1MiB', '--part-size', '1MiB'];

    // 1. Everything is new; nothing remote is deleted without --delete; excluded files stay local.
    const first = await runCli([...args, '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    const summary1 = lastJson(first.stdout);
    assert.equal(summary1.uploaded, Object.keys(files).length);
    assert.equal(summary1.deleted, 0);
    await assertMirrored(folder, 'site/', files);
    assert.equal((await emu.readObject('site/logs/debug.log')).toString(), 'excluded, has a local file', 'an excluded file is never sent');
    assert.ok(emu.objectInfo('site/remote-only.txt'), 'kept without --delete');

    // 2. Same size, different bytes: found by CRC64 and sent; unchanged files are not sent again.
    files['index.html'] = randomBytes(2000);
    await write(folder, 'index.html', files['index.html']);
    emu.clearLog();
    const second = await runCli([...args, '--delete'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(
      writes(emu.log).map((e) => [e.operation, e.key]),
      [
        ['putObject', 'site/index.html'],
        ['deleteMultiple', ''],
      ],
    );
    assert.match(second.stdout, /uploaded site\/index\.html/);
    assert.match(second.stdout, /deleted cos:\/\/\S+\/site\/remote-only\.txt/);
    assert.match(second.stdout, /1 uploaded .*, 4 unchanged, 1 deleted, 0 failed, 2 excluded/);
    await assertMirrored(folder, 'site/', files);
    assert.equal(emu.objectInfo('site/remote-only.txt'), undefined, 'deleted with --delete');
    assert.ok(emu.objectInfo('site/old.log'), 'an excluded remote object is never deleted');
    assert.ok(emu.objectInfo('site/logs/debug.log'), 'the remote copy of an excluded local file is never deleted');

    // 3. A rename is one upload of the new key and one deletion of the old.
    await fs.rename(path.join(folder, 'a b', 'c d.txt'), path.join(folder, 'a b', 'renamed file.txt'));
    files['a b/renamed file.txt'] = files['a b/c d.txt'];
    delete files['a b/c d.txt'];
    emu.clearLog();
    const third = await runCli([...args, '--delete'], env);
    assert.equal(third.code, 0, third.stderr);
    assert.deepEqual(
      writes(emu.log).map((e) => [e.operation, e.key]),
      [
        ['putObject', 'site/a b/renamed file.txt'],
        ['deleteMultiple', ''],
      ],
    );
    assert.equal(emu.objectInfo('site/a b/c d.txt'), undefined);
    await assertMirrored(folder, 'site/', files);

    // 4. Nothing changed: no object bytes at all, only the listing and the Head Objects.
    emu.clearLog();
    const fourth = await runCli([...args, '--delete'], env);
    assert.equal(fourth.code, 0, fourth.stderr);
    assert.deepEqual(writes(emu.log), []);
    assert.ok(emu.log.every((e) => ['listObjects', 'head'].includes(e.operation)), emu.log.map((e) => e.operation).join(' '));
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const folder = path.join(work, 'dry');
    await write(folder, 'new.txt', randomBytes(10));
    await client.putObject('dry/stale.txt', Buffer.from('stale'), {});
    emu.clearLog();
    const r = await runCli(['sync', folder, ...target(), '--prefix', 'dry/', '--delete', '--dry-run'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /plan \(dry run\): 1 to upload \(10 B\), 0 unchanged, 1 to delete/);
    assert.match(r.stdout, /upload \(new\) {2}new\.txt {2}-> {2}cos:\/\/\S+\/dry\/new\.txt/);
    assert.match(r.stdout, /delete {2}stale\.txt/);
    assert.match(r.stdout, /dry run, nothing was sent: would upload 1 \(10 B\), 0 unchanged, would delete 1/);
    assert.deepEqual(writes(emu.log), []);
    assert.equal(emu.objectInfo('dry/new.txt'), undefined);
    assert.ok(emu.objectInfo('dry/stale.txt'));
  });

  it('reports each deletion COS refuses and exits 1', async () => {
    const folder = path.join(work, 'refuse');
    await write(folder, 'keep.txt', Buffer.from('k'));
    for (const key of ['refuse/a.txt', 'refuse/b.txt']) await client.putObject(key, Buffer.from(key), {});
    emu.denyDelete(['refuse/b.txt']);
    const r = await runCli(['sync', folder, ...target(), '--prefix', 'refuse', '--delete', '--json'], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /delete refused for cos:\/\/\S+\/refuse\/b\.txt: AccessDenied/);
    const summary = lastJson(r.stdout);
    assert.equal(summary.deleted, 1);
    assert.deepEqual(summary.deleteRefused, [{ key: 'refuse/b.txt', code: 'AccessDenied', message: 'Access Denied.' }]);
    assert.equal(emu.objectInfo('refuse/a.txt'), undefined);
    assert.ok(emu.objectInfo('refuse/b.txt'));
  });

  it('an interrupted sync run again skips finished files and resumes the big one from its parts', async () => {
    const folder = path.join(work, 'resume');
    const files: Record<string, Buffer> = { 'big.bin': randomBytes(4 * MiB) };
    for (let i = 0; i < 6; i++) files[`small/${i}.txt`] = randomBytes(1000 + i);
    for (const [relative, data] of Object.entries(files)) await write(folder, relative, data);
    const args = ['sync', folder, ...target(), '--prefix', 'resume', '--multipart-threshold', '1MiB', '--part-size', '1MiB', '--concurrency', '1'];
    // Parts 1 and 2 go through; the third hangs until the process is killed, as in a crash.
    emu.faults.add({ operation: 'uploadPart', fault: 'stall', after: 2, times: 'always' });
    let killed = false;
    let out = '';
    let child: import('node:child_process').ChildProcess | undefined;
    // Killed once every small file is reported and two parts are stored: a crash in the middle.
    const watch = setInterval(() => {
      const small = out.split('\n').filter((l) => l.includes('"type":"uploaded"')).length;
      const parts = emu.log.filter((e) => e.operation === 'uploadPart' && e.status === 200).length;
      if (!killed && child && small >= 6 && parts >= 2) {
        killed = true;
        child.kill('SIGKILL');
      }
    }, 20);
    const first = await runCli([...args, '--json'], env, {
      timeoutMs: 60_000,
      onStdout: (stdout, c) => {
        out = stdout;
        child = c;
      },
    }).finally(() => clearInterval(watch));
    assert.ok(killed, `the first run was not interrupted: ${first.stdout} ${first.stderr}`);
    assert.equal(first.signal, 'SIGKILL');
    emu.faults.clear();
    emu.clearLog();

    const second = await runCli(args, env);
    assert.equal(second.code, 0, second.stderr);
    const sent = writes(emu.log);
    assert.ok(!sent.some((e) => e.operation === 'putObject'), `finished small files were sent again: ${sent.map((e) => e.key).join(' ')}`);
    assert.ok(!sent.some((e) => e.operation === 'initiate'), 'the big file resumed its upload instead of starting over');
    const parts = sent.filter((e) => e.operation === 'uploadPart').map((e) => e.partNumber);
    assert.deepEqual(parts, [3, 4]);
    await assertMirrored(folder, 'resume/', files);
  });

  it('`upload <dir>` sends every file under the folder name, unchanged ones too', async () => {
    const folder = path.join(work, 'photos');
    const files = { 'a.jpg': randomBytes(300), 'sub/b.jpg': randomBytes(400) };
    for (const [relative, data] of Object.entries(files)) await write(folder, relative, data);
    const first = await runCli(['upload', folder, ...target()], env);
    assert.equal(first.code, 0, first.stderr);
    await assertMirrored(folder, 'photos/', files);
    emu.clearLog();
    const again = await runCli(['upload', folder, ...target(), '--quiet'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(writes(emu.log).map((e) => e.key).sort(), ['photos/a.jpg', 'photos/sub/b.jpg']);
    const refused = await runCli(['upload', folder, ...target(), '--delete'], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /use cos-upload sync <dir> --delete/);
  });
});
