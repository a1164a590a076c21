/**
 * CRC-64 as COS computes it for x-cos-hash-crc64ecma: the ECMA-182 polynomial, reflected, with
 * initial value and final xor of all ones (the parameters catalogued as CRC-64/XZ).
 * "123456789" → 11051210869376104954 (0x995DC9BBDF1939FA).
 *
 * Engines computing the same function, fastest first: liblzma's lzma_crc64 through our binding
 * (lzmaCrc64.ts), the native addon `crc64-ecma182`, and a pure TypeScript fallback for hosts where
 * neither loads, such as an Electron build whose ABI differs from the one the addon was compiled
 * for. (hash-wasm's WebAssembly, wasmCrc64.ts, stands in for the compiled ones on hash workers.)
 */

import { endianness } from 'node:os';
import { lzmaEngine, requireLzmaBinding } from './lzmaCrc64';
import type { CrcEngineName } from './types';

export interface Crc64Engine {
  readonly name: CrcEngineName;
  /**
   * Continues a CRC over more data: `update(update(0n, a), b) === update(0n, a ++ b)`.
   * Start from 0n for a fresh CRC.
   */
  update(crc: bigint, data: Uint8Array): bigint;
  /**
   * `update` over each buffer in order, in one call: a download hashes a batch of small network
   * chunks at once, and the native engine's per-call cost (a state buffer, BigInt conversions) is
   * paid once per batch.
   */
  updateAll(crc: bigint, chunks: readonly Uint8Array[]): bigint;
}

export interface Crc64EngineStatus {
  name: CrcEngineName;
  /** Why this engine runs, e.g. the error the native addon failed to load with. */
  reason?: string;
}

/** Reflected ECMA-182 polynomial, split into 32-bit halves. */
const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;
const CHECK_INPUT = '123456789';
const CHECK_VALUE = 0x995dc9bbdf1939fan;
const NATIVE_MODULE = 'crc64-ecma182';
const LZMA_LABEL = 'the liblzma binding';

// ---------------------------------------------------------------------------------------------
// TypeScript engine: slicing-by-8 over two 32-bit halves. JavaScript numbers give exact 32-bit
// bitwise arithmetic; BigInt per byte would be far slower.

const TABLE_LO: Uint32Array[] = [];
const TABLE_HI: Uint32Array[] = [];

function buildTables(): void {
  const lo0 = new Uint32Array(256);
  const hi0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | (hi << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    lo0[n] = lo;
    hi0[n] = hi;
  }
  TABLE_LO.push(lo0);
  TABLE_HI.push(hi0);
  // Table k holds the CRC of byte n followed by k zero bytes, so 8 bytes fold in one step.
  for (let k = 1; k < 8; k++) {
    const prevLo = TABLE_LO[k - 1];
    const prevHi = TABLE_HI[k - 1];
    const lo = new Uint32Array(256);
    const hi = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      const index = prevLo[n] & 0xff;
      lo[n] = (((prevLo[n] >>> 8) | (prevHi[n] << 24)) ^ lo0[index]) >>> 0;
      hi[n] = ((prevHi[n] >>> 8) ^ hi0[index]) >>> 0;
    }
    TABLE_LO.push(lo);
    TABLE_HI.push(hi);
  }
}
buildTables();

const hostIsLittleEndian = endianness() === 'LE';

