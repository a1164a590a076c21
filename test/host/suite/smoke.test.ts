import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
// Read at run time, not bundled: the id must match what VS Code derives from the manifest.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const manifest = require('../../../../package.json') as { publisher: string; name: string };

const EXTENSION_ID = `${manifest.publisher}.${manifest.name}`;

describe('extension host smoke', () => {
  it('is a real extension host and says what kind', () => {
    console.log(`uiKind: ${vscode.UIKind[vscode.env.uiKind]}, remoteName: ${vscode.env.remoteName ?? '(local)'}, VS Code ${vscode.version}`);
    assert.ok(vscode.UIKind[vscode.env.uiKind] === 'Web' || vscode.UIKind[vscode.env.uiKind] === 'Desktop');
    assert.match(vscode.version, /^\d+\.\d+\.\d+/);
  });

  it('receives the emulator and workspace from the runner', () => {
    assert.match(process.env.COS_TEST_EMULATOR_URL ?? '', /^http:\/\/127\.0\.0\.1:\d+/);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder is open');
    assert.equal(folder.uri.fsPath, process.env.COS_TEST_WORKSPACE);
  });

  it(`loads and activates ${EXTENSION_ID}`, async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });
});
