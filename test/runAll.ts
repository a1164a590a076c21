/**
 * `npm test`: runs every test level, each in its own child process so a crash or hang in one
 * cannot hide the others' counts, then prints one summary whose last line is `N passed, N failed`.
 * Exits non-zero when a test failed or a level could not run (that counts as a failure too).
 *
 * Levels:
 *   unit         mocha over out/test/unit/**\/*.test.js in plain Node
 *   integration  mocha over out/test/integration/**\/*.test.js (core and CLI against the emulator)
 *   host         the extension-host suite and the UI tests in code-server (test/host/runCodeServer.ts)
 *   vsix         `npm run package`, then UI tests against that .vsix installed into code-server (test/host/runVsix.ts)
 *
 * Run a subset:  npm test -- --only unit,integration     (or COS_TEST_ONLY=unit,integration npm test)
 * `pretest` builds and compiles first; once compiled, `node out/test/runAll.js --only unit` skips that.
 * Before any level runs, the Debian packages the host and vsix levels need are installed when
 * missing, or the run stops with the command to install them (test/systemPackages.ts).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { emptyLevelResult, levelFailure, readLevelResult, RESULT_FILE_ENV, type LevelResult, type TestFailure } from './levelResult';
import { findRepoRoot } from './repoRoot';
import { ensureHostPackages } from './systemPackages';

const LEVEL_NAMES = ['unit', 'integration', 'host', 'vsix'] as const;
type LevelName = (typeof LEVEL_NAMES)[number];

interface Level {
  name: LevelName;
  title: string;
  /** Arguments to `node`. */
  args: string[];
  /** Kills the level after this long; the host runner has its own, shorter, timeout inside. */
  timeoutMs: number;
}

/** A level whose tests have all ended but whose process lingers has leaked a server, socket or timer. */
const EXIT_GRACE_MS = 15_000;
/** Time a killed level gets to clean up (close code-server, the browser, the emulator) before SIGKILL. */
const KILL_GRACE_MS = 15_000;
const POLL_MS = 500;
const MINUTE = 60_000;

function mochaLevel(repo: string, name: LevelName, title: string, testTimeoutMs: number, timeoutMs: number): Level {
  return {
    name,
    title,
    args: [
      require.resolve('mocha/bin/mocha.js', { paths: [repo] }),
      '--reporter', path.join(repo, 'out/test/mochaReport.js'),
      '--timeout', String(testTimeoutMs),
      '--no-color',
      `out/test/${name}/**/*.test.js`,
    ],
    timeoutMs,
  };
}

function levels(repo: string): Level[] {
  return [
    mochaLevel(repo, 'unit', 'unit (mocha in Node)', 10_000, 10 * MINUTE),
    mochaLevel(repo, 'integration', 'integration (core and CLI against the emulator)', 30_000, 15 * MINUTE),
    {
      name: 'host',
      title: 'extension host (code-server + Chromium)',
      args: [path.join(repo, 'out/test/host/runCodeServer.js')],
      timeoutMs: 25 * MINUTE,
    },
    {
      name: 'vsix',
      title: 'packaged extension (.vsix installed into code-server)',
      args: [path.join(repo, 'out/test/host/runVsix.js')],
      timeoutMs: 15 * MINUTE,
    },
  ];
}

/** Reads `--only a,b` (or `--only=a,b`, or COS_TEST_ONLY) and rejects unknown names. */
function selectedLevels(argv: string[], env: NodeJS.ProcessEnv): Set<LevelName> {
  let only = env.COS_TEST_ONLY;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') only = argv[++i];
    else if (argv[i].startsWith('--only=')) only = argv[i].slice('--only='.length);
    else throw new Error(`Unknown argument (expected --only ${LEVEL_NAMES.join(',')}): ${argv[i]}`);
  }
  if (!only) return new Set(LEVEL_NAMES);
  const names = only.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(LEVEL_NAMES as readonly string[]).includes(name)) {
      throw new Error(`Unknown test level in --only (expected ${LEVEL_NAMES.join(', ')}): ${name}`);
    }
  }
  return new Set(names as LevelName[]);
}

interface LevelOutcome {
  level: Level;
  result: LevelResult;
  seconds: number;
}

/** The level now running, so a Ctrl-C or CI cancel can stop it and its helpers too. */
let stopRunningLevel: ((why: string) => void) | undefined;
let stopping = false;

