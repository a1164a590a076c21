import { crc64Combine, type Crc64Engine } from './crc64';

/** hash-wasm's CRC64 hasher, as much of it as is used here. */
interface WasmHasher {
  init(): unknown;
  update(data: Uint8Array): unknown;
  digest(outputType: 'binary'): Uint8Array;
}

/** The reflected ECMA-182 polynomial hash-wasm defaults to, given explicitly: COS's CRC-64/XZ. */
const ECMA_182_REFLECTED = 'c96c5795d7870f42';

let engine: Crc64Engine | undefined;
let starting: Promise<Crc64Engine | undefined> | undefined;

/**
 * Starts compiling hash-wasm's CRC64 (WebAssembly, any thread, about 2.5 times the TypeScript
 * engine's speed) and resolves with it, or undefined when WebAssembly is unavailable. Called by
 * work that hashes many small files on the calling thread (sync), where the native addon cannot
 * run: it belongs to the first hash worker. A single upload never starts it.
 */
export function startWasmCrc64(): Promise<Crc64Engine | undefined> {
  starting ??= (async () => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first need: the CLI's single upload must not pay for it
      const { createCRC64 } = require('hash-wasm/dist/crc64.umd.min.js') as { createCRC64(polynomial?: string): Promise<WasmHasher> };
      const hasher = await createCRC64(ECMA_182_REFLECTED);
      engine = wrap(hasher);
      return engine;
    } catch {
      return undefined;
    }
  })();
  return starting;
}

/** The WebAssembly engine once {@link startWasmCrc64} has finished, else undefined. */
export function wasmCrc64(): Crc64Engine | undefined {
  return engine;
}

function wrap(hasher: WasmHasher): Crc64Engine {
  const crcOf = (data: Uint8Array): bigint => {
    hasher.init();
    hasher.update(data);
    const digest = hasher.digest('binary');
    return Buffer.from(digest.buffer, digest.byteOffset, 8).readBigUInt64BE(0);
  };
  // hash-wasm starts every CRC afresh; continuing one is a combine with the new data's own CRC.
  const update = (crc: bigint, data: Uint8Array): bigint => (crc === 0n ? crcOf(data) : crc64Combine(crc, crcOf(data), data.length));
  return Object.freeze({
    name: 'wasm' as const,
    update,
    updateAll: (crc: bigint, chunks: readonly Uint8Array[]) => chunks.reduce((sum, data) => update(sum, data), crc),
  });
}
