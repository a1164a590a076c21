/**
 * What every extension-host run needs around VS Code, shared by the code-server and the
 * @vscode/test-electron runners: a COS emulator on loopback, a fresh copy of the fixture
 * workspace, and the environment that tells the tests inside the host where both are.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../src/emulator';

/** A distinctive folder name, so a UI test can tell the workspace is really open. */
export const WORKSPACE_NAME = 'cos-fixture-workspace';

export interface HostFixture {
  emulator: RunningEmulator;
  /** The temporary copy of test/fixtures/workspace, opened as the workspace folder. */
  workspaceDir: string;
  /**
   * Variables for the extension host: COS_TEST_EMULATOR_URL, COS_TEST_BUCKET, COS_TEST_REGION,
   * COS_TEST_SECRET_ID, COS_TEST_SECRET_KEY (the emulator's generated test keys, never real ones),
   * COS_TEST_WORKSPACE, and COS_TEST_EMULATOR_LOG_URL (GET: the request log as JSON; DELETE clears
   * it; the emulator's other /_emulator/ routes sit beside it).
   */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the emulator and copies the fixture workspace, both inside `tempRoot` (which the caller
 * removes).
 * @param repo the repository root, where test/fixtures/workspace lives
 */
export async function startHostFixture(repo: string, tempRoot: string): Promise<HostFixture> {
  const workspaceDir = path.join(tempRoot, WORKSPACE_NAME);
  fs.cpSync(path.join(repo, 'test', 'fixtures', 'workspace'), workspaceDir, { recursive: true });
  // The suites script faults, the clock and credentials over its control API.
  const emulator = await startEmulator({ dataDir: path.join(tempRoot, 'emulator-data'), control: true });
  const env: Record<string, string> = {
    COS_TEST_EMULATOR_URL: emulator.url,
    COS_TEST_BUCKET: emulator.bucket,
    COS_TEST_REGION: emulator.region,
    COS_TEST_SECRET_ID: emulator.credentials.secretId,
    COS_TEST_SECRET_KEY: emulator.credentials.secretKey,
    COS_TEST_WORKSPACE: workspaceDir,
    COS_TEST_EMULATOR_LOG_URL: `${emulator.url}/_emulator/log`,
  };
  if (emulator.credentials.sessionToken) env.COS_TEST_SESSION_TOKEN = emulator.credentials.sessionToken;
  return { emulator, workspaceDir, env, close: () => emulator.close() };
}
