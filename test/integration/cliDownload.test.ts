/**
 * `cos-upload download` end to end: the shipped bundle (dist/cli.js) spawned against an emulator
 * in this process; exit codes, output, the file written and the GETs the emulator saw.
 */

import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { jsonLines, lastJson, runCli } from './cliHarness';
import { useDownloadCliFixture } from './downloadCliFixture';

const MiB = 1024 * 1024;
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('cos-upload download (dist/cli.js)', function () {
  this.timeout(120_000);
  const fx = useDownloadCliFixture('cos-download-cli-');

  async function put(key: string, size: number): Promise<Buffer> {
    const data = randomBytes(size);
    await fx.sdk.putObject({ Bucket: fx.emu.bucket, Region: fx.emu.region, Key: key, Body: data });
    return data;
  }

  it('downloads into a folder under the key\'s name and ends --json output with a verified summary', async () => {
    const data = await put('dir/report.bin', 3 * MiB + 5);
    const out = path.join(fx.work, 'out1');
    await fs.mkdir(out);
    const result = await runCli(['download', 'dir/report.bin', out, ...fx.target(), '--part-size', '1MiB', '--json'], fx.env);
    assert.equal(result.code, 0, result.stderr);
    const lines = jsonLines(result.stdout);
    assert.equal(lines[0].type, 'start');
    const summary = lastJson(result.stdout);
    assert.equal(summary.type, 'summary');
    assert.equal(summary.bytes, data.length);
    assert.equal(summary.ranges, 4);
    assert.equal(summary.crc64Verified, true);
    assert.equal(summary.crc64, fx.emu.objectInfo('dir/report.bin')?.crc64);
    assert.equal(sha256(await fs.readFile(path.join(out, 'report.bin'))), sha256(data));
  });

  it('cancels on Ctrl-C keeping the ranges fetched, then the same command fetches only the rest', async () => {
    const data = await put('cli/resume.bin', 6 * MiB);
    const dest = path.join(fx.work, 'resume.bin');
    const args = ['download', 'cli/resume.bin', dest, ...fx.target(), '--part-size', '1MiB', '--concurrency', '1', '--json'];
    // Two ranges go through; the next GETs hang until the client gives up.
    fx.emu.faults.add({ operation: 'getObject', fault: 'stall', after: 2, times: 'always' });
    let interrupted = false;
    const first = await runCli(args, fx.env, {
      onStdout: (stdout, child) => {
        if (!interrupted && stdout.includes('"type":"start"')) {
          interrupted = true;
          const poll = setInterval(() => {
            if (fx.emu.log.filter((e) => e.operation === 'getObject' && e.status === 206).length >= 2) {
              clearInterval(poll);
              setTimeout(() => child.kill('SIGINT'), 200);
            }
          }, 20);
        }
      },
    });
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, /error ABORTED: The download was cancelled; 2 of 6 ranges are kept/);
    assert.equal(lastJson(first.stdout).type, 'error');
    await fs.access(`${dest}.cosdownload`);
    await assert.rejects(fs.access(dest));

    fx.emu.faults.clear();
    fx.emu.clearLog();
    const second = await runCli(args, fx.env);
    assert.equal(second.code, 0, second.stderr);
    const summary = lastJson(second.stdout);
    assert.equal(summary.resumedRanges, 2);
    // Log entries are written as the server side of each answer closes: let the log settle.
    let seen = -1;
    for (let waited = 0; waited < 3000 && fx.emu.log.length !== seen; waited += 100) {
      seen = fx.emu.log.length;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(fx.emu.log.filter((e) => e.operation === 'getObject').length, 4, 'only the four missing ranges were fetched');
    assert.equal(sha256(await fs.readFile(dest)), sha256(data));
    assert.deepEqual(await fs.readdir(path.join(fx.work, 'state', 'downloads')), [], 'checkpoint removed after success');
  });

  it('refuses to replace an existing file without --overwrite, and replaces it with', async () => {
    const data = await put('cli/exists.bin', 1000);
    const dest = path.join(fx.work, 'exists.bin');
    await fs.writeFile(dest, 'keep');
    const refused = await runCli(['download', 'cli/exists.bin', dest, ...fx.target()], fx.env);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /already exists.*--overwrite/);
    assert.equal(await fs.readFile(dest, 'utf8'), 'keep');
    const replaced = await runCli(['download', 'cli/exists.bin', dest, ...fx.target(), '--overwrite'], fx.env);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, /crc64 +\d+ \(matches COS\)/);
    assert.equal(sha256(await fs.readFile(dest)), sha256(data));
  });

  it('names a missing object, and an empty prefix, with exit 1 and nothing written', async () => {
    const missing = await runCli(['download', 'no/such.bin', path.join(fx.work, 'none.bin'), ...fx.target()], fx.env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error NO_SUCH_KEY: .*no\/such\.bin/);
    const emptyDir = path.join(fx.work, 'empty-prefix');
    const prefix = await runCli(['download', 'no-such-prefix/', emptyDir, ...fx.target()], fx.env);
    assert.equal(prefix.code, 1);
    assert.match(prefix.stderr, /error NO_SUCH_KEY: There is no object under no-such-prefix\//);
    await assert.rejects(fs.access(emptyDir));
  });
});
