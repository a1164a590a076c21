/**
 * downloadPrefix (the core) against the emulator: a damaged file fails alone, its failure is
 * collected with its code, the others are in place, and downloading again completes the folder.
 */

import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CosError, DownloadCheckpointStore, downloadPrefix, prefixDownloadIncomplete, staticCredentials, uploadFile, type PrefixDownloadEvent, type PrefixDownloadRequest } from '../../src/core';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { makeFile, MiB, sha256, tempDir } from './helpers';

describe('integration: downloadPrefix against the emulator', function () {
  this.timeout(120_000);
  let emu: RunningEmulator;
  let dir: string;

  before(async () => {
    emu = await startEmulator();
    dir = await tempDir('cos-dl-prefix-');
  });
  after(async () => {
    await emu.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const target = () => ({ bucket: emu.bucket, region: emu.region, endpoint: emu.url });

  async function putObject(key: string, size: number): Promise<string> {
    const file = await makeFile(size);
    await uploadFile({ filePath: file.path, key, target: target(), credentials: staticCredentials(emu.credentials), options: { partSize: MiB } });
    await fs.rm(file.dir, { recursive: true, force: true });
    return file.sha256;
  }

  function request(destDir: string, extra: Partial<PrefixDownloadRequest> = {}): PrefixDownloadRequest {
    return {
      prefix: 'batch/',
      destDir,
      target: target(),
      credentials: staticCredentials(emu.credentials),
      options: { partSize: MiB, concurrency: 2 },
      fileConcurrency: 1,
      checkpoints: new DownloadCheckpointStore(path.join(dir, 'state')),
      lockDir: path.join(dir, 'locks'),
      ...extra,
    };
  }

  it('collects a failed file (INTEGRITY) while the others land; a second run completes the folder', async () => {
    const hashes = new Map<string, string>([
      ['a.bin', await putObject('batch/a.bin', 1000)],
      ['b/c.bin', await putObject('batch/b/c.bin', 2 * MiB + 3)],
      ['d.bin', await putObject('batch/d.bin', 10)],
    ]);
    const destDir = path.join(dir, 'out');
    // One file at once, in key order: the first GET (of batch/a.bin) gets one byte flipped.
    emu.faults.add({ operation: 'getObject', fault: 'wrongBody', times: 1 });
    const events: PrefixDownloadEvent[] = [];
    const first = await downloadPrefix(request(destDir, { onEvent: (e) => events.push(e) }));
    assert.ok(prefixDownloadIncomplete(first));
    assert.deepEqual(first.failed.map((f) => f.key), ['batch/a.bin']);
    assert.ok(CosError.is(first.failed[0].error) && first.failed[0].error.code === 'INTEGRITY');
    assert.deepEqual(first.downloaded.map((d) => d.key).sort(), ['batch/b/c.bin', 'batch/d.bin']);
    await assert.rejects(fs.access(path.join(destDir, 'a.bin')), 'a damaged file is never put in place');
    assert.equal(events.filter((e) => e.type === 'file-failed').length, 1);
    assert.equal(events.filter((e) => e.type === 'file-done').length, 2);
    const planned = events.find((e) => e.type === 'planned');
    assert.ok(planned && planned.type === 'planned' && planned.files === 3);

    emu.faults.clear();
    const second = await downloadPrefix(request(destDir, { overwrite: true }));
    assert.ok(!prefixDownloadIncomplete(second));
    for (const [relative, hash] of hashes) {
      const data = await fs.readFile(path.join(destDir, ...relative.split('/')));
      assert.equal(sha256(data), hash, relative);
    }
  });

  it('refuses a bad file concurrency and a prefix without its "/" before any request', async () => {
    const before = emu.log.length;
    await assert.rejects(downloadPrefix(request(path.join(dir, 'x'), { fileConcurrency: 0 })), /Files at once must be a whole number from 1 to 64: 0/);
    await assert.rejects(downloadPrefix(request(path.join(dir, 'x'), { prefix: 'batch' })), /ends in "\/": batch/);
    assert.equal(emu.log.length, before);
  });
});
