import * as path from 'node:path';
import * as vscode from 'vscode';
import { crc64EngineStatus, FileCheckpointStore } from '../core';
import { addProfileCommand, editProfileCommand, removeProfileCommand } from './commands/profiles';
import { testConnectionCommand } from './commands/testConnection';
import { uploadCommand } from './commands/upload';
import { showUploadsCommand } from './commands/uploads';
import { UploadLog } from './log';
import { ProfileStore } from './profileStore';
import { restorePausedUploads } from './restore';
import { readSettings, SECTION } from './settings';
import { UploadStatusBar } from './statusBar';
import { createTestApi, type CosUploadTestApi } from './testApi';
import { CoreUploadBackend } from './uploadBackend';
import { UploadManager } from './uploadManager';
import type { UploadUiDeps } from './uploadUi';

/** Wiring only: each piece lives in its own module. */
export function activate(context: vscode.ExtensionContext): CosUploadTestApi | undefined {
  const log = new UploadLog();
  const profiles = new ProfileStore(context.globalState, context.secrets);
  const checkpointDir = path.join(context.globalStorageUri.fsPath, 'checkpoints');
  const checkpoints = new FileCheckpointStore(checkpointDir);
  const backend = new CoreUploadBackend({ profiles, checkpoints, log, settings: readSettings });
  const manager = new UploadManager(backend, {
    maxConcurrentUploads: () => readSettings().maxConcurrentUploads,
    onCancel: () => readSettings().onCancel,
    logger: log,
  });
  activeManager = manager;
  const statusBar = new UploadStatusBar(manager);
  const deps: UploadUiDeps = { manager, profiles, log, settings: readSettings };

  const updateContext = () => void vscode.commands.executeCommand('setContext', 'cosUpload.hasProfile', profiles.list().length > 0);
  updateContext();

  context.subscriptions.push(
    log,
    profiles,
    manager,
    statusBar,
    profiles.onDidChange(updateContext),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.maxConcurrentUploads`)) manager.pump();
    }),
    vscode.commands.registerCommand('cosUpload.uploadFile', (first?: unknown, second?: unknown) => uploadCommand(deps, first, second)),
    vscode.commands.registerCommand('cosUpload.uploadFromExplorer', (first?: unknown, second?: unknown) => uploadCommand(deps, first, second)),
    vscode.commands.registerCommand('cosUpload.addProfile', (args?: unknown) => addProfileCommand(profiles, args)),
    vscode.commands.registerCommand('cosUpload.editProfile', (args?: unknown) => editProfileCommand(profiles, args)),
    vscode.commands.registerCommand('cosUpload.removeProfile', (args?: unknown) => removeProfileCommand(profiles, args)),
    vscode.commands.registerCommand('cosUpload.testConnection', (args?: unknown) => testConnectionCommand(profiles, log, args)),
    vscode.commands.registerCommand('cosUpload.showUploads', (args?: unknown) => showUploadsCommand(deps, args)),
    vscode.commands.registerCommand('cosUpload.showLog', () => log.show()),
  );

  const crc = crc64EngineStatus();
  log.info(`activated: crc64Engine=${crc.name}${crc.reason ? ` (${crc.reason})` : ''} checkpoints=${checkpointDir}`);
  void restorePausedUploads(manager, profiles, checkpoints, log);

  // The test API exposes state for the extension-host tests; never in production, never a secret.
  if (context.extensionMode === vscode.ExtensionMode.Production) return undefined;
  return createTestApi({ context, manager, profiles, log, statusBar, checkpointDir });
}

let activeManager: UploadManager | undefined;

/** Stops running uploads and gives them a moment to save their checkpoints, so they resume next time. */
export function deactivate(): Promise<void> | undefined {
  return activeManager?.shutdown();
}
