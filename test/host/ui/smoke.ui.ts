/**
 * Proves the UI-test mechanism end to end: the workbench loads with the workspace open and the
 * extension under test, the command palette runs a built-in command, and a screenshot of the
 * result lands in test-artifacts/ui-smoke.png.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WORKSPACE_NAME } from '../hostFixture';
import { runCommand, type UiTestContext } from '../uiTest';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the extension's names, as the manifest gives them.
const manifest = require('../../../../package.json') as { publisher: string; name: string; displayName: string };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MIN_SCREENSHOT_BYTES = 10 * 1024;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export const name = 'workbench smoke: command palette, Running Extensions, screenshot';

export async function run({ page, workspaceDir, artifactsDir, log }: UiTestContext): Promise<void> {
  assert.equal(path.basename(workspaceDir), WORKSPACE_NAME);

  await runCommand(page, 'Developer: Show Running Extensions');
  // The editor lists the extensions the host has loaded: ours must be among them. A development
  // extension shows under its id rather than its display name; accept either.
  const ourNames = new RegExp(`^(${escapeRegExp(manifest.displayName)}|${escapeRegExp(`${manifest.publisher}.${manifest.name}`)})$`);
  await page.locator('.runtime-extensions-editor').getByText(ourNames).first().waitFor({ state: 'visible', timeout: 30_000 });

  const shot = path.join(artifactsDir, 'ui-smoke.png');
  await page.screenshot({ path: shot });
  const png = fs.readFileSync(shot);
  log(`screenshot: ${shot} (${png.length} bytes)`);
  assert.ok(png.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE), `not a PNG: ${shot}`);
  assert.ok(png.length > MIN_SCREENSHOT_BYTES, `screenshot suspiciously small (${png.length} bytes): ${shot}`);

  // The Explorer's folder header (shown upper-case by CSS) or the window title names the workspace.
  const title = await page.title();
  const explorer = await page.locator('.explorer-folders-view, .pane-header').allInnerTexts();
  const shown = [title, ...explorer].join('\n').toLowerCase();
  assert.ok(shown.includes(WORKSPACE_NAME.toLowerCase()), `the workspace folder ${WORKSPACE_NAME} is not shown; title: ${title}`);
}
