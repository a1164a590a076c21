import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CosError } from '../../src/core/errors';
import { SourceFile } from '../../src/core/sourceFile';

describe('source file reads', () => {
  let dir: string;
  let file: string;
  const data = randomBytes(4 * 1024 * 1024 + 3);

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-source-'));
    file = path.join(dir, 'data.bin');
    await fs.writeFile(file, data);
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('finishes reads one at a time in the order they were asked for, each with the right bytes', async () => {
    const source = await SourceFile.open(file);
    try {
      const size = 1024 * 1024;
      const finished: number[] = [];
      const reads = [0, 1, 2, 3, 4].map((i) => {
        const length = Math.min(size, data.length - i * size);
        return source.read({ partNumber: i + 1, offset: i * size, length }, Buffer.alloc(size)).then((bytes) => {
          finished.push(i + 1);
          assert.ok(bytes.equals(data.subarray(i * size, i * size + length)), `part ${i + 1} bytes`);
        });
      });
      await Promise.all(reads);
      assert.deepEqual(finished, [1, 2, 3, 4, 5]);
    } finally {
      await source.close();
    }
  });

  it('a read that fails (the file ends early) does not hold up the reads queued after it', async () => {
    const source = await SourceFile.open(file);
    try {
      const pastEnd = source.read({ partNumber: 9, offset: data.length - 10, length: 20 }, Buffer.alloc(20));
      const next = source.read({ partNumber: 1, offset: 0, length: 16 }, Buffer.alloc(16));
      await assert.rejects(pastEnd, (error: unknown) => CosError.is(error) && error.code === 'FILE_CHANGED');
      assert.ok((await next).equals(data.subarray(0, 16)));
    } finally {
      await source.close();
    }
  });
});