function typescriptUpdate(crc: bigint, data: Uint8Array): bigint {
  const value = BigInt.asUintN(64, crc);
  let lo = ~Number(value & 0xffffffffn) | 0;
  let hi = ~Number(value >> 32n) | 0;
  const [l0, l1, l2, l3, l4, l5, l6, l7] = TABLE_LO;
  const [h0, h1, h2, h3, h4, h5, h6, h7] = TABLE_HI;
  const length = data.length;
  let i = 0;
  // Whole words are read through an Int32Array, which needs 4-byte alignment and the CRC's own
  // (little-endian) byte order; big-endian hosts take the bytewise loop below for everything.
  if (hostIsLittleEndian && length >= 64) {
    while ((data.byteOffset + i) & 3) {
      const index = (lo ^ data[i++]) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ l0[index];
      hi = (hi >>> 8) ^ h0[index];
    }
    // Division, not >>> 3: a buffer may be longer than 2^32 bytes.
    const pairs = Math.floor((length - i) / 8);
    const words = new Int32Array(data.buffer, data.byteOffset + i, pairs * 2);
    for (let w = 0; w < words.length; w += 2) {
      lo ^= words[w];
      hi ^= words[w + 1];
      const a = lo & 0xff;
      const b = (lo >>> 8) & 0xff;
      const c = (lo >>> 16) & 0xff;
      const d = lo >>> 24;
      const e = hi & 0xff;
      const f = (hi >>> 8) & 0xff;
      const g = (hi >>> 16) & 0xff;
      const h = hi >>> 24;
      lo = l7[a] ^ l6[b] ^ l5[c] ^ l4[d] ^ l3[e] ^ l2[f] ^ l1[g] ^ l0[h];
      hi = h7[a] ^ h6[b] ^ h5[c] ^ h4[d] ^ h3[e] ^ h2[f] ^ h1[g] ^ h0[h];
    }
    i += pairs * 8;
  }
  for (; i < length; i++) {
    const index = (lo ^ data[i]) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ l0[index];
    hi = (hi >>> 8) ^ h0[index];
  }
  return (BigInt(~hi >>> 0) << 32n) | BigInt(~lo >>> 0);
}

/** The pure TypeScript engine; always available. */
export const typescriptCrc64: Crc64Engine = Object.freeze({
  name: 'typescript',
  update: typescriptUpdate,
  updateAll: (crc: bigint, chunks: readonly Uint8Array[]) => chunks.reduce((sum, data) => typescriptUpdate(sum, data), crc),
});

// ---------------------------------------------------------------------------------------------
// Native engine.

interface NativeCrc64Module {
  /** Updates `prev` in place (host-endian uint64 holding a finished CRC) and returns it. */
  crc64(data: Buffer, prev?: Buffer): Buffer;
}

/** Loads the addon; tests substitute one that throws or misbehaves. */
export type NativeCrc64Loader = () => unknown;

