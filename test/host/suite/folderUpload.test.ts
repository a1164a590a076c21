import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { UploadCommandResult } from '../../../src/extension/commands/upload';
import type { UploadOutcome } from '../../../src/extension/uploads/uploadManager';
import { emulatorControl, emulatorLog, hostSuite, MiB, sha256, testEnv, waitFor, withSettings, workspaceFile } from './extensionHelpers';
import { objectSha256 } from './resumeHelpers';

const PROFILE = 'folders';
const PREFIX = 'folders/';

/** Writes `files` (workspace-relative path → content) and returns their SHA-256 by path. */
async function writeTree(files: Record<string, string | number>): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const [relative, content] of Object.entries(files)) {
    if (typeof content === 'number') {
      hashes.set(relative, (await workspaceFile(relative, content)).sha256);
      continue;
    }
    const file = path.join(testEnv().workspace, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
    hashes.set(relative, sha256(Buffer.from(content)));
  }
  return hashes;
}

function folderUri(relative: string): vscode.Uri {
  return vscode.Uri.file(path.join(testEnv().workspace, relative));
}

/** Keys under `prefix` the emulator stored (Put Object or Complete answered 200) since log entry `from`. */
async function keysStoredSince(from: number, prefix: string): Promise<string[]> {
  const log = (await emulatorLog()).slice(from);
  const stored = log.filter((e) => (e.operation === 'putObject' || e.operation === 'complete') && e.status === 200 && !e.interrupted && e.key.startsWith(prefix));
  return [...new Set(stored.map((e) => e.key))].sort();
}

function outcomes(result: UploadCommandResult): UploadOutcome[] {
  return result.filter((o): o is UploadOutcome => o.status !== 'skipped');
}

