/**
 * Starts and stops one code-server for a test run, with every folder it writes to (HOME, XDG
 * dirs, TMPDIR, user data, extensions) inside the run's temporary folder, so runs never share
 * state with each other or with the machine's user.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { CodeServerInstall } from './installCodeServer';

export interface CodeServerProcess {
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** 127.0.0.1:PORT, the remote authority of vscode-remote:// URIs. */
  authority: string;
  pid: number;
  /** Kills code-server and everything it started (extension hosts, terminals). Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartCodeServerOptions {
  install: CodeServerInstall;
  /** A fresh folder owned by this run. */
  stateDir: string;
  /** Opened as the workspace folder. */
  workspaceDir: string;
  /** Extra environment; code-server hands its environment to the extension host. */
  env: Record<string, string>;
  /** code-server's stdout and stderr go here. */
  logFile: string;
  signal?: AbortSignal;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/**
 * Settings for a quiet, deterministic workbench: no welcome page, no update or gallery checks,
 * no workspace-trust prompt (the tests open a folder they created themselves).
 */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** code-server's --user-data-dir under `stateDir`; its logs/ holds each extension host's log. */
export function userDataDirOf(stateDir: string): string {
  return path.join(stateDir, 'user-data');
}

function stateDirs(stateDir: string): Record<'home' | 'config' | 'data' | 'cache' | 'tmp' | 'userData' | 'extensions', string> {
  const dirs = {
    home: path.join(stateDir, 'home'),
    config: path.join(stateDir, 'xdg-config'),
    data: path.join(stateDir, 'xdg-data'),
    cache: path.join(stateDir, 'xdg-cache'),
    tmp: path.join(stateDir, 'tmp'),
    userData: userDataDirOf(stateDir),
    extensions: path.join(stateDir, 'extensions'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  return dirs;
}

function isolatedEnv(dirs: ReturnType<typeof stateDirs>, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    TMPDIR: dirs.tmp,
    ...extra,
  };
}

/**
 * Installs a packaged extension into the run's extensions folder, for runs against the .vsix a
 * user would install instead of the development folder.
 */
export function installVsix(install: CodeServerInstall, stateDir: string, vsix: string): void {
  const dirs = stateDirs(stateDir);
  const run = spawnSync(process.execPath, [install.entry, '--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData, '--install-extension', vsix, '--force'], {
    env: isolatedEnv(dirs, {}),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) {
    throw new Error(`code-server --install-extension failed (${run.status ?? run.signal}): ${vsix}\n${run.stdout}${run.stderr}`);
  }
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function killGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  // Signal 0 only checks that the group still has a member.
  return killGroup(pid, 0);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * COS_TEST_SEED_CODE_CACHE=<folder>: the extension's code cache from an earlier run (its kept
 * globalStorage/.../code-cache), copied in so this run times a session after the first.
 */
function seedCodeCache(userData: string): void {
  const from = process.env.COS_TEST_SEED_CODE_CACHE;
  if (!from) return;
  const to = path.join(userData, 'User', 'globalStorage', 'cos-part-uploader.cos-part-uploader', 'code-cache');
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from).filter((n) => n.endsWith('.bin'))) fs.copyFileSync(path.join(from, name), path.join(to, name));
}

/** Starts code-server and resolves once it answers /healthz. */
export async function startCodeServer(options: StartCodeServerOptions): Promise<CodeServerProcess> {
  const dirs = stateDirs(options.stateDir);
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), `${JSON.stringify(USER_SETTINGS, null, 2)}\n`);
  seedCodeCache(dirs.userData);
  // An explicit config file: otherwise code-server writes one, with a password, into $XDG_CONFIG_HOME.
  const configFile = path.join(options.stateDir, 'code-server.yaml');
  fs.writeFileSync(configFile, 'auth: none\n');

  const port = await freePort();
  const authority = `127.0.0.1:${port}`;
  const log = fs.openSync(options.logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      options.install.entry,
      '--config', configFile,
      '--auth', 'none',
      '--bind-addr', authority,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--user-data-dir', dirs.userData,
      '--extensions-dir', dirs.extensions,
      options.workspaceDir,
    ],
    // Its own process group, so stop() reaches the extension hosts it forks too.
    { env: isolatedEnv(dirs, options.env), stdio: ['ignore', log, log], detached: true },
  );
  fs.closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`code-server did not start: ${options.install.entry}`);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  // Last resort if this process dies without stopping it (a crash, stdout closed under it): code-server
  // runs in its own process group, so nothing else would take it down. Playwright does the same for Chromium.
  const killOnExit = (): void => {
    killGroup(pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      killGroup(pid, 'SIGTERM');
      const deadline = Date.now() + STOP_GRACE_MS;
      while (isAlive(pid) && Date.now() < deadline) await sleep(100);
      killGroup(pid, 'SIGKILL');
    })());

  const baseUrl = `http://${authority}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      if (exited) throw new Error(`code-server exited during start-up; its log ends with:\n${tail(options.logFile)}`);
      if (Date.now() > deadline) throw new Error(`code-server did not answer within ${READY_TIMEOUT_MS / 1000} s; its log ends with:\n${tail(options.logFile)}`);
      const ok = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
        (res) => res.ok,
        () => false,
      );
      if (ok) break;
      await sleep(200);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, authority, pid, stop };
}
