/**
 * Entry point of the mocha suite that runs inside the VS Code extension host, under code-server
 * (test/host/runCodeServer.ts) or Electron VS Code (test/host/runElectron.ts) alike: VS Code loads
 * this module and awaits `run()`. Results go to the console as the spec reporter prints them, plus
 * one machine-readable line (HOST_RESULT_MARKER + JSON) for the code-server runner.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { HOST_RESULT_MARKER, levelFailure, type LevelResult } from '../../levelResult';
import { trackResults } from '../../mochaResults';

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.js'))
    .sort()
    .map((file) => path.join(dir, file));
}

/** Runs every out/test/host/suite/**\/*.test.js; rejects when a test failed. */
export async function run(): Promise<void> {
  // Generous: the first test pays for the extension's activation on a busy 2-core CI machine.
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  // COS_TEST_GREP narrows a run while working on one feature (mocha --grep over test titles).
  if (process.env.COS_TEST_GREP) mocha.grep(process.env.COS_TEST_GREP);
  for (const file of testFiles(__dirname)) mocha.addFile(file);
  let result: LevelResult;
  try {
    result = await new Promise<LevelResult>((resolve) => {
      const runner = mocha.run(() => resolve(counts));
      const counts = trackResults(runner, () => {});
    });
  } catch (error) {
    // A test file that fails to load (syntax error, missing module) throws out of mocha.run.
    result = { passed: 0, failed: 1, failures: [levelFailure('loading the extension-host suite', error)], complete: true };
  }
  console.log(`${HOST_RESULT_MARKER} ${JSON.stringify(result)}`);
  if (result.failed > 0) throw new Error(`${result.failed} extension-host test(s) failed.`);
}
