/**
 * Runs the extension-host level of `npm test` on a machine without internet: the mocha suite in
 * out/test/host/suite inside a real VS Code extension host (code-server 1.100.3 + headless
 * Chromium), then the UI tests of out/test/host/ui in a second page load of the same workbench.
 * A COS emulator runs in this process; the tests inside the host reach it through COS_TEST_* .
 *
 *   node out/test/host/runCodeServer.js [--suite-only | --ui-only] [--ui FILE-PART] [--vsix FILE] [--keep-temp] [--verbose]
 *   COS_TEST_GREP=pattern narrows the extension-host suite to matching test titles.
 *
 * --vsix FILE    install a packaged extension into the run's extensions folder and test that
 *                instead of the repository loaded as a development extension
 * --keep-temp    keep the temporary folder (workspace copy, user data, code-server state)
 * --verbose      echo every workbench log line, not just the extension host's output
 * Env: COS_TEST_CHROMIUM (default /usr/bin/chromium), COS_TEST_RESULT_FILE (set by runAll).
 * Logs and screenshots go to test-artifacts/host/.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { HOST_RESULT_MARKER, emptyLevelResult, levelFailure, runLevelMain, type LevelResult } from '../levelResult';
import { artifactsDir, findRepoRoot } from '../repoRoot';
import { chromiumPath, manualInstallCommand } from '../systemPackages';
import { installVsix, startCodeServer, userDataDirOf } from './codeServerProcess';
import { startHostFixture, type HostFixture } from './hostFixture';
import { ensureCodeServer } from './installCodeServer';
import { loadUiTests, type UiTest, type UiTestContext } from './uiTest';
import { openWorkbench, waitForWorkbench, workbenchUrl } from './workbench';

/** The extension to test: the repository as a development extension, or an installed package. */
export type ExtensionUnderTest = { kind: 'development'; path: string } | { kind: 'vsix'; file: string };

export interface HostRunOptions {
  repo: string;
  extension: ExtensionUnderTest;
  /** Compiled in-host mocha entry (exports run()); undefined skips the suite. */
  suiteEntry?: string;
  /** Folder of compiled *.ui.js tests; undefined skips the UI tests. */
  uiTestsDir?: string;
  /** Which UI test files (e.g. `upload.ui.js`) to run; default all. */
  uiTestFilter?: (file: string) => boolean;
  /** Subfolder of test-artifacts/ for this run's logs and screenshots (emptied first); default `host`. */
  artifactsName?: string;
  /** For the tests themselves, once code-server is installed. */
  timeoutMs: number;
  keepTemp: boolean;
  verbose: boolean;
  chromiumPath: string;
  /** Called whenever the counts change, so a parent sees them even if this process is killed. */
  onProgress?: (result: LevelResult) => void;
}

const MINUTE = 60_000;
const INSTALL_TIMEOUT_MS = 10 * MINUTE;
const UI_TEST_TIMEOUT_MS = 5 * MINUTE;
const CLEANUP_STEP_TIMEOUT_MS = 15_000;

/** Flags for Debian's Chromium running headless as root in a container. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Workbench log lines that say nothing about the extension and only drown its output; they still
 * go to test-artifacts/host/workbench.log, and --verbose echoes them.
 */
const WORKBENCH_NOISE = [
  /^Resolv(ing|ed) connection token/,
  /^Creating a socket/,
  /^Updating additional builtin extensions cache/,
  /^\[Service Worker\]/,
  /^ChatSessionStore:/,
  /ENOTFOUND (open-vsx\.org|api\.github\.com|marketplace\.visualstudio\.com|update\.code\.visualstudio\.com)/,
  /^Started local extension host/,
  /^Extension host \(.*\) is unresponsive/,
];

/** Where the workbench's log lines go, and where the in-host suite's result is picked out of them. */
class HostLog {
  hostResult: LevelResult | undefined;
  private readonly out: number;

  constructor(
    file: string,
    private readonly verbose: boolean,
  ) {
    this.out = fs.openSync(file, 'w');
  }

  line(type: string, text: string): void {
    fs.writeSync(this.out, `[${type}] ${text}\n`);
    if (text.startsWith(`${HOST_RESULT_MARKER} `)) {
      this.hostResult = JSON.parse(text.slice(HOST_RESULT_MARKER.length + 1)) as LevelResult;
      return;
    }
    if (this.verbose || !WORKBENCH_NOISE.some((pattern) => pattern.test(text))) {
      (type === 'error' ? console.error : console.log)(text);
    }
  }

  close(): void {
    fs.closeSync(this.out);
  }
}

