// npm's postinstall: builds the optional liblzma CRC64 binding beside this file (build/Release).
// A failed build does not fail the install: uploads then hash with crc64-ecma182 and the log says why.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const path = require('node:path');

const ADDON = path.join(__dirname, 'build', 'Release', 'lzma_crc64.node');

/** npm names its bundled node-gyp in npm_config_node_gyp for scripts; run by hand, look beside node. */
function nodeGypScript() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((file) => file && existsSync(file));
}

function skip(why) {
  console.warn(`cos-upload: the liblzma CRC64 binding was not built (${why}); uploads will hash with crc64-ecma182 instead.`);
  process.exit(0);
}

// --if-stale (npm test): nothing to do when the binding is newer than its source.
const SOURCE = path.join(__dirname, 'lzma_crc64.c');
if (process.argv.includes('--if-stale') && existsSync(ADDON) && statSync(ADDON).mtimeMs >= statSync(SOURCE).mtimeMs) process.exit(0);
if (process.platform === 'win32') skip('it needs dlopen, which Windows lacks');
const script = nodeGypScript();
if (!script) skip('node-gyp was not found; run this from npm, e.g. npm rebuild');
// Node's own headers, where installed beside it, spare node-gyp a download (CI has no internet).
const headers = path.join(path.dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir || (existsSync(path.join(headers, 'include', 'node', 'node_api.h')) ? headers : undefined);
const args = [script, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const built = spawnSync(process.execPath, args, { cwd: __dirname, encoding: 'utf8' });
if (built.status !== 0) {
  const lines = `${built.stdout ?? ''}${built.stderr ?? ''}`.trim().split('\n');
  skip(`node-gyp rebuild exited with ${built.status ?? built.signal}: ${lines.slice(-3).join(' | ')}`);
}
try {
  require(ADDON);
} catch (error) {
  skip(`it was built but does not load: ${String(error.message).split('\n')[0]}`);
}
console.log(`cos-upload: built the liblzma CRC64 binding: ${path.relative(process.cwd(), ADDON)}`);
