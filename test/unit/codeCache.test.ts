import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codeCacheDir, codeCacheFile } from '../../src/core/codeCache';

const LOADER = path.join(__dirname, '../../src/core/codeCache.js');

/** Loads `file` through the code cache in a fresh Node (the cache is written at exit); returns what it printed. */
function load(file: string, env: NodeJS.ProcessEnv): { value: string; outcome: string } {
  const script = `const c = require(${JSON.stringify(LOADER)}); const m = c.requireWithCodeCache(${JSON.stringify(file)}, process.env); console.log(JSON.stringify({ value: m.value(), outcome: c.lastCodeCacheOutcome() }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' })) as { value: string; outcome: string };
}

/** As the extension host loads its command bundle: a given folder, saved a while after the load in a process that goes on. */
function loadLongLived(file: string, env: NodeJS.ProcessEnv, dir: string): { value: string; outcome: string; files: string[] } {
  const script = `const fs = require('node:fs'); const c = require(${JSON.stringify(LOADER)});
    const m = c.requireWithCodeCache(${JSON.stringify(file)}, process.env, { dir: ${JSON.stringify(dir)}, saveAfterMs: 50 });
    const outcome = c.lastCodeCacheOutcome();
    // Still running when the cache is saved: the 'exit' hook of a CLI run plays no part.
    const alive = setInterval(() => {}, 1000);
    Promise.resolve(c.lastCodeCacheSave()).then(() => { clearInterval(alive); console.log(JSON.stringify({ value: m.value(), outcome, files: fs.existsSync(${JSON.stringify(dir)}) ? fs.readdirSync(${JSON.stringify(dir)}).sort() : [] })); });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' })) as { value: string; outcome: string; files: string[] };
}

describe('code cache (CLI and extension)', () => {
  let dir: string;
  let file: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cos-code-cache-'));
    file = path.join(dir, 'bundle.js');
    env = { XDG_CACHE_HOME: path.join(dir, 'cache'), COS_UPLOAD_CODE_CACHE: '' };
    fs.writeFileSync(file, "const path = require('node:path'); exports.value = () => 'first ' + path.basename(__filename);\n");
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lives in the user cache folder: XDG_CACHE_HOME, else ~/.cos-upload', () => {
    assert.equal(codeCacheDir({ XDG_CACHE_HOME: '/x' }, '/home/u'), path.join('/x', 'cos-upload', 'code-cache'));
    assert.equal(codeCacheDir({}, '/home/u'), path.join('/home/u', '.cos-upload', 'code-cache'));
  });

  it('compiles on the first run and saves the cache; the next run uses it', () => {
    assert.deepEqual(load(file, env), { value: 'first bundle.js', outcome: 'miss' });
    const cacheFile = codeCacheFile(codeCacheDir(env), file, fs.readFileSync(file, 'utf8'));
    assert.ok(fs.statSync(cacheFile).size > 0, 'no cache file was written');
    assert.deepEqual(load(file, env), { value: 'first bundle.js', outcome: 'hit' });
  });

  it('never reads the cache of another version of the bundle, even one of the same length', () => {
    load(file, env);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('first', 'other'));
    assert.deepEqual(load(file, env), { value: 'other bundle.js', outcome: 'miss' });
  });

  it('compiles as usual when the cache is damaged, and replaces it', () => {
    load(file, env);
    const cacheFile = codeCacheFile(codeCacheDir(env), file, fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(cacheFile, Buffer.alloc(64, 7));
    assert.deepEqual(load(file, env), { value: 'first bundle.js', outcome: 'rejected' });
    assert.deepEqual(load(file, env), { value: 'first bundle.js', outcome: 'hit' });
  });

  it('COS_UPLOAD_CODE_CACHE=0 loads the plain way and writes nothing', () => {
    assert.deepEqual(load(file, { ...env, COS_UPLOAD_CODE_CACHE: '0' }), { value: 'first bundle.js', outcome: 'off' });
    assert.ok(!fs.existsSync(codeCacheDir(env)), 'a cache folder was created');
  });

  it('in a long-lived process, saves to the given folder after a while; the next session uses it', () => {
    const folder = path.join(dir, 'globalStorage', 'code-cache');
    const first = loadLongLived(file, env, folder);
    assert.equal(first.outcome, 'miss');
    assert.deepEqual(first.files, [path.basename(codeCacheFile(folder, file, fs.readFileSync(file, 'utf8')))]);
    assert.deepEqual(loadLongLived(file, env, folder), { ...first, outcome: 'hit' });
    assert.ok(!fs.existsSync(codeCacheDir(env)), 'the CLI folder was written');
  });

  it("a new build's cache replaces the old build's, and leaves other bundles' caches alone", () => {
    const folder = path.join(dir, 'code-cache');
    const other = path.join(dir, 'otherBundle.js');
    fs.writeFileSync(other, "exports.value = () => 'other bundle';\n");
    loadLongLived(other, env, folder);
    loadLongLived(file, env, folder);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('first', 'second'));
    const rebuilt = loadLongLived(file, env, folder);
    assert.deepEqual(rebuilt.value, 'second bundle.js');
    const expected = [codeCacheFile(folder, file, fs.readFileSync(file, 'utf8')), codeCacheFile(folder, other, fs.readFileSync(other, 'utf8'))].map((f) => path.basename(f)).sort();
    assert.deepEqual(rebuilt.files, expected);
  });
});
