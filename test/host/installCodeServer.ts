/**
 * Installs code-server (VS Code 1.100.3 served to a browser) into <repo>/.cache/code-server, a
 * folder of its own outside the project's dependencies: it is ~300 MB, only the extension-host
 * tests need it, and it is the one way to get a real extension host on a machine without
 * internet (see /work/shared/notes/offline-vscode-testing.md). Idempotent: a working install of
 * the right version is reused.
 *
 * Needs the Debian packages `ripgrep libkrb5-dev pkg-config` (`npm test` installs them) and the npm
 * registry. Run on its own: node out/test/host/installCodeServer.js
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findRepoRoot } from '../repoRoot';
import { manualInstallCommand } from '../systemPackages';

/** The newest code-server that runs on Node 20 (4.103+ need Node 22). */
export const CODE_SERVER_VERSION = '4.100.3';

/** @vscode/ripgrep, a dependency of VS Code, downloads rg from GitHub unless this cache file exists. */
const RIPGREP_CACHE_DIR = 'vscode-ripgrep-cache-1.15.11';
const RIPGREP_CACHE_FILE = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

/** Native parts built by install scripts; npm skipping one of those scripts leaves a code-server that starts but breaks later. */
const NATIVE_PARTS = [
  'node_modules/argon2/lib/binding/napi-v3/argon2.node',
  'node_modules/code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node',
  'node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node',
  'node_modules/code-server/lib/vscode/node_modules/kerberos/build/Release/kerberos.node',
  'node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg',
];

export interface CodeServerInstall {
  /** The install folder (<repo>/.cache/code-server). */
  dir: string;
  /** code-server's entry script; run it with the current `node`. */
  entry: string;
  version: string;
}

export interface EnsureCodeServerOptions {
  repo?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

function installPaths(repo: string): { dir: string; entry: string; marker: string; scratch: string } {
  const dir = path.join(repo, '.cache', 'code-server');
  return {
    dir,
    entry: path.join(dir, 'node_modules/code-server/out/node/entry.js'),
    marker: path.join(dir, 'installed.json'),
    // TMPDIR and HOME for the install and the version check: code-server writes a default config
    // into $XDG_CONFIG_HOME even for --version, and the ripgrep cache lives under $TMPDIR.
    scratch: path.join(dir, 'scratch'),
  };
}

function scratchEnv(scratch: string): NodeJS.ProcessEnv {
  return { ...process.env, TMPDIR: scratch, XDG_CONFIG_HOME: path.join(scratch, 'config'), XDG_DATA_HOME: path.join(scratch, 'data') };
}

/** The version line of a working install, or undefined when there is none. */
function installedVersion(entry: string, scratch: string): string | undefined {
  if (!fs.existsSync(entry)) return undefined;
  fs.mkdirSync(scratch, { recursive: true });
  const run = spawnSync(process.execPath, [entry, '--version'], { env: scratchEnv(scratch), encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) return undefined;
  return run.stdout.split('\n').find((line) => /^\d+\.\d+\.\d+ /.test(line))?.trim();
}

function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** Fails early, naming the fix, instead of deep inside a native build. */
function checkPrerequisites(): { rg: string } {
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 20) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} needs Node 20 for its extension host; this is Node: ${process.versions.node}`);
  }
  const rg = which('rg');
  const missing: string[] = [];
  if (!rg) missing.push('ripgrep');
  if (!which('pkg-config')) missing.push('pkg-config');
  else if (spawnSync('pkg-config', ['--exists', 'krb5']).status !== 0) missing.push('libkrb5-dev');
  if (!rg || missing.length > 0) {
    throw new Error(`Installing code-server needs Debian packages (npm test installs them, or: ${manualInstallCommand(missing)}): ${missing.join(', ')}`);
  }
  return { rg };
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'inherit', 'inherit'], signal: options.signal });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed in ${options.cwd}: ${signal ?? `exit code ${code}`}`));
    });
  });
}

