/**
 * The `vsix` level of `npm test`: tests the package a user installs, not the repository.
 *   1. `npm run package` builds the production bundles and the .vsix (offline: vsce needs no network);
 *   2. checks what the .vsix holds: everything the manifest points at, nothing of the sources,
 *      tests, source maps or node_modules;
 *   3. installs it into a fresh code-server extensions folder with `--install-extension` and runs,
 *      against that installed copy, the UI tests `smoke.ui.ts` and `vsix-*.ui.ts`. Those need no
 *      state from the in-host suite: vsix-local-emulator.ui.ts makes its own profile through the
 *      Add Bucket Profile wizard's "Local emulator" choice, then uploads from the palette.
 *
 *   node out/test/host/runVsix.js [--keep-temp] [--verbose]
 * Logs and screenshots go to test-artifacts/vsix/.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { emptyLevelResult, levelFailure, runLevelMain, type LevelResult } from '../levelResult';
import { findRepoRoot } from '../repoRoot';
import { chromiumPath } from '../systemPackages';
import { runHostTests } from './runCodeServer';

/** What `npm run package` writes (the "package" script in package.json). */
export const VSIX_NAME = 'cos-part-uploader.vsix';
/** Set for the UI tests of a packaged run: the path of the .vsix under test. */
export const VSIX_ENV = 'COS_TEST_VSIX';
/** The .vsix is well under a megabyte; this catches node_modules or source maps slipping in. */
const MAX_VSIX_BYTES = 2 * 1024 * 1024;
const MINUTE = 60_000;

/** The file names in a zip archive, from its central directory. */
export function zipEntries(zip: Buffer): Array<{ name: string; size: number }> {
  const EOCD = 0x06054b50;
  const CENTRAL = 0x02014b50;
  let end = -1;
  // The end record is 22 bytes plus a comment of at most 64 KiB.
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('not a zip archive: no end of central directory record');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: Array<{ name: string; size: number }> = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== CENTRAL) throw new Error(`corrupt zip: bad central directory entry ${n}`);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    entries.push({ name: zip.subarray(at + 46, at + 46 + nameLength).toString('utf8'), size });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Runs `npm run package`; npm's own path when npm started this process, else `npm` on PATH. */
function runPackageScript(repo: string): void {
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli && /\.[cm]?js$/.test(npmCli) ? [process.execPath, [npmCli, 'run', 'package']] : ['npm', ['run', 'package']];
  const run = spawnSync(command, args, { cwd: repo, encoding: 'utf8', timeout: 5 * MINUTE });
  process.stdout.write(run.stdout ?? '');
  process.stderr.write(run.stderr ?? '');
  if (run.status !== 0) throw new Error(`npm run package failed (${run.status ?? run.signal ?? run.error?.message})`);
}

/** The checks of the package itself; each is one test in the level's counts. */
function packageChecks(repo: string, vsix: string): Array<{ title: string; run: () => void }> {
  let entries: Array<{ name: string; size: number }> = [];
  const names = (): Set<string> => new Set(entries.map((e) => e.name));
  return [
    {
      title: `npm run package makes ${VSIX_NAME}, smaller than ${MAX_VSIX_BYTES / 1024 / 1024} MiB`,
      run: () => {
        const { size } = fs.statSync(vsix);
        entries = zipEntries(fs.readFileSync(vsix));
        console.log(`${VSIX_NAME}: ${size} bytes (${(size / 1024).toFixed(1)} KiB), ${entries.length} files:`);
        for (const e of entries) console.log(`  ${e.name.padEnd(52)} ${String(e.size).padStart(9)}`);
        if (size > MAX_VSIX_BYTES) throw new Error(`the .vsix is ${size} bytes`);
      },
    },
    {
      title: 'the .vsix holds the bundles, the manifest, its translations and the icon, and whatever the manifest points at',
      run: () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { main: string; icon: string; l10n: string };
        const inExtension = (p: string): string => `extension/${path.posix.normalize(p.replace(/^\.\//, ''))}`;
        const required = [
          'extension/package.json',
          'extension/package.nls.json',
          'extension/package.nls.zh-cn.json',
          'extension/readme.md',
          'extension/dist/hashWorker.js',
          'extension/dist/emulator.js',
          'extension/dist/extensionCommands.js',
          inExtension(manifest.main),
          inExtension(manifest.icon),
          `${inExtension(manifest.l10n)}/bundle.l10n.json`,
          `${inExtension(manifest.l10n)}/bundle.l10n.zh-cn.json`,
        ];
        const missing = required.filter((name) => !names().has(name));
        if (missing.length > 0) throw new Error(`missing from the .vsix: ${missing.join(', ')}`);
      },
    },
    {
      title: 'the .vsix holds no sources, tests, source maps, node_modules or native binaries',
      run: () => {
        const forbidden = [...names()].filter((name) => /\.(ts|map|node)$/.test(name) || /(^|\/)node_modules\//.test(name) || /^extension\/(src|test|out|\.cache|\.ci)\//.test(name));
        if (forbidden.length > 0) throw new Error(`should not be in the .vsix: ${forbidden.join(', ')}`);
      },
    },
  ];
}

export async function runVsixLevel(options: { repo: string; keepTemp: boolean; verbose: boolean; onProgress?: (result: LevelResult) => void }, signal?: AbortSignal): Promise<LevelResult> {
  const result = emptyLevelResult();
  const report = (): void => options.onProgress?.(result);
  const vsix = path.join(options.repo, VSIX_NAME);
  try {
    fs.rmSync(vsix, { force: true });
    runPackageScript(options.repo);
  } catch (error) {
    result.failed += 1;
    result.failures.push(levelFailure('vsix: npm run package', error));
    result.complete = true;
    report();
    return result;
  }
  for (const check of packageChecks(options.repo, vsix)) {
    try {
      check.run();
      result.passed += 1;
      console.log(`  ✓ ${check.title}`);
    } catch (error) {
      result.failed += 1;
      result.failures.push(levelFailure(`vsix: ${check.title}`, error));
      console.log(`  ✗ ${check.title}`);
    }
    report();
  }

  // The UI tests run in this process; this tells them the extension is the installed package.
  process.env[VSIX_ENV] = vsix;
  const compiledHost = path.join(options.repo, 'out', 'test', 'host');
  const host = await runHostTests(
    {
      repo: options.repo,
      extension: { kind: 'vsix', file: vsix },
      uiTestsDir: path.join(compiledHost, 'ui'),
      uiTestFilter: (file) => file === 'smoke.ui.js' || file.startsWith('vsix-'),
      artifactsName: 'vsix',
      timeoutMs: 10 * MINUTE,
      keepTemp: options.keepTemp,
      verbose: options.verbose,
      chromiumPath: chromiumPath(),
      onProgress: (progress) => options.onProgress?.({ ...progress, passed: progress.passed + result.passed, failed: progress.failed + result.failed, failures: [...result.failures, ...progress.failures], complete: false }),
    },
    signal,
  );
  result.passed += host.passed;
  result.failed += host.failed;
  result.failures.push(...host.failures);
  result.complete = true;
  report();
  return result;
}

if (require.main === module) {
  runLevelMain('packaged extension', (signal, onProgress) => {
    const argv = process.argv.slice(2);
    for (const arg of argv) if (arg !== '--keep-temp' && arg !== '--verbose') throw new Error(`Unknown argument (see the top of test/host/runVsix.ts): ${arg}`);
    return runVsixLevel({ repo: findRepoRoot(), keepTemp: argv.includes('--keep-temp'), verbose: argv.includes('--verbose'), onProgress }, signal);
  });
}
