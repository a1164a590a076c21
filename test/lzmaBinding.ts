import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Crc64Engine } from '../src/core/crc64';
import { lzmaBindingPath, lzmaEngine, requireLzmaBinding } from '../src/core/lzmaCrc64';
import { findRepoRoot } from './repoRoot';

/** Where npm's postinstall (src/native/build.js) leaves the liblzma binding in this repository. */
export function builtLzmaBindingPath(): string {
  const file = lzmaBindingPath(findRepoRoot());
  assert.ok(file, 'the repository root has no package.json');
  return file;
}

/**
 * The liblzma engine from the binding npm install built. It builds wherever the tests run (g++ and
 * Node's headers, as crc64-ecma182 needs): a missing one fails the test that asks, never skips it.
 */
export function builtLzmaEngine(): Crc64Engine {
  const file = builtLzmaBindingPath();
  assert.ok(existsSync(file), `${file} was not built: run \`node src/native/build.js\` (npm install runs it) and read why`);
  return lzmaEngine(requireLzmaBinding(file));
}