/** An extension that contributes nothing, loaded in development mode so the suite runs against an installed package. */
function writeHarnessExtension(tempRoot: string): string {
  const dir = path.join(tempRoot, 'test-harness-extension');
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { name: 'cos-test-harness', publisher: 'cos-test', version: '0.0.0', engines: { vscode: '^1.100.0' } };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

/** Rejects when `signal` aborts, without waiting for `work` (whose processes the cleanup kills). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => {});
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return abortable(work, AbortSignal.timeout(ms)).catch((error: unknown) => {
    if (error instanceof DOMException && error.name === 'TimeoutError') throw new Error(`${what} did not finish within ${ms / 1000} s`);
    throw error;
  });
}

/**
 * Runs the suite and the UI tests; never throws: whatever goes wrong becomes a failure in the
 * result. Always stops code-server, the browser and the emulator before returning.
 */
export async function runHostTests(options: HostRunOptions, signal?: AbortSignal): Promise<LevelResult> {
  const result = emptyLevelResult();
  const report = (): void => options.onProgress?.(result);
  const fail = (title: string, error: unknown): void => {
    result.failed += 1;
    result.failures.push(levelFailure(title, error));
    report();
  };
  // Only this run's logs and failure screenshots, not a stale one from an earlier run.
  const artifacts = path.join(artifactsDir(options.repo), options.artifactsName ?? 'host');
  fs.rmSync(artifacts, { recursive: true, force: true });
  fs.mkdirSync(artifacts, { recursive: true });
  const cleanups: Array<{ what: string; run: () => Promise<void> | void }> = [];
  let phase = 'installing code-server';

  const timeout = new AbortController();
  const run = async (): Promise<void> => {
    const installTimeout = AbortSignal.timeout(INSTALL_TIMEOUT_MS);
    const install = await ensureCodeServer({ repo: options.repo, signal: signal ? AbortSignal.any([signal, installTimeout]) : installTimeout });
    const timer = setTimeout(() => timeout.abort(new Error(`The extension-host tests did not finish within ${options.timeoutMs / MINUTE} minutes (while ${phase}).`)), options.timeoutMs);
    cleanups.push({ what: 'timer', run: () => clearTimeout(timer) });
    const stop = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;

    const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cos-host-'));
    cleanups.push({
      what: 'temporary folder',
      run: () => (options.keepTemp ? console.log(`Kept the temporary folder: ${tempRoot}`) : fs.rmSync(tempRoot, { recursive: true, force: true })),
    });

    phase = 'starting the COS emulator';
    const fixture: HostFixture = await abortable(startHostFixture(options.repo, tempRoot), stop);
    cleanups.push({ what: 'emulator', run: () => fixture.close() });

    const stateDir = path.join(tempRoot, 'code-server');
    // The suite's page loads the extension from source, or, to test a package, an empty harness:
    // VS Code runs extensionTestsPath only in extension-development mode.
    let suiteDevelopmentPath: string;
    let uiDevelopmentPath: string | undefined;
    const env = { ...fixture.env };
    if (options.extension.kind === 'vsix') {
      phase = `installing ${options.extension.file}`;
      installVsix(install, stateDir, options.extension.file);
      suiteDevelopmentPath = writeHarnessExtension(tempRoot);
      // An installed extension runs in production mode: this lets it hand the suite its test API.
      env.COS_UPLOADER_TEST_API = '1';
    } else {
      suiteDevelopmentPath = uiDevelopmentPath = options.extension.path;
    }

    phase = 'starting code-server';
    const server = await abortable(
      startCodeServer({ install, stateDir, workspaceDir: fixture.workspaceDir, env, logFile: path.join(artifacts, 'code-server.log'), signal: stop }),
      stop,
    );
    cleanups.push({ what: 'code-server', run: () => server.stop() });

    phase = 'starting Chromium';
    if (!fs.existsSync(options.chromiumPath)) {
      throw new Error(`Chromium is missing (npm test installs it, or: ${manualInstallCommand(['chromium'])}; or set COS_TEST_CHROMIUM): ${options.chromiumPath}`);
    }
    const browser: Browser = await abortable(chromium.launch({ executablePath: options.chromiumPath, headless: true, args: CHROMIUM_ARGS }), stop);
    cleanups.push({ what: 'Chromium', run: () => browser.close() });
    // One context for both page loads: the workbench keeps some state (globalState, secrets) in the browser.
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });

    const hostLog = new HostLog(path.join(artifacts, 'workbench.log'), options.verbose);
    cleanups.push({ what: 'workbench log', run: () => hostLog.close() });
    const onLog = hostLog.line.bind(hostLog);

    if (options.suiteEntry) {
      phase = 'running the extension-host suite';
      const url = workbenchUrl(server, fixture.workspaceDir, { extensionDevelopmentPath: suiteDevelopmentPath, extensionTestsPath: options.suiteEntry });
      const suite = await abortable(runSuite(context, url, options.suiteEntry, hostLog, artifacts), stop);
      result.passed += suite.passed;
      result.failed += suite.failed;
      result.failures.push(...suite.failures);
      report();
    }

    if (options.uiTestsDir) {
      const tests = loadUiTests(options.uiTestsDir).filter(({ file }) => options.uiTestFilter?.(file) ?? true);
      if (tests.length === 0) fail('UI tests: none found', `No *.ui.js module in ${options.uiTestsDir}.`);
      const url = workbenchUrl(server, fixture.workspaceDir, { extensionDevelopmentPath: uiDevelopmentPath });
      for (const { file, test, error } of tests) {
        if (!test) {
          fail(`UI test ${file}: invalid module`, error);
          continue;
        }
        phase = `running UI test "${test.name}"`;
        const failure = await runUiTest(test, { context, url, fixture, artifacts, userDataDir: userDataDirOf(stateDir), onLog, stop });
        if (failure === undefined) {
          result.passed += 1;
          report();
        } else {
          fail(`UI: ${test.name}`, failure);
        }
        // The failure already names the timeout or interruption.
        if (stop.aborted) return;
      }
    }
  };

  try {
    await run();
  } catch (error) {
    fail(`extension host: ${phase}`, error);
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await withTimeout(Promise.resolve().then(cleanup.run), CLEANUP_STEP_TIMEOUT_MS, `stopping ${cleanup.what}`).catch((error: unknown) =>
        console.error(`Cleanup of ${cleanup.what} failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
  }
  result.complete = true;
  report();
  return result;
}

interface UiRun {
  context: BrowserContext;
  url: string;
  fixture: HostFixture;
  artifacts: string;
  userDataDir: string;
  onLog: (type: string, text: string) => void;
  stop: AbortSignal;
}

/** Runs one UI test in a fresh page load; returns undefined when it passed, else what went wrong (screenshot path included). */
async function runUiTest(test: UiTest, { context, url, fixture, artifacts, userDataDir, onLog, stop }: UiRun): Promise<string | undefined> {
  console.log(`\nUI test: ${test.name}`);
  // A fresh page load per test, so one test's open editors and dialogs do not steer the next.
  const session = await abortable(openWorkbench(context, url, onLog), stop);
  const ctx: UiTestContext = {
    page: session.page,
    emulator: fixture.emulator,
    workspaceDir: fixture.workspaceDir,
    artifactsDir: path.dirname(artifacts),
    userDataDir,
    log: (line) => console.log(`  ${line}`),
  };
  try {
    const running = waitForWorkbench(session.page).then(() => test.run(ctx));
    await abortable(withTimeout(running, UI_TEST_TIMEOUT_MS, `UI test "${test.name}"`), stop);
    console.log(`  ✓ ${test.name}`);
    return undefined;
  } catch (error) {
    const shot = path.join(artifacts, `ui-failure-${slug(test.name)}.png`);
    const saved = await withTimeout(session.page.screenshot({ path: shot, fullPage: true }), 15_000, 'screenshot').then(
      () => `\nScreenshot: ${shot}`,
      () => '',
    );
    console.log(`  ✗ ${test.name}`);
    return `${error instanceof Error ? (error.stack ?? error.message) : String(error)}${saved}`;
  } finally {
    await session.page.close().catch(() => {});
  }
}

/** Loads the workbench with the in-host mocha suite and returns what the suite reported. */
async function runSuite(context: BrowserContext, url: string, suiteEntry: string, hostLog: HostLog, artifacts: string): Promise<LevelResult> {
  if (!fs.existsSync(suiteEntry)) throw new Error(`The compiled extension-host suite is missing (run npm run compile-tests): ${suiteEntry}`);
  const session = await openWorkbench(context, url, hostLog.line.bind(hostLog));
  try {
    const exit = await session.exit;
    for (const log of exit.logs) {
      const file = path.join(artifacts, 'suite-logs', log.relativePath);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, log.contents);
    }
    const suite = hostLog.hostResult;
    if (!suite) {
      return {
        ...emptyLevelResult(),
        failed: 1,
        failures: [levelFailure('extension host suite', `The suite ended (exit code ${exit.code}) without reporting results; see the output above and ${artifacts}.`)],
      };
    }
    if (exit.code !== 0 && suite.failed === 0) {
      suite.failed += 1;
      suite.failures.push(levelFailure('extension host suite', `No test failed but the extension host reported exit code ${exit.code}.`));
    }
    return suite;
  } finally {
    await session.page.close().catch(() => {});
  }
}

function parseArgs(argv: string[], repo: string): HostRunOptions {
  const compiledHost = path.join(repo, 'out', 'test', 'host');
  const options: HostRunOptions = {
    repo,
    extension: { kind: 'development', path: repo },
    suiteEntry: path.join(compiledHost, 'suite', 'index.js'),
    uiTestsDir: path.join(compiledHost, 'ui'),
    timeoutMs: 10 * MINUTE,
    keepTemp: false,
    verbose: false,
    chromiumPath: chromiumPath(),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--suite-only') options.uiTestsDir = undefined;
    else if (arg === '--ui-only') options.suiteEntry = undefined;
    else if (arg === '--keep-temp') options.keepTemp = true;
    else if (arg === '--verbose') options.verbose = true;
    else if (arg === '--ui' && argv[i + 1]) {
      const only = argv[++i];
      options.uiTestFilter = (file) => file.includes(only);
    } else if (arg === '--vsix' && argv[i + 1]) options.extension = { kind: 'vsix', file: path.resolve(argv[++i]) };
    else throw new Error(`Unknown argument (see the top of test/host/runCodeServer.ts): ${arg}`);
  }
  return options;
}

if (require.main === module) {
  runLevelMain('extension host', (signal, onProgress) => {
    const options = parseArgs(process.argv.slice(2), findRepoRoot());
    options.onProgress = onProgress;
    return runHostTests(options, signal);
  });
}
