import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkpointKnowsUpload,
  checkpointId,
  checkpointsOfUpload,
  CosError,
  fileUnderTarget,
  FileCheckpointStore,
  listIncompleteUploads,
  mapLimit,
  selectOlderThan,
  type BucketTarget,
  type Checkpoint,
  type IncompleteUpload,
  type UploadLister,
} from '../../src/core';

const MiB = 1024 * 1024;
const TARGET: BucketTarget = { bucket: 'examplebucket-1250000000', region: 'ap-guangzhou' };

function checkpoint(overrides: Partial<Checkpoint> = {}): Checkpoint {
  return {
    version: 1,
    uploadId: 'U1',
    bucket: TARGET.bucket,
    region: TARGET.region,
    key: 'dir/a.bin',
    filePath: '/nowhere/a.bin',
    fileSize: 2 * MiB,
    fileMtimeMs: 1,
    partSize: MiB,
    partCount: 2,
    parts: [],
    createdAt: '2024-05-01T00:00:00.000Z',
    updatedAt: '2024-05-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('incomplete uploads: the checkpoint rule', () => {
  const upload = { key: 'dir/a.bin', uploadId: 'U1' };

  it('a checkpoint knows an upload when bucket, region, key and upload id agree', () => {
    assert.equal(checkpointKnowsUpload(checkpoint(), TARGET, upload), true);
  });

  it('the route does not matter: the same bucket through a custom endpoint or acceleration', () => {
    assert.equal(checkpointKnowsUpload(checkpoint({ accelerate: true }), TARGET, upload), true);
    assert.equal(checkpointKnowsUpload(checkpoint({ endpoint: 'http://127.0.0.1:9000' }), { ...TARGET, accelerate: true }, upload), true);
  });

  it('any other difference means another upload', () => {
    assert.equal(checkpointKnowsUpload(checkpoint({ uploadId: 'U2' }), TARGET, upload), false);
    assert.equal(checkpointKnowsUpload(checkpoint({ key: 'dir/b.bin' }), TARGET, upload), false);
    assert.equal(checkpointKnowsUpload(checkpoint({ bucket: 'other-1250000000' }), TARGET, upload), false);
    assert.equal(checkpointKnowsUpload(checkpoint({ region: 'ap-beijing' }), TARGET, upload), false);
  });
});

describe('incomplete uploads: listing', () => {
  let dir: string;
  let store: FileCheckpointStore;
  let localFile: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'incomplete-'));
    store = new FileCheckpointStore(path.join(dir, 'state'));
    localFile = path.join(dir, 'a.bin');
    await fs.writeFile(localFile, 'x');
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  function lister(uploads: Array<{ key: string; uploadId: string; initiated?: string }>, parts: Record<string, number[] | Error>): UploadLister {
    return {
      listMultipartUploads: async () => uploads,
      listParts: async (_key, uploadId) => {
        const answer = parts[uploadId];
        if (answer instanceof Error) throw answer;
        return (answer ?? []).map((size, i) => ({ partNumber: i + 1, etag: `"${i}"`, size }));
      },
    };
  }

  it('sizes each upload, joins the checkpoint that knows it, and leaves out uploads that vanished', async () => {
    await store.save('cpa', checkpoint({ filePath: localFile }));
    await store.save('cpgone', checkpoint({ uploadId: 'U3', key: 'dir/c.bin', filePath: path.join(dir, 'deleted.bin') }));
    // Same upload id in another bucket: not this upload's checkpoint.
    await store.save('cpother', checkpoint({ uploadId: 'U2', key: 'dir/b.bin', bucket: 'other-1250000000', filePath: localFile }));
    const client = lister(
      [
        { key: 'dir/a.bin', uploadId: 'U1', initiated: '2024-05-01T00:00:00.000Z' },
        { key: 'dir/b.bin', uploadId: 'U2' },
        { key: 'dir/c.bin', uploadId: 'U3' },
        { key: 'dir/done.bin', uploadId: 'U4' },
        { key: 'dir/denied.bin', uploadId: 'U5' },
      ],
      {
        U1: [MiB, MiB],
        U4: new CosError('NO_SUCH_UPLOAD', 'completed meanwhile'),
        U5: new CosError('ACCESS_DENIED', 'no ListParts permission'),
      },
    );
    const uploads = await listIncompleteUploads(client, store, TARGET);
    assert.deepEqual(uploads, [
      { key: 'dir/a.bin', uploadId: 'U1', initiated: '2024-05-01T00:00:00.000Z', parts: 2, bytes: 2 * MiB, checkpointId: 'cpa', localFile },
      { key: 'dir/b.bin', uploadId: 'U2', parts: 0, bytes: 0 },
      // The checkpoint knows it, but its file is gone: not resumable from here.
      { key: 'dir/c.bin', uploadId: 'U3', parts: 0, bytes: 0, checkpointId: 'cpgone' },
      { key: 'dir/denied.bin', uploadId: 'U5', partsError: 'ACCESS_DENIED' },
    ]);
  });

  it('a cancelled listing rejects instead of returning part of the list', async () => {
    const client = lister([{ key: 'k', uploadId: 'U1' }], { U1: new CosError('ABORTED', 'cancelled') });
    await assert.rejects(listIncompleteUploads(client, store, TARGET), (error: unknown) => CosError.is(error) && error.code === 'ABORTED');
  });

  it('finds the checkpoints of one upload by the same rule', async () => {
    await store.save('mine', checkpoint());
    await store.save('elsewhere', checkpoint({ region: 'ap-beijing' }));
    assert.deepEqual((await checkpointsOfUpload(store, TARGET, { key: 'dir/a.bin', uploadId: 'U1' })).map((e) => e.id), ['mine']);
  });
});

