import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  credentialsFromEnv,
  DEFAULT_DEMO_PART_SIZE,
  DEFAULT_DEMO_SIZE,
  defaultStateDir,
  parseBitRate,
  parseCliArgs,
  UsageError,
  type CliCommand,
  type UploadCommand,
} from '../../src/cli/args';
import { emulatorHint } from '../../src/cli/emulator';
import {
  errorJson,
  exitCodeFor,
  formatEta,
  formatErrorLines,
  formatPartLine,
  formatProgressLine,
  partJson,
  redact,
  summaryJson,
  UploadReporter,
  type OutputStream,
} from '../../src/cli/output';
import { main } from '../../src/cli/main';
import { secretsIn } from '../../src/cli/upload';
import { ConfigError, CosError, CosServiceError, UploadAbortedError, type UploadEvent, type UploadResult } from '../../src/core';

const BASE = ['upload', 'file.bin', '--bucket', 'examplebucket-1250000000', '--region', 'ap-guangzhou'];
const SSE_C_KEY = Buffer.alloc(32, 7).toString('base64');

function upload(extra: string[] = [], env: NodeJS.ProcessEnv = {}): UploadCommand {
  const command = parseCliArgs([...BASE, ...extra], env);
  assert.equal(command.command, 'upload');
  return command as UploadCommand;
}

