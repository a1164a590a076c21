import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Crc64Engine } from '../src/core/crc64';
import { lzmaEngine, requireLzmaBinding } from '../src/core/lzmaCrc64';
import { findRepoRoot } from './repoRoot';

/** Where npm's postinstall (src/native/build.js) leaves the liblzma binding. */
export function builtLzmaBindingPath(): string {
  return path.join(findRepoRoot(), 'src', 'native', 'build', 'Release', 'lzma_crc64.node');
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
