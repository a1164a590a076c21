/**
 * Loads a command bundle through V8's code cache: the first run compiles it and then saves the
 * compiled code (including the functions that run used); later runs of the same bundle skip most
 * of the parsing and compiling. Node 20 (also VS Code's extension host) has no
 * module.enableCompileCache, and a require hook (v8-compile-cache) would reach every extension
 * sharing the host; this touches only the file it is given. The cache file is named by the
 * bundle and a hash of its source, Node's version and the architecture, so a rebuilt bundle or
 * another Node never reads a stale one; V8 rejects a cache it cannot use, and the bundle is then
 * compiled as usual. COS_UPLOAD_CODE_CACHE=0 turns it off. Used by the CLI and the extension.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- node:crypto, node:os and node:vm are required
   where used: dist/cli.js includes this file, and `--help` or a usage error must not load them. */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import * as path from 'node:path';

/** The CLI's folder: $XDG_CACHE_HOME/cos-upload/code-cache when set, else ~/.cos-upload/code-cache (the user's own, as it holds code this process runs). */
export function codeCacheDir(env: NodeJS.ProcessEnv, home: string = (require('node:os') as typeof import('node:os')).homedir()): string {
  const xdg = env.XDG_CACHE_HOME?.trim();
  return xdg ? path.join(xdg, 'cos-upload', 'code-cache') : path.join(home, '.cos-upload', 'code-cache');
}

/** The bundle's name in its cache files' names. */
function bundleName(file: string): string {
  return path.basename(file, '.js');
}

/** The cache file of bundle `file` with this `source` under `dir`: `<bundle name>-<hash>.bin`. */
export function codeCacheFile(dir: string, file: string, source: string): string {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const key = createHash('sha256').update(source).update(`\0${process.version}\0${process.arch}`).digest('hex').slice(0, 40);
  return path.join(dir, `${bundleName(file)}-${key}.bin`);
}

export type CodeCacheOutcome = 'off' | 'miss' | 'hit' | 'rejected';

export interface CodeCacheOptions {
  /** Default: codeCacheDir(env). */
  dir?: string;
  /**
   * When to save a new cache. Default: at process exit (a CLI run). A long-lived process (the
   * extension host) saves this long after the load, once the first command has compiled its code.
   */
  saveAfterMs?: number;
}

let outcome: CodeCacheOutcome | undefined;
let saved: Promise<void> | undefined;

/** What the last requireWithCodeCache found, for tests and the debug timing lines. */
export function lastCodeCacheOutcome(): CodeCacheOutcome | undefined {
  return outcome;
}

/** Settles once the cache the last load asked for is saved (or failed to be); undefined when none was due or it saves at exit. */
export function lastCodeCacheSave(): Promise<void> | undefined {
  return saved;
}

/** `require(file)` for a CommonJS file, through the code cache when `env` allows it. */
export function requireWithCodeCache<T>(file: string, env: NodeJS.ProcessEnv, options: CodeCacheOptions = {}): T {
  const loaded = require.cache[file];
  if (loaded) return loaded.exports as T;
  if (env.COS_UPLOAD_CODE_CACHE === '0') {
    outcome = 'off';
    return require(file) as T;
  }
  const source = readFileSync(file, 'utf8');
  let cacheFile: string | undefined;
  let cachedData: Buffer | undefined;
  try {
    cacheFile = codeCacheFile(options.dir ?? codeCacheDir(env), file, source);
    cachedData = readFileSync(cacheFile);
  } catch {
    // No cache yet (or no home folder): compile.
  }
  const vm = require('node:vm') as typeof import('node:vm');
  const script = new vm.Script(Module.wrap(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const mod = new Module(file, module);
  mod.filename = file;
  require.cache[file] = mod;
  // Its requires resolve from the bundle's own folder (VS Code maps `vscode` by the requiring file's path).
  const run = script.runInThisContext() as (exports: object, req: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  try {
    run.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  } catch (error) {
    delete require.cache[file];
    throw error;
  }
  mod.loaded = true;
  outcome = !cachedData ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  saved = undefined;
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    const target = cacheFile;
    const save = (): void => saveCodeCache(target, bundleName(file), script);
    if (options.saveAfterMs === undefined) process.once('exit', () => save());
    else saved = new Promise((resolve) => setTimeout(() => resolve(save()), options.saveAfterMs).unref());
  }
  return mod.exports as T;
}

/**
 * Written beside, then renamed: a concurrent run reads the old file or the whole new one. The
 * caches of earlier builds of the same bundle are removed. A failure only costs the next run its speed-up.
 */
function saveCodeCache(file: string, bundle: string, script: import('node:vm').Script): void {
  try {
    const dir = path.dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
    renameSync(partial, file);
    const name = path.basename(file);
    const sameBundle = (other: string) => other.startsWith(`${bundle}-`) && /^[0-9a-f]{40}\.bin$/.test(other.slice(bundle.length + 1));
    for (const other of readdirSync(dir)) if (other !== name && sameBundle(other)) rmSync(path.join(dir, other), { force: true });
  } catch {
    // read-only home, full disk: the cache is an optimisation
  }
}
