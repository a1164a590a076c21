/**
 * End-to-end tests of the shipped CLI bundle: each test spawns `node dist/cli.js` against an
 * emulator running in this process and checks exit code, output and what the server received.
 */

import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator } from '../../src/emulator';
import { baseEnv, CLI, ensureBundle, killLiveChildren, lastJson, ROOT, runCli } from './cliHarness';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

const MiB = 1024 * 1024;
const run = runCli;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('cos-upload CLI (dist/cli.js)', function () {
  this.timeout(120_000);

  let emulator: Emulator;
  let work: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    await ensureBundle();
    emulator = await startEmulator();
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-upload-cli-test-'));
    env = baseEnv({ COS_SECRET_ID: emulator.credentials.secretId, COS_SECRET_KEY: emulator.credentials.secretKey });
  });

  after(async () => {
    await emulator?.close();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  beforeEach(() => {
    emulator.faults.clear();
    emulator.clearLog();
  });

  afterEach(killLiveChildren);

  const target = () => ['--bucket', emulator.bucket, '--region', emulator.region, '--endpoint', emulator.url, '--state-dir', path.join(work, 'state')];

  async function writeFile(name: string, size: number): Promise<{ file: string; data: Buffer }> {
    const data = randomBytes(size);
    const file = path.join(work, name);
    await fs.writeFile(file, data);
    return { file, data };
  }

  for (const [label, size, expectedParts] of [
    ['an empty file', 0, 1],
    ['a 1-byte file', 1, 1],
    ['a file of several parts', 5 * MiB + 123, 6],
  ] as const) {
    it(`uploads ${label} and ends --json output with a summary matching the stored object`, async () => {
      const key = `cli/${size}.bin`;
      const { file, data } = await writeFile(`f${size}.bin`, size);
      const result = await run(['upload', file, '--key', key, ...target(), '--part-size', '1MiB', '--multipart-threshold', '1MiB', '--json'], env);
      assert.equal(result.code, 0, result.stderr);

      const lines = result.stdout.trim().split('\n');
      const objects = lines.map((line) => JSON.parse(line) as Record<string, unknown>); // every stdout line is JSON
      const summary = lastJson(result.stdout);
      assert.equal(summary.type, 'summary');
      assert.equal(summary.key, key);
      assert.equal(summary.bytes, size);
      assert.equal(summary.parts, expectedParts);
      assert.equal(typeof summary.seconds, 'number');
      assert.equal(summary.crc64Verified, true);
      // A file under the threshold goes up in one Put Object, reported as part 1/1.
      assert.equal(objects.filter((o) => o.type === 'part').length, expectedParts);

      assert.equal(await emulator.objectSha256(key), sha256(data));
      const stored = emulator.objectInfo(key);
      assert.ok(stored, 'the emulator holds the object');
      assert.equal(summary.etag, stored.etag);
      assert.equal(summary.crc64, stored.crc64);
      assert.equal(stored.size, size);
      if (size > MiB) {
        assert.equal(typeof summary.uploadId, 'string');
        assert.match(String(summary.etag), new RegExp(`-${expectedParts}"$`));
      }
    });
  }

  it('prints one human line per part with ETag and request id, then a summary', async () => {
    const { file } = await writeFile('human.bin', 3 * MiB);
    const result = await run(['upload', file, '--key', 'cli/human.bin', ...target(), '--part-size', '1MiB', '--multipart-threshold', '1MiB', '--concurrency', '2'], env);
    assert.equal(result.code, 0, result.stderr);
    const partLines = result.stdout.split('\n').filter((line) => line.startsWith('part '));
    assert.equal(partLines.length, 3);
    for (const line of partLines) assert.match(line, /^part [123]\/3 {2}1\.0 MiB {2}etag="[^"]+" {2}request-id=\S+ {2}crc64=\d+ {2}attempt 1 {2}\d+ ms$/);
    assert.match(result.stdout, /uploaded cos:\/\/.+\/cli\/human\.bin/);
    // The liblzma binding npm install built, beside the bundle: the fastest CRC64 engine.
    assert.match(result.stdout, /^uploading 3\.0 MiB .* in 3 parts of 1\.0 MiB, crc64 liblzma$/m);
    // stderr is a pipe here, not a terminal: no progress line.
    assert.ok(!result.stderr.includes('\r'), result.stderr);
  });

  it('fails with SIGNATURE_MISMATCH on a wrong secret, without a retry storm', async () => {
    const { file } = await writeFile('denied.bin', 3 * MiB);
    const wrong = { ...env, COS_SECRET_KEY: 'wrong-secret-key-value' };
    const result = await run(['upload', file, '--key', 'cli/denied.bin', ...target(), '--part-size', '1MiB', '--multipart-threshold', '1MiB', '--verbose'], wrong);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^error SIGNATURE_MISMATCH: .*SignatureDoesNotMatch.*the SecretKey is wrong/m);
    for (const secret of ['wrong-secret-key-value', emulator.credentials.secretId]) {
      assert.ok(!result.stderr.includes(secret) && !result.stdout.includes(secret), 'no secret in the output');
    }
    assert.ok(emulator.log.length <= 2, `requests sent: ${emulator.log.length}`);
  });

  it('fails with INVALID_SECRET_ID on an unknown SecretId, saying which credential to fix', async () => {
    const { file } = await writeFile('unknown-id.bin', 2 * MiB);
    const wrong = { ...env, COS_SECRET_ID: 'AKIDunknownSecretId0123456789' };
    const result = await run(['upload', file, '--key', 'cli/unknown-id.bin', ...target(), '--part-size', '1MiB', '--multipart-threshold', '1MiB'], wrong);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^error INVALID_SECRET_ID: .*InvalidAccessKeyId.*COS does not know this SecretId/m);
    assert.ok(!result.stderr.includes(emulator.credentials.secretKey), 'no secret in the output');
  });

  it('reports a missing file clearly and sends no request', async () => {
    const missing = path.join(work, 'nope.bin');
    const result = await run(['upload', missing, ...target()], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error FILE_NOT_FOUND: .*nope\.bin$/m);
    assert.equal(emulator.log.length, 0);
  });

  it('rejects a bad bucket name with the rule named and sends no request', async () => {
    const { file } = await writeFile('bucket.bin', 10);
    const result = await run(['upload', file, '--bucket', 'NoAppId', '--region', emulator.region, '--endpoint', emulator.url], env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error INVALID_ARGUMENT: .*[Bb]ucket/m);
    assert.match(result.stderr, /appid|APPID|AppId/);
    assert.equal(emulator.log.length, 0);
  });

  it('asks for credentials when they are not set, and for flags it does not know', async () => {
    const { file } = await writeFile('nocred.bin', 10);
    const noCreds = await run(['upload', file, ...target()], baseEnv());
    assert.equal(noCreds.code, 2);
    assert.match(noCreds.stderr, /COS_SECRET_ID and COS_SECRET_KEY must be set/);
    const unknown = await run(['upload', file, ...target(), '--secret-key', 'x'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--secret-key'/);
    assert.equal(emulator.log.length, 0);
  });

  it('finishes the upload quietly when its output pipe closes early (`| head -1`)', async () => {
    const { file, data } = await writeFile('piped.bin', 6 * MiB);
    const args = ['upload', file, '--key', 'cli/piped.bin', ...target(), '--part-size', '1MiB', '--multipart-threshold', '1MiB', '--concurrency', '1'];
    let closed = false;
    const result = await run(args, env, {
      onStdout: (stdout, child) => {
        if (!closed && stdout.includes('part 1/6')) {
          closed = true;
          child.stdout?.destroy();
        }
      },
    });
    assert.ok(closed, 'the reader went away after the first part line');
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /EPIPE|Unhandled/);
    assert.equal(await emulator.objectSha256('cli/piped.bin'), sha256(data));
  });

  it('cancels on Ctrl-C keeping a checkpoint, then resumes with the same command', async () => {
    const { file, data } = await writeFile('resume.bin', 4 * MiB);
    const args = ['upload', file, '--key', 'cli/resume.bin', ...target(), '--part-size', '1MiB', '--multipart-threshold', '1MiB', '--concurrency', '1', '--json'];
    // Part 1 goes through; later parts hang until the client gives up.
    emulator.faults.add({ operation: 'uploadPart', fault: 'stall', after: 1, times: 'always' });
    let interrupted = false;
    const first = await run(args, env, {
      onStdout: (stdout, child) => {
        if (!interrupted && stdout.includes('"type":"part"')) {
          interrupted = true;
          setTimeout(() => child.kill('SIGINT'), 200);
        }
      },
    });
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, /error ABORTED/);
    assert.match(first.stderr, /Run the same command again to resume/);
    assert.equal(lastJson(first.stdout).type, 'error');
    assert.equal((await fs.readdir(path.join(work, 'state'))).filter((n) => n.endsWith('.json')).length, 1, 'one checkpoint kept');

    emulator.faults.clear();
    const second = await run(args, env);
    assert.equal(second.code, 0, second.stderr);
    const summary = lastJson(second.stdout);
    assert.ok((summary.resumedParts as number) >= 1, `resumed parts: ${String(summary.resumedParts)}`);
    assert.equal(summary.parts, 4);
    assert.equal(await emulator.objectSha256('cli/resume.bin'), sha256(data));
    assert.equal((await fs.readdir(path.join(work, 'state'))).filter((n) => n.endsWith('.json')).length, 0, 'checkpoint removed after success');
  });

  it('`emulator` prints a URL and credentials that work, and stops on Ctrl-C', async () => {
    const dir = path.join(work, 'emu-data');
    // --control: the request log below is read over the control API.
    const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0', '--dir', dir, '--control'], { env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let banner = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          banner += chunk;
          if (banner.includes('cos-upload upload <file>')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`emulator exited early with ${String(code)}`)));
      });
      const url = /listening: (http:\/\/\S+)/.exec(banner)?.[1];
      const bucket = /--bucket (\S+)/.exec(banner)?.[1];
      const region = /--region (\S+)/.exec(banner)?.[1];
      const secretId = /COS_SECRET_ID=(\S+)/.exec(banner)?.[1];
      const secretKey = /COS_SECRET_KEY=(\S+)/.exec(banner)?.[1];
      assert.ok(url && bucket && region && secretId && secretKey, banner);

      const { file, data } = await writeFile('via-emulator-command.bin', 2 * MiB + 5);
      const upload = await run(
        ['upload', file, '--key', 'spawned.bin', '--bucket', bucket, '--region', region, '--endpoint', url, '--state-dir', path.join(work, 'state2'), '--json'],
        baseEnv({ COS_SECRET_ID: secretId, COS_SECRET_KEY: secretKey }),
      );
      assert.equal(upload.code, 0, upload.stderr);
      assert.equal(lastJson(upload.stdout).bytes, data.length);

      const log = (await (await fetch(`${url}/_emulator/log`)).json()) as Array<{ key: string; status: number }>;
      assert.ok(log.some((entry) => entry.key === 'spawned.bin' && entry.status === 200), 'the spawned emulator served the upload');

      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('`demo` uploads, verifies and prints "demo OK"', async () => {
    const result = await run(['demo'], baseEnv());
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^demo OK$/m);
    assert.equal(result.stdout.split('\n').filter((line) => /^part \d+\/6 /.test(line)).length, 6);
    assert.match(result.stdout, /sha256 [0-9a-f]{64} equals/);
  });

  it('prints help and version', async () => {
    const help = await run(['--help'], baseEnv());
    assert.equal(help.code, 0);
    assert.match(help.stdout, /cos-upload upload <file> --bucket <name-appid> --region <region>/);
    const version = await run(['--version'], baseEnv());
    assert.equal(version.code, 0);
    const manifest = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), `cos-upload ${manifest.version}`);
  });
});