/** Signals the child's whole process group: a level may have started helpers of its own. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

async function runLevel(repo: string, level: Level, resultDir: string): Promise<LevelOutcome> {
  const resultFile = path.join(resultDir, `${level.name}.json`);
  const started = Date.now();
  const extraFailures: TestFailure[] = [];
  console.log(`\n=== ${level.title} ===\n`);

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const child = spawn(process.execPath, level.args, {
      cwd: repo,
      env: { ...process.env, [RESULT_FILE_ENV]: resultFile },
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    });
    let settled = false;
    let killed = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      process.removeListener('exit', stopOnExit);
      stopRunningLevel = undefined;
      resolve({ code, signal });
    };
    const stop = (why: string): void => {
      const pid = child.pid;
      if (pid === undefined || killed) return;
      killed = true;
      extraFailures.push(levelFailure(`${level.name}: stopped`, why));
      killGroup(pid, 'SIGTERM');
      setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    };
    stopRunningLevel = stop;
    // If this process dies first (stdout closed under it, a crash), the level must not live on.
    const stopOnExit = (): void => {
      if (child.pid !== undefined) killGroup(child.pid, 'SIGTERM');
    };
    process.once('exit', stopOnExit);
    let completeSince: number | undefined;
    const poll = setInterval(() => {
      if (Date.now() - started > level.timeoutMs) {
        stop(`The level did not finish within ${level.timeoutMs / MINUTE} minutes and was killed.`);
      }
      if (completeSince === undefined && readLevelResult(resultFile)?.complete) completeSince = Date.now();
      if (completeSince !== undefined && Date.now() - completeSince > EXIT_GRACE_MS) {
        stop(`All tests ended but the process did not exit within ${EXIT_GRACE_MS / 1000} s: a test left a server, socket or timer open.`);
      }
    }, POLL_MS);
    child.on('error', (error) => {
      extraFailures.push(levelFailure(`${level.name}: could not start`, error));
      finish(null, null);
    });
    child.on('exit', (code, signal) => {
      // Reap whatever the level left behind in its group.
      if (child.pid) killGroup(child.pid, 'SIGKILL');
      finish(code, signal);
    });
  });

  const reported = readLevelResult(resultFile);
  const result: LevelResult = reported ?? emptyLevelResult();
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  if (extraFailures.length > 0) {
    // Stopped or not started: that failure already says why.
  } else if (!reported) {
    extraFailures.push(levelFailure(`${level.name}: could not run`, `The level reported no results (${how}); see its output above.`));
  } else if (!result.complete) {
    extraFailures.push(levelFailure(`${level.name}: cut short`, `The level ended before its last test (${how}); see its output above.`));
  } else if (exit.code !== 0 && result.failed === 0) {
    extraFailures.push(levelFailure(`${level.name}: failed`, `No test failed but the level ended with ${how}; see its output above.`));
  } else if (result.passed + result.failed === 0) {
    extraFailures.push(levelFailure(`${level.name}: empty`, 'The level ran no test at all.'));
  }
  result.failed += extraFailures.length;
  result.failures.push(...extraFailures);
  return { level, result, seconds: (Date.now() - started) / 1000 };
}

function printSummary(outcomes: LevelOutcome[]): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  console.log('\n=== Summary ===');
  for (const { level, result, seconds } of outcomes) {
    passed += result.passed;
    failed += result.failed;
    console.log(`  ${level.name.padEnd(12)} ${result.passed} passed, ${result.failed} failed  (${seconds.toFixed(1)} s)`);
  }
  const failures = outcomes.flatMap(({ level, result }) => result.failures.map((f) => ({ level: level.name, ...f })));
  if (failures.length > 0) {
    console.log('\nFailures:');
    failures.forEach((f, i) => {
      console.log(`\n  ${i + 1}) [${f.level}] ${f.title}`);
      console.log(f.error.replace(/^/gm, '     '));
    });
    console.log('');
  }
  return { passed, failed };
}

async function main(): Promise<number> {
  const repo = findRepoRoot();
  const selected = selectedLevels(process.argv.slice(2), process.env);
  if (selected.has('host') || selected.has('vsix')) ensureHostPackages();
  const resultDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cos-test-results-'));
  const onSignal = (signal: NodeJS.Signals): void => {
    stopping = true;
    stopRunningLevel?.(`Interrupted by ${signal}.`);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const outcomes: LevelOutcome[] = [];
    for (const level of levels(repo)) {
      if (selected.has(level.name) && !stopping) outcomes.push(await runLevel(repo, level, resultDir));
    }
    const { passed, failed } = printSummary(outcomes);
    // The last line, alone: CI and people read the verdict here.
    console.log(`${passed} passed, ${failed} failed`);
    return failed > 0 ? 1 : 0;
  } finally {
    fs.rmSync(resultDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
