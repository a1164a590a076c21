import { crc64Combine, crc64EngineStatus, getCrc64Engine, type Crc64Engine, type Crc64EngineStatus } from './crc64';

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
 * work that hashes many small files on the calling thread (sync), where no compiled engine is
 * loaded (they load on the hash workers); and by a hash worker where neither compiled engine
 * loads. A single upload never starts it on the calling thread.
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

/**
 * The fastest engine this thread can have, for a hash worker and downloads: liblzma or the native
 * addon, else hash-wasm's WebAssembly, else TypeScript; the status says why when it is not a
 * compiled one. The packaged extension ships neither (and crc64-ecma182 would not fit Electron's
 * ABI), so there WebAssembly hashes every large file, at about 2.7 times the TypeScript engine's speed.
 */
export async function fastestCrc64(): Promise<{ engine: Crc64Engine; status: Crc64EngineStatus }> {
  const engine = getCrc64Engine();
  const status = crc64EngineStatus();
  if (status.name === 'liblzma' || status.name === 'native') return { engine, status };
  const wasm = await startWasmCrc64();
  return wasm ? { engine: wasm, status: { name: 'wasm', reason: `${status.reason}; hash-wasm's WebAssembly instead` } } : { engine, status };
}

/** The WebAssembly engine once {@link startWasmCrc64} has finished, else undefined. */
export function wasmCrc64(): Crc64Engine | undefined {
  return engine;
}

function wrap(hasher: WasmHasher): Crc64Engine {
  const crcOf = (chunks: readonly Uint8Array[]): bigint => {
    hasher.init();
    for (const data of chunks) hasher.update(data);
    const digest = hasher.digest('binary');
    return Buffer.from(digest.buffer, digest.byteOffset, 8).readBigUInt64BE(0);
  };
  // hash-wasm starts every CRC afresh; continuing one is a combine with the new data's own CRC,
  // one per call however many chunks it brings (a download's batch of network chunks).
  const updateAll = (crc: bigint, chunks: readonly Uint8Array[]): bigint => {
    const length = chunks.reduce((sum, data) => sum + data.length, 0);
    if (length === 0) return crc;
    return crc === 0n ? crcOf(chunks) : crc64Combine(crc, crcOf(chunks), length);
  };
  return Object.freeze({ name: 'wasm' as const, update: (crc: bigint, data: Uint8Array) => updateAll(crc, [data]), updateAll });
}
