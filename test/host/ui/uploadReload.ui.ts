/**
 * Issue 4's scenario as a user meets it: an upload is running when the window reloads. The
 * extension's new session must offer "Resume 1 interrupted upload", and Resume must finish the
 * same multipart upload, sending only what COS lacks, into a byte-identical object; and nothing
 * may throw while the old extension host shuts down (no error of this extension in the extension host log). Runs after
 * upload.ui.ts (file-name order), with the "emulator" profile the in-host suite left behind.
 */
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extensionHostErrorsSince, extensionHostLogSizes, notificationTexts, STEP_TIMEOUT_MS, uploadFromPalette, waitUntil, type UiTestContext } from '../uiTest';
import { findRepoRoot } from '../../repoRoot';
import { waitForWorkbench } from '../workbench';

export const name = 'reload the window mid-upload, then Resume from the "Resume 1 interrupted upload" notification';

const FILE = 'ui/ui-reload-24m.bin';
const SIZE = 24 * 1024 * 1024;
const PROFILE = 'emulator';

export async function run(ctx: UiTestContext): Promise<void> {
  const { page, emulator } = ctx;
  const file = path.join(ctx.workspaceDir, FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const data = randomBytes(SIZE);
  fs.writeFileSync(file, data);
  // Slow enough that the reload lands mid-upload.
  emulator.setNetwork({ connMbps: 16 });
  const hostLogsBefore = extensionHostLogSizes(ctx.userDataDir);
  try {
    const key = await uploadFromPalette(page, path.basename(FILE), PROFILE);
    ctx.log(`uploading ${FILE} to ${key}`);
    const upload = await waitUntil('two parts on COS', () => {
      const listed = emulator.listUploads().find((u) => u.key === key);
      return listed && listed.parts >= 2 ? listed : undefined;
    });
    ctx.log(`reloading the window with ${upload.parts} parts of upload ${upload.uploadId} on COS`);
    const reloadedAt = emulator.log.length;
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitForWorkbench(page);

    // Another test's unfinished upload would make it "Resume N interrupted uploads": still ours to resume.
    const offer = await waitUntil(
      'the "Resume 1 interrupted upload" notification',
      async () => (await notificationTexts(page)).find((t) => t.startsWith('Resume 1 interrupted upload') ? t.includes(FILE) : /^Resume \d+ interrupted uploads/.test(t)),
      60_000,
    ).catch(async (error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}; notifications shown: ${JSON.stringify(await notificationTexts(page))}`);
    });
    ctx.log(`notification: ${offer}`);
    const onCosBeforeResume = emulator.listUploads().find((u) => u.uploadId === upload.uploadId)?.parts ?? 0;
    assert.ok(onCosBeforeResume >= 2, `only ${onCosBeforeResume} parts of the interrupted upload are on COS`);
    const beforeResume = emulator.log.length;
    const sentMeanwhile = emulator.log.slice(reloadedAt, beforeResume).filter((e) => e.operation === 'uploadPart' && e.uploadId === upload.uploadId && e.etag);
    ctx.log(`parts stored between the reload and Resume: ${sentMeanwhile.map((e) => e.partNumber).join(', ') || 'none'}`);

    emulator.setNetwork({ connMbps: 0 });
    const single = offer.startsWith('Resume 1 interrupted upload');
    if (!single) ctx.log('other interrupted uploads are offered too; resuming them all');
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: /Resume \d+ interrupted upload/ }).first();
    await toast.getByRole('button', { name: single ? 'Resume' : 'Resume All', exact: true }).click({ timeout: STEP_TIMEOUT_MS });

    // The same ending as any successful upload: integrity verdict and Copy URL.
    const done = await waitUntil('the "Uploaded … (CRC64 verified)" notification', async () => (await notificationTexts(page)).find((t) => t.startsWith('Uploaded ') && t.includes(key)), 60_000);
    ctx.log(`notification: ${done}`);
    assert.match(done, /CRC64 verified/);
    const doneToast = page.locator('.notifications-toasts .notification-list-item', { hasText: key }).filter({ hasText: /Uploaded / }).first();
    await doneToast.getByRole('button', { name: 'Copy URL', exact: true }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });

    assert.equal(await emulator.objectSha256(key), createHash('sha256').update(data).digest('hex'), 'the object differs from the file');
    // Each part stored once: none that COS already had was sent again.
    const stored = emulator.log.filter((e) => e.operation === 'uploadPart' && e.uploadId === upload.uploadId && e.etag);
    const counts = new Map<number, number>();
    for (const e of stored) counts.set(e.partNumber ?? 0, (counts.get(e.partNumber ?? 0) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([part]) => part);
    assert.deepEqual(twice, [], `parts stored more than once: ${twice.join(', ')}`);
    const completes = emulator.log.slice(beforeResume).filter((e) => e.operation === 'complete' && e.uploadId === upload.uploadId && e.status === 200);
    assert.equal(completes.length, 1, 'the resumed upload was not completed as the same multipart upload');
    assert.deepEqual(extensionHostErrorsSince(ctx.userDataDir, hostLogsBefore, [path.join(findRepoRoot(), 'dist'), 'cos-part-uploader']), [], 'an extension host logged errors across the reload');
  } finally {
    emulator.setNetwork({ connMbps: 0, latencyMs: 0 });
  }
}
