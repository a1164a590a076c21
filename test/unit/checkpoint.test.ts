import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointWriter, checkpointId, FileCheckpointStore } from '../../src/core/checkpoint';
import { CosError } from '../../src/core/errors';
import type { Checkpoint, CheckpointStore } from '../../src/core/types';

function sample(parts = 0): Checkpoint {
  return {
    version: 1,
    uploadId: 'u1',
    bucket: 'examplebucket-1250000000',
    region: 'ap-guangzhou',
    key: 'a/b.bin',
    filePath: '/tmp/b.bin',
    fileSize: 10,
    fileMtimeMs: 1,
    partSize: 1048576,
    partCount: 1,
    parts: Array.from({ length: parts }, (_, i) => ({ partNumber: i + 1, size: 1, etag: '"e"', crc64: '1' })),
    createdAt: 'now',
    updatedAt: 'now',
  };
}

describe('checkpoints', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-'));
  });

  it('ids are stable per (target, key, file) and differ otherwise', () => {
    const t = { bucket: 'b-1', region: 'ap-guangzhou' };
    assert.equal(checkpointId(t, 'k', '/x/f'), checkpointId(t, 'k', '/x/f'));
    assert.notEqual(checkpointId(t, 'k', '/x/f'), checkpointId(t, 'k2', '/x/f'));
    assert.notEqual(checkpointId(t, 'k', '/x/f'), checkpointId({ ...t, endpoint: 'http://127.0.0.1:1' }, 'k', '/x/f'));
    assert.match(checkpointId(t, 'k', '/x/f'), /^[0-9a-f]{32}$/);
  });

  it('saves atomically, loads, lists and removes', async () => {
    const store = new FileCheckpointStore(path.join(dir, 'nested'));
    assert.equal(await store.load('abc'), undefined);
    await store.save('abc', sample(2));
    assert.deepEqual(await store.load('abc'), sample(2));
    assert.deepEqual((await store.list()).map((e) => e.id), ['abc']);
    const leftovers = (await fs.readdir(path.join(dir, 'nested'))).filter((n) => n.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
    await store.remove('abc');
    assert.equal(await store.load('abc'), undefined);
  });

  it('reports a damaged checkpoint instead of silently discarding it', async () => {
    const store = new FileCheckpointStore(dir);
    await fs.writeFile(path.join(dir, 'bad.json'), '{"version":1,');
    await assert.rejects(store.load('bad'), (e: unknown) => CosError.is(e) && e.code === 'CHECKPOINT' && /not valid JSON/.test(e.message));
    assert.ok(await fs.stat(path.join(dir, 'bad.json')), 'file kept for inspection');
    await assert.rejects(store.load('../escape'), (e: unknown) => CosError.is(e) && e.code === 'CHECKPOINT');
  });

  it('the writer coalesces bursts and ends with the newest state', async () => {
    const saved: number[] = [];
    let release: () => void = () => undefined;
    const slow: CheckpointStore = {
      load: async () => undefined,
      remove: async () => undefined,
      list: async () => [],
      save: async (_id, c) => {
        saved.push(c.parts.length);
        await new Promise<void>((r) => (release = r));
      },
    };
    const writer = new CheckpointWriter(slow, 'id');
    const writes = [1, 2, 3, 4].map((n) => writer.write(sample(n)));
    await new Promise((r) => setImmediate(r));
    release();
    await new Promise((r) => setImmediate(r));
    release();
    await Promise.all(writes);
    await writer.flush();
    assert.deepEqual(saved, [1, 4], 'first write, then only the newest of the burst');
  });
});
