/**
 * CRC-64/XZ (the "ECMA-182" CRC that COS returns in x-cos-hash-crc64ecma), written for the
 * emulator alone. It must stay independent of the client's CRC code: if both sides shared one
 * implementation, a bug in it would pass every test.
 *
 * Streaming uses the native `crc64-ecma182` addon when it loads (about 2 GB/s) and falls back to a
 * slice-by-8 table in TypeScript otherwise (for example inside Electron, whose ABI the addon was
 * not built for). Combining two CRCs uses BigInt arithmetic modulo the polynomial.
 */

/** Reflected ECMA-182 polynomial. */
const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;
const POLY = 0xc96c5795d7870f42n;
const MASK64 = 0xffffffffffffffffn;

interface NativeCrc64 {
  /** Updates `prev` (8 bytes, little-endian, finalised CRC) in place and returns it. */
  crc64(buffer: Buffer, prev?: Buffer): Buffer;
}

function loadNative(): NativeCrc64 | undefined {
  try {
    // A plain require so a missing or ABI-incompatible addon degrades to the table version.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('crc64-ecma182') as NativeCrc64;
    const probe = mod.crc64(Buffer.from('123456789'), Buffer.alloc(8));
    return probe.readBigUInt64LE(0) === 11051210869376104954n ? mod : undefined;
  } catch {
    return undefined;
  }
}

const native = loadNative();

/** Which engine streams CRCs in this process. */
export const crc64Engine: 'native' | 'typescript' = native ? 'native' : 'typescript';

// Slice-by-8 tables: TABLES_LO[k * 256 + n] / TABLES_HI[...] are the low and high 32 bits of T_k[n].
const TABLES_LO = new Uint32Array(8 * 256);
const TABLES_HI = new Uint32Array(8 * 256);
(function buildTables(): void {
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    TABLES_LO[n] = lo;
    TABLES_HI[n] = hi;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prevLo = TABLES_LO[(k - 1) * 256 + n];
      const prevHi = TABLES_HI[(k - 1) * 256 + n];
      const idx = prevLo & 0xff;
      TABLES_LO[k * 256 + n] = (((prevLo >>> 8) | (prevHi << 24)) ^ TABLES_LO[idx]) >>> 0;
      TABLES_HI[k * 256 + n] = ((prevHi >>> 8) ^ TABLES_HI[idx]) >>> 0;
    }
  }
})();

/** The TypeScript engine: state is the un-finalised register as two uint32 halves. */
class TableCrc64 {
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  update(buf: Uint8Array): void {
    let lo = this.lo;
    let hi = this.hi;
    let i = 0;
    const end8 = buf.length - (buf.length % 8);
    const T = TABLES_LO;
    const H = TABLES_HI;
    for (; i < end8; i += 8) {
      const xlo = (lo ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))) >>> 0;
      const xhi = (hi ^ (buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24))) >>> 0;
      const a = 7 * 256 + (xlo & 0xff);
      const b = 6 * 256 + ((xlo >>> 8) & 0xff);
      const c = 5 * 256 + ((xlo >>> 16) & 0xff);
      const d = 4 * 256 + (xlo >>> 24);
      const e = 3 * 256 + (xhi & 0xff);
      const f = 2 * 256 + ((xhi >>> 8) & 0xff);
      const g = 256 + ((xhi >>> 16) & 0xff);
      const h = xhi >>> 24;
      lo = (T[a] ^ T[b] ^ T[c] ^ T[d] ^ T[e] ^ T[f] ^ T[g] ^ T[h]) >>> 0;
      hi = (H[a] ^ H[b] ^ H[c] ^ H[d] ^ H[e] ^ H[f] ^ H[g] ^ H[h]) >>> 0;
    }
    for (; i < buf.length; i++) {
      const idx = (lo ^ buf[i]) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ T[idx]) >>> 0;
      hi = ((hi >>> 8) ^ H[idx]) >>> 0;
    }
    this.lo = lo;
    this.hi = hi;
  }

  digest(): bigint {
    return (BigInt((~this.hi) >>> 0) << 32n) | BigInt((~this.lo) >>> 0);
  }
}

/** Incremental CRC-64/XZ of a byte stream. */
export interface Crc64Hasher {
  update(chunk: Uint8Array): void;
  /** The CRC of everything so far, as an unsigned 64-bit value. Does not reset the state. */
  digest(): bigint;
}

class NativeHasher implements Crc64Hasher {
  private readonly state = Buffer.alloc(8);
  constructor(private readonly mod: NativeCrc64) {}

  update(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.mod.crc64(buf, this.state);
  }

  digest(): bigint {
    return this.state.readBigUInt64LE(0);
  }
}

/** A new streaming hasher; `engine` forces one (tests compare both). */
export function createCrc64(engine: 'native' | 'typescript' = crc64Engine): Crc64Hasher {
  if (engine === 'native') {
    if (!native) throw new Error('The native crc64-ecma182 addon did not load: use the typescript engine.');
    return new NativeHasher(native);
  }
  return new TableCrc64();
}

/** CRC-64/XZ of one buffer. */
export function crc64Of(buf: Uint8Array, engine?: 'native' | 'typescript'): bigint {
  const h = createCrc64(engine);
  h.update(buf);
  return h.digest();
}

// Combination: crc(A‖B) = crc(A)·x^(8·|B|) mod P  ⊕  crc(B), in the reflected representation where
// the most significant bit is x^0 (the all-ones init and xor-out cancel out, as in zlib's
// crc32_combine).
const X0 = 1n << 63n;

function multModP(a: bigint, b: bigint): bigint {
  if (a === 0n) return 0n;
  let m = X0;
  let p = 0n;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = b & 1n ? (b >> 1n) ^ POLY : b >> 1n;
  }
  return p;
}

/** X2N[k] = x^(2^k) mod P. 64 entries cover any byte length below 2^60. */
const X2N: bigint[] = [];
{
  let p = 1n << 62n; // x^1
  for (let k = 0; k < 64; k++) {
    X2N.push(p);
    p = multModP(p, p);
  }
}

const shiftCache = new Map<number, bigint>();

/** x^(8·bytes) mod P, cached because a multipart upload mostly has one part size. */
function shiftForBytes(bytes: number): bigint {
  let cached = shiftCache.get(bytes);
  if (cached !== undefined) return cached;
  let p = X0;
  let n = BigInt(bytes);
  let k = 3; // 2^3 = 8 bits per byte
  while (n > 0n) {
    if (n & 1n) p = multModP(X2N[k], p);
    n >>= 1n;
    k++;
  }
  cached = p;
  if (shiftCache.size > 4096) shiftCache.clear();
  shiftCache.set(bytes, cached);
  return cached;
}

/** CRC of A‖B from crc(A), crc(B) and the length of B in bytes. */
export function combineCrc64(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (lengthB === 0) return crcA;
  return (multModP(shiftForBytes(lengthB), crcA) ^ crcB) & MASK64;
}

/** Folds part CRCs in order into the CRC of the whole object. */
export function crc64CombineAll(parts: ReadonlyArray<{ crc64: bigint; size: number }>): bigint {
  let acc = 0n; // CRC of the empty string
  for (const part of parts) acc = combineCrc64(acc, part.crc64, part.size);
  return acc;
}
