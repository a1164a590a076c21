import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCliArgs, UsageError, type IncompleteCommand, type ResumeCommand } from '../../src/cli/args';
import { formatAge, formatUploadLine, selectOlderThan, uploadJson, type IncompleteUpload } from '../../src/cli/incomplete';
import { mapLimit } from '../../src/core/mapLimit';
import { main } from '../../src/cli/main';
import { formatRestartedLine, UploadReporter, type OutputStream } from '../../src/cli/output';
import { aliasedStore, checkpointJson, failureHint, formatCheckpointLine, quoteArg, restartPartSize, targetForCheckpoint } from '../../src/cli/resume';
import { checkpointId, CosError, FileCheckpointStore, type Checkpoint, type CheckpointStore } from '../../src/core';

const MiB = 1024 * 1024;
const DAY = 24 * 60 * 60 * 1000;
const TARGET = ['--bucket', 'examplebucket-1250000000', '--region', 'ap-guangzhou'];

class Capture implements OutputStream {
  text = '';
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

function usageError(argv: string[], pattern: RegExp): void {
  assert.throws(() => parseCliArgs(argv, {}), (error: unknown) => error instanceof UsageError && pattern.test(error.message));
}

function checkpoint(overrides: Partial<Checkpoint> = {}): Checkpoint {
  return {
    version: 1,
    uploadId: '1700000000abcdef',
    bucket: 'examplebucket-1250000000',
    region: 'ap-guangzhou',
    key: 'dir/file.bin',
    filePath: '/data/file.bin',
    fileSize: 16 * MiB,
    fileMtimeMs: 1_700_000_000_000,
    partSize: MiB,
    partCount: 16,
    parts: [
      { partNumber: 1, size: MiB, etag: '"a"', crc64: '1' },
      { partNumber: 2, size: MiB, etag: '"b"', crc64: '2' },
    ],
    createdAt: '2024-05-01T10:00:00.000Z',
    updatedAt: '2024-05-01T10:00:05.000Z',
    ...overrides,
  };
}

describe('cli args: resume', () => {
  it('fills defaults and resolves the file', () => {
    const command = parseCliArgs(['resume', 'some/file.bin', '--state-dir', 'st'], {}) as ResumeCommand;
    assert.equal(command.command, 'resume');
    assert.equal(command.filePath, path.resolve('some/file.bin'));
    assert.equal(command.stateDir, path.resolve('st'));
    assert.deepEqual(
      { all: command.all, list: command.list, restart: command.restart, onCancel: command.onCancel, json: command.json },
      { all: false, list: false, restart: false, onCancel: 'keep', json: false },
    );
    assert.deepEqual(command.options, { sse: { type: 'none' } });
    const bare = parseCliArgs(['resume'], { XDG_STATE_HOME: '/xdg' }) as ResumeCommand;
    assert.equal(bare.filePath, undefined);
    assert.equal(bare.stateDir, path.join('/xdg', 'cos-upload', 'checkpoints'));
  });

  it('takes --all, --restart, tuning and object options', () => {
    const command = parseCliArgs(['resume', '--all', '--restart', '--concurrency', '3', '--retries', '9', '--storage-class', 'standard_ia', '--json'], {}) as ResumeCommand;
    assert.equal(command.all, true);
    assert.equal(command.restart, true);
    assert.equal(command.options.concurrency, 3);
    assert.equal(command.options.maxConcurrency, 3);
    assert.equal(command.options.retries, 9);
    assert.equal(command.options.storageClass, 'STANDARD_IA');
    assert.equal(command.json, true);
  });

  it('rejects contradictory selections', () => {
    usageError(['resume', 'a.bin', '--all'], /either a file or --all/);
    usageError(['resume', 'a.bin', 'b.bin'], /at most one file/);
    usageError(['resume', '--list', '--restart'], /--list only lists/);
    usageError(['resume', '--bucket', 'x'], /Unknown option '--bucket'/);
  });

  it('has its own help', () => {
    assert.deepEqual(parseCliArgs(['resume', '--help'], {}), { command: 'help', topic: 'resume' });
    assert.deepEqual(parseCliArgs(['help', 'incomplete'], {}), { command: 'help', topic: 'incomplete' });
  });
});

describe('cli args: incomplete', () => {
  it('lists by default, with an optional prefix', () => {
    const command = parseCliArgs(['incomplete', ...TARGET, '--prefix', 'logs/', '--json'], {}) as IncompleteCommand;
    assert.equal(command.command, 'incomplete');
    assert.deepEqual(command.action, { type: 'list' });
    assert.equal(command.prefix, 'logs/');
    assert.equal(command.json, true);
  });

  it('reads --abort with or without --key, and --abort-older-than in days', () => {
    assert.deepEqual((parseCliArgs(['incomplete', ...TARGET, '--abort', 'UID', '--key', 'a/b'], {}) as IncompleteCommand).action, {
      type: 'abort',
      uploadId: 'UID',
      key: 'a/b',
      dryRun: false,
    });
    assert.deepEqual((parseCliArgs(['incomplete', ...TARGET, '--abort', 'UID'], {}) as IncompleteCommand).action, { type: 'abort', uploadId: 'UID', dryRun: false });
    assert.deepEqual((parseCliArgs(['incomplete', ...TARGET, '--abort-older-than', '0.5', '--dry-run'], {}) as IncompleteCommand).action, {
      type: 'abort-older-than',
      days: 0.5,
      dryRun: true,
    });
    assert.equal((parseCliArgs(['incomplete', ...TARGET, '--retries', '2'], {}) as IncompleteCommand).retries, 2);
  });

  it('rejects missing targets and flags that do not go together', () => {
    usageError(['incomplete', '--region', 'ap-guangzhou'], /Missing --bucket/);
    usageError(['incomplete', ...TARGET, '--abort', 'U', '--abort-older-than', '1'], /either --abort/);
    usageError(['incomplete', ...TARGET, '--abort-older-than=-1'], /number of days/);
    usageError(['incomplete', ...TARGET, '--abort-older-than', 'week'], /number of days/);
    usageError(['incomplete', ...TARGET, '--dry-run'], /--dry-run goes with/);
    usageError(['incomplete', ...TARGET, '--key', 'k'], /--key goes with --abort/);
    usageError(['incomplete', ...TARGET, 'file.bin'], /takes no file/);
    usageError(['incomplete', ...TARGET, '--abort', ' '], /--abort takes the upload id/);
  });
});

describe('cli incomplete helpers', () => {
  const now = Date.parse('2024-05-10T00:00:00.000Z');
  const upload = (key: string, initiated?: string, bytes?: number): IncompleteUpload => ({
    key,
    uploadId: `id-${key}`,
    ...(initiated ? { initiated } : {}),
    ...(bytes !== undefined ? { parts: 2, bytes } : { partsError: 'ACCESS_DENIED' }),
  });

  it('formats ages in a readable unit', () => {
    assert.equal(formatAge(40_000), '40 s');
    assert.equal(formatAge(12 * 60_000), '12 min');
    assert.equal(formatAge(5 * 3600_000), '5.0 h');
    assert.equal(formatAge(3.2 * DAY), '3.2 days');
    assert.equal(formatAge(-5), '0 s');
  });

  it('selects uploads by age; 0 days takes every one, even without a time', () => {
    const uploads = [upload('old', '2024-05-01T00:00:00.000Z', 1), upload('new', '2024-05-09T12:00:00.000Z', 1), upload('unknown'), upload('future', '2024-05-10T00:00:01.000Z', 1)];
    assert.deepEqual(selectOlderThan(uploads, 1, now).map((u) => u.key), ['old']);
    assert.deepEqual(selectOlderThan(uploads, 0.25, now).map((u) => u.key), ['old', 'new']);
    assert.deepEqual(selectOlderThan(uploads, 0, now).map((u) => u.key), ['old', 'new', 'unknown', 'future']);
  });

  it('prints one line and one JSON object per upload', () => {
    const sized = { ...upload('a.bin', '2024-05-07T00:00:00.000Z', 2 * MiB), local: { checkpointId: 'cp', filePath: '/x/a.bin' } };
    assert.equal(formatUploadLine(sized, now), '2024-05-07T00:00:00.000Z  3.0 days  2.0 MiB in 2 parts  a.bin  upload id id-a.bin');
    assert.match(formatUploadLine(upload('b.bin'), now), /^initiated \? {2}\? {2}size unknown \(ACCESS_DENIED\)/);
    assert.deepEqual(uploadJson(sized, now), {
      type: 'upload',
      key: 'a.bin',
      uploadId: 'id-a.bin',
      initiated: '2024-05-07T00:00:00.000Z',
      ageDays: 3,
      parts: 2,
      bytes: 2 * MiB,
      localFile: '/x/a.bin',
      checkpointId: 'cp',
    });
    assert.equal(uploadJson(upload('b.bin'), now, 'aborted').bytes, null);
  });

  it('maps with bounded concurrency, keeping order', async () => {
    let running = 0;
    let peak = 0;
    const result = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running--;
      return n * 10;
    });
    assert.deepEqual(result, [50, 10, 40, 20, 30]);
    assert.equal(peak, 2);
    assert.deepEqual(await mapLimit([], 4, async () => 1), []);
  });
});

