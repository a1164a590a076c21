/**
 * `cos-upload download <prefix/>` and the per-destination download lock, through the shipped
 * bundle (dist/cli.js) against an emulator in this process: the files written, the exit codes and
 * what reached the emulator.
 */

import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { jsonLines, lastJson, runCli, runCliOnTerminal, type RunResult } from './cliHarness';
import { useDownloadCliFixture } from './downloadCliFixture';

const MiB = 1024 * 1024;
const EXIT_LOCKED = 75;
const ESC = String.fromCharCode(27);
/** How the CLI's live line is redrawn in place. */
const CLEAR_LINE = `\r${ESC}[2K`;
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('cos-upload download of a prefix, and the download lock (dist/cli.js)', function () {
  this.timeout(120_000);
  const fx = useDownloadCliFixture('cos-download-prefix-');

  async function put(key: string, data: Buffer | string): Promise<Buffer> {
    const body = Buffer.isBuffer(data) ? data : Buffer.from(data);
    await fx.sdk.putObject({ Bucket: fx.emu.bucket, Region: fx.emu.region, Key: key, Body: body });
    return body;
  }

  it('writes every object under the prefix byte for byte, skips folder markers, one JSON line per file', async () => {
    const objects = new Map<string, Buffer>([
      ['site/index.html', Buffer.from('<h1>hi</h1>')],
      ['site/img/logo.png', randomBytes(3 * MiB + 17)],
      ['site/img/deep/x.bin', randomBytes(1000)],
      ['site/empty.txt', Buffer.alloc(0)],
    ]);
    for (const [key, data] of objects) await put(key, data);
    await put('site/img/', '');
    await put('sitemap.xml', 'not under site/');
    const dest = path.join(fx.work, 'site-copy');
    const result = await runCli(['download', 'site/', dest, ...fx.target(), '--part-size', '1MiB', '--file-concurrency', '2', '--json'], fx.env);
    assert.equal(result.code, 0, result.stderr);
    const lines = jsonLines(result.stdout);
    assert.equal(lines[0].type, 'planned');
    assert.equal(lines[0].files, 4);
    assert.equal(lines[0].skippedMarkers, 1);
    assert.deepEqual(lines.filter((l) => l.type === 'file').map((l) => l.key).sort(), [...objects.keys()].sort());
    const summary = lastJson(result.stdout);
    assert.equal(summary.type, 'summary');
    assert.equal(summary.files, 4);
    assert.deepEqual(summary.failed, []);
    for (const [key, data] of objects) assert.equal(sha256(await fs.readFile(path.join(dest, key.slice('site/'.length)))), sha256(data), key);
    await assert.rejects(fs.access(path.join(dest, 'sitemap.xml')));
    const leftovers = (await fs.readdir(dest, { recursive: true })).filter((n) => String(n).endsWith('.cosdownload'));
    assert.deepEqual(leftovers, []);
  });

  it('draws a live files-and-bytes line on a terminal, none on a pipe, where each file has its line', async () => {
    for (let i = 0; i < 3; i++) await put(`live/f${i}.bin`, randomBytes(200_000 + i));
    const terminal = await runCliOnTerminal(['download', 'live/', path.join(fx.work, 'live-tty'), ...fx.target(), '--part-size', '1MiB'], fx.env);
    assert.equal(terminal.code, 0, terminal.stdout);
    // Cleared and redrawn in place: the last drawing shows every file done, then the summary.
    const drawings = terminal.stdout
      .split(CLEAR_LINE)
      .slice(1)
      .map((drawn) => drawn.split('\r')[0])
      .filter((drawn) => /^\d+\/\d+ files/.test(drawn));
    assert.ok(drawings.length >= 1, `no live line: ${JSON.stringify(terminal.stdout)}`);
    assert.match(drawings[drawings.length - 1], /^3\/3 files( · [\d.]+ \S+\/s)? · 585\.9 KiB\/585\.9 KiB$/);
    for (const d of drawings) assert.match(d, /^[0-3]\/3 files/);
    assert.match(terminal.stdout, /downloaded 3 of 3 file\(s\) under cos:\/\/[^/]+\/live\//);

    const piped = await runCli(['download', 'live/', path.join(fx.work, 'live-pipe'), ...fx.target(), '--part-size', '1MiB'], fx.env);
    assert.equal(piped.code, 0, piped.stderr);
    assert.ok(!(piped.stderr + piped.stdout).includes(ESC), 'no terminal control on a pipe');
    assert.doesNotMatch(piped.stderr + piped.stdout, /files ·/, 'no live line on a pipe');
    assert.equal(piped.stdout.split('\n').filter((l) => l.startsWith('downloaded live/')).length, 3, 'one line per file');
  });

  it('keeps an existing local file without --overwrite, downloads the rest, exits 1 naming it', async () => {
    const a = await put('keep/a.txt', 'remote a');
    await put('keep/b.txt', 'remote b');
    const dest = path.join(fx.work, 'keep-copy');
    await fs.mkdir(dest, { recursive: true });
    await fs.writeFile(path.join(dest, 'b.txt'), 'local b');
    const result = await runCli(['download', 'keep/', dest, ...fx.target()], fx.env);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^downloaded keep\/a\.txt to /m);
    assert.match(result.stdout, /^failed keep\/b\.txt: error INVALID_ARGUMENT: .*already exists.*--overwrite/m);
    assert.match(result.stdout, /downloaded 1 of 2 file\(s\)/);
    assert.equal(await fs.readFile(path.join(dest, 'b.txt'), 'utf8'), 'local b');
    assert.deepEqual(await fs.readFile(path.join(dest, 'a.txt')), a);
    const again = await runCli(['download', 'keep/', dest, ...fx.target(), '--overwrite'], fx.env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await fs.readFile(path.join(dest, 'b.txt'), 'utf8'), 'remote b');
  });

  it('refuses a key that would climb out of the folder, downloads the others, exits 1', async () => {
    await put('esc/ok.txt', 'fine');
    await put('esc/../outside.txt', 'escape');
    const dest = path.join(fx.work, 'esc-copy');
    const result = await runCli(['download', 'esc/', dest, ...fx.target()], fx.env);
    assert.ok(fx.emu.objectInfo('esc/../outside.txt'), 'the emulator keeps the ".." key as sent');
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /refused +esc\/\.\.\/outside\.txt: it climbs out/);
    assert.equal(await fs.readFile(path.join(dest, 'ok.txt'), 'utf8'), 'fine');
    await assert.rejects(fs.access(path.join(fx.work, 'outside.txt')));
  });

  it('a second download to the same file exits LOCKED at once having sent nothing; the first goes on', async () => {
    const data = await put('lock/big.bin', randomBytes(4 * MiB));
    await put('lock/other.bin', 'another object');
    const dest = path.join(fx.work, 'locked.bin');
    const args = ['download', 'lock/big.bin', dest, ...fx.target(), '--part-size', '1MiB', '--concurrency', '1', '--json'];
    // The first run's second range hangs until it is interrupted.
    fx.emu.faults.add({ operation: 'getObject', fault: 'stall', after: 1, times: 'always' });
    let second: Promise<RunResult> | undefined;
    const first = runCli(args, fx.env, {
      onStdout: (stdout, child) => {
        if (second || !stdout.includes('"type":"start"')) return;
        // Another key to the same file is refused too: the lock is the destination's.
        second = runCli(['download', 'lock/other.bin', dest, ...fx.target()], fx.env).then((result) => {
          setTimeout(() => child.kill('SIGINT'), 100);
          return result;
        });
      },
    });
    const firstResult = await first;
    assert.ok(second, `the first run never started: ${firstResult.stderr}`);
    const secondResult = await second;
    assert.equal(secondResult.code, EXIT_LOCKED, secondResult.stderr);
    assert.match(secondResult.stderr, /error LOCKED: another download of lock\/other\.bin to .*locked\.bin is running \(pid \d+ on this machine since /);
    assert.equal(fx.emu.log.filter((e) => e.key === 'lock/other.bin' && e.operation !== 'putObject').length, 0, 'the locked run sent no request for its object');
    assert.equal(firstResult.code, 130, firstResult.stderr);
    await assert.rejects(fs.access(dest), 'nothing was put in place');

    // The lock was released on exit: the same command now finishes.
    fx.emu.faults.clear();
    const third = await runCli(args, fx.env);
    assert.equal(third.code, 0, third.stderr);
    assert.equal(sha256(await fs.readFile(dest)), sha256(data));
    assert.deepEqual((await fs.readdir(path.join(fx.work, 'locks'))).filter((n) => n.endsWith('.lock')), []);
  });
});
