import * as assert from 'node:assert/strict';
import {
  crc64,
  crc64Combine,
  crc64EngineStatus,
  crc64ToDecimal,
  getCrc64Engine,
  loadCrc64Engine,
  nativeCrc64,
  parseCrc64,
  typescriptCrc64,
  type Crc64Engine,
} from '../../src/core/crc64';
import { startWasmCrc64 } from '../../src/core/wasmCrc64';
import { requireLzmaBinding } from '../../src/core/lzmaCrc64';
import { builtLzmaBindingPath, builtLzmaEngine } from '../lzmaBinding';
import { prng } from '../seededRandom';


function randomBytes(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** Bit-at-a-time reference straight from the CRC-64/XZ definition, independent of the tables. */
function bitwiseCrc64(data: Uint8Array): bigint {
  const poly = 0xc96c5795d7870f42n;
  let crc = 0xffffffffffffffffn;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc ^ 0xffffffffffffffffn;
}

/** zlib's older GF(2) matrix-squaring combine, in BigInt: a second, independent algorithm. */
function matrixCombine(crc1: bigint, crc2: bigint, len2: bigint): bigint {
  const times = (mat: bigint[], vec: bigint): bigint => {
    let sum = 0n;
    for (let i = 0; vec !== 0n; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i];
    return sum;
  };
  const square = (mat: bigint[]): bigint[] => mat.map((row) => times(mat, row));
  if (len2 === 0n) return crc1 ^ crc2;
  let odd: bigint[] = [0xc96c5795d7870f42n];
  for (let n = 1; n < 64; n++) odd.push(1n << BigInt(n - 1));
  let even = square(odd);
  odd = square(even);
  for (;;) {
    even = square(odd);
    if (len2 & 1n) crc1 = times(even, crc1);
    len2 >>= 1n;
    if (len2 === 0n) break;
    odd = square(even);
    if (len2 & 1n) crc1 = times(odd, crc1);
    len2 >>= 1n;
    if (len2 === 0n) break;
  }
  return crc1 ^ crc2;
}

/** `rounds` random buffers: the first ten of length 0..9, then up to 300 KiB, at random alignments. */
function* randomBuffers(seed: number, rounds: number): Generator<{ round: number; data: Uint8Array; random: () => number }> {
  const random = prng(seed);
  for (let round = 0; round < rounds; round++) {
    const length = round < 10 ? round : Math.floor(random() ** 2 * 300 * 1024);
    const offset = Math.floor(random() * 8);
    yield { round, data: randomBytes(random, length + offset).subarray(offset), random };
  }
}

function ascii(text: string): Uint8Array {
  return Buffer.from(text, 'ascii');
}

describe('crc64', () => {
  // The addon builds and loads in this development environment (see the project notes), so both
  // engines are tested; a missing addon fails here rather than silently testing one engine.
  const loadedNative = nativeCrc64();
  const nativeEngine = (): Crc64Engine => {
    assert.ok(loadedNative, `native engine unavailable: ${crc64EngineStatus().reason}`);
    return loadedNative;
  };
  const engines: Crc64Engine[] = [typescriptCrc64, ...(loadedNative ? [loadedNative] : []), builtLzmaEngine()];

  after(() => {
    // Tests below switch engines; leave the normal choice behind for other files.
    loadCrc64Engine();
  });

  it('loads the native addon in this development environment', () => {
    assert.equal(nativeEngine().name, 'native');
  });

  for (const engine of engines) {
    describe(`${engine.name} engine, known vectors`, () => {
      it('"123456789" → 0x995DC9BBDF1939FA (CRC-64/XZ check value)', () => {
        assert.equal(crc64(ascii('123456789'), engine), 11051210869376104954n);
        assert.equal(crc64(ascii('123456789'), engine), 0x995dc9bbdf1939fan);
      });

      it('empty input → 0', () => {
        assert.equal(crc64(new Uint8Array(0), engine), 0n);
        assert.equal(engine.update(12345n, new Uint8Array(0)), 12345n);
      });

      it('short inputs match the bitwise definition', () => {
        for (const text of ['a', 'abc', 'message digest', 'abcdefghijklmnopqrstuvwxyz', 'The quick brown fox jumps over the lazy dog']) {
          assert.equal(crc64(ascii(text), engine), bitwiseCrc64(ascii(text)), text);
        }
        assert.equal(crc64(ascii('a'), engine), 0x330284772e652b05n);
      });

      it('matches the bitwise definition at every length 0..200 and offset 0..7', () => {
        const data = randomBytes(prng(7), 220);
        for (let offset = 0; offset < 8; offset++) {
          for (let length = 0; length <= 200; length += offset === 0 ? 1 : 13) {
            const slice = data.subarray(offset, offset + length);
            assert.equal(engine.update(0n, slice), bitwiseCrc64(slice), `offset ${offset} length ${length}`);
          }
        }
      });

      it('accepts a plain Uint8Array view into a larger ArrayBuffer', () => {
        const backing = randomBytes(prng(8), 5000);
        const view = new Uint8Array(backing.buffer, 3, 4001);
        assert.equal(engine.update(0n, view), bitwiseCrc64(view));
      });

      it('updateAll over chunks equals update over them joined: empty chunks, odd views and a running CRC included', () => {
        const random = prng(11);
        for (let round = 0; round < 30; round++) {
          const chunks = Array.from({ length: Math.floor(random() * 6) }, () => {
            const length = random() < 0.2 ? 0 : Math.floor(random() * 8 * 1024);
            const offset = Math.floor(random() * 8);
            return randomBytes(random, length + offset).subarray(offset);
          });
          const start = engine.update(0n, randomBytes(random, 100));
          const joined = Buffer.concat(chunks);
          assert.equal(engine.updateAll(start, chunks), engine.update(start, joined), `round ${round}`);
          assert.equal(engine.updateAll(0n, chunks), bitwiseCrc64(joined), `round ${round}, from nothing`);
        }
        assert.equal(engine.updateAll(777n, []), 777n);
      });
    });
  }

  describe('native and TypeScript engines agree', () => {
    it('on 200 random buffers of random length (0..300 KiB) at random alignments', () => {
      const native = nativeEngine();
      for (const { round, data } of randomBuffers(2024, 200)) {
        assert.equal(typescriptCrc64.update(0n, data), native.update(0n, data), `round ${round}, length ${data.length}`);
      }
    });

    it('on incremental updates split at random points, including across engines', () => {
      const native = nativeEngine();
      const random = prng(99);
      for (let round = 0; round < 60; round++) {
        const data = randomBytes(random, Math.floor(random() * 200 * 1024));
        const whole = native.update(0n, data);
        const cuts = Array.from({ length: Math.floor(random() * 6) }, () => Math.floor(random() * (data.length + 1)));
        cuts.sort((a, b) => a - b);
        let tsCrc = 0n;
        let nativeCrc = 0n;
        let mixed = 0n;
        let start = 0;
        for (const [index, end] of [...cuts, data.length].entries()) {
          const piece = data.subarray(start, end);
          tsCrc = typescriptCrc64.update(tsCrc, piece);
          nativeCrc = native.update(nativeCrc, piece);
          mixed = (index % 2 === 0 ? typescriptCrc64 : native).update(mixed, piece);
          start = end;
        }
        assert.equal(tsCrc, whole, `typescript, round ${round}`);
        assert.equal(nativeCrc, whole, `native, round ${round}`);
        assert.equal(mixed, whole, `alternating, round ${round}`);
      }
    });
  });

  describe('WebAssembly engine (hash-wasm)', () => {
    let wasm: Crc64Engine;
    before(async () => {
      const started = await startWasmCrc64();
      assert.ok(started, 'hash-wasm did not compile');
      wasm = started;
    });

    it('is named wasm, and gives the CRC-64/XZ check value and the CRC of nothing', () => {
      assert.equal(wasm.name, 'wasm');
      assert.equal(crc64(ascii('123456789'), wasm), 0x995dc9bbdf1939fan);
      assert.equal(crc64(new Uint8Array(0), wasm), 0n);
      assert.equal(wasm.update(12345n, new Uint8Array(0)), 12345n);
    });

    it('matches the bitwise definition at every length 0..200 and offset 0..7', () => {
      const random = prng(7);
      const backing = randomBytes(random, 208);
      for (let offset = 0; offset < 8; offset++) {
        for (let length = 0; length <= 200; length++) {
          const data = backing.subarray(offset, offset + length);
          assert.equal(wasm.update(0n, data), bitwiseCrc64(data), `offset ${offset}, length ${length}`);
        }
      }
    });

    it('agrees with the native engine on 200 random buffers (0..300 KiB) and on updates split at random points', () => {
      const native = nativeEngine();
      for (const { round, data, random } of randomBuffers(4242, 200)) {
        const whole = native.update(0n, data);
        assert.equal(wasm.update(0n, data), whole, `round ${round}, length ${data.length}`);
        const cut = Math.floor(random() * (data.length + 1));
        assert.equal(wasm.update(wasm.update(0n, data.subarray(0, cut)), data.subarray(cut)), whole, `round ${round}, cut at ${cut}`);
        assert.equal(wasm.updateAll(0n, [data.subarray(0, cut), new Uint8Array(0), data.subarray(cut)]), whole, `round ${round}, updateAll`);
        // A download's batches: a CRC continued by several chunks at once, the batch possibly empty.
        const third = Math.floor(random() * (cut + 1));
        const batch = [data.subarray(third, cut), data.subarray(cut, cut + 7), data.subarray(cut + 7)];
        assert.equal(wasm.updateAll(wasm.update(0n, data.subarray(0, third)), batch), whole, `round ${round}, batch after ${third}`);
        assert.equal(wasm.updateAll(whole, []), whole);
      }
    });
  });

  describe('crc64Combine', () => {
    const engine = loadedNative ?? typescriptCrc64;

    it('combine(crc(A), crc(B), len(B)) equals crc(A + B) for random splits, empty parts included', () => {
      const random = prng(31337);
      for (let round = 0; round < 150; round++) {
        const data = randomBytes(random, Math.floor(random() * 70_000));
        const split = round % 10 === 0 ? 0 : round % 10 === 1 ? data.length : Math.floor(random() * (data.length + 1));
        const a = data.subarray(0, split);
        const b = data.subarray(split);
        assert.equal(crc64Combine(crc64(a, engine), crc64(b, engine), b.length), crc64(data, engine), `round ${round}, split ${split}/${data.length}`);
      }
    });

    it('handles lengths of B across every bit size up to 2^20', () => {
      const data = randomBytes(prng(5), (1 << 20) + 17);
      const whole = (n: number): bigint => crc64(data.subarray(0, 17 + n), engine);
      const a = crc64(data.subarray(0, 17), engine);
      for (let bits = 0; bits <= 20; bits++) {
        for (const len of [2 ** bits - 1, 2 ** bits, 2 ** bits + 1]) {
          if (len < 0 || len > (1 << 20)) continue;
          const b = crc64(data.subarray(17, 17 + len), engine);
          assert.equal(crc64Combine(a, b, len), whole(len), `len ${len}`);
        }
      }
    });

    it('len2 = 0 returns crc1 when crc2 is the CRC of nothing', () => {
      assert.equal(crc64Combine(0x1234567890abcdefn, 0n, 0), 0x1234567890abcdefn);
      assert.equal(crc64Combine(0n, 0n, 0), 0n);
    });

    it('agrees with the GF(2) matrix algorithm for random CRCs and lengths up to 2^53 − 1', () => {
      const random = prng(4242);
      const lengths = [1, 7, 8, 255, 1 << 20, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 5 * 2 ** 30, 53_687_091_200_000, Number.MAX_SAFE_INTEGER];
      for (let i = 0; i < 20; i++) lengths.push(Math.floor(random() * 2 ** 40));
      for (const len of lengths) {
        const c1 = BigInt(Math.floor(random() * 2 ** 32)) << 32n | BigInt(Math.floor(random() * 2 ** 32));
        const c2 = BigInt(Math.floor(random() * 2 ** 32)) << 32n | BigInt(Math.floor(random() * 2 ** 32));
        assert.equal(crc64Combine(c1, c2, len), matrixCombine(c1, c2, BigInt(len)), `len ${len}`);
      }
    });

    it('computes the CRC of 5 GiB of zeros consistently by doubling, by different splits, and by the matrix method', () => {
      const zeroCrcs = new Map<number, bigint>([[1, crc64(new Uint8Array(1), engine)]]);
      // zeros(2n) = zeros(n) ++ zeros(n).
      for (let n = 1; n < 4 * 2 ** 30; n *= 2) {
        const half = zeroCrcs.get(n) as bigint;
        zeroCrcs.set(2 * n, crc64Combine(half, half, n));
      }
      // Doubling agrees with hashing the zeros directly where that is cheap.
      for (const n of [1, 2, 64, 4096, 1 << 20, 1 << 24]) {
        assert.equal(zeroCrcs.get(n), crc64(new Uint8Array(n), engine), `zeros(${n})`);
      }
      const gib = 2 ** 30;
      const one = zeroCrcs.get(gib) as bigint;
      const four = zeroCrcs.get(4 * gib) as bigint;
      const fiveA = crc64Combine(four, one, gib);
      const fiveB = crc64Combine(one, four, 4 * gib);
      assert.equal(fiveA, fiveB);
      // The matrix method extends zeros(1 GiB) by 4 GiB of zeros without sharing any code.
      assert.equal(fiveA, matrixCombine(one, four, BigInt(4 * gib)));
      assert.notEqual(fiveA, one);
    });

    it('matches hashing 256 MiB of zeros directly', () => {
      const native = nativeEngine();
      const chunk = new Uint8Array(16 * 1024 * 1024);
      let direct = 0n;
      for (let i = 0; i < 16; i++) direct = native.update(direct, chunk);
      const chunkCrc = native.update(0n, chunk);
      let combined = 0n;
      for (let i = 0; i < 16; i++) combined = crc64Combine(combined, chunkCrc, chunk.length);
      assert.equal(combined, direct);
    });

    it('rejects a negative or fractional length', () => {
      assert.throws(() => crc64Combine(1n, 2n, -1), RangeError);
      assert.throws(() => crc64Combine(1n, 2n, 1.5), RangeError);
    });
  });

  describe('engine selection', () => {
    afterEach(() => {
      loadCrc64Engine();
    });

    const lzmaMissing = (): never => {
      throw new Error('lzma_crc64.node is not installed here');
    };

    it('uses the real liblzma binding when it loads, and says so', () => {
      assert.equal(loadCrc64Engine({ lzmaLoader: () => requireLzmaBinding(builtLzmaBindingPath()) }).name, 'liblzma');
      assert.deepEqual(crc64EngineStatus(), { name: 'liblzma', reason: 'the liblzma binding loaded' });
    });

    it('uses native when it loads and liblzma does not, and says so', () => {
      nativeEngine();
      assert.equal(loadCrc64Engine({ lzmaLoader: lzmaMissing }).name, 'native');
      assert.equal(getCrc64Engine().name, 'native');
      assert.equal(crc64EngineStatus().name, 'native');
    });

    it('falls back to TypeScript when forced', () => {
      const engine = loadCrc64Engine({ forceFallback: true });
      assert.equal(engine, typescriptCrc64);
      assert.equal(getCrc64Engine(), typescriptCrc64);
      const status = crc64EngineStatus();
      assert.equal(status.name, 'typescript');
      assert.match(status.reason ?? '', /disabled/);
      assert.equal(crc64(ascii('123456789')), 11051210869376104954n);
    });

    it('prefers the liblzma binding to the addon when it loads and passes its self-test', () => {
      const engine = loadCrc64Engine({ lzmaLoader: () => ({ update: (crc: bigint, data: Uint8Array) => typescriptCrc64.update(crc, data) }) });
      assert.equal(engine.name, 'liblzma');
      assert.equal(crc64EngineStatus().name, 'liblzma');
      assert.equal(crc64(ascii('123456789')), 0x995dc9bbdf1939fan);
    });

    it('uses the addon when the liblzma binding is missing or wrong, and says why', () => {
      nativeEngine();
      assert.equal(loadCrc64Engine({ lzmaLoader: lzmaMissing }).name, 'native');
      assert.equal(crc64EngineStatus().reason, 'crc64-ecma182 loaded; the liblzma binding could not be loaded: lzma_crc64.node is not installed here');
      assert.equal(loadCrc64Engine({ lzmaLoader: () => ({ update: () => 0n }) }).name, 'native');
      assert.match(crc64EngineStatus().reason ?? '', /liblzma binding failed its self-test/);
      assert.equal(loadCrc64Engine({ lzmaLoader: () => ({}) }).name, 'native');
      assert.match(crc64EngineStatus().reason ?? '', /liblzma binding could not be loaded: it has no update function/);
    });

    it('falls back to TypeScript and records the load error when the addon cannot load', () => {
      const engine = loadCrc64Engine({
        lzmaLoader: lzmaMissing,
        loader: () => {
          throw new Error('The module was compiled against a different Node.js version\nRequire stack:\n- /x/y.js');
        },
      });
      assert.equal(engine.name, 'typescript');
      const status = crc64EngineStatus();
      assert.equal(status.name, 'typescript');
      assert.equal(
        status.reason,
        'the liblzma binding could not be loaded: lzma_crc64.node is not installed here; crc64-ecma182 could not be loaded: The module was compiled against a different Node.js version',
      );
    });

    it('falls back when the addon loads but computes a wrong CRC', () => {
      const engine = loadCrc64Engine({ lzmaLoader: lzmaMissing, loader: () => ({ crc64: (_data: Buffer, prev?: Buffer) => prev ?? Buffer.alloc(8) }) });
      assert.equal(engine.name, 'typescript');
      assert.match(crc64EngineStatus().reason ?? '', /self-test/);
    });

    it('falls back when the module has no crc64 function', () => {
      assert.equal(loadCrc64Engine({ lzmaLoader: lzmaMissing, loader: () => ({}) }).name, 'typescript');
      assert.match(crc64EngineStatus().reason ?? '', /no crc64 function/);
    });
  });

  describe('decimal form', () => {
    it('round-trips through crc64ToDecimal and parseCrc64', () => {
      for (const value of [0n, 1n, 11051210869376104954n, (1n << 64n) - 1n]) {
        assert.equal(parseCrc64(crc64ToDecimal(value)), value);
      }
      assert.equal(crc64ToDecimal(0x995dc9bbdf1939fan), '11051210869376104954');
    });

    it('parses the value from the COS documentation example', () => {
      assert.equal(parseCrc64('9973912126177188060'), 9973912126177188060n);
      assert.equal(parseCrc64(' 42 '), 42n);
    });

    it('rejects anything that is not a decimal uint64', () => {
      for (const bad of [undefined, '', ' ', '-1', '0x10', '1e5', '12.0', 'abc', '18446744073709551616', '123456789012345678901']) {
        assert.equal(parseCrc64(bad), undefined, String(bad));
      }
    });
  });
});
