import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { FileCheckpointStore } from '../core/checkpoint';
import { DownloadCheckpointStore } from '../core/download/downloadCheckpoint';
import type { CheckpointStore } from '../core/types';
import { registerBucketView } from './bucketView/bucketView';
import { registerCommands } from './commands';
import { registerCosFileSystem } from './cosFs/cosFsProvider';
import { onDemand, onDemandLoaded, useCodeCache } from './commands/onDemand';
import { markCommandPhase } from './debugTiming';
import { LocalEmulator } from './emulator/emulatorEndpoint';
import { UploadLog } from './ui/log';
import { ProfileStore } from './profiles/profileStore';
import { describeTransport, readTransport } from './settings/proxySettings';
import { readSettings, SECTION } from './settings/settings';
import { UploadStatusBar } from './ui/statusBar';
import { UploadOnSave } from './uploadOnSave/uploadOnSave';
import { createTestApi, type CosUploadTestApi } from './testApi';
import { type UploadBackend, UploadManager } from './uploads/uploadManager';
import type { UploadUiDeps } from './uploads/uploadUi';

/**
 * Wiring only: each piece lives in its own module. Activation loads no HTTP, XML or hashing code:
 * the commands, the upload backend and the startup resume reach it through onDemand() when first used.
 */
export function activate(context: vscode.ExtensionContext): CosUploadTestApi | undefined {
  const started = performance.now();
  const log = new UploadLog();
  const profiles = new ProfileStore(context.globalState, context.secrets);
  const checkpointDir = path.join(context.globalStorageUri.fsPath, 'checkpoints');
  const checkpoints = new FileCheckpointStore(checkpointDir);
  const codeCacheDir = path.join(context.globalStorageUri.fsPath, 'code-cache');
  useCodeCache(codeCacheDir);
  const backend = lazyBackend(() => new (onDemand().CoreUploadBackend)({ profiles, checkpoints, log, settings: readSettings }));
  const manager = new UploadManager(backend, {
    maxConcurrentUploads: () => readSettings().maxConcurrentUploads,
    onCancel: () => readSettings().onCancel,
    logger: log,
  });
  activeManager = manager;
  const statusBar = new UploadStatusBar(manager);
  const deps: UploadUiDeps = { manager, profiles, log, settings: readSettings };
  const makeUploadOnSave = () => new UploadOnSave({ profiles, log, state: context.workspaceState, upload: (file) => onDemand().uploadSavedFile({ manager }, file) });
  const uploadOnSave = makeUploadOnSave();
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
  // The COS view: profiles at once; a bucket's listing code loads on the first expand.
  const bucketView = registerBucketView(profiles, log);
  // Read-only `cos:` documents (Open COS Object); the provider loads the core only when first used.
  const cosFs = registerCosFileSystem({ profiles, log });
  context.subscriptions.push(
    ...bucketView.disposables,
    profiles,
    manager,
    statusBar,
    uploadOnSave,
    localEmulator,
    profiles.onDidChange(updateContext),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.maxConcurrentUploads`)) manager.pump();
    }),
    ...registerCommands({
      ...deps,
      checkpoints,
      downloadCheckpoints: new DownloadCheckpointStore(checkpointDir),
      localEmulator,
      uploadOnSave,
      bucketView: bucketView.provider,
    }),
    cosFs.disposable,
  );

  log.info(`transport: ${describeTransport(readTransport())}`);
  // Uploads an earlier session left unfinished: listed in Show Uploads, and offered for resuming.
  void resumeEarlierUploads({ ...deps, checkpoints });

  const api = testing
    ? createTestApi({
        context,
        manager,
        profiles,
        log,
        statusBar,
        uploadOnSave,
        makeUploadOnSave,
        checkpointDir,
        checkpoints,
        loadedAtActivation: onDemandLoaded(),
        codeCacheDir,
        bucketView: bucketView.provider,
        cosFileSystem: cosFs.provider,
      })
    : undefined;
  log.info(`activated in ${Math.round(performance.now() - started)} ms checkpoints=${checkpointDir}`);
  return api;
}

/** An upload backend that loads the real one (and with it the core) when the first upload runs. */
function lazyBackend(create: () => UploadBackend): UploadBackend {
  let backend: UploadBackend | undefined;
  return {
    run: (job, signal, onEvent) => {
      markCommandPhase(`upload queued and started: ${job.displayPath}`);
      return (backend ??= create()).run(job, signal, onEvent);
    },
    discard: (job, uploadId, signal) => (backend ??= create()).discard(job, uploadId, signal),
  };
}

/** Loads the resume flow only when an earlier session left checkpoints; listing them needs no core. */
async function resumeEarlierUploads(deps: UploadUiDeps & { checkpoints: CheckpointStore }): Promise<void> {
  try {
    if ((await deps.checkpoints.list()).length === 0) return;
  } catch {
    // The resume flow lists them again and reports what fails.
  }
  await onDemand().restoreAndOfferResume(deps);
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
