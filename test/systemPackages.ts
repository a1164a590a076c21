/**
 * The Debian packages the extension-host and .vsix levels need: Chromium (the browser that shows
 * the workbench), and ripgrep, libkrb5-dev and pkg-config (to install code-server, see
 * test/host/installCodeServer.ts). `npm test` installs the missing ones before any level runs
 * when it can (root or passwordless sudo, with apt-get), and otherwise stops with the command to run.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export const HOST_PACKAGES = ['chromium', 'ripgrep', 'libkrb5-dev', 'pkg-config'] as const;
export type HostPackage = (typeof HOST_PACKAGES)[number];

/** Where the host runners look for Chromium (test/host/runCodeServer.ts, runVsix.ts). */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.COS_TEST_CHROMIUM ?? '/usr/bin/chromium';
}

/** What the machine offers, gathered by probeSystem(); planPackages() decides from it alone. */
export interface SystemFacts {
  /** The packages whose tools the runners cannot find. */
  missing: readonly HostPackage[];
  /** apt-get is on PATH (Debian, Ubuntu and their kin). */
  apt: boolean;
  root: boolean;
  /** `sudo -n true` succeeds: sudo without a password prompt. */
  passwordlessSudo: boolean;
}

export type PackagePlan =
  | { kind: 'ready' }
  /** Run these commands in order, then check again. */
  | { kind: 'install'; packages: readonly HostPackage[]; commands: readonly (readonly string[])[] }
  | { kind: 'stop'; message: string };

const SUBSET_HINT = 'To run only the levels that need none of them: npm test -- --only unit,integration';

/** The command a user runs by hand to install `packages`. */
export function manualInstallCommand(packages: readonly string[]): string {
  return `sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`;
}

export function planPackages(facts: SystemFacts): PackagePlan {
  const { missing } = facts;
  if (missing.length === 0) return { kind: 'ready' };
  const list = missing.join(', ');
  if (!facts.apt) {
    return {
      kind: 'stop',
      message:
        `npm test: the extension-host tests need ${list}, and this machine has no apt-get, so npm test cannot install them ` +
        '(it does so on Debian and Ubuntu). Install them with your package manager (libkrb5-dev: the Kerberos development ' +
        `files that pkg-config finds as krb5; Chromium at /usr/bin/chromium or named by COS_TEST_CHROMIUM), then run npm test again. ${SUBSET_HINT}`,
    };
  }
  const prefix = facts.root ? [] : facts.passwordlessSudo ? ['sudo', '-n'] : undefined;
  if (!prefix) {
    return {
      kind: 'stop',
      message:
        `npm test: the extension-host tests need Debian packages that are missing: ${list}. npm test installs them itself ` +
        `when it runs as root or sudo needs no password; here it cannot. Run:\n  ${manualInstallCommand(missing)}\n` +
        `then npm test again. ${SUBSET_HINT}`,
    };
  }
  return {
    kind: 'install',
    packages: missing,
    commands: [
      [...prefix, 'apt-get', 'update', '-qq'],
      [...prefix, 'apt-get', 'install', '-y', '-qq', ...missing],
    ],
  };
}

function succeeds(command: string, args: readonly string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

function onPath(command: string): boolean {
  return succeeds('sh', ['-c', `command -v ${command}`]);
}

/** Which of HOST_PACKAGES the runners would miss: checked by the tools they use, not by package name. */
export function findMissing(env: NodeJS.ProcessEnv = process.env): HostPackage[] {
  const missing: HostPackage[] = [];
  if (!fs.existsSync(chromiumPath(env))) missing.push('chromium');
  if (!onPath('rg')) missing.push('ripgrep');
  const pkgConfig = onPath('pkg-config');
  if (!pkgConfig || !succeeds('pkg-config', ['--exists', 'krb5'])) missing.push('libkrb5-dev');
  if (!pkgConfig) missing.push('pkg-config');
  return missing;
}

export function probeSystem(env: NodeJS.ProcessEnv = process.env): SystemFacts {
  const missing = findMissing(env);
  if (missing.length === 0) return { missing, apt: true, root: false, passwordlessSudo: false };
  const root = process.getuid?.() === 0;
  return { missing, apt: onPath('apt-get'), root, passwordlessSudo: !root && onPath('sudo') && succeeds('sudo', ['-n', 'true']) };
}

/**
 * Makes sure the host packages are there: installs the missing ones when it can, and otherwise
 * throws an Error whose message says what to run. Resolves once nothing is missing.
 */
export function ensureHostPackages(log: (line: string) => void = console.log, env: NodeJS.ProcessEnv = process.env): void {
  const plan = planPackages(probeSystem(env));
  if (plan.kind === 'ready') return;
  if (plan.kind === 'stop') throw new Error(plan.message);
  log(`Installing the Debian packages the extension-host tests need: ${plan.packages.join(' ')}`);
  const started = Date.now();
  for (const command of plan.commands) {
    const run = spawnSync(command[0], command.slice(1), { stdio: 'inherit', env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (run.status !== 0) {
      throw new Error(`npm test: \`${command.join(' ')}\` failed (${run.error?.message ?? `exit code ${run.status}`}). Install the packages, then run npm test again:\n  ${manualInstallCommand(plan.packages)}`);
    }
  }
  const still = findMissing(env);
  if (still.length > 0) {
    throw new Error(`npm test: apt-get installed ${plan.packages.join(' ')}, but the tests still do not find ${still.join(', ')} (Chromium at ${chromiumPath(env)}, rg and pkg-config on PATH, krb5 known to pkg-config).`);
  }
  log(`Installed ${plan.packages.join(' ')} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
