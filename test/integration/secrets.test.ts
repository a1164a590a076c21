/**
 * Secrets stay secret (core and CLI half; the extension half is test/host/suite/profiles.test.ts).
 *
 * Uploads go through a recording proxy in front of the emulator, so the test knows every
 * Authorization header the server received. Then everything the user can see is scanned for the
 * SecretKey, the session token, the SSE-C key and those signatures: the CLI's stdout and stderr of
 * successful and failed runs (human and --json, --verbose), the checkpoint files in the state
 * folder, and core errors as util.inspect prints them (message, causes and all). The request log on
 * the server side may hold signatures; our outputs never.
 *
 * The CLI also redacts known secrets as a last line of defence (replacing them with ***). The scan
 * therefore also fails on *** in the output: the core must never have produced the secret at all.
 *
 * And signatures are short-lived: every Authorization the server received was made for that
 * request, with a key-time window that started at most a minute before it arrived and lasts at
 * most 300 s.
 */

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { CosClient, CosError, FileCheckpointStore, staticCredentials, uploadFile, type Credentials, type UploadOptions } from '../../src/core';
import { findSecret } from '../faultMatrix/matrix';
import { startMutatingProxy, type MutatingProxy } from '../faultMatrix/mutatingProxy';
import { generateCredentials, startEmulator, type RunningEmulator } from '../../src/emulator';
import { baseEnv, ensureBundle, killLiveChildren, runCli, type RunResult } from './cliHarness';

const MiB = 1024 * 1024;
/** What COS requires is that the signature is valid when the request arrives; ours last 300 s (the SDK's 900 s). */
const MAX_KEY_TIME_SECONDS = 300;
const MAX_START_BEFORE_ARRIVAL_SECONDS = 60;

interface KeyTime {
  start: number;
  end: number;
  signature: string;
  ak: string;
}

function parseAuthorization(value: string): KeyTime {
  const fields = new Map(value.split('&').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as const));
  const keyTime = fields.get('q-key-time') ?? '';
  assert.equal(fields.get('q-sign-time'), keyTime, 'q-sign-time equals q-key-time');
  const [start, end] = keyTime.split(';').map(Number);
  return { start, end, signature: fields.get('q-signature') ?? '', ak: fields.get('q-ak') ?? '' };
}

