/**
 * The liblzma engine: xz-utils' lzma_crc64 (CRC-64/XZ, COS's CRC64) through the small Node-API
 * binding in src/native, which npm's postinstall builds. liblzma uses carry-less multiplication
 * where the CPU has it, several times crc64-ecma182's table-driven speed, and being Node-API the
 * binding loads in every worker thread, not only the first.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Crc64Engine } from './crc64';

export const LZMA_BINDING_FILE = 'lzma_crc64.node';

/**
 * Where npm install builds the binding: src/native/build/Release under the package's root, the
 * nearest folder above this module (src/core, out/src/core or the bundles' dist) with a package.json.
 */
export function lzmaBindingPath(from: string = __dirname): string | undefined {
  for (let dir = from, level = 0; level < 4; dir = path.dirname(dir), level++) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'src', 'native', 'build', 'Release', LZMA_BINDING_FILE);
  }
  return undefined;
}

interface LzmaBinding {
  /** Continues a finished CRC over `data`; 0n starts a fresh one. */
  update(crc: bigint, data: Uint8Array): bigint;
}

function isLzmaBinding(value: unknown): value is LzmaBinding {
  return typeof value === 'object' && value !== null && typeof (value as LzmaBinding).update === 'function';
}

/** Requires the binding (by default the one npm install built). Throws when it is absent or cannot load. */
export function requireLzmaBinding(file = lzmaBindingPath()): unknown {
  if (file === undefined || !existsSync(file)) {
    throw new Error(`${LZMA_BINDING_FILE} is not installed here (npm install builds it; the packaged extension has none)`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native binding, loaded by path at run time
  return require(file);
}

/** Wraps a loaded binding as an engine; throws when the module is not the binding. */
export function lzmaEngine(binding: unknown): Crc64Engine {
  if (!isLzmaBinding(binding)) throw new Error('it has no update function');
  const update = (crc: bigint, data: Uint8Array): bigint => binding.update(BigInt.asUintN(64, crc), data);
  const updateAll = (crc: bigint, chunks: readonly Uint8Array[]): bigint => chunks.reduce(update, crc);
  return Object.freeze({ name: 'liblzma' as const, update, updateAll });
}
