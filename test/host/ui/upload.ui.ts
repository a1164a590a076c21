/**
 * Drives Upload File to COS as a user would: command palette, file quick pick, key input box,
 * then the progress notification, which is captured as a screenshot (test-artifacts/upload-progress.png,
 * copied to media/ for the README). Runs after the in-host suite, which left the "emulator"
 * bucket profile behind.
 */
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { notificationTexts, uploadFromPalette, waitUntil, type UiTestContext } from '../uiTest';

export const name = 'upload a file from the command palette, with a progress notification';

const FILE = 'ui/ui-upload-40m.bin';
const SIZE = 40 * 1024 * 1024;
const PROFILE = 'emulator';
/** VS Code's DOM id of the status bar item: the extension's id, then the item's. */
const STATUS_ITEM_ID = 'cos-part-uploader.cos-part-uploader.cosUpload.status';
/** The README shows this screenshot. */
const README_SCREENSHOT = 'media/screenshot-upload-progress.png';

export async function run(ctx: UiTestContext): Promise<void> {
  const { page, emulator } = ctx;
  const file = path.join(ctx.workspaceDir, FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const data = randomBytes(SIZE);
  fs.writeFileSync(file, data);
  // Slow the emulator's connections so the notification stays up for several seconds.
  emulator.setNetwork({ connMbps: 20 });
  try {
    const key = await uploadFromPalette(page, path.basename(FILE), PROFILE);
    ctx.log(`picked ${FILE}`);
    assert.ok(key.endsWith(FILE), `the proposed key does not end with the workspace path: ${key}`);
    ctx.log(`accepted key ${key}`);

    const progress = await waitUntil('the progress notification', async () => {
      const texts = await notificationTexts(page);
      return texts.find((t) => /\d+\/\d+ parts · \d+%/.test(t));
    });
    ctx.log(`notification: ${progress}`);
    // A part done and a speed estimate make a screenshot that shows what the notification is for.
    await waitUntil('a finished part and the speed in the notification', async () => (await notificationTexts(page)).find((t) => /[1-9]\d*\/\d+ parts · \d+% · .+\/s/.test(t)), 20_000).catch(
      () => undefined,
    );

    const shot = path.join(ctx.artifactsDir, 'upload-progress.png');
    await page.screenshot({ path: shot });
    const size = fs.statSync(shot).size;
    assert.ok(size > 10 * 1024, `the screenshot is only ${size} bytes`);
    assert.deepEqual([...fs.readFileSync(shot).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'the screenshot is not a PNG');
    // A test run leaves tracked files alone; refresh the README's copy on request only.
    if (process.env.COS_UPDATE_SCREENSHOTS === '1') {
      fs.copyFileSync(shot, path.join(path.dirname(ctx.artifactsDir), README_SCREENSHOT));
      ctx.log(`screenshot: ${shot} (${size} bytes), copied to ${README_SCREENSHOT}`);
    } else {
      ctx.log(`screenshot: ${shot} (${size} bytes); COS_UPDATE_SCREENSHOTS=1 copies it to ${README_SCREENSHOT}`);
    }

    // The status bar item's tooltip, as a user sees it on hover: one line per upload under a title.
    await page.locator(`[id="${STATUS_ITEM_ID}"]`).hover();
    const tooltip = await waitUntil('the status bar tooltip', async () => {
      const text = await page.locator('.workbench-hover').first().innerText({ timeout: 1000 }).catch(() => undefined);
      return text?.includes('COS uploads') ? text : undefined;
    });
    ctx.log(`status bar tooltip: ${JSON.stringify(tooltip)}`);
    assert.match(tooltip, new RegExp(`COS uploads\\s*\\n[^\\n]*${path.basename(FILE).replace(/\./g, '\\.')} → [^\\n]*: \\d+%`), 'the tooltip does not put the upload on a line of its own under its title');
    // The hover fades in; a screenshot before that shows it half transparent.
    await waitUntil('the tooltip to be fully shown', async () =>
      (await page.locator('.workbench-hover').first().evaluate(
        // Runs in the page, so it cannot call helpers from here; the test's compile has no DOM library.
        (el) => Number((globalThis as unknown as { getComputedStyle(e: unknown): { opacity: string } }).getComputedStyle(el.closest('.workbench-hover-container') ?? el).opacity),
      )) === 1 ? true : undefined,
    );
    const tooltipShot = path.join(ctx.artifactsDir, 'upload-status-tooltip.png');
    await page.screenshot({ path: tooltipShot });
    ctx.log(`screenshot: ${tooltipShot}`);
    await page.mouse.move(0, 0);

    // Let it finish quickly, then check the object arrived intact.
    emulator.setNetwork({ connMbps: 0 });
    await waitUntil('the success notification', async () => (await notificationTexts(page)).find((t) => t.includes('Uploaded') && t.includes(key)), 60_000);
    assert.equal(await emulator.objectSha256(key), createHash('sha256').update(data).digest('hex'), 'the uploaded object differs from the file');
  } finally {
    emulator.setNetwork({ connMbps: 0, latencyMs: 0 });
  }
}