describe('secrets: never in any output, and signatures short-lived', function () {
  this.timeout(60_000);
  let emu: RunningEmulator;
  let proxy: MutatingProxy;
  let work: string;
  let creds: Credentials;
  const sseKey = randomBytes(32).toString('base64');

  before(async () => {
    await ensureBundle();
    emu = await startEmulator({ credentials: generateCredentials(true) });
    proxy = await startMutatingProxy(emu.url);
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-secrets-'));
    creds = emu.credentials;
  });
  after(async () => {
    await proxy?.close();
    await emu?.close();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });
  beforeEach(() => emu.faults.clear());
  afterEach(killLiveChildren);

  /** The secret values, and every signature the server has received so far. */
  function secrets(extra: string[] = []): string[] {
    const signatures = proxy.requests.map((r) => parseAuthorization(r.headers.authorization ?? '').signature).filter((s) => s.length > 0);
    return [creds.secretKey, creds.sessionToken ?? '', sseKey, Buffer.from(sseKey, 'base64').toString('hex'), ...signatures, ...extra].filter((s) => s.length >= 8);
  }

  function assertClean(what: string, text: string, extra: string[] = []): void {
    const found = findSecret(text, secrets(extra));
    assert.equal(found, undefined, `${found} in ${what}:\n${text}`);
  }

  async function writeFile(name: string, size: number): Promise<string> {
    const file = path.join(work, name);
    await fs.writeFile(file, randomBytes(size));
    return file;
  }

  describe('signatures', () => {
    it('every Authorization the server received was made for that request, valid from at most 60 s before it arrived, for at most 300 s', async () => {
      const before = proxy.requests.length;
      const file = await writeFile('window.bin', 3 * MiB + 5);
      const store = new FileCheckpointStore(path.join(work, 'window-state'));
      const request = {
        filePath: file,
        key: 'secrets/window.bin',
        target: { bucket: emu.bucket, region: emu.region, endpoint: proxy.url },
        credentials: staticCredentials(creds),
        options: { partSize: MiB, multipartThreshold: 0, concurrency: 2, sse: { type: 'SSE-C', key: sseKey } } satisfies Partial<UploadOptions>,
        checkpoints: store,
      };
      // A retried part, an interruption and a resume: every kind of request gets signed.
      emu.faults.add({ operation: 'uploadPart', partNumber: 2, fault: 'status', status: 503, code: 'SlowDown' });
      emu.faults.add({ operation: 'uploadPart', partNumber: 4, fault: 'status', status: 400, code: 'InvalidArgument' });
      await assert.rejects(uploadFile(request));
      await uploadFile(request);
      const received = proxy.requests.slice(before);
      const operations = new Set(received.map((r) => r.operation));
      for (const op of ['initiate', 'uploadPart', 'listParts', 'complete'] as const) assert.ok(operations.has(op), `a signed ${op} was seen`);
      for (const r of received) {
        assert.ok(r.headers.authorization, `${r.method} ${r.target} is signed`);
        const t = parseAuthorization(r.headers.authorization);
        const arrived = r.receivedAt / 1000;
        assert.equal(t.ak, creds.secretId);
        assert.ok(t.end - t.start <= MAX_KEY_TIME_SECONDS, `key-time window ${t.end - t.start} s`);
        assert.ok(t.start >= arrived - MAX_START_BEFORE_ARRIVAL_SECONDS, `window starts ${Math.round(arrived - t.start)} s before the request arrived`);
        assert.ok(t.start <= arrived + 1 && t.end > arrived, 'the signature is valid when the request arrives');
        for (const [name, value] of Object.entries(r.headers)) {
          assert.ok(!value.includes(creds.secretKey), `the secret key is never sent (header ${name})`);
        }
      }
    });
  });

  describe('core errors', () => {
    it('no failure the core reports, as util.inspect prints it, holds a secret or a signature', async () => {
      const file = await writeFile('errors.bin', 2 * MiB + 1);
      const texts: string[] = [];
      const attempt = async (key: string, setup: () => void, override: Partial<Credentials> = {}, endpoint = proxy.url): Promise<void> => {
        emu.faults.clear();
        setup();
        const error = await uploadFile({
          filePath: file,
          key,
          target: { bucket: emu.bucket, region: emu.region, endpoint },
          credentials: staticCredentials({ ...creds, ...override }),
          options: { partSize: MiB, multipartThreshold: 0, retries: 1, requestTimeoutMs: 500, sse: { type: 'SSE-C', key: sseKey } },
          onEvent: (e) => e.type === 'retry' && texts.push(inspect(e.error, { depth: 8 })),
        }).then(
          () => assert.fail(`${key} was expected to fail`),
          (e: unknown) => e,
        );
        assert.ok(CosError.is(error), `${key}: ${inspect(error)}`);
        texts.push(inspect(error, { depth: 8 }), JSON.stringify(error), String(error));
      };
      await attempt('errors/500', () => emu.faults.add({ operation: 'uploadPart', partNumber: 1, fault: 'status', status: 500, times: 'always' }));
      await attempt('errors/denied', () => {}, { secretKey: 'a-wrong-secret-key-0123456789' });
      await attempt('errors/expired', () => emu.faults.add({ operation: 'uploadPart', fault: 'expiredToken', times: 'always' }));
      await attempt('errors/html', () => emu.faults.add({ operation: 'complete', fault: 'garbage' }));
      await attempt('errors/crc', () => emu.faults.add({ operation: 'complete', fault: 'wrongCrc' }));
      await attempt('errors/reset', () => emu.faults.add({ operation: 'uploadPart', fault: 'reset', at: 'request', times: 'always' }));
      await attempt('errors/stall', () => emu.faults.add({ operation: 'initiate', fault: 'stall', times: 'always' }));
      const closed = await startEmulator();
      const deadUrl = closed.url;
      await closed.close();
      await attempt('errors/refused', () => {}, {}, deadUrl);
      assert.ok(texts.length >= 8);
      for (const text of texts) assertClean('a core error', text, ['a-wrong-secret-key-0123456789']);
    });
  });

  describe('CLI output and checkpoint files', () => {
    let stateDir: string;
    let env: NodeJS.ProcessEnv;
    const outputs: Array<{ what: string; result: RunResult }> = [];

    before(() => {
      stateDir = path.join(work, 'cli-state');
      env = baseEnv({
        COS_SECRET_ID: creds.secretId,
        COS_SECRET_KEY: creds.secretKey,
        COS_SESSION_TOKEN: creds.sessionToken,
        COS_SSE_C_KEY: sseKey,
      });
    });

    const target = () => ['--bucket', emu.bucket, '--region', emu.region, '--endpoint', proxy.url, '--state-dir', stateDir];
    const upload = (file: string, key: string, extra: string[]) =>
      ['upload', file, '--key', key, ...target(), '--sse', 'SSE-C', '--part-size', '1MiB', '--multipart-threshold', '0', '--verbose', ...extra];

    async function run(what: string, args: string[], expectedCode: number, runEnv = env): Promise<RunResult> {
      const result = await runCli(args, runEnv);
      outputs.push({ what, result });
      assert.equal(result.code, expectedCode, `${what}: exit ${String(result.code)}\n${result.stderr}`);
      return result;
    }

    function assertOutputClean(what: string, result: RunResult, extra: string[] = []): void {
      for (const [stream, text] of [['stdout', result.stdout], ['stderr', result.stderr]] as const) {
        assertClean(`${what} (${stream})`, text, [creds.secretId, ...extra]);
        assert.ok(!text.includes('***'), `${what} (${stream}): the CLI had to redact something the core printed:\n${text}`);
      }
    }

    it('successful uploads, human and --json, print no secret', async () => {
      const file = await writeFile('ok.bin', 3 * MiB);
      for (const json of [false, true]) {
        const result = await run(`success${json ? ' --json' : ''}`, upload(file, `cli/ok-${json}.bin`, json ? ['--json'] : []), 0);
        assert.match(result.stdout, /etag/);
        assertOutputClean(`a successful upload${json ? ' (--json)' : ''}`, result);
      }
    });

    it('failed uploads (server errors, expired token, HTML, wrong CRC64), human and --json, print no secret', async () => {
      const file = await writeFile('fail.bin', 3 * MiB + 7);
      const cases: Array<[string, () => void, RegExp]> = [
        ['500 on every attempt', () => emu.faults.add({ operation: 'uploadPart', partNumber: 2, fault: 'status', status: 500, times: 'always' }), /SERVICE_ERROR/],
        ['expired token', () => emu.faults.add({ operation: 'uploadPart', partNumber: 3, fault: 'expiredToken', times: 'always' }), /CREDENTIALS_EXPIRED/],
        ['HTML page at Complete', () => emu.faults.add({ operation: 'complete', fault: 'garbage' }), /BAD_RESPONSE/],
        ['wrong whole-object CRC64', () => emu.faults.add({ operation: 'complete', fault: 'wrongCrc' }), /INTEGRITY/],
      ];
      for (const [what, setup, code] of cases) {
        for (const json of [false, true]) {
          emu.faults.clear();
          setup();
          const key = `cli/fail-${what.replace(/\W+/g, '-')}-${json}.bin`;
          const result = await run(`${what}${json ? ' --json' : ''}`, upload(file, key, ['--retries', '1', ...(json ? ['--json'] : [])]), 1);
          assert.match(result.stderr, code);
          assertOutputClean(`a failed upload: ${what}${json ? ' (--json)' : ''}`, result);
        }
      }
    });

    it('a wrong secret key, and an SSE-C key of the wrong length, are reported without echoing either', async () => {
      const file = await writeFile('denied.bin', 2 * MiB);
      const wrongKey = 'wrong-secret-key-0123456789abcdef';
      const denied = await run('wrong secret key', upload(file, 'cli/denied.bin', []), 1, { ...env, COS_SECRET_KEY: wrongKey });
      assert.match(denied.stderr, /SIGNATURE_MISMATCH/);
      assertOutputClean('a wrong secret key', denied, [wrongKey]);
      const shortKey = randomBytes(16).toString('base64');
      const badSse = await run('short SSE-C key', upload(file, 'cli/bad-sse.bin', []), 2, { ...env, COS_SSE_C_KEY: shortKey });
      assert.match(badSse.stderr, /32 bytes/);
      assertOutputClean('an SSE-C key of the wrong length', badSse, [shortKey]);
    });

    it('checkpoint files in the state folder hold no secret and are private to the user', async () => {
      const names = (await fs.readdir(stateDir)).filter((n) => n.endsWith('.json'));
      assert.ok(names.length >= 3, `failed uploads left checkpoints: ${names.join(', ')}`);
      for (const name of names) {
        const file = path.join(stateDir, name);
        assertClean(`checkpoint ${name}`, await fs.readFile(file, 'utf8'), [creds.secretId]);
        assert.equal((await fs.stat(file)).mode & 0o077, 0, `${name} is readable by others`);
      }
    });

    it('resume and incomplete, with --verbose, print no secret', async () => {
      emu.faults.clear();
      const resumed = await run('resume --all', ['resume', '--all', '--state-dir', stateDir, '--sse', 'SSE-C', '--verbose'], 0);
      assertOutputClean('resume --all', resumed);
      // Something left to list: an upload interrupted for good.
      const file = await writeFile('left.bin', 2 * MiB);
      emu.faults.add({ operation: 'uploadPart', partNumber: 2, fault: 'status', status: 400, code: 'InvalidArgument' });
      await run('interrupted', upload(file, 'cli/left.bin', []), 1);
      for (const json of [false, true]) {
        const listed = await run(`incomplete${json ? ' --json' : ''}`, ['incomplete', ...target(), '--verbose', ...(json ? ['--json'] : [])], 0);
        assert.match(listed.stdout, /cli\/left\.bin/);
        assertOutputClean('incomplete', listed);
      }
    });

    it('the server received signatures for all of it, and none of them was printed', () => {
      assert.ok(outputs.length >= 10, `runs scanned: ${outputs.length}`);
      const signatures = proxy.requests.filter((r) => r.headers.authorization).length;
      assert.ok(signatures > 40, `signed requests seen by the server: ${signatures}`);
      for (const { what, result } of outputs) assertOutputClean(what, result);
    });
  });

  it('a client that only lists and aborts prints nothing secret either (CosClient errors)', async () => {
    const client = new CosClient({
      target: { bucket: emu.bucket, region: emu.region, endpoint: proxy.url },
      credentials: staticCredentials({ ...creds, sessionToken: 'not-the-session-token-0123456789' }),
      retry: { retries: 0 },
    });
    try {
      const error = await client.listMultipartUploads().then(
        () => assert.fail('a wrong session token must be refused'),
        (e: unknown) => e,
      );
      assert.ok(CosError.is(error));
      assertClean('a CosClient error', inspect(error, { depth: 8 }), ['not-the-session-token-0123456789']);
    } finally {
      await client.close();
    }
  });
});
