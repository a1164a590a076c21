/**
 * The fixture both `cos-upload download` suites share: the shipped bundle, one emulator, a work
 * folder with its own lock and state folders, and the official SDK to put objects with.
 */

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import COS from 'cos-nodejs-sdk-v5';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { baseEnv, ensureBundle, killLiveChildren } from './cliHarness';

export interface DownloadCliFixture {
  emu: RunningEmulator;
  work: string;
  env: NodeJS.ProcessEnv;
  sdk: COS;
  /** The flags that point the CLI at the emulator's bucket, with the work folder's state. */
  target(): string[];
}

/** Registers the suite's hooks; the fields are set once `before` has run. */
export function useDownloadCliFixture(tmpPrefix: string): DownloadCliFixture {
  const fx = {
    target: () => ['--bucket', fx.emu.bucket, '--region', fx.emu.region, '--endpoint', fx.emu.url, '--state-dir', path.join(fx.work, 'state')],
  } as DownloadCliFixture;
  before(async () => {
    await ensureBundle();
    fx.emu = await startEmulator();
    fx.work = await fs.mkdtemp(path.join(os.tmpdir(), tmpPrefix));
    const { secretId, secretKey } = fx.emu.credentials;
    fx.env = baseEnv({ COS_SECRET_ID: secretId, COS_SECRET_KEY: secretKey, COS_UPLOAD_LOCK_DIR: path.join(fx.work, 'locks') });
    fx.sdk = new COS({ SecretId: secretId, SecretKey: secretKey, Domain: new URL(fx.emu.url).host, Protocol: 'http:' });
  });
  after(async () => {
    await fx.emu?.close();
    if (fx.work) await fs.rm(fx.work, { recursive: true, force: true });
  });
  beforeEach(() => {
    fx.emu.faults.clear();
    fx.emu.clearLog();
  });
  afterEach(killLiveChildren);
  return fx;
}
