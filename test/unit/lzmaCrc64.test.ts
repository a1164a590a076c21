import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { typescriptCrc64 } from '../../src/core/crc64';
import { lzmaBindingPath, lzmaEngine, requireLzmaBinding } from '../../src/core/lzmaCrc64';
import { builtLzmaBindingPath, builtLzmaEngine } from '../lzmaBinding';
import { findRepoRoot } from '../repoRoot';
import { prng } from '../seededRandom';

function randomBytes(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

describe('liblzma CRC64 binding (src/native)', () => {
  const engine = builtLzmaEngine();

  it('is named liblzma and gives the CRC-64/XZ check value', () => {
    assert.equal(engine.name, 'liblzma');
    assert.equal(engine.update(0n, Buffer.from('123456789')), 0x995dc9bbdf1939fan);
  });

  it('agrees with the TypeScript engine on 200 random buffers at random offsets, whole and split', () => {
    const random = prng(4242);
    for (let round = 0; round < 200; round++) {
      const length = round < 20 ? round : Math.floor(random() ** 2 * 400 * 1024);
      const offset = Math.floor(random() * 16);
      const data = randomBytes(random, length + offset).subarray(offset);
      const whole = typescriptCrc64.update(0n, data);
      assert.equal(engine.update(0n, data), whole, `round ${round}, length ${length}`);
      const cut = Math.floor(random() * (length + 1));
      assert.equal(engine.update(engine.update(0n, data.subarray(0, cut)), data.subarray(cut)), whole, `round ${round}, cut ${cut}`);
      assert.equal(engine.updateAll(0n, [data.subarray(0, cut), new Uint8Array(0), data.subarray(cut)]), whole, `round ${round}, updateAll`);
    }
  });

  it('hashes part buffers in shared memory, as the hash workers hand them over', () => {
    const shared = Buffer.from(new SharedArrayBuffer(3 * 1024 * 1024 + 5));
    shared.set(randomBytes(prng(5), shared.length));
    const view = shared.subarray(7);
    assert.equal(engine.update(0n, view), typescriptCrc64.update(0n, view));
  });

  it('rejects what is not a CRC and a Uint8Array with a TypeError, not a crash', () => {
    const binding = requireLzmaBinding(builtLzmaBindingPath()) as { update: (...args: unknown[]) => unknown };
    assert.throws(() => binding.update(0n), TypeError);
    assert.throws(() => binding.update(-1n, Buffer.alloc(1)), TypeError);
    assert.throws(() => binding.update(1n << 64n, Buffer.alloc(1)), TypeError);
    assert.throws(() => binding.update(0, Buffer.alloc(1)), TypeError);
    assert.throws(() => binding.update(0n, 'text'), TypeError);
    assert.throws(() => binding.update(0n, new Uint16Array(4)), TypeError);
    // The engine keeps any bigint in range, as the other engines do.
    assert.equal(engine.update(-1n, new Uint8Array(0)), (1n << 64n) - 1n);
  });

  it('wraps only a module with an update function', () => {
    assert.throws(() => lzmaEngine({}), /no update function/);
    assert.throws(() => lzmaEngine(null), /no update function/);
  });

  it('is looked for under the package root: the nearest folder up with a package.json', () => {
    const repo = findRepoRoot();
    const built = path.join(repo, 'src', 'native', 'build', 'Release', 'lzma_crc64.node');
    assert.equal(builtLzmaBindingPath(), built);
    for (const from of [path.join(repo, 'dist'), path.join(repo, 'src', 'core'), path.join(repo, 'out', 'src', 'core')]) {
      assert.equal(lzmaBindingPath(from), built, from);
    }
    assert.equal(lzmaBindingPath('/'), undefined);
  });

  it('says what is missing when the binding is not installed', () => {
    assert.throws(() => requireLzmaBinding('/nonexistent/lzma_crc64.node'), /lzma_crc64\.node is not installed here \(npm install builds it/);
  });

  it('loads in several worker threads at once (unlike crc64-ecma182, which loads in one per process)', async () => {
    const file = builtLzmaBindingPath();
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const binding = require(workerData);
      parentPort.postMessage(binding.update(0n, Buffer.from('123456789')).toString(16));`;
    const answers = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<string>((resolve, reject) => {
            const worker = new Worker(source, { eval: true, workerData: file });
            worker.once('message', (answer: string) => void worker.terminate().then(() => resolve(answer)));
            worker.once('error', reject);
          }),
      ),
    );
    assert.deepEqual(answers, ['995dc9bbdf1939fa', '995dc9bbdf1939fa', '995dc9bbdf1939fa']);
  });
});
