import { strict as assert } from 'node:assert';
import {
  CosError,
  FileCheckpointStore,
  refreshableCredentials,
  staticCredentials,
  uploadFile,
  type Credentials,
  type UploadEvent,
} from '../../src/core';
import { generateCredentials, startEmulator, type RunningEmulator } from '../../src/emulator';
import { makeFile, MiB, tempDir } from './helpers';

describe('integration: expiring credentials and a server that goes away', function () {
  this.timeout(60_000);
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator({ credentials: { ...generateCredentials(), sessionToken: 'token-1' } });
  });
  after(async () => {
    await emu.close();
  });

  function target() {
    return { bucket: emu.bucket, region: emu.region, endpoint: emu.url };
  }

  function successfulParts(key: string): Map<number, number> {
    const counts = new Map<number, number>();
    for (const e of emu.log) {
      if (e.key === key && e.operation === 'uploadPart' && e.status === 200 && e.partNumber !== undefined) {
        counts.set(e.partNumber, (counts.get(e.partNumber) ?? 0) + 1);
      }
    }
    return counts;
  }

  it('pauses on expired temporary credentials, takes fresh ones, and continues without resending finished parts', async () => {
    const file = await makeFile(8 * MiB);
    const key = 'creds/refresh.bin';
    let fresh: Credentials | undefined;
    let asked = 0;
    const credentials = refreshableCredentials({ ...emu.credentials }, async () => {
      asked++;
      return fresh;
    });
    const events: UploadEvent[] = [];
    let partsDone = 0;
    await uploadFile({
      filePath: file.path,
      key,
      target: target(),
      credentials,
      options: { partSize: MiB, multipartThreshold: 0, concurrency: 2 },
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'part' && ++partsDone === 3) fresh = emu.expireSessionToken();
      },
    });
    assert.equal(asked, 1, 'asked once for fresh credentials, although several parts saw the expiry');
    assert.ok(events.some((e) => e.type === 'credentials-refreshed'));
    assert.equal(await emu.objectSha256(key), file.sha256);
    for (const [part, count] of successfulParts(key)) assert.equal(count, 1, `part ${part} stored once`);
    assert.equal(successfulParts(key).size, 8);
  });

  it('without fresh credentials fails with CREDENTIALS_EXPIRED, keeps the checkpoint, and resumes later', async () => {
    const file = await makeFile(6 * MiB);
    const key = 'creds/expired.bin';
    const store = new FileCheckpointStore(await tempDir('cos-ckpt-'));
    let partsDone = 0;
    let renewed: Credentials | undefined;
    await assert.rejects(
      uploadFile({
        filePath: file.path,
        key,
        target: target(),
        credentials: refreshableCredentials({ ...emu.credentials }, async () => undefined),
        checkpoints: store,
        options: { partSize: MiB, multipartThreshold: 0, concurrency: 1 },
        onEvent: (e) => {
          if (e.type === 'part' && ++partsDone === 2) renewed = emu.expireSessionToken();
        },
      }),
      (e: unknown) => CosError.is(e) && e.code === 'CREDENTIALS_EXPIRED' && /temporary credentials expired/.test(e.message),
    );
    const [{ checkpoint }] = await store.list();
    assert.equal(checkpoint.parts.length, 2);
    assert.ok(renewed);
    const result = await uploadFile({
      filePath: file.path,
      key,
      target: target(),
      credentials: staticCredentials(renewed),
      checkpoints: store,
      options: { partSize: MiB, multipartThreshold: 0 },
    });
    assert.equal(result.resumedParts, 2);
    assert.equal(await emu.objectSha256(key), file.sha256);
    for (const [part, count] of successfulParts(key)) assert.equal(count, 1, `part ${part} stored once`);
  });

  it('rides out a server that refuses connections for a while', async () => {
    const file = await makeFile(6 * MiB);
    const key = 'outage/short.bin';
    let paused = false;
    const retries: UploadEvent[] = [];
    const upload = uploadFile({
      filePath: file.path,
      key,
      target: target(),
      credentials: staticCredentials(emu.credentials),
      options: { partSize: MiB, multipartThreshold: 0, concurrency: 2, retries: 8 },
      onEvent: (e) => {
        if (e.type === 'retry') retries.push(e);
        if (e.type === 'part' && !paused) {
          paused = true;
          void emu.pause().then(() => setTimeout(() => void emu.resume(), 1500));
        }
      },
    });
    await upload;
    assert.ok(retries.some((e) => e.type === 'retry' && CosError.is(e.error) && e.error.code === 'NETWORK'), 'saw refused connections');
    assert.equal(await emu.objectSha256(key), file.sha256);
  });
});
