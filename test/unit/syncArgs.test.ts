import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSyncCliArgs, type SyncCommand } from '../../src/cli/syncArgs';
import { listLocalFolder } from '../../src/core/sync/localFiles';

const T = ['--bucket', 'examplebucket-1250000000', '--region', 'ap-guangzhou'];

describe('sync arguments and folder listing', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-sync-args-'));
    const files: Record<string, string> = {
      'site/index.html': 'i',
      'site/app.js.map': 'm',
      'site/node_modules/x/y.js': 'y',
      'site/.git/HEAD': 'ref',
      'site/ignored/out.txt': 'o',
      'site/.gitignore': 'ignored/\n',
      'site/sub/keep.txt': 'k',
    };
    for (const [rel, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await fs.writeFile(path.join(dir, rel), text);
    }
    // The folder is its own repository, so .gitignore files above it do not apply.
    await fs.mkdir(path.join(dir, 'site', '.git'), { recursive: true });
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('parses sync with every sync flag', () => {
    const c = parseSyncCliArgs(['sync', path.join(dir, 'site'), ...T, '-p', 'web', '--delete', '--dry-run', '--exclude', '**/*.map', '--exclude', 'tmp', '--no-gitignore', '--max-concurrent-files', '16', '--traffic-limit', '100M', '--sse', 'SSE-COS', '--json'], {}) as SyncCommand;
    assert.equal(c.command, 'sync');
    assert.equal(c.mode, 'sync');
    assert.equal(c.prefix, 'web');
    assert.equal(c.deleteRemote, true);
    assert.equal(c.dryRun, true);
    assert.deepEqual(c.exclude, ['**/*.map', 'tmp']);
    assert.equal(c.respectGitignore, false);
    assert.equal(c.maxConcurrentFiles, 16);
    assert.equal(c.options.trafficLimit, 100_000_000);
    assert.deepEqual(c.options.sse, { type: 'SSE-COS' });
    assert.equal(c.json, true);
  });

  it('turns `upload <dir>` into a folder upload under the folder name, and leaves `upload <file>` alone', () => {
    const c = parseSyncCliArgs(['upload', path.join(dir, 'site'), ...T], {}) as SyncCommand;
    assert.equal(c.mode, 'upload-folder');
    assert.equal(c.prefix, 'site/');
    assert.equal(c.deleteRemote, false);
    assert.equal(parseSyncCliArgs(['upload', path.join(dir, 'site', 'index.html'), ...T], {}), undefined);
    assert.equal(parseSyncCliArgs(['resume', '--all'], {}), undefined);
    assert.deepEqual(parseSyncCliArgs(['sync', '--help'], {}), { command: 'help', topic: 'sync' });
  });

  it('refuses what cannot work, naming the problem', () => {
    const site = path.join(dir, 'site');
    const cases: Array<[string[], RegExp]> = [
      [['sync', ...T], /Name the folder/],
      [['sync', site, '--region', 'ap-guangzhou'], /Missing --bucket/],
      [['sync', site, ...T, '--content-type', 'text/plain'], /extensions/],
      [['upload', site, ...T, '--delete'], /use cos-upload sync <dir> --delete/],
      [['sync', site, ...T, '--max-concurrent-files', '257'], /--max-concurrent-files must be from 1 to 256/],
      [['sync', site, ...T, '--exclude', ' '], /--exclude takes a glob/],
      [['sync', site, ...T, '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [argv, message] of cases) assert.throws(() => parseSyncCliArgs(argv, {}), message, argv.join(' '));
  });

  it('lists a folder without .git, applying globs and .gitignore to local paths and to remote-only ones', async () => {
    const listing = await listLocalFolder(path.join(dir, 'site'), { exclude: ['**/*.map', '**/node_modules'] });
    assert.deepEqual(listing.files.map((f) => f.relativePath).sort(), ['.gitignore', 'index.html', 'sub/keep.txt']);
    assert.deepEqual(listing.excludedFiles.map((f) => f.relativePath).sort(), ['app.js.map', 'ignored/out.txt']);
    assert.equal(listing.isExcluded('ignored/only-remote.txt'), true, '.gitignore covers remote-only keys too');
    assert.equal(listing.isExcluded('deep/er/x.map'), true);
    assert.equal(listing.isExcluded('.git/config'), true);
    assert.equal(listing.isExcluded('sub/other.txt'), false);
    const all = await listLocalFolder(path.join(dir, 'site'), { respectGitignore: false });
    assert.ok(all.files.some((f) => f.relativePath === 'ignored/out.txt'));
    assert.ok(!all.files.some((f) => f.relativePath.startsWith('.git/')));
    await assert.rejects(listLocalFolder(path.join(dir, 'nope')), /does not exist/);
  });
});