describe('incomplete uploads: resuming through another route', () => {
  let dir: string;
  let store: FileCheckpointStore;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'refile-'));
    store = new FileCheckpointStore(dir);
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('leaves a checkpoint already under the target id alone', async () => {
    const c = checkpoint();
    const id = checkpointId(TARGET, c.key, c.filePath);
    await store.save(id, c);
    assert.deepEqual(await fileUnderTarget(store, TARGET, { id, checkpoint: c }), c);
    assert.deepEqual((await store.list()).map((e) => e.id), [id]);
  });

  it('re-files a checkpoint written through acceleration under the plain target id, with the route it now takes', async () => {
    const c = checkpoint({ accelerate: true });
    const oldId = checkpointId({ ...TARGET, accelerate: true }, c.key, c.filePath);
    await store.save(oldId, c);
    const refiled = await fileUnderTarget(store, TARGET, { id: oldId, checkpoint: c });
    assert.equal(refiled.accelerate, undefined);
    assert.equal(refiled.uploadId, 'U1');
    const newId = checkpointId(TARGET, c.key, c.filePath);
    assert.deepEqual((await store.list()).map((e) => e.id), [newId]);
    assert.deepEqual(await store.load(newId), refiled);
  });

  it("refuses, keeping both, when another upload's checkpoint holds the id", async () => {
    const c = checkpoint({ accelerate: true });
    const oldId = checkpointId({ ...TARGET, accelerate: true }, c.key, c.filePath);
    const newId = checkpointId(TARGET, c.key, c.filePath);
    await store.save(oldId, c);
    await store.save(newId, checkpoint({ uploadId: 'OTHER' }));
    await assert.rejects(fileUnderTarget(store, TARGET, { id: oldId, checkpoint: c }), (e: unknown) => CosError.is(e) && e.code === 'CHECKPOINT' && /OTHER/.test(e.message));
    assert.equal((await store.list()).length, 2);
  });
});

describe('incomplete uploads: selecting by age', () => {
  const now = Date.parse('2024-05-10T00:00:00.000Z');
  const upload = (key: string, initiated?: string): IncompleteUpload => ({ key, uploadId: `id-${key}`, ...(initiated ? { initiated } : {}) });

  it('selects uploads by age; 0 days takes every one, even without a time', () => {
    const uploads = [upload('old', '2024-05-01T00:00:00.000Z'), upload('new', '2024-05-09T12:00:00.000Z'), upload('unknown'), upload('future', '2024-05-10T00:00:01.000Z')];
    assert.deepEqual(selectOlderThan(uploads, 1, now).map((u) => u.key), ['old']);
    assert.deepEqual(selectOlderThan(uploads, 0.25, now).map((u) => u.key), ['old', 'new']);
    assert.deepEqual(selectOlderThan(uploads, 0, now).map((u) => u.key), ['old', 'new', 'unknown', 'future']);
  });
});

describe('mapLimit', () => {
  it('maps with bounded concurrency, keeping order', async () => {
    let running = 0;
    let peak = 0;
    const result = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running--;
      return n * 10;
    });
    assert.deepEqual(result, [50, 10, 40, 20, 30]);
    assert.equal(peak, 2);
    assert.deepEqual(await mapLimit([], 4, async () => 1), []);
  });
});