/** Environment for `npm install` of code-server, from the measured recipe. */
function npmEnv(scratch: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...scratchEnv(scratch),
    // node-pty's install script runs `npx node-gyp`; without a TTY npx would ask, and cancel.
    npm_config_yes: 'true',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  // code-server's postinstall refuses to run as root unless told scripts may run as root.
  if (process.getuid?.() === 0) env.npm_config_unsafe_perm = 'true';
  // node-gyp downloads Node's headers from nodejs.org unless pointed at a local copy; use the
  // headers installed beside this `node` when there are some.
  const headers = path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node', 'node.h');
  if (!env.npm_config_nodedir && fs.existsSync(headers)) env.npm_config_nodedir = path.dirname(path.dirname(process.execPath));
  return env;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const LOCK_POLL_MS = 1_000;

/**
 * Runs `work` while holding an exclusive lock (a directory: mkdir is atomic), so two test runs
 * started at once do not install into the same folder together. A lock whose holder died is taken over.
 */
async function withInstallLock<T>(lockDir: string, log: (line: string) => void, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  let waiting = false;
  for (;;) {
    signal?.throwIfAborted();
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // No pid yet is a holder between its mkdir and its write (or one just leaving): wait and look again.
    let holder = 0;
    try {
      holder = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
    } catch {
      // Not written yet, or already released.
    }
    if (holder > 0 && !isAlive(holder)) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!waiting) log(`Waiting for another process (pid ${holder || '?'}) to finish installing code-server`);
    waiting = true;
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/** The install, if the marker says it is complete and code-server still runs. */
function existingInstall(paths: ReturnType<typeof installPaths>): CodeServerInstall | undefined {
  const { dir, entry, marker, scratch } = paths;
  const markerVersion = fs.existsSync(marker) ? (JSON.parse(fs.readFileSync(marker, 'utf8')) as { version?: string }).version : undefined;
  if (markerVersion !== CODE_SERVER_VERSION) return undefined;
  const version = installedVersion(entry, scratch);
  return version?.startsWith(`${CODE_SERVER_VERSION} `) ? { dir, entry, version } : undefined;
}

/**
 * Returns a working code-server install, installing it first when needed (~40-70 s).
 * @throws Error naming the missing prerequisite or the failed step.
 */
export async function ensureCodeServer(options: EnsureCodeServerOptions = {}): Promise<CodeServerInstall> {
  const repo = options.repo ?? findRepoRoot();
  const log = options.log ?? ((line: string) => console.log(line));
  const paths = installPaths(repo);
  const ready = existingInstall(paths);
  if (ready) return ready;
  fs.mkdirSync(path.dirname(paths.dir), { recursive: true });
  return withInstallLock(`${paths.dir}.lock`, log, options.signal, async () => existingInstall(paths) ?? install(paths, log, options.signal));
}

async function install(paths: ReturnType<typeof installPaths>, log: (line: string) => void, signal: AbortSignal | undefined): Promise<CodeServerInstall> {
  const { dir, entry, marker, scratch } = paths;
  const { rg } = checkPrerequisites();
  log(`Installing code-server ${CODE_SERVER_VERSION} into ${dir} (once; about a minute)`);
  const started = Date.now();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(scratch, RIPGREP_CACHE_DIR), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name: 'cos-test-code-server',
        private: true,
        description: 'code-server for the extension-host tests; installed by test/host/installCodeServer.ts',
        dependencies: { 'code-server': CODE_SERVER_VERSION },
        // code-server's postinstall installs VS Code's own dependencies (node-pty, spdlog,
        // kerberos, ripgrep: their scripts run under that nested install); argon2 builds from source.
        allowScripts: { 'code-server': true, argon2: true },
      },
      null,
      2,
    )}\n`,
  );
  // Debian's rg stands in for the download; VS Code only runs it to search files.
  await run('tar', ['-czf', path.join(scratch, RIPGREP_CACHE_DIR, RIPGREP_CACHE_FILE), '-C', path.dirname(rg), path.basename(rg)], {
    cwd: dir,
    env: process.env,
    signal,
  });
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env: npmEnv(scratch), signal });

  const version = installedVersion(entry, scratch);
  if (!version?.startsWith(`${CODE_SERVER_VERSION} `)) {
    throw new Error(`code-server was installed but does not run (\`--version\` failed or printed another version): ${entry}`);
  }
  for (const part of NATIVE_PARTS) {
    if (!fs.existsSync(path.join(dir, part))) {
      throw new Error(`code-server was installed without a native part (npm skipped or failed its install script; see the npm output above): ${part}`);
    }
  }
  fs.writeFileSync(marker, `${JSON.stringify({ version: CODE_SERVER_VERSION, installedAt: new Date().toISOString() })}\n`);
  log(`Installed code-server ${version} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { dir, entry, version };
}

if (require.main === module) {
  ensureCodeServer().then(
    (install) => console.log(`code-server ${install.version}: ${install.entry}`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
