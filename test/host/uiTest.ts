/**
 * UI tests drive the real workbench in the browser, as a user would: command palette, Explorer,
 * notifications. Each is a module out/test/host/ui/<name>.ui.js (source test/host/ui/<name>.ui.ts)
 * exporting `name` and `run(ctx)`; test/host/runCodeServer.ts runs them, in file-name order, in a
 * page that loads the extension without the in-host mocha suite, after that suite has run (same
 * browser context and user data, so state the suite left behind is still there). A test fails by
 * throwing; the runner then saves a screenshot to test-artifacts/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import type { RunningEmulator } from '../../src/emulator';

export interface UiTestContext {
  page: Page;
  emulator: RunningEmulator;
  /** The workspace folder open in the workbench (a temporary copy of test/fixtures/workspace). */
  workspaceDir: string;
  /** <repo>/test-artifacts: put screenshots and other evidence here. */
  artifactsDir: string;
  /** code-server's user data dir: logs/<session>/exthost<N>/remoteexthost.log are the extension hosts' logs. */
  userDataDir: string;
  log: (line: string) => void;
}

/** How long each extension-host log under `userDataDir/logs` is now, to read only what comes later. */
export function extensionHostLogSizes(userDataDir: string): Map<string, number> {
  const sizes = new Map<string, number>();
  const logs = path.join(userDataDir, 'logs');
  if (!fs.existsSync(logs)) return sizes;
  for (const file of fs.readdirSync(logs, { recursive: true, encoding: 'utf8' })) {
    if (/exthost\d*\.log$/.test(file)) sizes.set(path.join(logs, file), fs.statSync(path.join(logs, file)).size);
  }
  return sizes;
}

/**
 * The error entries (with their stack lines) that extension hosts logged since `before` and that
 * mention one of `mentions` (this extension's folder or name): built-in extensions log their own.
 */
export function extensionHostErrorsSince(userDataDir: string, before: Map<string, number>, mentions: string[]): string[] {
  const errors: string[] = [];
  for (const [file, size] of extensionHostLogSizes(userDataDir)) {
    const from = Math.min(before.get(file) ?? 0, size);
    const text = fs.readFileSync(file).subarray(from).toString('utf8');
    const entries = text.split(/\n(?=\d{4}-\d\d-\d\d )/);
    for (const entry of entries) if (/^\S+ \S+ \[error\]/.test(entry) && mentions.some((m) => entry.includes(m))) errors.push(`${path.basename(path.dirname(file))}: ${entry.trim()}`);
  }
  return errors;
}

export interface UiTest {
  name: string;
  run(ctx: UiTestContext): Promise<void>;
}

export const UI_TEST_SUFFIX = '.ui.js';

/** Loads every UI test module of `dir`; a module without `name` and `run` is reported, not skipped. */
export function loadUiTests(dir: string): Array<{ file: string; test?: UiTest; error?: string }> {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith(UI_TEST_SUFFIX))
    .sort()
    .map((file) => {
      const full = path.join(dir, file);
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- test modules are found at run time.
        const loaded = require(full) as Partial<UiTest>;
        if (typeof loaded.name !== 'string' || typeof loaded.run !== 'function') {
          return { file, error: `A UI test module must export \`name\` (string) and \`run(ctx)\`: ${full}` };
        }
        return { file, test: { name: loaded.name, run: loaded.run.bind(loaded) } };
      } catch (error) {
        return { file, error: `Cannot load UI test module ${full}: ${error instanceof Error ? error.stack : String(error)}` };
      }
    });
}

/** How long one palette opening waits for the command's row before it closes and tries again. */
const PALETTE_ATTEMPT_MS = 5_000;

/**
 * Runs a command from the command palette by its title, e.g. "Developer: Show Running Extensions".
 * Right after a page load the extension's commands may not be registered yet, and an open palette
 * does not pick them up later: so it closes the palette and opens it again until the row shows.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: Math.max(1_000, deadline - Date.now()) });
    await input.fill(`>${title}`);
    // Click the matching row rather than press Enter: Enter takes whichever row is first.
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    try {
      await row.click({ timeout: Math.max(1_000, Math.min(PALETTE_ATTEMPT_MS, deadline - Date.now())) });
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await page.keyboard.press('Escape');
    }
  }
}

/** Texts of the notification toasts now shown. */
export async function notificationTexts(page: Page): Promise<string[]> {
  return page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
}

/** How long one UI step (a picker, a notification) may take to show. */
export const STEP_TIMEOUT_MS = 30_000;

/** The title of the quick input now shown ('' when it has none). */
export async function quickInputTitle(page: Page): Promise<string> {
  const title = page.locator('.quick-input-widget .quick-input-title');
  return (await title.isVisible()) ? ((await title.textContent()) ?? '') : '';
}

/** Polls `probe` until it returns a value. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = STEP_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * "COS: Upload File to COS" from the palette as a user does it: filters the file picker by name,
 * picks the profile named `profile` when several exist (with one, the key box comes at once) and
 * accepts the proposed key, which it returns.
 */
export async function uploadFromPalette(page: Page, fileName: string, profile: string): Promise<string> {
  await runCommand(page, 'COS: Upload File to COS');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  await waitUntil('the file picker', async () => ((await quickInputTitle(page)).includes('Upload File to COS') ? true : undefined));
  await input.fill(fileName);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: fileName }).first().click({ timeout: STEP_TIMEOUT_MS });
  const next = await waitUntil('the profile pick or the key input', async () => {
    const title = await quickInputTitle(page);
    if (title.includes('Bucket profile')) return 'profile';
    if (title.includes('Object key in')) return 'key';
    return undefined;
  });
  if (next === 'profile') {
    // The row whose label is exactly the profile's name: "emulator" must not pick "Local emulator".
    const exact = new RegExp(`^\\s*${profile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
    const row = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) });
    await row.first().click({ timeout: STEP_TIMEOUT_MS });
    await waitUntil('the key input', async () => ((await quickInputTitle(page)).includes('Object key in') ? true : undefined));
  }
  const key = await input.inputValue();
  await input.press('Enter');
  return key;
}

/** Shows the Explorer: the workbench reopens the view container the previous UI test left active. */
export async function showExplorer(page: Page): Promise<void> {
  const explorer = page.locator('.explorer-folders-view');
  // Again until it stays: the workbench may bring the restored container back after our first try.
  await waitUntil('the Explorer', async () => {
    if (await explorer.isVisible()) return true;
    await page.keyboard.press('Escape');
    await runCommand(page, 'View: Show Explorer');
    await new Promise((resolve) => setTimeout(resolve, 500));
    return undefined;
  }, 60_000);
}
