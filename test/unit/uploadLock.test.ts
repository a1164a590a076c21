import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  acquireUploadLock,
  defaultLockDir,
  describeLockHolder,
  findUploadLock,
  formatLockTime,
  judgeLock,
  lockedMessage,
  downloadLockRequest,
  OTHER_HOST_STALE_MS,
  parseLock,
  UploadLockedError,
  type UploadLockInfo,
} from '../../src/core/uploadLock';
import { CosError } from '../../src/core/errors';
import { checkpointId } from '../../src/core/checkpoint';

const NOW = new Date(2026, 11, 5, 10, 50, 0).getTime();

function lock(extra: Partial<UploadLockInfo> = {}): UploadLockInfo {
  return {
    pid: 1234,
    host: 'here',
    startedAt: new Date(2026, 11, 5, 10, 42, 3).toISOString(),
    file: '/w/big.iso',
    key: 'big.iso',
    bucket: 'b-1250000000',
    token: 't1',
    ...extra,
  };
}

describe('uploadLock: decisions', () => {
  const here = (running: boolean) => ({ host: 'here', now: NOW, isRunning: () => running });

  it('a lock of this host is held while its pid runs, stale once it is gone (SIGKILL, crash)', () => {
    assert.equal(judgeLock(lock(), NOW - 5 * OTHER_HOST_STALE_MS, here(true)), 'held');
    assert.equal(judgeLock(lock(), NOW, here(false)), 'stale');
  });

  it('a lock of another host is stale only when unrenewed past the limit', () => {
    const other = lock({ host: 'elsewhere' });
    assert.equal(judgeLock(other, NOW - OTHER_HOST_STALE_MS + 1000, here(false)), 'held');
    assert.equal(judgeLock(other, NOW - OTHER_HOST_STALE_MS - 1000, here(true)), 'stale');
  });

  it('an unreadable lock is being written when young, broken when old', () => {
    assert.equal(judgeLock(undefined, NOW - 1000, here(false)), 'held');
    assert.equal(judgeLock(undefined, NOW - 60_000, here(false)), 'stale');
  });

  it('parses only complete lock records', () => {
    assert.deepEqual(parseLock(JSON.stringify(lock())), lock());
    assert.equal(parseLock(''), undefined);
    assert.equal(parseLock('{"pid":1}'), undefined);
  });

  it('the message names the file, key, pid, machine and start time', () => {
    assert.equal(
      lockedMessage('/w/big.iso', 'big.iso', lock(), { host: 'here', now: NOW }),
      'another upload of /w/big.iso to big.iso is running (pid 1234 on this machine since 10:42:03); wait for it or stop it',
    );
    const other = describeLockHolder(lock({ host: 'build-7' }), { host: 'here', now: NOW });
    assert.match(other, /^pid 1234 on build-7 since 10:42:03; .*abandoned after 10 minutes without renewal$/);
  });

  it('a download lock is per destination file and says so in its message', () => {
    assert.equal(
      lockedMessage('/w/out.iso', 'big.iso', lock(), { host: 'here', now: NOW }, 'download'),
      'another download of big.iso to /w/out.iso is running (pid 1234 on this machine since 10:42:03); wait for it or stop it',
    );
    const one = downloadLockRequest('/w/out.iso', 'a.iso', 'b-1', '/locks');
    assert.equal(one.operation, 'download');
    assert.equal(downloadLockRequest('/w/out.iso', 'other.iso', 'c-2', '/locks').id, one.id, 'another key to the same file shares the lock');
    assert.notEqual(downloadLockRequest('/w/out2.iso', 'a.iso', 'b-1', '/locks').id, one.id);
  });

  it('a start time of another day carries the date', () => {
    assert.equal(formatLockTime(new Date(2026, 11, 4, 23, 5, 9).toISOString(), NOW), '2026-12-04 23:05:09');
  });

  it('the lock folder follows XDG_STATE_HOME, else the home folder; COS_UPLOAD_LOCK_DIR overrides', () => {
    assert.equal(defaultLockDir({}, '/home/u'), path.join('/home/u', '.cos-upload', 'locks'));
    assert.equal(defaultLockDir({ XDG_STATE_HOME: '/s' }, '/home/u'), path.join('/s', 'cos-upload', 'locks'));
    assert.equal(defaultLockDir({ COS_UPLOAD_LOCK_DIR: '/l', XDG_STATE_HOME: '/s' }, '/home/u'), '/l');
  });
});