function requireNative(): unknown {
  // A lazy require: the addon is external to the bundle and may fail to load (ABI mismatch),
  // which must leave us on the fallback instead of failing the whole module.
  // A literal name, so bundlers see the external dependency.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('crc64-ecma182');
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function wrapNative(module: NativeCrc64Module): Crc64Engine {
  const updateAll = (crc: bigint, chunks: readonly Uint8Array[]): bigint => {
    // The addon keeps the CRC in a uint64 in host byte order.
    const state = Buffer.alloc(8);
    const value = BigInt.asUintN(64, crc);
    if (hostIsLittleEndian) state.writeBigUInt64LE(value);
    else state.writeBigUInt64BE(value);
    for (const data of chunks) if (data.byteLength > 0) module.crc64(asBuffer(data), state);
    return hostIsLittleEndian ? state.readBigUInt64LE(0) : state.readBigUInt64BE(0);
  };
  return Object.freeze({ name: 'native', update: (crc: bigint, data: Uint8Array) => updateAll(crc, [data]), updateAll });
}

function isNativeModule(value: unknown): value is NativeCrc64Module {
  return typeof value === 'object' && value !== null && typeof (value as NativeCrc64Module).crc64 === 'function';
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // require() failures list every searched path on following lines; the first line says enough.
  return text.split('\n', 1)[0];
}

type NativeLoad = { engine: Crc64Engine } | { engine?: undefined; reason: string };

/** Loads an engine and checks it on a known vector: a wrong answer is worse than a slow one. */
function tryEngine(label: string, make: () => Crc64Engine): NativeLoad {
  let engine: Crc64Engine;
  try {
    engine = make();
  } catch (error) {
    return { reason: `${label} could not be loaded: ${errorText(error)}` };
  }
  try {
    const check = engine.update(0n, Buffer.from(CHECK_INPUT, 'ascii'));
    if (check !== CHECK_VALUE) return { reason: `${label} failed its self-test: "${CHECK_INPUT}" gave ${check}` };
  } catch (error) {
    return { reason: `${label} failed its self-test: ${errorText(error)}` };
  }
  return { engine };
}

function tryLoadNative(load: NativeCrc64Loader): NativeLoad {
  return tryEngine(NATIVE_MODULE, () => {
    const module = load();
    if (!isNativeModule(module)) throw new Error('it has no crc64 function');
    return wrapNative(module);
  });
}

function tryLoadLzma(load: NativeCrc64Loader): NativeLoad {
  return tryEngine(LZMA_LABEL, () => lzmaEngine(load()));
}

// ---------------------------------------------------------------------------------------------
// Engine selection.

export interface LoadCrc64Options {
  /** Use the TypeScript engine even when a compiled one would load (tests, benchmarks, diagnosis). */
  forceFallback?: boolean;
  /** Replaces `require('crc64-ecma182')`, so tests can make loading fail. */
  loader?: NativeCrc64Loader;
  /** Replaces loading the liblzma binding npm install built (lzmaCrc64.ts), likewise. */
  lzmaLoader?: NativeCrc64Loader;
}

let selected: { engine: Crc64Engine; status: Crc64EngineStatus } | undefined;
let nativeCache: NativeLoad | undefined;
let lzmaCache: NativeLoad | undefined;

/**
 * Chooses the engine again and makes it the one `getCrc64Engine` returns: liblzma when the binding
 * loads and passes its self-test, else crc64-ecma182 likewise, else TypeScript, with the reasons
 * recorded.
 */
export function loadCrc64Engine(options: LoadCrc64Options = {}): Crc64Engine {
  if (options.forceFallback) {
    selected = { engine: typescriptCrc64, status: { name: 'typescript', reason: 'native engine disabled by option' } };
    return typescriptCrc64;
  }
  if (!options.lzmaLoader && !options.loader && nativeTurnedOff()) {
    selected = { engine: typescriptCrc64, status: { name: 'typescript', reason: `the liblzma binding and ${NATIVE_MODULE} ${TURNED_OFF}` } };
    return typescriptCrc64;
  }
  const lzma = options.lzmaLoader ? tryLoadLzma(options.lzmaLoader) : loadLzmaCached();
  if (lzma.engine) {
    selected = { engine: lzma.engine, status: { name: 'liblzma', reason: `${LZMA_LABEL} loaded` } };
    return lzma.engine;
  }
  const native = options.loader ? tryLoadNative(options.loader) : loadNativeCached();
  selected = native.engine
    ? { engine: native.engine, status: { name: 'native', reason: `${NATIVE_MODULE} loaded; ${lzma.reason}` } }
    : { engine: typescriptCrc64, status: { name: 'typescript', reason: `${lzma.reason}; ${native.reason}` } };
  return selected.engine;
}

const TURNED_OFF = 'turned off by COS_UPLOAD_NATIVE_CRC64=0';

/** COS_UPLOAD_NATIVE_CRC64=0 leaves both compiled engines unloaded, as where they cannot load (diagnosis, tests). */
function nativeTurnedOff(): boolean {
  return process.env.COS_UPLOAD_NATIVE_CRC64 === '0';
}

function loadNativeCached(): NativeLoad {
  nativeCache ??= nativeTurnedOff() ? { reason: `${NATIVE_MODULE} ${TURNED_OFF}` } : tryLoadNative(requireNative);
  return nativeCache;
}

function loadLzmaCached(): NativeLoad {
  lzmaCache ??= nativeTurnedOff() ? { reason: `${LZMA_LABEL} ${TURNED_OFF}` } : tryLoadLzma(() => requireLzmaBinding());
  return lzmaCache;
}

/** The engine in use, chosen on first call (liblzma, else crc64-ecma182, else TypeScript). */
export function getCrc64Engine(): Crc64Engine {
  return selected?.engine ?? loadCrc64Engine();
}

/** Which engine runs and why, for the log. */
export function crc64EngineStatus(): Crc64EngineStatus {
  if (!selected) loadCrc64Engine();
  return { ...(selected as { status: Crc64EngineStatus }).status };
}

/** The crc64-ecma182 engine when the addon loads and passes its self-test; otherwise undefined. */
export function nativeCrc64(): Crc64Engine | undefined {
  return loadNativeCached().engine;
}

/** CRC-64/ECMA-182 of `data` as COS computes it. */
export function crc64(data: Uint8Array, engine: Crc64Engine = getCrc64Engine()): bigint {
  return engine.update(0n, data);
}

// ---------------------------------------------------------------------------------------------
// Combine: the CRC of A ++ B from crc(A), crc(B) and len(B), without the data. This is zlib's
// crc32_combine (the x^(2^n) mod p form of zlib 1.2.12) widened to 64 bits. Polynomials are
// reflected: the highest bit is x^0. Kept in 32-bit halves because the engine may fold 10,000
// part CRCs, and BigInt loops would make that noticeably slow.

/** a·b mod p over GF(2), as [hi, lo]. */
function multModP(aHi: number, aLo: number, bHi: number, bLo: number): [number, number] {
  let pHi = 0;
  let pLo = 0;
  // Walk a's bits from x^0 (the top bit of aHi) down; b becomes b·x at each step.
  for (let bit = 0; bit < 64; bit++) {
    const set = bit < 32 ? (aHi >>> (31 - bit)) & 1 : (aLo >>> (63 - bit)) & 1;
    if (set) {
      pHi ^= bHi;
      pLo ^= bLo;
    }
    const carry = bLo & 1;
    bLo = ((bLo >>> 1) | (bHi << 31)) >>> 0;
    bHi = bHi >>> 1;
    if (carry) {
      bLo = (bLo ^ POLY_LO) >>> 0;
      bHi = (bHi ^ POLY_HI) >>> 0;
    }
  }
  return [pHi >>> 0, pLo >>> 0];
}

/**
 * X2N[k] = x^(2^k) mod p. A safe-integer length has at most 53 bits and starts at k = 3, so 64
 * entries cover every k reached; no wrap-around is assumed.
 */
const X2N_HI = new Uint32Array(64);
const X2N_LO = new Uint32Array(64);
{
  // x^1 in reflected form is bit 62.
  let hi = 0x40000000;
  let lo = 0;
  X2N_HI[0] = hi;
  X2N_LO[0] = lo;
  for (let k = 1; k < 64; k++) {
    [hi, lo] = multModP(hi, lo, hi, lo);
    X2N_HI[k] = hi;
    X2N_LO[k] = lo;
  }
}

/** x^(n·2^k) mod p, for a non-negative integer n up to Number.MAX_SAFE_INTEGER. */
function x2nModP(n: number, k: number): [number, number] {
  // x^0 is the top bit.
  let hi = 0x80000000;
  let lo = 0;
  // n may exceed 2^32 (parts up to 5 GiB, objects up to 48.8 TB): use arithmetic, not bit ops.
  while (n > 0) {
    if (n % 2 === 1) [hi, lo] = multModP(X2N_HI[k], X2N_LO[k], hi, lo);
    n = Math.floor(n / 2);
    k++;
  }
  return [hi, lo];
}

/**
 * The CRC of A followed by B, given crc1 = CRC(A), crc2 = CRC(B) and len2 = length of B in bytes.
 * Works for any len2 from 0 to Number.MAX_SAFE_INTEGER.
 */
export function crc64Combine(crc1: bigint, crc2: bigint, len2: number): bigint {
  if (!Number.isSafeInteger(len2) || len2 < 0) {
    throw new RangeError(`crc64Combine needs a non-negative integer length: ${len2}`);
  }
  const a = BigInt.asUintN(64, crc1);
  const b = BigInt.asUintN(64, crc2);
  if (len2 === 0) return a ^ b;
  // Appending len2 bytes multiplies the CRC register by x^(8·len2); 8 = 2^3, hence k = 3.
  const [mHi, mLo] = x2nModP(len2, 3);
  const [pHi, pLo] = multModP(mHi, mLo, Number(a >> 32n), Number(a & 0xffffffffn));
  return ((BigInt(pHi) << 32n) | BigInt(pLo)) ^ b;
}

// ---------------------------------------------------------------------------------------------
// Decimal form used by x-cos-hash-crc64ecma.

/** The decimal uint64 string COS sends in x-cos-hash-crc64ecma. */
export function crc64ToDecimal(crc: bigint): string {
  return BigInt.asUintN(64, crc).toString(10);
}

const MAX_UINT64 = (1n << 64n) - 1n;

/** Parses an x-cos-hash-crc64ecma value; anything but a decimal uint64 gives undefined. */
export function parseCrc64(decimal: string | undefined): bigint | undefined {
  if (decimal === undefined) return undefined;
  const text = decimal.trim();
  if (!/^\d{1,20}$/.test(text)) return undefined;
  const value = BigInt(text);
  return value <= MAX_UINT64 ? value : undefined;
}
