import { createHash, randomBytes } from 'node:crypto';
import { rmSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkpointId } from './checkpoint';
import { CosError } from './errors';
import type { BucketTarget, Logger } from './types';

/**
 * One lock file per checkpoint (the same file to the same bucket and key), so two uploaders (two
 * terminals, the CLI and the extension, two VS Code windows) never work on one multipart upload at
 * once. The folder is per user and machine, not the checkpoint folder: the CLI and the extension
 * keep their checkpoints apart but must see each other's locks.
 */

/** A lock of another host counts as abandoned once it has not been renewed for this long. */
export const OTHER_HOST_STALE_MS = 10 * 60_000;
/** How often a held lock's mtime is renewed, well within OTHER_HOST_STALE_MS. */
const RENEW_MS = 60_000;
/** An empty or half-written lock this young is a lock being created, not a broken one. */
const UNREADABLE_GRACE_MS = 10_000;

/** What holds a lock: an upload (file and key) or a download (destination file). */
export type LockOperation = 'upload' | 'download';

export interface UploadLockInfo {
  /** Absent in locks written before downloads took locks: those are uploads. */
  operation?: LockOperation;
  pid: number;
  host: string;
  /** ISO time the upload took the lock. */
  startedAt: string;
  file: string;
  key: string;
  bucket: string;
  /** Random per lock, so a release never deletes a lock another uploader took over. */
  token: string;
}

/** $XDG_STATE_HOME/cos-upload/locks when set, else ~/.cos-upload/locks. */
export function defaultLockDir(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const override = env.COS_UPLOAD_LOCK_DIR?.trim();
  if (override && path.isAbsolute(override)) return override;
  const xdg = env.XDG_STATE_HOME?.trim();
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'cos-upload', 'locks');
  return path.join(home, '.cos-upload', 'locks');
}

