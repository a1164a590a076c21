/**
 * The COS view as a user sees it: the COS icon in the activity bar, the "emulator" profile (left
 * behind by the in-host suite), a folder expanded, an object right-clicked; the context menu
 * lists the object actions. Screenshot test-artifacts/host/bucket-view.png (copied to media/ for
 * the README with COS_UPDATE_SCREENSHOTS=1).
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { CosClient, staticCredentials } from '../../../src/core';
import { runCommand, showExplorer, STEP_TIMEOUT_MS, waitUntil, type UiTestContext } from '../uiTest';

export const name = 'COS view: expand a profile and a folder, right-click an object';

const PROFILE = 'emulator';
const FOLDER = 'bucket-view-demo/';
const OBJECTS: Record<string, number> = {
  'bucket-view-demo/report-2026.pdf': 1_250_000,
  'bucket-view-demo/notes.md': 3_400,
  'bucket-view-demo/dataset.csv': 480_000,
  'bucket-view-demo/images/cover.png': 210_000,
};
const README_SCREENSHOT = 'media/screenshot-bucket-view.png';
const OBJECT_ACTIONS = ['Open COS Object (Read-Only)…', 'Download…', 'Copy URL', 'Copy Presigned URL', 'Copy Key', 'Delete', 'Properties'];

export async function run(ctx: UiTestContext): Promise<void> {
  const { page, emulator } = ctx;
  const client = new CosClient({
    target: { bucket: emulator.bucket, region: emulator.region, endpoint: emulator.url },
    credentials: staticCredentials({ secretId: emulator.credentials.secretId, secretKey: emulator.credentials.secretKey }),
    transport: { ignoreEnvironmentProxy: true },
  });
  try {
    for (const [key, size] of Object.entries(OBJECTS)) await client.putObject(key, randomBytes(size), {});
  } finally {
    await client.close();
  }

  try {
    await showObjectMenu(ctx);
  } finally {
    // The workbench reopens the container a test leaves active: hand the next UI test its Explorer.
    await page.keyboard.press('Escape');
    await showExplorer(page);
  }
}

async function showObjectMenu(ctx: UiTestContext): Promise<void> {
  const { page } = ctx;
  await openView(page);
  await expand(page, PROFILE, FOLDER);
  await expand(page, FOLDER, 'report-2026.pdf');
  const object = row(page, 'report-2026.pdf');
  const description = await object.innerText();
  ctx.log(`object row: ${description.replace(/\s+/g, ' ')}`);
  assert.match(description, /1\.2 MiB/);

  await object.click({ button: 'right', timeout: STEP_TIMEOUT_MS });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  const items = (await menu.locator('.action-label').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
  ctx.log(`context menu: ${items.join(' | ')}`);
  for (const action of OBJECT_ACTIONS) assert.ok(items.includes(action), `the context menu has no "${action}": ${items.join(', ')}`);

  const shot = path.join(ctx.artifactsDir, 'bucket-view.png');
  await page.screenshot({ path: shot });
  const size = fs.statSync(shot).size;
  assert.ok(size > 10 * 1024, `the screenshot is only ${size} bytes`);
  if (process.env.COS_UPDATE_SCREENSHOTS === '1') {
    fs.copyFileSync(shot, path.join(path.dirname(ctx.artifactsDir), README_SCREENSHOT));
    ctx.log(`screenshot: ${shot} (${size} bytes), copied to ${README_SCREENSHOT}`);
  } else {
    ctx.log(`screenshot: ${shot} (${size} bytes); COS_UPDATE_SCREENSHOTS=1 copies it to ${README_SCREENSHOT}`);
  }
}

/**
 * Clicks `parent` until `child` shows under it: a click that lands while the workbench restores
 * the view's layout is lost, and a second click on an expanded row would collapse it.
 */
async function expand(page: Page, parent: string, child: string): Promise<void> {
  await waitUntil(`${child} under ${parent}`, async () => {
    if ((await row(page, child).count()) > 0) return true;
    if ((await row(page, parent).getAttribute('aria-expanded')) !== 'true') await row(page, parent).click({ timeout: STEP_TIMEOUT_MS });
    await new Promise((resolve) => setTimeout(resolve, 400));
    return undefined;
  });
}

/** The view through its activity-bar icon, or the palette when the icon is not there. */
async function openView(page: Page): Promise<void> {
  const icon = page.locator('.activitybar .action-item a[aria-label^="COS"]').first();
  if ((await icon.count()) > 0) await icon.click({ timeout: STEP_TIMEOUT_MS });
  else await runCommand(page, 'Focus on Buckets View');
  await waitUntil('the Buckets view', async () => ((await row(page, PROFILE).count()) > 0 ? true : undefined));
}

/** A row of the COS view whose label starts with `label`. */
function row(page: Page, label: string) {
  return page.locator('.part.sidebar .monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
}
