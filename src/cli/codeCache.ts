/**
 * Loads the command bundle through V8's code cache: the first run compiles it and, at exit, saves
 * the compiled code (including the functions that run used); later runs of the same bundle skip
 * most of the parsing and compiling. Node 20 has no module.enableCompileCache, hence vm.Script.
 * The cache file is named by a hash of the source, Node's version and the architecture, so a
 * rebuilt bundle or another Node never reads a stale one; V8 rejects a cache it cannot use, and the
 * bundle is then compiled as usual. COS_UPLOAD_CODE_CACHE=0 turns it off.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- node:crypto, node:os and node:vm are required
   where used: dist/cli.js includes this file, and `--help` or a usage error must not load them. */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import * as path from 'node:path';

/** $XDG_CACHE_HOME/cos-upload/code-cache when set, else ~/.cos-upload/code-cache: the user's own, as it holds code this process runs. */
export function codeCacheDir(env: NodeJS.ProcessEnv, home: string = (require('node:os') as typeof import('node:os')).homedir()): string {
  const xdg = env.XDG_CACHE_HOME?.trim();
  return xdg ? path.join(xdg, 'cos-upload', 'code-cache') : path.join(home, '.cos-upload', 'code-cache');
}

/** The cache file for `source` under `dir`. */
export function codeCacheFile(dir: string, source: string): string {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const key = createHash('sha256').update(source).update(`\0${process.version}\0${process.arch}`).digest('hex').slice(0, 40);
  return path.join(dir, `${key}.bin`);
}

export type CodeCacheOutcome = 'off' | 'miss' | 'hit' | 'rejected';

let outcome: CodeCacheOutcome | undefined;

/** What the last requireWithCodeCache found, for tests and COS_UPLOAD_DEBUG_TIMING. */
export function lastCodeCacheOutcome(): CodeCacheOutcome | undefined {
  return outcome;
}

/** `require(file)` for a CommonJS file, through the code cache when `env` allows it. */
export function requireWithCodeCache<T>(file: string, env: NodeJS.ProcessEnv): T {
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
    cacheFile = codeCacheFile(codeCacheDir(env), source);
    cachedData = readFileSync(cacheFile);
  } catch {
    // No cache yet (or no home folder): compile.
  }
  const vm = require('node:vm') as typeof import('node:vm');
  const script = new vm.Script(Module.wrap(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const mod = new Module(file, module);
  mod.filename = file;
  require.cache[file] = mod;
  const run = script.runInThisContext() as (exports: object, req: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  try {
    run.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  } catch (error) {
    delete require.cache[file];
    throw error;
  }
  mod.loaded = true;
  outcome = !cachedData ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    const target = cacheFile;
    process.once('exit', () => saveCodeCache(target, script));
  }
  return mod.exports as T;
}

/** Written beside, then renamed: a concurrent run reads the old file or the whole new one. A failure only costs the next run its speed-up. */
function saveCodeCache(file: string, script: import('node:vm').Script): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
    renameSync(partial, file);
  } catch {
    // read-only home, full disk: the cache is an optimisation
  }
}
