/**
 * Mocha reporter for the plain-Node levels of `npm test`: prints like `spec` and writes the counts
 * to the file named by COS_TEST_RESULT_FILE (see levelResult.ts) for test/runAll.ts to add up.
 * Use: mocha --reporter out/test/mochaReport.js
 */
import * as Mocha from 'mocha';
import { RESULT_FILE_ENV, writeLevelResult } from './levelResult';
import { trackResults } from './mochaResults';

class MochaResultReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const file = process.env[RESULT_FILE_ENV];
    if (file) trackResults(runner, (result) => writeLevelResult(file, result));
  }
}

export = MochaResultReporter;
