/**
 * A first session as a new user would have it, self-sufficient (no profile or state from the
 * in-host suite), so it also runs against the packaged extension installed from the .vsix
 * (test/host/runVsix.ts): COS: Add Bucket Profile → "Local emulator" → the emulator starts inside
 * the extension host and the profile is saved; then COS: Upload File to COS from the palette →
 * the progress notification (screenshot: test-artifacts/vsix-upload-progress.png) → success, and
 * the object in the extension's emulator equals the file. Against the package it also checks
 * that the log names the CRC64 engine in use: hash-wasm's WebAssembly, since the .vsix ships no
 * native binding.
 */
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CosClient, staticCredentials } from '../../../src/core';
import { notificationTexts, quickInputTitle, runCommand, STEP_TIMEOUT_MS, uploadFromPalette, waitUntil, type UiTestContext } from '../uiTest';

export const name = 'a new user adds the Local emulator profile in the wizard and uploads from the palette';

const FILE = 'ui/vsix-upload-24m.bin';
const SIZE = 24 * 1024 * 1024;
const PROFILE = 'Local emulator';

async function control(url: string, method: 'GET' | 'POST', route: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}/_emulator/${route}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
  assert.equal(res.status, 200, `emulator control ${method} ${route} answered ${res.status}`);
  return res.json();
}

/** Adds the profile through the wizard; returns the emulator's address from the confirmation. */
async function addLocalEmulatorProfile(ctx: UiTestContext): Promise<string> {
  const { page } = ctx;
  await runCommand(page, 'COS: Add Bucket Profile', 60_000);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Local emulator (try without a cloud account)' });
  await row.first().click({ timeout: STEP_TIMEOUT_MS });
  await waitUntil('the profile name input', async () => ((await quickInputTitle(page)).includes('Add Bucket Profile: Local emulator') ? true : undefined));
  const input = page.locator('.quick-input-widget input');
  assert.equal(await input.inputValue(), PROFILE, 'the wizard does not propose the name "Local emulator"');
  await input.press('Enter');
  const saved = await waitUntil('the "profile saved" notification', async () =>
    (await notificationTexts(page)).map((t) => /local COS emulator runs at (http:\/\/127\.0\.0\.1:\d+) with bucket (\S+)/.exec(t)).find((m) => m !== null),
  );
  ctx.log(`profile saved: emulator at ${saved[1]}, bucket ${saved[2]}`);
  return saved[1];
}

/**
 * The COS Upload log, as the Output panel shows its first lines (the panel stays open for the
 * screenshot; Ctrl+Home, since the upload's part lines push the engine line out of view). The panel wraps long lines anywhere, so the text is compared without whitespace.
 */
async function checkCrcEngineLine(ctx: UiTestContext): Promise<void> {
  const { page } = ctx;
  await runCommand(page, 'COS: Show Log');
  // The panel follows new part lines and scrolls away from the top between probes: stop that.
  const stopped = await page.locator('.part.panel [aria-label="Turn Auto Scrolling Off"]').first().click({ timeout: 5_000 }).then(
    () => true,
    () => false,
  );
  ctx.log(`output auto scrolling turned off: ${stopped}`);
  const editor = page.locator('.part.panel .monaco-editor').first();
  const engine = await waitUntil('the CRC64 engine in the COS Upload log', async () => {
    await editor.click({ timeout: 5_000 }).catch(() => undefined);
    await page.keyboard.press('Control+Home');
    const text = (await page.locator('.part.panel .monaco-editor .view-lines').allInnerTexts()).join('').replace(/\s+/g, '');
    const name = /(?:crc64Engine=|CRC64engine:)(liblzma|native|wasm|typescript)/.exec(text)?.[1];
    if (name === undefined || name === 'liblzma' || name === 'native') return name;
    // The reason wraps onto the next screen line, whose element need not follow in the DOM: look for it on its own.
    const reason = /liblzmabindingcouldnotbeloaded/.exec(text)?.[0];
    return reason ? `${name}(${reason})` : undefined;
  });
  ctx.log(`CRC64 engine: ${engine}`);
  if (process.env.COS_TEST_VSIX) {
    assert.match(engine, /^wasm\(liblzmabindingcouldnotbeloaded/, "the package ships no compiled CRC64: hash-wasm's WebAssembly must be in use, with the reason");
  } else {
    assert.match(engine, /^(liblzma|native|(wasm|typescript)\(.+\))$/);
  }
}

export async function run(ctx: UiTestContext): Promise<void> {
  const { page } = ctx;
  const url = await addLocalEmulatorProfile(ctx);
  const info = (await control(url, 'GET', 'info')) as { bucket: string; region: string; credentials: { secretId: string; secretKey: string } };

  const file = path.join(ctx.workspaceDir, FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const data = randomBytes(SIZE);
  fs.writeFileSync(file, data);
  // Slow the extension's emulator so the notification stays up for a few seconds.
  await control(url, 'POST', 'network', { connMbps: 20 });
  try {
    const key = await uploadFromPalette(page, path.basename(FILE), PROFILE);

    const progress = await waitUntil('the progress notification', async () => (await notificationTexts(page)).find((t) => /\d+\/\d+ parts? · \d+%/.test(t)));
    ctx.log(`notification: ${progress}`);
    await waitUntil('a finished part and the speed', async () => (await notificationTexts(page)).find((t) => /[1-9]\d*\/\d+ parts? · .+\/s/.test(t)), 20_000).catch(() => undefined);
    const shot = path.join(ctx.artifactsDir, 'vsix-upload-progress.png');
    await page.screenshot({ path: shot });
    assert.ok(fs.statSync(shot).size > 10 * 1024, 'the screenshot is suspiciously small');
    ctx.log(`screenshot: ${shot}`);
    // The engine is named when hashing is first needed, not at activation; checked while the
    // upload is slowed, so the line is still among the last ones the Output panel shows.
    await checkCrcEngineLine(ctx);

    await control(url, 'POST', 'network', { connMbps: 0 });
    await waitUntil('the success notification', async () => (await notificationTexts(page)).find((t) => t.includes('Uploaded') && t.includes(key)), 60_000);
  } finally {
    await control(url, 'POST', 'network', { connMbps: 0, latencyMs: 0 }).catch(() => undefined);
  }

  const client = new CosClient({ target: { bucket: info.bucket, region: info.region, endpoint: url }, credentials: staticCredentials(info.credentials) });
  try {
    const res = await fetch(await client.presignUrl(FILE, 300));
    assert.equal(res.status, 200, `GET ${FILE} from the extension's emulator answered ${res.status}`);
    assert.equal(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex'), createHash('sha256').update(data).digest('hex'), 'the object differs from the file');
  } finally {
    await client.close();
  }
}