describe('cli resume helpers', () => {
  it('recovers the accelerate flag from the checkpoint id', () => {
    const c = checkpoint();
    const plain = { bucket: c.bucket, region: c.region };
    assert.deepEqual(targetForCheckpoint(checkpointId(plain, c.key, c.filePath), c), plain);
    assert.deepEqual(targetForCheckpoint(checkpointId({ ...plain, accelerate: true }, c.key, c.filePath), c), { ...plain, accelerate: true });
    const custom = checkpoint({ endpoint: 'http://127.0.0.1:9000' });
    assert.equal(targetForCheckpoint('whatever', custom).endpoint, 'http://127.0.0.1:9000');
  });

  it('validates what a checkpoint says before using it', () => {
    assert.throws(() => targetForCheckpoint('x', checkpoint({ bucket: 'Bad_Bucket' })), (e: unknown) => CosError.is(e) && e.code === 'INVALID_ARGUMENT');
    assert.throws(() => targetForCheckpoint('x', checkpoint({ endpoint: 'ftp://example.com' })), (e: unknown) => CosError.is(e) && e.code === 'INVALID_ARGUMENT');
  });

  it('presents a renamed checkpoint under the id the core computes', async () => {
    const saved = new Map<string, Checkpoint>([['stored', checkpoint()]]);
    const removed: string[] = [];
    const inner: CheckpointStore = {
      load: async (id) => saved.get(id),
      save: async (id, value) => void saved.set(id, value),
      remove: async (id) => void removed.push(id),
      list: async () => [...saved].map(([id, value]) => ({ id, checkpoint: value })),
    };
    assert.equal(aliasedStore(inner, 'same', 'same'), inner);
    const alias = aliasedStore(inner, 'stored', 'computed');
    assert.equal((await alias.load('computed'))?.uploadId, '1700000000abcdef');
    await alias.save('computed', checkpoint({ uploadId: 'new' }));
    assert.equal(saved.get('stored')?.uploadId, 'new');
    assert.ok(!saved.has('computed'));
    await alias.remove('computed');
    assert.deepEqual(removed, ['stored']);
  });

  it('keeps the part size for a restart unless the file outgrew it', () => {
    assert.equal(restartPartSize(checkpoint(), 20 * MiB), MiB);
    assert.equal(restartPartSize(checkpoint(), 10000 * MiB), MiB);
    assert.equal(restartPartSize(checkpoint(), 10000 * MiB + 1), 'auto');
  });

  it('describes a checkpoint in one line and as JSON', () => {
    const entry = { id: 'cp1', checkpoint: checkpoint() };
    assert.equal(
      formatCheckpointLine(entry),
      '/data/file.bin → cos://examplebucket-1250000000/dir/file.bin  2/16 parts (2.0 MiB of 16.0 MiB)  upload id 1700000000abcdef  updated 2024-05-01T10:00:05.000Z',
    );
    const json = checkpointJson(entry);
    assert.equal(json.partsDone, 2);
    assert.equal(json.bytesDone, 2 * MiB);
    assert.equal(json.endpoint, null);
    assert.ok(!JSON.stringify(json).toLowerCase().includes('secret'));
  });

  it('quotes paths only when a shell would split them', () => {
    assert.equal(quoteArg('/data/file-1.bin'), '/data/file-1.bin');
    assert.equal(quoteArg('/data/my file.bin'), "'/data/my file.bin'");
    assert.equal(quoteArg("/it's.bin"), "'/it'\\''s.bin'");
  });

  it('suggests --restart for a changed file and aborting for a vanished one', () => {
    const c = checkpoint({ filePath: '/data/my file.bin' });
    const command = { stateDir: '/st', onCancel: 'keep' as const };
    const changed = failureHint(new CosError('FILE_CHANGED', 'changed'), c, command);
    assert.ok(changed?.includes("cos-upload resume '/data/my file.bin' --restart --state-dir /st"), changed);
    assert.match(changed ?? '', /Nothing was merged/);
    const missing = failureHint(new CosError('FILE_NOT_FOUND', 'gone'), c, command);
    assert.ok(missing?.includes('cos-upload incomplete --abort 1700000000abcdef --key dir/file.bin --bucket examplebucket-1250000000'), missing);
    assert.match(failureHint(new CosError('NETWORK', 'refused', { retryable: true }), c, command) ?? '', /run cos-upload resume .* again/);
    assert.equal(failureHint(new CosError('ACCESS_DENIED', 'no'), c, command), undefined);
    assert.equal(failureHint(new Error('plain'), c, command), undefined);
  });
});

