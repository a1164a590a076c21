import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { parseCliArgs, UsageError } from '../../src/cli/args';
import { helpText } from '../../src/cli/help';

const target = ['--bucket', 'examplebucket-1250000000', '--region', 'ap-guangzhou'];

describe('cos-upload download arguments', () => {
  it('takes a key, an optional destination and the target', () => {
    const cwd = process.cwd();
    const command = parseCliArgs(['download', 'a/b/c.iso', ...target, '--json'], {});
    assert.equal(command.command, 'download');
    if (command.command !== 'download') return;
    assert.equal(command.key, 'a/b/c.iso');
    assert.equal(command.dest, cwd);
    assert.equal(command.json, true);
    assert.equal(command.overwrite, false);
    const named = parseCliArgs(['download', 'a/b/c.iso', 'x.iso', ...target, '--overwrite'], {});
    assert.ok(named.command === 'download' && named.dest === path.resolve('x.iso') && named.overwrite);
    // A destination ending in a separator is a folder, even one that does not exist yet.
    const folder = parseCliArgs(['download', 'a/b/c.iso', 'out/', ...target], {});
    assert.ok(folder.command === 'download' && folder.dest === path.resolve('out', 'c.iso'));
  });

  it('reads the tuning flags as upload does: --concurrency alone fixes the concurrency', () => {
    const command = parseCliArgs(['download', 'k', ...target, '--part-size', '4MiB', '--concurrency', '3', '--retries', '2'], {});
    assert.ok(command.command === 'download');
    if (command.command !== 'download') return;
    assert.equal(command.options.partSize, 4 * 1024 * 1024);
    assert.equal(command.options.concurrency, 3);
    assert.equal(command.options.maxConcurrency, 3);
    assert.equal(command.options.retries, 2);
  });

  it('takes the SSE-C key from the environment and refuses SSE types a GET does not need', () => {
    const key = randomBytes(32).toString('base64');
    const command = parseCliArgs(['download', 'k', ...target, '--sse', 'SSE-C'], { COS_SSE_C_KEY: key });
    assert.ok(command.command === 'download' && command.options.sse?.type === 'SSE-C');
    assert.throws(() => parseCliArgs(['download', 'k', ...target, '--sse', 'SSE-C'], {}), /COS_SSE_C_KEY/);
    assert.throws(() => parseCliArgs(['download', 'k', ...target, '--sse', 'SSE-KMS'], {}), /only for SSE-C/);
  });

  it('reads a key ending in "/" as a prefix: the folder defaults to its last segment, "/" to the current folder', () => {
    const prefix = parseCliArgs(['download', 'photos/2024/', ...target, '--file-concurrency', '3'], {});
    assert.ok(prefix.command === 'download');
    if (prefix.command !== 'download') return;
    assert.equal(prefix.prefix, true);
    assert.equal(prefix.dest, path.resolve('2024'));
    assert.equal(prefix.fileConcurrency, 3);
    const named = parseCliArgs(['download', 'photos/2024/', 'out', ...target], {});
    assert.ok(named.command === 'download' && named.prefix && named.dest === path.resolve('out') && named.fileConcurrency === undefined);
    const root = parseCliArgs(['download', '/', ...target], {});
    assert.ok(root.command === 'download' && root.prefix && root.dest === process.cwd());
    const single = parseCliArgs(['download', 'photos/a.jpg', ...target], {});
    assert.ok(single.command === 'download' && !single.prefix);
  });

  it('refuses --file-concurrency for one object or out of range, a missing target, extra words and unknown flags', () => {
    assert.throws(() => parseCliArgs(['download', 'k', ...target, '--file-concurrency', '2'], {}), /--file-concurrency is for prefix downloads/);
    assert.throws(() => parseCliArgs(['download', 'dir/', ...target, '--file-concurrency', '0'], {}), /--file-concurrency/);
    assert.throws(() => parseCliArgs(['download', 'dir/', ...target, '--file-concurrency', '65'], {}), /--file-concurrency/);
    assert.throws(() => parseCliArgs(['download', ...target], {}), /Name the object to download/);
    assert.throws(() => parseCliArgs(['download', 'k', '--region', 'ap-guangzhou'], {}), /Missing --bucket/);
    assert.throws(() => parseCliArgs(['download', 'k', 'a', 'b', ...target], {}), UsageError);
    assert.throws(() => parseCliArgs(['download', 'k', ...target, '--multipart-threshold', '1'], {}), UsageError);
  });

  it('has its own help', () => {
    assert.deepEqual(parseCliArgs(['download', '--help'], {}), { command: 'help', topic: 'download' });
    assert.deepEqual(parseCliArgs(['help', 'download'], {}), { command: 'help', topic: 'download' });
    assert.match(helpText('download'), /Usage: cos-upload download <key> \[dest\]/);
    assert.match(helpText('download'), /cos-upload download <prefix\/> \[destDir\]/);
    assert.match(helpText('download'), /never replaced unless --overwrite/);
    assert.match(helpText(), /cos-upload download <key>/);
  });
});
