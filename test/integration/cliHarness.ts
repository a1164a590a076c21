/**
 * Spawning the shipped CLI bundle (dist/cli.js) from integration tests: rebuilds it when a source is
 * newer, runs it with a minimal environment, and keeps track of every child so a test's
 * afterEach can make sure none outlives it.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import { findRepoRoot } from '../repoRoot';

export const ROOT = findRepoRoot(__dirname);
export const CLI = path.join(ROOT, 'dist', 'cli.js');

/** Newest modification time of the .ts sources that go into dist/cli.js. */
async function newestSource(): Promise<number> {
  let newest = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  for (const dir of ['src/cli', 'src/core', 'src/emulator']) await walk(path.join(ROOT, dir));
  return newest;
}

/**
 * `npm test` builds first; run alone (mocha on one file) the bundle may be stale, so the CLI's
 * bundles (and the hash worker they load) are rebuilt with the entries and options of esbuild.js.
 */
export async function ensureBundle(): Promise<void> {
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= (await newestSource())) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- esbuild is a build tool without a typed import path here.
  const esbuild = require('esbuild') as typeof import('esbuild');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the repository's build script, plain JavaScript.
  const config = require(path.join(ROOT, 'esbuild.js')) as { shared: import('esbuild').BuildOptions; entries: import('esbuild').BuildOptions[] };
  const wanted = ['dist/hashWorker.js', 'dist/cliCommands.js', 'dist/cliUpload.js', 'dist/cli.js'];
  for (const entry of config.entries.filter((e) => wanted.includes(e.outfile ?? ''))) {
    await esbuild.build({ ...config.shared, sourcemap: true, plugins: [], ...entry, absWorkingDir: ROOT });
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Called with all stdout so far after each chunk. */
  onStdout?: (stdout: string, child: ChildProcess) => void;
  /** Kill the child (SIGKILL) if it runs longer than this; the test then fails on its result. */
  timeoutMs?: number;
}

/** Only what the CLI needs: no inherited proxy variables or credentials from the developer's shell. */
export function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

const live = new Set<ChildProcess>();

/** Runs `node dist/cli.js ...args` and resolves when it exits (never rejects on a non-zero exit). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      live.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), as a user at a terminal would: stdout
 * and stderr are both the terminal, so the result's stdout holds both and stderr is empty.
 */
export function runCliOnTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  const quote = (arg: string): string => `'${arg.replace(/'/g, "'\\''")}'`;
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      live.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** SIGKILLs every child still running; for afterEach. */
export async function killLiveChildren(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('close', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}

/** Each stdout line parsed as JSON (the CLI's --json output). */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function lastJson(stdout: string): Record<string, unknown> {
  const lines = jsonLines(stdout);
  return lines[lines.length - 1];
}