export function parseLock(text: string): UploadLockInfo | undefined {
  try {
    const value = JSON.parse(text) as UploadLockInfo;
    const ok =
      typeof value === 'object' &&
      value !== null &&
      Number.isInteger(value.pid) &&
      typeof value.host === 'string' &&
      typeof value.startedAt === 'string' &&
      typeof value.file === 'string' &&
      typeof value.key === 'string' &&
      typeof value.token === 'string';
    return ok ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface LockJudgeContext {
  host: string;
  now: number;
  /** Whether the pid runs on this host; for this very process, whether it holds that lock. */
  isRunning(pid: number): boolean;
}

export type LockVerdict = 'held' | 'stale';

/** Pure: whether a lock found on disk still belongs to a running upload. `renewedAtMs` is its mtime. */
export function judgeLock(lock: UploadLockInfo | undefined, renewedAtMs: number, here: LockJudgeContext): LockVerdict {
  const age = here.now - renewedAtMs;
  if (!lock) return age > UNREADABLE_GRACE_MS ? 'stale' : 'held';
  if (lock.host === here.host) return here.isRunning(lock.pid) ? 'held' : 'stale';
  // A pid on another host cannot be checked from here: only a lock left unrenewed is abandoned.
  return age > OTHER_HOST_STALE_MS ? 'stale' : 'held';
}

/** "10:42:03" today, "2026-12-04 10:42:03" on another day (local time). */
export function formatLockTime(startedAt: string, now: number): string {
  const at = new Date(startedAt);
  if (Number.isNaN(at.getTime())) return startedAt;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  const day = (d: Date): string => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return day(at) === day(new Date(now)) ? time : `${day(at)} ${time}`;
}

/** Pure: who holds the lock, as the parenthesis of the LOCKED message says it. */
export function describeLockHolder(lock: UploadLockInfo | undefined, here: { host: string; now: number }): string {
  if (!lock) return 'it is starting right now';
  const since = formatLockTime(lock.startedAt, here.now);
  if (lock.host === here.host) return `pid ${lock.pid} on this machine since ${since}`;
  return `pid ${lock.pid} on ${lock.host} since ${since}; a lock from another machine counts as abandoned after ${OTHER_HOST_STALE_MS / 60_000} minutes without renewal`;
}

/** Pure: the LOCKED message of the CLI and the log. */
export function lockedMessage(file: string, key: string, lock: UploadLockInfo | undefined, here: { host: string; now: number }, operation: LockOperation = 'upload'): string {
  const holder = describeLockHolder(lock, here);
  if (operation === 'download') return `another download of ${key} to ${file} is running (${holder}); wait for it or stop it`;
  return `another upload of ${file} to ${key} is running (${holder}); wait for it or stop it`;
}

/** Another uploader holds the lock of this file and key; nothing was sent. */
export class UploadLockedError extends CosError {
  override readonly name = 'UploadLockedError';
  /** The holder as recorded in the lock file; undefined while it is still being written. */
  readonly holder?: UploadLockInfo;
  /** The holder is this very process (an upload of this window or CLI run). */
  readonly heldByThisProcess: boolean;
  readonly file: string;
  readonly key: string;
  readonly lockPath: string;
  /** What this process tried to do; the holder may be doing the same or the other. */
  readonly operation: LockOperation;

  constructor(init: { file: string; key: string; holder?: UploadLockInfo; lockPath: string; now: number; operation?: LockOperation }) {
    super('LOCKED', lockedMessage(init.file, init.key, init.holder, { host: os.hostname(), now: init.now }, init.operation));
    this.operation = init.operation ?? 'upload';
    if (init.holder) this.holder = init.holder;
    this.heldByThisProcess = init.holder?.pid === process.pid && init.holder.host === os.hostname();
    this.file = init.file;
    this.key = init.key;
    this.lockPath = init.lockPath;
  }
}

/** Locks this process holds: checked for its own pid, and removed on a hard exit (second Ctrl-C, window close). */
const heldHere = new Set<string>();
let exitHookInstalled = false;

function removeHeldOnExit(): void {
  for (const file of heldHere) {
    try {
      // Synchronous: an 'exit' listener cannot wait.
      rmSync(file, { force: true });
    } catch {
      // Nothing more can be done while exiting; the lock is then stale and taken over.
    }
  }
}

export function pidIsRunning(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface HeldUploadLock {
  readonly path: string;
  release(): Promise<void>;
}

export interface LockRequest {
  dir: string;
  id: string;
  file: string;
  key: string;
  bucket: string;
  /** Default 'upload'. */
  operation?: LockOperation;
}

async function readLock(file: string): Promise<{ lock?: UploadLockInfo; mtimeMs: number } | undefined> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    return { lock: parseLock(text), mtimeMs: stat.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function judgeFound(file: string, found: { lock?: UploadLockInfo; mtimeMs: number }, now: number): LockVerdict {
  return judgeLock(found.lock, found.mtimeMs, {
    host: os.hostname(),
    now,
    isRunning: (pid) => (pid === process.pid ? heldHere.has(file) : pidIsRunning(pid)),
  });
}

/**
 * Takes the lock by exclusive create, or throws UploadLockedError. A stale lock (its process is
 * gone, or another host's lock unrenewed past the limit) is removed and taken over.
 */
export async function acquireUploadLock(request: LockRequest, log?: (line: string) => void): Promise<HeldUploadLock> {
  const file = path.join(request.dir, `${request.id}.lock`);
  const operation = request.operation ?? 'upload';
  const info: UploadLockInfo = {
    operation,
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    file: request.file,
    key: request.key,
    bucket: request.bucket,
    token: randomBytes(8).toString('hex'),
  };
  await fs.mkdir(request.dir, { recursive: true });
  for (let tries = 0; ; tries++) {
    try {
      const handle = await fs.open(file, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(info));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CosError('CHECKPOINT', `Could not create the ${operation} lock ${file}: ${(error as Error).message}`, { cause: error });
      }
    }
    const found = await readLock(file);
    if (!found) continue; // released between our create and our read
    const now = Date.now();
    if (judgeFound(file, found, now) === 'held' || tries >= 3) {
      throw new UploadLockedError({ file: request.file, key: request.key, holder: found.lock, lockPath: file, now, operation });
    }
    log?.(`Taking over a stale ${operation} lock ${file} (${found.lock ? `pid ${found.lock.pid} on ${found.lock.host} since ${found.lock.startedAt}` : 'unreadable'}).`);
    await fs.rm(file, { force: true });
  }
  // Two takers of one stale lock: the second one's rm may remove the first one's new lock; the check tells.
  const mine = await readLock(file);
  if (mine?.lock?.token !== info.token) {
    throw new UploadLockedError({ file: request.file, key: request.key, holder: mine?.lock, lockPath: file, now: Date.now(), operation });
  }
  heldHere.add(file);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', removeHeldOnExit);
  }
  const renew = setInterval(() => {
    const at = new Date();
    fs.utimes(file, at, at).catch(() => undefined);
  }, RENEW_MS);
  renew.unref();
  let released = false;
  return {
    path: file,
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(renew);
      heldHere.delete(file);
      const current = await readLock(file).catch(() => undefined);
      if (current?.lock?.token === info.token) await fs.rm(file, { force: true });
    },
  };
}

export interface LockedUploadRequest {
  filePath: string;
  key: string;
  target: BucketTarget;
  /** Locks are taken only for checkpointed uploads: the checkpoint is what two uploaders would share. */
  checkpoints?: unknown;
  /** Where lock files go; default defaultLockDir(). */
  lockDir?: string;
  logger?: Pick<Logger, 'info'>;
}

function lockRequestOf(request: LockedUploadRequest): LockRequest {
  const filePath = path.resolve(request.filePath);
  return {
    dir: request.lockDir ?? defaultLockDir(),
    id: checkpointId(request.target, request.key, filePath),
    file: filePath,
    key: request.key,
    bucket: request.target.bucket,
  };
}

/**
 * Without taking it: the UploadLockedError an upload of this file and key would fail with now, or
 * undefined when it would start (no lock, or a stale one it would take over). Lets a caller say
 * LOCKED before it sends anything of its own (an existence check).
 */
export async function findUploadLock(request: LockedUploadRequest): Promise<UploadLockedError | undefined> {
  if (!request.checkpoints) return undefined;
  const lock = lockRequestOf(request);
  const file = path.join(lock.dir, `${lock.id}.lock`);
  const found = await readLock(file).catch(() => undefined);
  const now = Date.now();
  if (!found || judgeFound(file, found, now) === 'stale') return undefined;
  return new UploadLockedError({ file: lock.file, key: lock.key, holder: found.lock, lockPath: file, now });
}

/** Runs `run` while holding the lock of this file and key; every way out of `run` releases it. */
export async function withUploadLock<T>(request: LockedUploadRequest, run: () => Promise<T>): Promise<T> {
  if (!request.checkpoints) return run();
  const lock = await acquireUploadLock(lockRequestOf(request), (line) => request.logger?.info(line));
  try {
    return await run();
  } finally {
    await lock.release();
  }
}

/**
 * The lock of a download destination: one per local file whatever the key, since two downloads to
 * one file would share its temporary file `<file>.cosdownload`.
 */
export function downloadLockRequest(destPath: string, key: string, bucket: string, lockDir: string = defaultLockDir()): LockRequest {
  const file = path.resolve(destPath);
  const id = `download-${createHash('sha256').update(file).digest('hex').slice(0, 32)}`;
  return { dir: lockDir, id, file, key, bucket, operation: 'download' };
}
