/**
 * Object headers end to end through the shipped CLI bundle: --header, --cache-control and
 * --tagging on upload and sync, invalid headers refused before any request, a restarted resume
 * sending the checkpoint's headers, and sync --update-headers sending only drifted files again.
 */

import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CosClient } from '../../src/core/cosClient';
import { staticCredentials } from '../../src/core/credentials';
import type { Checkpoint } from '../../src/core/types';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { baseEnv, ensureBundle, killLiveChildren, lastJson, runCli } from './cliHarness';

const MiB = 1024 * 1024;

describe('object headers (dist/cli.js)', function () {
  this.timeout(180_000);
  let emu: RunningEmulator;
  let work: string;
  let env: NodeJS.ProcessEnv;

  before(ensureBundle);
  beforeEach(async () => {
    emu = await startEmulator();
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-headers-test-'));
    env = baseEnv({ COS_SECRET_ID: emu.credentials.secretId, COS_SECRET_KEY: emu.credentials.secretKey });
  });
  afterEach(async () => {
    await killLiveChildren();
    await emu.close();
    await fs.rm(work, { recursive: true, force: true });
  });

  const stateDir = (): string => path.join(work, 'state');
  const target = (): string[] => ['--bucket', emu.bucket, '--region', emu.region, '--endpoint', emu.url, '--state-dir', stateDir()];

  async function write(relative: string, data: Buffer | string): Promise<string> {
    const file = path.join(work, ...relative.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, data);
    return file;
  }

  it('upload: Content-Type with charset, --cache-control for all, --header by glob winning over it, --tagging', async () => {
    const file = await write('site/index.html', '<p>hi</p>');
    const r = await runCli(
      ['upload', file, '--key', 'web/index.html', ...target(), '--json', '--cache-control', 'max-age=60', '--header', '*.html:Cache-Control: no-cache', '--header', '**:Content-Language: zh-CN', '--tagging', 'env=prod&team=web'],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    const info = emu.objectInfo('web/index.html');
    assert.ok(info);
    assert.equal(info.contentType, 'text/html; charset=utf-8');
    assert.deepEqual(info.headers, { 'cache-control': 'no-cache', 'content-language': 'zh-CN' });
    assert.equal(info.tagging, 'env=prod&team=web');
  });

  const refused: Array<[string, string[], RegExp]> = [
    ['a header a rule may not set', ['--header', '*:Authorization: x'], /cannot be set by a header rule/],
    ['a line break in a value', ['--header', '*:Cache-Control: a\nb'], /line break/],
    ['a malformed header flag', ['--header', 'no-colons'], /GLOB:Name: value/],
    ['bad tagging', ['--tagging', 'a=1&a=2'], /given twice/],
    ['a non-ASCII value', ['--cache-control', 'max-age=６０'], /printable ASCII/],
  ];
  for (const [what, flags, message] of refused) {
    it(`refuses ${what} before any request (upload and sync)`, async () => {
      const file = await write('a.txt', 'x');
      const up = await runCli(['upload', file, '--key', 'a.txt', ...target(), ...flags], env);
      assert.equal(up.code, 2, up.stderr);
      assert.match(up.stderr, message);
      const sync = await runCli(['sync', path.join(work), ...target(), ...flags], env);
      assert.equal(sync.code, 2, sync.stderr);
      assert.match(sync.stderr, message);
      assert.deepEqual(emu.log, [], 'the emulator saw no request');
    });
  }

  it('a resume that has to start over (the upload is gone) sends the headers recorded in the checkpoint', async () => {
    const file = await write('big.bin', randomBytes(4 * MiB));
    const rule = emu.faults.add({ operation: 'uploadPart', partNumber: 3, fault: 'status', status: 500, times: 'always' });
    const first = await runCli(
      ['upload', file, '--key', 'r/big.bin', ...target(), '--part-size', '1MiB', '--multipart-threshold', '0', '--concurrency', '1', '--retries', '0', '--header', '*.bin:Content-Disposition: attachment', '--tagging', 't=1', '--storage-class', 'STANDARD_IA'],
      env,
    );
    emu.faults.clear(rule.id);
    assert.equal(first.code, 1, first.stderr);
    const [checkpointFile] = await fs.readdir(stateDir());
    const checkpoint = JSON.parse(await fs.readFile(path.join(stateDir(), checkpointFile), 'utf8')) as Checkpoint;
    assert.deepEqual(checkpoint.object?.headerRules, [{ glob: '*.bin', headers: { 'content-disposition': 'attachment' } }]);
    assert.equal(checkpoint.object?.tagging, 't=1');
    // COS forgets the upload (lifecycle rule, someone aborted it): the resume must start over.
    const client = new CosClient({ target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url }, credentials: staticCredentials(emu.credentials) });
    await client.abortMultipartUpload('r/big.bin', checkpoint.uploadId);
    await client.close();
    emu.clearLog();
    const resumed = await runCli(['resume', '--state-dir', stateDir(), '--json'], env);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(emu.log.filter((e) => e.operation === 'initiate').length, 1, 'a new upload was begun');
    const info = emu.objectInfo('r/big.bin');
    assert.ok(info);
    assert.deepEqual(info.headers, { 'content-disposition': 'attachment' });
    assert.equal(info.tagging, 't=1');
    assert.equal(info.storageClass, 'STANDARD_IA');
  });

  it('sync --header sets headers; --update-headers sends again only the files whose headers drifted, dry run first', async () => {
    const folder = path.join(work, 'site');
    await write('site/index.html', '<p>home</p>');
    await write('site/app.css', 'body{}');
    await write('site/logo.png', randomBytes(2048));
    const base = ['sync', folder, ...target(), '--prefix', 'www', '--json'];
    const first = await runCli([...base, '--header', '*.html:Cache-Control: no-cache', '--header', '*.css:Cache-Control: max-age=600'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(emu.objectInfo('www/index.html')?.headers['cache-control'], 'no-cache');
    assert.equal(emu.objectInfo('www/app.css')?.headers['cache-control'], 'max-age=600');
    assert.equal(emu.objectInfo('www/app.css')?.contentType, 'text/css; charset=utf-8');
    assert.deepEqual(emu.objectInfo('www/logo.png')?.headers, {});

    // Only the CSS rule changes: content is the same everywhere.
    const changed = [...base, '--header', '*.html:Cache-Control: no-cache', '--header', '*.css:Cache-Control: max-age=3600'];
    emu.clearLog();
    const plain = await runCli(changed, env);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(lastJson(plain.stdout).uploaded, 0, 'without --update-headers equal content is skipped');
    assert.equal(emu.objectInfo('www/app.css')?.headers['cache-control'], 'max-age=600');

    const dry = await runCli([...changed, '--update-headers', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    const planned = dry.stdout.split('\n').filter((l) => l.includes('"planned"'));
    assert.ok(planned.some((l) => l.includes('update-headers') && l.includes('www/app.css')), dry.stdout);
    assert.ok(!planned.some((l) => l.includes('update-headers') && !l.includes('www/app.css')), dry.stdout);
    assert.equal(emu.objectInfo('www/app.css')?.headers['cache-control'], 'max-age=600', 'a dry run sends nothing');

    emu.clearLog();
    const update = await runCli([...changed, '--update-headers'], env);
    assert.equal(update.code, 0, update.stderr);
    const puts = emu.log.filter((e) => e.operation === 'putObject' || e.operation === 'initiate').map((e) => e.key);
    assert.deepEqual(puts, ['www/app.css'], 'only the drifted file went up again');
    assert.equal(emu.objectInfo('www/app.css')?.headers['cache-control'], 'max-age=3600');
    assert.equal(lastJson(update.stdout).plan && (lastJson(update.stdout).plan as Record<string, { count: number }>)['update-headers'].count, 1);
    // Sent again for its headers, not counted as an upload of a changed file.
    const summary = lastJson(update.stdout);
    assert.equal(summary.uploaded, 0);
    assert.equal(summary.headersUpdated, 1);
    assert.equal(summary.headersUpdatedBytes, Buffer.byteLength('body{}'));
    assert.equal(summary.unchanged, 2);
  });
});
