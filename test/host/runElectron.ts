/**
 * Runs the extension-host suite in desktop VS Code (Electron) through @vscode/test-electron, for
 * machines with internet: runTests() downloads VS Code first, which fails offline (ENOTFOUND), and
 * `npm test` uses test/host/runCodeServer.ts instead. Same suite, same emulator, same COS_TEST_*.
 *
 *   npm run test:electron      (after npm run build && npm run compile-tests)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { findRepoRoot } from '../repoRoot';
import { startHostFixture } from './hostFixture';

async function main(): Promise<number> {
  const repo = findRepoRoot();
  const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cos-electron-'));
  const fixture = await startHostFixture(repo, tempRoot);
  try {
    return await runTests({
      // e.g. COS_TEST_VSCODE_VERSION=1.100.0, the oldest engines.vscode allows; default the newest.
      version: process.env.COS_TEST_VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: repo,
      extensionTestsPath: path.join(repo, 'out', 'test', 'host', 'suite', 'index.js'),
      extensionTestsEnv: fixture.env,
      cachePath: path.join(repo, '.vscode-test'),
      launchArgs: [fixture.workspaceDir, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', path.join(tempRoot, 'user-data')],
    });
  } finally {
    await fixture.close();
    fs.rmSync(tempRoot, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`The Electron extension-host run failed (it needs internet to download VS Code): ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
