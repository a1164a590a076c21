import * as fs from 'node:fs';

/**
 * How a test level (unit, integration, extension host) hands its counts to test/runAll.ts: a
 * small JSON file whose path the parent passes in this environment variable. A file rather than
 * parsed console output, so a test that prints something looking like a summary cannot fool the
 * count, and a child that dies mid-run still leaves the counts it reached.
 */
export const RESULT_FILE_ENV = 'COS_TEST_RESULT_FILE';

/**
 * Inside the extension host there is no file to share with the runner (code-server may run on
 * another machine in principle), so the host suite prints its LevelResult as JSON on one console
 * line starting with this marker; test/host/runCodeServer.ts picks it out of the forwarded log.
 */
export const HOST_RESULT_MARKER = 'COS-HOST-RESULT';

export interface TestFailure {
  /** Full title, suite names included. */
  title: string;
  /** The error's message (and stack head), already formatted for a terminal. */
  error: string;
}

export interface LevelResult {
  passed: number;
  failed: number;
  failures: TestFailure[];
  /** True once the level ran to its end; false while running or when it was cut short. */
  complete: boolean;
}

export function emptyLevelResult(): LevelResult {
  return { passed: 0, failed: 0, failures: [], complete: false };
}

/** Writes atomically (temp file + rename) so a reader never sees half a file. */
export function writeLevelResult(file: string, result: LevelResult): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(result));
  fs.renameSync(temp, file);
}

/** Returns undefined when the child never wrote a result (it did not start, or crashed at once). */
export function readLevelResult(file: string): LevelResult | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = JSON.parse(text) as Partial<LevelResult>;
  return {
    passed: Number(parsed.passed ?? 0),
    failed: Number(parsed.failed ?? 0),
    failures: Array.isArray(parsed.failures) ? parsed.failures : [],
    complete: parsed.complete === true,
  };
}

/** A failure for something that is not one test: a level that could not start, a timeout, a crash. */
export function levelFailure(title: string, error: unknown): TestFailure {
  return { title, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}

/**
 * The `main` of a level that runAll starts in a child process (or a person runs alone): progress
 * goes to runAll's result file, SIGINT/SIGTERM abort `run` so it can clean up, a reader that goes
 * away (`| head`) cannot crash it, and alone it lists its failures. Exits with 1 on any failure.
 */
export function runLevelMain(label: string, run: (signal: AbortSignal, onProgress?: (result: LevelResult) => void) => Promise<LevelResult>): void {
  const resultFile = process.env[RESULT_FILE_ENV];
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  const interrupt = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => interrupt.abort(new Error(`Interrupted by ${signal}.`)));
  const started = Date.now();
  run(interrupt.signal, resultFile ? (result) => writeLevelResult(resultFile, result) : undefined).then(
    (result) => {
      // Under runAll the failures appear in its summary; alone, list them here.
      if (!resultFile) for (const failure of result.failures) console.error(`\n✗ ${failure.title}\n${failure.error.replace(/^/gm, '    ')}`);
      console.log(`\n${label}: ${result.passed} passed, ${result.failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      process.exit(result.failed > 0 ? 1 : 0);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.stack : error);
      process.exit(1);
    },
  );
}
