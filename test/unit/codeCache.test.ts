import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codeCacheDir, codeCacheFile } from '../../src/cli/codeCache';

const LOADER = path.join(__dirname, '../../src/cli/codeCache.js');

/** Loads `file` through the code cache in a fresh Node (the cache is written at exit); returns what it printed. */
function load(file: string, env: NodeJS.ProcessEnv): { value: string; outcome: string } {
  const script = `const c = require(${JSON.stringify(LOADER)}); const m = c.requireWithCodeCache(${JSON.stringify(file)}, process.env); console.log(JSON.stringify({ value: m.value(), outcome: c.lastCodeCacheOutcome() }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' })) as { value: string; outcome: string };
}

describe('CLI code cache', () => {
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
    const cacheFile = codeCacheFile(codeCacheDir(env), fs.readFileSync(file, 'utf8'));
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
    const cacheFile = codeCacheFile(codeCacheDir(env), fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(cacheFile, Buffer.alloc(64, 7));
    assert.deepEqual(load(file, env), { value: 'first bundle.js', outcome: 'rejected' });
    assert.deepEqual(load(file, env), { value: 'first bundle.js', outcome: 'hit' });
  });

  it('COS_UPLOAD_CODE_CACHE=0 loads the plain way and writes nothing', () => {
    assert.deepEqual(load(file, { ...env, COS_UPLOAD_CODE_CACHE: '0' }), { value: 'first bundle.js', outcome: 'off' });
    assert.ok(!fs.existsSync(codeCacheDir(env)), 'a cache folder was created');
  });
});