function usageError(argv: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}): UsageError {
  let caught: unknown;
  try {
    parseCliArgs(argv, env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof UsageError, `expected a UsageError for ${argv.join(' ')}, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  return caught;
}

describe('cli args: upload', () => {
  it('takes the key from the file name and fills defaults', () => {
    const command = upload();
    assert.equal(command.filePath, path.resolve('file.bin'));
    assert.equal(command.key, 'file.bin');
    assert.equal(command.bucket, 'examplebucket-1250000000');
    assert.equal(command.region, 'ap-guangzhou');
    assert.equal(command.endpoint, undefined);
    assert.equal(command.onCancel, 'keep');
    assert.equal(command.json, false);
    assert.equal(command.quiet, false);
    assert.deepEqual(command.options, { sse: { type: 'none' } });
  });

  it('keeps an explicit key and endpoint', () => {
    const command = upload(['--key', 'a/b/c.bin', '--endpoint', 'http://127.0.0.1:9000', '--json']);
    assert.equal(command.key, 'a/b/c.bin');
    assert.equal(command.endpoint, 'http://127.0.0.1:9000');
    assert.equal(command.json, true);
  });

  it('reads sizes with binary units and auto', () => {
    assert.equal(upload(['--part-size', '8MiB']).options.partSize, 8 * 1024 * 1024);
    assert.equal(upload(['--part-size', 'auto']).options.partSize, 'auto');
    assert.equal(upload(['--multipart-threshold', '1M']).options.multipartThreshold, 1024 * 1024);
    usageError([...BASE, '--part-size', 'eight'], /--part-size takes a size.*: eight$/);
  });

  it('fixes concurrency unless --max-concurrency allows growth', () => {
    assert.deepEqual(
      [upload(['--concurrency', '6']).options.concurrency, upload(['--concurrency', '6']).options.maxConcurrency],
      [6, 6],
    );
    assert.equal(upload(['--concurrency', '2', '--max-concurrency', '8']).options.maxConcurrency, 8);
    usageError([...BASE, '--concurrency', '8', '--max-concurrency', '2'], /at least --concurrency/);
    usageError([...BASE, '--concurrency', '0'], /--concurrency must be from 1/);
    usageError([...BASE, '--retries', '-1'], /--retries/);
  });

  it('reads the traffic limit in bits per second', () => {
    assert.equal(parseBitRate('819200'), 819200);
    assert.equal(parseBitRate('800k'), 800_000);
    assert.equal(parseBitRate('100Mbps'), 100_000_000);
    assert.equal(parseBitRate('1.5 Mbit/s'), 1_500_000);
    assert.throws(() => parseBitRate('10MB/s'), /bits per second/);
    assert.throws(() => parseBitRate('10MBps'), /bytes are not accepted/);
    assert.equal(upload(['--traffic-limit', '8M']).options.trafficLimit, 8_000_000);
  });

  it('sends Content-MD5 only with --content-md5', () => {
    assert.equal(upload([]).options.contentMd5, undefined, 'the core default (off) applies');
    assert.equal(upload(['--content-md5']).options.contentMd5, true);
  });

  it('reads SSE-C only from COS_SSE_C_KEY and never echoes it', () => {
    assert.deepEqual(upload(['--sse', 'SSE-C'], { COS_SSE_C_KEY: SSE_C_KEY }).options.sse, { type: 'SSE-C', key: SSE_C_KEY });
    usageError([...BASE, '--sse', 'sse-c'], /set COS_SSE_C_KEY/);
    const short = Buffer.alloc(16, 1).toString('base64');
    const error = usageError([...BASE, '--sse', 'SSE-C'], /exactly 32 bytes/, { COS_SSE_C_KEY: short });
    assert.ok(!error.message.includes(short));
    usageError([...BASE, '--sse-c-key', SSE_C_KEY], /Unknown option '--sse-c-key'/);
  });

  it('reads SSE-COS and SSE-KMS, encoding a JSON context as base64', () => {
    assert.deepEqual(upload(['--sse', 'sse-cos']).options.sse, { type: 'SSE-COS' });
    const context = '{"project":"demo"}';
    assert.deepEqual(upload(['--sse', 'SSE-KMS', '--sse-kms-key-id', 'kms-1', '--sse-kms-context', context]).options.sse, {
      type: 'SSE-KMS',
      kmsKeyId: 'kms-1',
      context: Buffer.from(context).toString('base64'),
    });
    usageError([...BASE, '--sse-kms-key-id', 'kms-1'], /need --sse SSE-KMS/);
    usageError([...BASE, '--sse', 'AES'], /--sse takes none, SSE-COS, SSE-KMS or SSE-C: AES/);
    usageError([...BASE, '--sse', 'SSE-KMS', '--sse-kms-context', '{oops'], /not valid JSON/);
  });

  it('collects repeated --meta and checks names', () => {
    assert.deepEqual(upload(['--meta', 'owner=alice', '--meta', 'X-Cos-Meta-Build=42']).options.metadata, { owner: 'alice', build: '42' });
    usageError([...BASE, '--meta', 'bad name=1'], /letters, digits and hyphens: bad name/);
    usageError([...BASE, '--meta', 'novalue'], /name=value/);
    usageError([...BASE, '--meta', 'a=1', '--meta', 'A=2'], /twice: a/);
  });

  it('checks storage class, content type, on-cancel and forbid-overwrite', () => {
    assert.equal(upload(['--storage-class', 'standard_ia']).options.storageClass, 'STANDARD_IA');
    usageError([...BASE, '--storage-class', 'COLD'], /--storage-class must be one of .*: COLD/);
    assert.equal(upload(['--content-type', 'text/plain; charset=utf-8']).options.contentType, 'text/plain; charset=utf-8');
    usageError([...BASE, '--content-type', 'nonsense'], /MIME type/);
    assert.equal(upload(['--on-cancel', 'abort']).onCancel, 'abort');
    usageError([...BASE, '--on-cancel', 'later'], /keep or abort: later/);
    assert.equal(upload(['--forbid-overwrite']).options.forbidOverwrite, true);
  });

  it('rejects missing pieces and unknown flags with the rule named', () => {
    usageError(['upload', '--bucket', 'b-1250000000', '--region', 'ap-guangzhou'], /Name the file to upload/);
    usageError(['upload', 'f', '--region', 'ap-guangzhou'], /Missing --bucket/);
    usageError(['upload', 'f', '--bucket', 'b-1250000000'], /Missing --region/);
    usageError([...BASE, '--frobnicate'], /Unknown option '--frobnicate'/);
    usageError([...BASE, 'second.bin'], /one file/);
    usageError([...BASE, '--endpoint', 'http://x', '--accelerate'], /either --endpoint or --accelerate/);
    usageError(['uplaod', 'f'], /Unknown command.*: uplaod/);
    usageError(['--bucket', 'x'], /Options go after the command/);
  });

  it('places checkpoints under XDG_STATE_HOME or the home folder', () => {
    assert.equal(defaultStateDir({ XDG_STATE_HOME: '/state' }, '/home/u'), path.join('/state', 'cos-upload', 'checkpoints'));
    assert.equal(defaultStateDir({}, '/home/u'), path.join('/home/u', '.cos-upload', 'checkpoints'));
    assert.equal(defaultStateDir({ XDG_STATE_HOME: 'relative' }, '/home/u'), path.join('/home/u', '.cos-upload', 'checkpoints'));
    assert.equal(upload([], {}).stateDir, defaultStateDir({}, os.homedir()));
    assert.equal(upload(['--state-dir', 'ckpt']).stateDir, path.resolve('ckpt'));
  });

  it('reads credentials from the environment only', () => {
    assert.deepEqual(credentialsFromEnv({ COS_SECRET_ID: 'id', COS_SECRET_KEY: 'key' }), { secretId: 'id', secretKey: 'key' });
    assert.deepEqual(credentialsFromEnv({ COS_SECRET_ID: 'id', COS_SECRET_KEY: 'key', COS_SESSION_TOKEN: 'tok' }), {
      secretId: 'id',
      secretKey: 'key',
      sessionToken: 'tok',
    });
    assert.throws(() => credentialsFromEnv({ COS_SECRET_ID: 'id' }), /COS_SECRET_ID and COS_SECRET_KEY must be set/);
  });
});

describe('cli args: other commands', () => {
  it('parses help and version in all their spellings', () => {
    const cases: Array<[string[], CliCommand]> = [
      [[], { command: 'help', topic: undefined }],
      [['--help'], { command: 'help' }],
      [['help', 'upload'], { command: 'help', topic: 'upload' }],
      [['upload', '--help'], { command: 'help', topic: 'upload' }],
      [['help', 'nonsense'], { command: 'help', topic: undefined }],
      [['demo', '-h'], { command: 'help', topic: 'demo' }],
      [['--version'], { command: 'version' }],
      [['-v'], { command: 'version' }],
    ];
    for (const [argv, expected] of cases) assert.deepEqual(parseCliArgs(argv, {}), expected, argv.join(' '));
  });

  it('hands emulator flags to the emulator unchanged', () => {
    assert.deepEqual(parseCliArgs(['emulator', '--port', '9000', '--dir', 'data'], {}), { command: 'emulator', argv: ['--port', '9000', '--dir', 'data'] });
    assert.deepEqual(parseCliArgs(['help', 'emulator'], {}), { command: 'emulator', argv: ['--help'] });
  });

  it('gives the demo several parts by default', () => {
    const demo = parseCliArgs(['demo'], {});
    assert.equal(demo.command, 'demo');
    if (demo.command !== 'demo') return;
    assert.equal(demo.size, DEFAULT_DEMO_SIZE);
    assert.equal(demo.options.partSize, DEFAULT_DEMO_PART_SIZE);
    assert.ok(DEFAULT_DEMO_SIZE / DEFAULT_DEMO_PART_SIZE >= 4);
    const small = parseCliArgs(['demo', '--size', '3MiB', '--part-size', '1MiB'], {});
    assert.ok(small.command === 'demo' && small.size === 3 * 1024 * 1024 && small.options.partSize === 1024 * 1024);
    assert.equal(small.options.multipartThreshold, 1024 * 1024);
  });
});

const PART: Extract<UploadEvent, { type: 'part' }> = {
  type: 'part',
  partNumber: 3,
  partCount: 12,
  bytes: 8 * 1024 * 1024,
  etag: '"0123abcd"',
  crc64: '11051210869376104954',
  requestId: 'NjQ0YjE',
  attempt: 1,
  durationMs: 411.6,
};

const RESULT: UploadResult = {
  key: 'k.bin',
  etag: '"abc-12"',
  crc64: '42',
  crc64Verified: true,
  parts: 12,
  bytes: 100,
  seconds: 1.23456,
  resumedParts: 0,
};

class Capture implements OutputStream {
  text = '';
  constructor(
    readonly isTTY = false,
    readonly columns = 200,
  ) {}
  write(text: string): boolean {
    this.text += text;
    return true;
  }
  get lines(): string[] {
    return this.text.split('\n').filter((line) => line.length > 0);
  }
}

describe('cli output', () => {
  it('formats a part line as documented', () => {
    assert.equal(formatPartLine(PART), 'part 3/12  8.0 MiB  etag="0123abcd"  request-id=NjQ0YjE  crc64=11051210869376104954  attempt 1  412 ms');
    assert.deepEqual(partJson(PART), {
      type: 'part',
      partNumber: 3,
      partCount: 12,
      bytes: 8388608,
      etag: '"0123abcd"',
      requestId: 'NjQ0YjE',
      crc64: '11051210869376104954',
      attempt: 1,
      ms: 412,
    });
  });

  it('gives the JSON summary every documented field', () => {
    const summary = summaryJson(RESULT);
    for (const field of ['key', 'uploadId', 'etag', 'crc64', 'crc64Verified', 'parts', 'bytes', 'seconds']) {
      assert.ok(field in summary, field);
    }
    assert.equal(summary.uploadId, null);
    assert.equal(summary.seconds, 1.235);
    assert.equal(summary.type, 'summary');
  });

  it('formats progress and ETA', () => {
    const line = formatProgressLine({ bytesSent: 50, bytesTotal: 200, partsDone: 1, partCount: 4, concurrency: 3, rate: 25 });
    assert.match(line, /^ 25\.0%/);
    assert.match(line, /25 B\/s/);
    assert.match(line, /ETA 0:06/);
    assert.match(line, /parts 1\/4/);
    assert.match(line, /concurrency 3/);
    // A retried part may count its bytes twice; the line never shows more than 100%.
    assert.match(formatProgressLine({ bytesSent: 300, bytesTotal: 200, partsDone: 4, partCount: 4, concurrency: 1 }), /^100\.0%.*ETA 0:00/);
    assert.equal(formatEta(undefined), '--:--');
    assert.equal(formatEta(61), '1:01');
    assert.equal(formatEta(3661), '1:01:01');
  });

  it('prints errors as "error CODE: message" with the request id once', () => {
    const service = new CosServiceError({ status: 403, cosCode: 'AccessDenied', operation: 'Initiate Multipart Upload', requestId: 'REQ-1', code: 'ACCESS_DENIED' });
    const lines = formatErrorLines(service);
    assert.match(lines[0], /^error ACCESS_DENIED: Initiate Multipart Upload failed with AccessDenied \(HTTP 403\)/);
    assert.equal(lines.join('\n').split('REQ-1').length - 1, 1);

    const network = new CosError('NETWORK', 'Upload Part 2 failed: connection refused', { requestId: 'REQ-2', cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    assert.deepEqual(formatErrorLines(network), [
      'error NETWORK: Upload Part 2 failed: connection refused',
      '  request id REQ-2',
      '  caused by Error ECONNREFUSED: connect ECONNREFUSED',
    ]);
    assert.deepEqual(errorJson(network), { type: 'error', code: 'NETWORK', message: network.message, requestId: 'REQ-2' });
    assert.match(formatErrorLines(new TypeError('boom'))[0], /^error INTERNAL: TypeError: boom$/);
  });

  it('maps errors to exit codes', () => {
    assert.equal(exitCodeFor(new UsageError('x')), 2);
    assert.equal(exitCodeFor(new ConfigError('bucket', 'x')), 2);
    assert.equal(exitCodeFor(new CosError('ACCESS_DENIED', 'x')), 1);
    assert.equal(exitCodeFor(new CosError('FILE_NOT_FOUND', 'x')), 1);
    assert.equal(exitCodeFor(new UploadAbortedError()), 130);
    assert.equal(exitCodeFor(new Error('x')), 1);
  });

  it('redacts every secret the environment holds', () => {
    const env = { COS_SECRET_ID: 'AKIDexample123', COS_SECRET_KEY: 'secretkeyexample', COS_SSE_C_KEY: SSE_C_KEY, OTHER: 'visible-value' };
    const secrets = secretsIn(env);
    assert.equal(secrets.length, 3);
    assert.equal(redact(`id AKIDexample123 key secretkeyexample sse ${SSE_C_KEY} visible-value`, secrets), 'id *** key *** sse *** visible-value');
  });
});

describe('cli UploadReporter', () => {
  const start: UploadEvent = { type: 'start', key: 'k.bin', uploadId: 'U1', fileSize: 400, partSize: 100, partCount: 4, resumedParts: 0, multipart: true, crcEngine: 'typescript' };
  const progress = (bytesSent: number, partsDone = 0): UploadEvent => ({ type: 'progress', bytesSent, bytesTotal: 400, partsDone, partCount: 4, concurrency: 2 });

  it('keeps --json stdout to JSON lines with the summary last', () => {
    const stdout = new Capture();
    const stderr = new Capture(true);
    const reporter = new UploadReporter({ stdout, stderr }, { json: true, quiet: false, destination: 'cos://b/k.bin' });
    reporter.onEvent(start);
    reporter.onEvent(progress(100));
    reporter.onEvent(PART);
    reporter.onEvent({ type: 'retry', operation: 'Upload Part 2', partNumber: 2, attempt: 1, delayMs: 250, error: new CosError('NETWORK', 'reset') });
    reporter.summary(RESULT);
    const parsed = stdout.lines.map((line) => JSON.parse(line) as { type: string });
    assert.deepEqual(parsed.map((o) => o.type), ['start', 'part', 'retry', 'summary']);
    assert.ok(!stdout.text.includes('\r'));
  });

  it('draws progress on a terminal only, throttled, and clears it around lines', () => {
    let now = 0;
    const stdout = new Capture();
    const stderr = new Capture(true);
    const reporter = new UploadReporter({ stdout, stderr }, { json: false, quiet: false, destination: 'cos://b/k.bin', now: () => now, progressIntervalMs: 200 });
    reporter.onEvent(progress(0));
    now = 50;
    reporter.onEvent(progress(50));
    now = 250;
    reporter.onEvent(progress(100));
    assert.equal(stderr.text.split('%').length - 1, 2, 'three events within 250 ms draw twice');
    assert.ok(stderr.text.includes('\r\x1b[K'), 'each redraw clears the line first');
    reporter.onEvent(PART);
    assert.match(stdout.text, /^part 3\/12/m);
    now = 300;
    reporter.onEvent(progress(400, 4));
    assert.match(stderr.text, /100\.0%[^\r]*$/, 'the final state is always drawn');
    reporter.summary({ ...RESULT, uploadId: 'U1' });
    assert.ok(stderr.text.endsWith('\r\x1b[K'), 'summary clears the progress line');
    assert.match(stdout.text, /uploaded cos:\/\/b\/k\.bin/);
    assert.match(stdout.text, /upload id {2}U1/);
  });

  it('never draws progress when stderr is not a terminal, and --quiet keeps only the summary', () => {
    const stdout = new Capture();
    const stderr = new Capture(false);
    const reporter = new UploadReporter({ stdout, stderr }, { json: false, quiet: true, destination: 'cos://b/k.bin' });
    reporter.onEvent(start);
    reporter.onEvent(progress(400, 4));
    reporter.onEvent(PART);
    reporter.summary(RESULT);
    assert.equal(stderr.text, '');
    assert.match(stdout.lines[0], /^uploaded /);
    assert.ok(!stdout.text.includes('part 3/12'));
  });

  it('with --json --quiet prints only the summary object', () => {
    const stdout = new Capture();
    const reporter = new UploadReporter({ stdout, stderr: new Capture() }, { json: true, quiet: true, destination: 'x' });
    reporter.onEvent(start);
    reporter.onEvent(PART);
    reporter.summary(RESULT);
    assert.equal(stdout.lines.length, 1);
    assert.equal((JSON.parse(stdout.lines[0]) as { type: string }).type, 'summary');
  });

  it('redacts secrets from every line it writes', () => {
    const stdout = new Capture();
    const stderr = new Capture();
    const reporter = new UploadReporter({ stdout, stderr }, { json: true, quiet: false, destination: 'x', secrets: ['TOPSECRETKEY'] });
    reporter.error(new CosError('INTERNAL', 'leaked TOPSECRETKEY here'));
    assert.ok(!stdout.text.includes('TOPSECRETKEY') && !stderr.text.includes('TOPSECRETKEY'));
    assert.match(stderr.text, /error INTERNAL: leaked \*\*\* here/);
    assert.equal((JSON.parse(stdout.lines.at(-1) ?? '{}') as { type: string }).type, 'error');
  });
});

describe('cli emulator hint', () => {
  it('shows how to point cos-upload at the emulator with its own credentials', () => {
    const lines = emulatorHint({
      url: 'http://127.0.0.1:9000',
      bucket: 'examplebucket-1250000000',
      region: 'ap-guangzhou',
      credentials: { secretId: 'EMUID', secretKey: 'EMUKEY' },
    });
    assert.ok(lines.includes('  export COS_SECRET_ID=EMUID'));
    assert.ok(lines.includes('  export COS_SECRET_KEY=EMUKEY'));
    assert.ok(lines.includes('  cos-upload upload <file> --bucket examplebucket-1250000000 --region ap-guangzhou --endpoint http://127.0.0.1:9000'));
  });
});

describe('cli main', () => {
  async function invoke(argv: string[], env: NodeJS.ProcessEnv = {}) {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await main(argv, { streams: { stdout, stderr }, env, signal: new AbortController().signal });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('shows usage on stderr and exits 2 without a command', async () => {
    const result = await invoke([]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /Usage:/);
  });

  it('prints a usage error once, with where to find help', async () => {
    const result = await invoke(['upload', 'f.bin', '--bucket', 'b-1250000000', '--region', 'ap-guangzhou', '--nope']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "error USAGE: Unknown option '--nope'\nRun cos-upload upload --help for usage.\n");
    assert.equal(result.stdout, '');
  });

  it('rejects a bad bucket and missing credentials before touching the file system or network', async () => {
    const badBucket = await invoke(['upload', 'does-not-exist.bin', '--bucket', 'Bad_Bucket', '--region', 'ap-guangzhou', '--json']);
    assert.equal(badBucket.code, 2);
    assert.match(badBucket.stderr, /^error INVALID_ARGUMENT: Bucket name is invalid/);
    assert.equal((JSON.parse(badBucket.stdout.trim()) as { code: string }).code, 'INVALID_ARGUMENT');

    const noCredentials = await invoke(['upload', __filename, '--bucket', 'examplebucket-1250000000', '--region', 'ap-guangzhou']);
    assert.equal(noCredentials.code, 2);
    assert.match(noCredentials.stderr, /^error USAGE: COS_SECRET_ID and COS_SECRET_KEY must be set/);
  });

  it('prints the version from package.json', async () => {
    const result = await invoke(['--version']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^cos-upload \d+\.\d+\.\d+/);
  });
});
