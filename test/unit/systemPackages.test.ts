import * as assert from 'node:assert/strict';
import { findMissing, HOST_PACKAGES, manualInstallCommand, planPackages, type HostPackage, type SystemFacts } from '../systemPackages';

const debian = (missing: readonly HostPackage[], who: Partial<SystemFacts> = {}): SystemFacts => ({ missing, apt: true, root: false, passwordlessSudo: false, ...who });

describe('npm test: the Debian packages of the extension-host levels', () => {
  it('does nothing when nothing is missing, whoever runs it', () => {
    for (const facts of [debian([]), debian([], { root: true }), { missing: [], apt: false, root: false, passwordlessSudo: false }]) {
      assert.deepEqual(planPackages(facts), { kind: 'ready' });
    }
  });

  it('as root with apt-get: updates the lists, then installs only the missing packages', () => {
    assert.deepEqual(planPackages(debian(['chromium', 'ripgrep'], { root: true })), {
      kind: 'install',
      packages: ['chromium', 'ripgrep'],
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', 'chromium', 'ripgrep'],
      ],
    });
  });

  it('with passwordless sudo: the same through sudo -n, which never waits for a password', () => {
    const plan = planPackages(debian(['libkrb5-dev', 'pkg-config'], { passwordlessSudo: true }));
    assert.equal(plan.kind, 'install');
    assert.deepEqual(plan.kind === 'install' && plan.commands, [
      ['sudo', '-n', 'apt-get', 'update', '-qq'],
      ['sudo', '-n', 'apt-get', 'install', '-y', '-qq', 'libkrb5-dev', 'pkg-config'],
    ]);
  });

  it('without root or passwordless sudo: stops with the exact command to run', () => {
    const plan = planPackages(debian([...HOST_PACKAGES]));
    assert.equal(plan.kind, 'stop');
    const message = plan.kind === 'stop' ? plan.message : '';
    assert.ok(message.includes('sudo apt-get update && sudo apt-get install -y chromium ripgrep libkrb5-dev pkg-config'), message);
    assert.match(message, /missing: chromium, ripgrep, libkrb5-dev, pkg-config/);
    assert.match(message, /--only unit,integration/);
  });

  it('without apt-get (not Debian or Ubuntu): stops and names what to install, root or not', () => {
    for (const root of [false, true]) {
      const plan = planPackages({ missing: ['chromium'], apt: false, root, passwordlessSudo: !root });
      assert.equal(plan.kind, 'stop');
      const message = plan.kind === 'stop' ? plan.message : '';
      assert.match(message, /need chromium, and this machine has no apt-get/);
      assert.match(message, /COS_TEST_CHROMIUM/);
      assert.doesNotMatch(message, /sudo apt-get/);
    }
  });

  it('the hand command installs exactly the packages given', () => {
    assert.equal(manualInstallCommand(['ripgrep']), 'sudo apt-get update && sudo apt-get install -y ripgrep');
  });

  it('finds Chromium where the runners look for it (COS_TEST_CHROMIUM)', () => {
    const missing = findMissing({ ...process.env, COS_TEST_CHROMIUM: '/nonexistent/cos-test/chromium' });
    assert.ok(missing.includes('chromium'), `missing: ${missing.join(', ')}`);
    assert.ok(!findMissing({ ...process.env, COS_TEST_CHROMIUM: process.execPath }).includes('chromium'));
  });
});
