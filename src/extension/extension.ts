import * as path from 'node:path';
import * as vscode from 'vscode';
import { FileCheckpointStore, hashingStatus } from '../core';
import { registerCommands } from './commands';
import { LocalEmulator } from './emulator/emulatorEndpoint';
import { UploadLog } from './ui/log';
import { ProfileStore } from './profiles/profileStore';
import { describeTransport, readTransport } from './settings/proxySettings';
import { restoreAndOfferResume } from './uploads/resumeOnStartup';
import { readSettings, SECTION } from './settings/settings';
import { UploadStatusBar } from './ui/statusBar';
import { createTestApi, type CosUploadTestApi } from './testApi';
import { CoreUploadBackend } from './uploads/uploadBackend';
import { UploadManager } from './uploads/uploadManager';
import type { UploadUiDeps } from './uploads/uploadUi';

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
  // The test API exposes state for the extension-host tests; never in production, never a secret.
  // COS_UPLOADER_TEST_API=1 in the extension host's environment lets the packaged (.vsix) extension
  // be tested too; a user install has neither development mode nor that variable.
  const testing = context.extensionMode !== vscode.ExtensionMode.Production || process.env.COS_UPLOADER_TEST_API === '1';
  // Started only for a "Local emulator" profile (now, if one was made in an earlier session); the
  // tests drive it through its control API.
  const localEmulator = new LocalEmulator({ context, profiles, log, control: testing });
  activeEmulator = localEmulator;
  void localEmulator.restore();

  const updateContext = () => void vscode.commands.executeCommand('setContext', 'cosUpload.hasProfile', profiles.list().length > 0);
  updateContext();

  activeLog = log;
  context.subscriptions.push(
    profiles,
    manager,
    statusBar,
    localEmulator,
    profiles.onDidChange(updateContext),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.maxConcurrentUploads`)) manager.pump();
    }),
    ...registerCommands({ ...deps, checkpoints, localEmulator }),
  );

  // Asked of the hash worker: loading the native CRC64 addon on this thread would keep it from the worker.
  void hashingStatus().then((crc) =>
    log.info(`activated: crc64Engine=${crc.name}${crc.reason ? ` (${crc.reason})` : ''} hashing=${crc.threaded ? `worker thread${crc.nice !== undefined ? ` (nice ${crc.nice})` : ''}` : 'extension host thread'} checkpoints=${checkpointDir}`),
  );
  log.info(`transport: ${describeTransport(readTransport())}`);
  // Uploads an earlier session left unfinished: listed in Show Uploads, and offered for resuming.
  void restoreAndOfferResume({ ...deps, checkpoints });

  if (!testing) return undefined;
  return createTestApi({ context, manager, profiles, log, statusBar, checkpointDir, checkpoints });
}

let activeManager: UploadManager | undefined;
let activeEmulator: LocalEmulator | undefined;
let activeLog: UploadLog | undefined;

/**
 * Stops running uploads and gives them a moment to save their checkpoints, so they resume next
 * time; then stops the local emulator (after the uploads to it have stopped). The log closes last:
 * VS Code disposes the subscriptions without waiting for this, and the stopping uploads still log.
 */
export async function deactivate(): Promise<void> {
  try {
    await activeManager?.shutdown();
    await activeEmulator?.stop();
  } finally {
    activeLog?.dispose();
  }
}