describe('cli output: restarts', () => {
  const event = { type: 'restarted' as const, reason: 'the server no longer knows the upload (NoSuchUpload)', previousUploadId: 'OLD' };

  it('says plainly that an upload starts over', () => {
    assert.equal(formatRestartedLine(event), 'starting over: the server no longer knows the upload (NoSuchUpload); upload OLD is not resumed and every part is sent again');
  });

  it('prints a restart on stderr, and as a JSON line under --json', () => {
    const human = { stdout: new Capture(), stderr: new Capture() };
    new UploadReporter(human, { json: false, quiet: false, destination: 'cos://b/k' }).onEvent(event);
    assert.equal(human.stdout.text, '');
    assert.match(human.stderr.text, /^starting over: .*NoSuchUpload/);
    const json = { stdout: new Capture(), stderr: new Capture() };
    new UploadReporter(json, { json: true, quiet: false, destination: 'cos://b/k' }).onEvent(event);
    assert.deepEqual(JSON.parse(json.stdout.text), { type: 'restarted', reason: event.reason, previousUploadId: 'OLD' });
  });
});

describe('cli main: resume and incomplete', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-cli-resume-unit-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function invoke(argv: string[], env: NodeJS.ProcessEnv = {}) {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await main(argv, { streams: { stdout, stderr }, env, signal: new AbortController().signal });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('has nothing to resume in an empty state folder, and says so', async () => {
    const result = await invoke(['resume', '--state-dir', path.join(dir, 'empty')]);
    assert.equal(result.code, 0);
    assert.match(result.stderr, /^Nothing to resume: no interrupted uploads in /);
    assert.equal(result.stdout, '');
  });

  it('lists checkpoints without credentials, and asks for them before resuming', async () => {
    const stateDir = path.join(dir, 'one');
    const store = new FileCheckpointStore(stateDir);
    await store.save('cp1', checkpoint({ filePath: path.join(dir, 'missing.bin') }));
    const listed = await invoke(['resume', '--list', '--json', '--state-dir', stateDir]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal((JSON.parse(listed.stdout) as { id: string }).id, 'cp1');

    const noCredentials = await invoke(['resume', '--state-dir', stateDir]);
    assert.equal(noCredentials.code, 2);
    assert.match(noCredentials.stderr, /COS_SECRET_ID and COS_SECRET_KEY must be set/);

    // The file is gone: reported before any request, with how to stop paying for the parts.
    const gone = await invoke(['resume', '--state-dir', stateDir, '--json'], { COS_SECRET_ID: 'AKIDEXAMPLEEXAMPLE', COS_SECRET_KEY: 'examplekeyexamplekey' });
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^error FILE_NOT_FOUND: The file of this interrupted upload no longer exists/m);
    assert.match(gone.stderr, /cos-upload incomplete --abort 1700000000abcdef/);
    assert.equal((JSON.parse(gone.stdout.trim()) as { code: string }).code, 'FILE_NOT_FOUND');
    assert.ok(!gone.stderr.includes('examplekeyexamplekey'));
    assert.equal((await store.list()).length, 1, 'the checkpoint is kept');
  });

  it('asks for credentials for incomplete before any request', async () => {
    const result = await invoke(['incomplete', ...TARGET]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /COS_SECRET_ID and COS_SECRET_KEY must be set/);
  });
});
