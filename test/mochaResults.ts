import type * as Mocha from 'mocha';
import { emptyLevelResult, type LevelResult } from './levelResult';

const MAX_ERROR_LINES = 40;

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // node:assert puts its diff in the message, which the stack normally starts with.
  const stack = err.stack ?? '';
  const text = stack.includes(err.message) ? stack : `${err.name}: ${err.message}\n${stack}`;
  const lines = text.split('\n');
  return lines.length > MAX_ERROR_LINES ? [...lines.slice(0, MAX_ERROR_LINES), '    ...'].join('\n') : text;
}

/**
 * Counts a mocha run as it goes and calls `onUpdate` after every test, so the counts survive a
 * crash of the process running it. Skipped tests count as failures: the project allows none, and
 * an `it.skip` left behind would otherwise pass silently.
 */
export function trackResults(runner: Mocha.Runner, onUpdate: (result: LevelResult) => void): LevelResult {
  const result = emptyLevelResult();
  runner.on('pass', () => {
    result.passed += 1;
    onUpdate(result);
  });
  runner.on('fail', (test: Mocha.Runnable, err: unknown) => {
    result.failed += 1;
    result.failures.push({ title: test.fullTitle(), error: describeError(err) });
    onUpdate(result);
  });
  runner.on('pending', (test: Mocha.Test) => {
    result.failed += 1;
    result.failures.push({ title: test.fullTitle(), error: 'Skipped test: skipping is not allowed, make it run or delete it.' });
    onUpdate(result);
  });
  runner.on('end', () => {
    result.complete = true;
    onUpdate(result);
  });
  return result;
}