describe('uploadLock: files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-lock-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  const request = () => ({ dir, id: 'abc', file: '/w/big.iso', key: 'big.iso', bucket: 'b-1250000000' });

  it('a second taker gets LOCKED naming this process; release frees the lock', async () => {
    const first = await acquireUploadLock(request());
    const text = JSON.parse(await fs.readFile(first.path, 'utf8')) as UploadLockInfo;
    assert.equal(text.pid, process.pid);
    assert.equal(text.host, os.hostname());
    await assert.rejects(acquireUploadLock(request()), (error: unknown) => {
      assert.ok(error instanceof UploadLockedError);
      assert.ok(CosError.is(error) && error.code === 'LOCKED');
      assert.equal(error.heldByThisProcess, true);
      assert.match(error.message, new RegExp(`pid ${process.pid} on this machine since`));
      return true;
    });
    await first.release();
    await assert.rejects(fs.stat(first.path), { code: 'ENOENT' });
    const again = await acquireUploadLock(request());
    await again.release();
  });

  it('takes over the lock of a process that no longer runs', async () => {
    // A pid far above any pid_max: no process has it.
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'abc.lock'), JSON.stringify(lock({ pid: 2 ** 30, host: os.hostname() })));
    const lines: string[] = [];
    const held = await acquireUploadLock(request(), (line) => lines.push(line));
    assert.equal((JSON.parse(await fs.readFile(held.path, 'utf8')) as UploadLockInfo).pid, process.pid);
    assert.match(lines.join('\n'), /stale upload lock/);
    await held.release();
  });

  it('keeps the lock of a live process of this host (the parent of this test)', async () => {
    await fs.writeFile(path.join(dir, 'abc.lock'), JSON.stringify(lock({ pid: process.ppid, host: os.hostname() })));
    await assert.rejects(acquireUploadLock(request()), (error: unknown) => error instanceof UploadLockedError && !error.heldByThisProcess);
  });

  it('release leaves a lock someone else took over in place', async () => {
    const held = await acquireUploadLock(request());
    await fs.writeFile(held.path, JSON.stringify(lock({ token: 'someone-else' })));
    await held.release();
    assert.equal((JSON.parse(await fs.readFile(held.path, 'utf8')) as UploadLockInfo).token, 'someone-else');
  });
  it('findUploadLock says LOCKED for a live holder without taking the lock, and nothing for none or a stale one', async () => {
    const target = { bucket: 'b-1250000000', region: 'ap-guangzhou' };
    const asked = { filePath: '/w/big.iso', key: 'big.iso', target, checkpoints: {}, lockDir: dir };
    assert.equal(await findUploadLock(asked), undefined);
    assert.equal(await findUploadLock({ ...asked, checkpoints: undefined }), undefined, 'uploads without a checkpoint take no lock');
    const lockFile = path.join(dir, `${checkpointId(target, 'big.iso', '/w/big.iso')}.lock`);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(lockFile, JSON.stringify(lock({ pid: process.ppid, host: os.hostname() })));
    const found = await findUploadLock(asked);
    assert.ok(found instanceof UploadLockedError && found.code === 'LOCKED' && !found.heldByThisProcess);
    assert.equal(found.holder?.pid, process.ppid);
    assert.equal((JSON.parse(await fs.readFile(lockFile, 'utf8')) as UploadLockInfo).pid, process.ppid, 'looking took the lock');
    await fs.writeFile(lockFile, JSON.stringify(lock({ pid: 2 ** 30, host: os.hostname() })));
    assert.equal(await findUploadLock(asked), undefined, 'a stale lock is one the upload would take over');
  });
});