describe('folder and multi-file uploads', function () {
  this.timeout(120_000);

  // Its profile is removed at the end: later suites pick "the only profile" from the Explorer.
  const host = hostSuite({ profile: PROFILE, profileFields: { prefix: PREFIX }, settings: { partSize: 1, multipartThreshold: 1, concurrency: 3 } });

  it('uploads a folder recursively, byte-identical, without excluded, files.exclude-d and gitignored files', async () => {
    const hashes = await writeTree({
      'tree/a.txt': 'alpha\n',
      'tree/.gitignore': '*.log\nsecret/\n',
      'tree/sub/b.bin': 2 * MiB + 333,
      'tree/sub/deep/c.txt': 'gamma\n',
      'tree/sub/deep/.gitignore': '!keep.log\n',
      'tree/sub/deep/keep.log': 're-included by the deeper .gitignore\n',
      'tree/debug.log': 'ignored by tree/.gitignore\n',
      'tree/secret/key.pem': 'ignored folder\n',
      'tree/node_modules/pkg/index.js': 'excluded by the default cosUpload.excludeGlobs\n',
      'tree/scratch.tmp': 'excluded by a braced glob\n',
      'tree/old.bak': 'excluded by a braced glob\n',
      'tree/notes.hidden': 'excluded by files.exclude\n',
    });
    const restore = await withSettings({ excludeGlobs: ['**/node_modules/**', '**/.git/**', '**/*.{tmp,bak}'] });
    const filesConfig = vscode.workspace.getConfiguration('files');
    const previousExclude = filesConfig.inspect<Record<string, boolean>>('exclude')?.globalValue;
    await filesConfig.update('exclude', { ...(previousExclude ?? {}), '**/*.hidden': true }, vscode.ConfigurationTarget.Global);
    const logFrom = (await emulatorLog()).length;
    const said: string[] = [];
    host.api.prompts.set({ message: (request) => void said.push(request.message) });
    let result: UploadCommandResult;
    try {
      result = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: folderUri('tree'), profile: PROFILE, overwrite: true });
    } finally {
      await filesConfig.update('exclude', previousExclude, vscode.ConfigurationTarget.Global);
      await restore();
    }
    const expected = ['tree/.gitignore', 'tree/a.txt', 'tree/sub/b.bin', 'tree/sub/deep/.gitignore', 'tree/sub/deep/c.txt', 'tree/sub/deep/keep.log'];
    assert.deepEqual(
      result.map((o) => [o.status, o.job.key]).sort(),
      expected.map((p) => ['completed', `${PREFIX}${p}`]),
    );
    // Exactly these keys reached the emulator, each with the file's bytes.
    assert.deepEqual(await keysStoredSince(logFrom, `${PREFIX}tree/`), expected.map((p) => `${PREFIX}${p}`));
    for (const p of expected) assert.equal(await objectSha256(`${PREFIX}${p}`), hashes.get(p), `${p} differs in the bucket`);
    const big = outcomes(result).find((o) => o.job.key.endsWith('sub/b.bin'));
    assert.equal(big?.result?.parts, 3, 'the 2 MiB file did not go as a multipart upload');
    const lines = host.api.log.lines();
    assert.ok(lines.some((l) => l.includes('folder folder=tree files=6') && l.includes('gitignored=2')), `no folder line in the log:\n${lines.slice(-20).join('\n')}`);
    assert.ok(lines.some((l) => /batch bucket=\S+ uploaded=6 failed=0 /.test(l)), 'no batch summary line in the log');
    // The summary says what was left out, and why.
    const summary = await waitFor('the summary', () => said.find((m) => m.startsWith('6 uploaded')), 5000);
    assert.equal(summary, '6 uploaded, 6 skipped: 2 ignored by .gitignore; 1 excluded by files.exclude; 3 excluded by cosUpload.excludeGlobs.');
  });

  it('reads .gitignore and .git/info/exclude of a repository; uploads all with respectGitignore off, and a selected ignored folder whole', async () => {
    await writeTree({
      'tree2/.git/HEAD': 'ref: refs/heads/main\n',
      'tree2/.git/info/exclude': 'local-only.txt\n',
      'tree2/.gitignore': '*.log\nbuild/\n',
      'tree2/app.log': 'log\n',
      'tree2/main.txt': 'main\n',
      'tree2/local-only.txt': 'excluded by .git/info/exclude\n',
      'tree2/build/out.js': 'built\n',
      'tree2/build/app.log': 'a log inside the build folder\n',
    });
    const keys = (result: UploadCommandResult) => result.map((o) => o.job.key).sort();
    const tracked = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: folderUri('tree2'), profile: PROFILE, overwrite: true });
    // .git itself is left out by the default cosUpload.excludeGlobs.
    assert.deepEqual(keys(tracked), ['tree2/.gitignore', 'tree2/main.txt'].map((p) => `${PREFIX}${p}`));

    const restore = await withSettings({ respectGitignore: false });
    let all: UploadCommandResult;
    try {
      all = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: folderUri('tree2'), profile: PROFILE, overwrite: true });
    } finally {
      await restore();
    }
    assert.deepEqual(
      keys(all),
      ['tree2/.gitignore', 'tree2/app.log', 'tree2/build/app.log', 'tree2/build/out.js', 'tree2/local-only.txt', 'tree2/main.txt'].map((p) => `${PREFIX}${p}`),
    );

    // build/ is ignored, but selecting it says "this one": everything inside goes, the *.log rule included.
    const built = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: folderUri('tree2/build'), profile: PROFILE, overwrite: true });
    assert.deepEqual(built.map((o) => [o.status, o.job.key]).sort(), [
      ['completed', `${PREFIX}tree2/build/app.log`],
      ['completed', `${PREFIX}tree2/build/out.js`],
    ]);
  });

  it('keeps uploading when one file fails, and the log summary names it with the reason', async () => {
    await writeTree({ 'fail/1.txt': 'one\n', 'fail/2.txt': 'two\n', 'fail/3.txt': 'three\n', 'fail/4.txt': 'four\n' });
    // One file at a time, in path order: the second Put Object is refused for good.
    const restore = await withSettings({ maxConcurrentUploads: 1 });
    await emulatorControl('POST', 'faults', { operation: 'putObject', fault: 'status', status: 403, code: 'AccessDenied', message: 'Access Denied.', after: 1 });
    let result: UploadCommandResult;
    try {
      result = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: folderUri('fail'), profile: PROFILE, overwrite: true });
    } finally {
      await restore();
    }
    assert.deepEqual(
      result.map((o) => [o.job.key, o.status]),
      [
        [`${PREFIX}fail/1.txt`, 'completed'],
        [`${PREFIX}fail/2.txt`, 'failed'],
        [`${PREFIX}fail/3.txt`, 'completed'],
        [`${PREFIX}fail/4.txt`, 'completed'],
      ],
    );
    const failed = outcomes(result).find((o) => o.status === 'failed')!;
    assert.equal((failed.error as { code?: string }).code, 'ACCESS_DENIED');
    const lines = host.api.log.lines();
    assert.ok(lines.some((l) => /batch bucket=\S+ uploaded=3 failed=1 /.test(l)), `no batch line with 3 uploaded and 1 failed:\n${lines.slice(-10).join('\n')}`);
    const reason = lines.find((l) => l.includes(`failed file=fail/2.txt key=${PREFIX}fail/2.txt`) && l.includes('ACCESS_DENIED'));
    assert.ok(reason, `the summary does not name the failed file with its reason:\n${lines.slice(-10).join('\n')}`);
    assert.match(reason, /requestId=\S+/);
    // The failed one stays listed for a retry; discard it so later tests start clean.
    assert.equal(host.api.uploads.list().find((s) => s.id === failed.id)?.state, 'failed');
    await vscode.commands.executeCommand('cosUpload.showUploads', { action: 'cancel', id: failed.id });
  });

  it('uploads an Explorer multi-selection of files and folders, each file once', async () => {
    const hashes = await writeTree({ 'pick/one.txt': 'one\n', 'pick/dir/two.txt': 'two\n', 'pick/dir/inner/three.bin': 300 * 1024, 'pick/other.txt': 'not selected\n' });
    const one = folderUri('pick/one.txt');
    const dir = folderUri('pick/dir');
    const two = folderUri('pick/dir/two.txt');
    assert.equal(host.api.profiles.list().length, 1, 'the Explorer form picks the only profile; another one is left over');
    const logFrom = (await emulatorLog()).length;
    // As the Explorer calls it: the clicked item, then the whole selection (a file also inside a selected folder).
    const result = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFromExplorer', one, [one, dir, two]);
    const expected = ['pick/dir/inner/three.bin', 'pick/dir/two.txt', 'pick/one.txt'];
    assert.deepEqual(result.map((o) => [o.status, o.job.key]).sort(), expected.map((p) => ['completed', `${PREFIX}${p}`]));
    assert.deepEqual(await keysStoredSince(logFrom, `${PREFIX}pick/`), expected.map((p) => `${PREFIX}${p}`));
    for (const p of expected) assert.equal(await objectSha256(`${PREFIX}${p}`), hashes.get(p));
  });

  it('skips existing objects of a batch when told not to overwrite, and uploads the rest', async () => {
    await writeTree({ 'again/x.txt': 'x\n', 'again/y.txt': 'y\n' });
    await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: folderUri('again/x.txt'), profile: PROFILE, overwrite: true });
    const result = await vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri: folderUri('again'), profile: PROFILE, overwrite: false });
    assert.deepEqual(
      result.map((o) => [o.job.key, o.status]).sort(),
      [
        [`${PREFIX}again/x.txt`, 'skipped'],
        [`${PREFIX}again/y.txt`, 'completed'],
      ],
    );
    await waitFor('the batch line with the skipped file', () => (host.api.log.lines().some((l) => /batch bucket=\S+ uploaded=1 failed=0 .* skipped=1 /.test(l)) ? true : undefined), 5000);
  });
});
