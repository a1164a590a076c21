import * as path from 'node:path';
import type * as vscode from 'vscode';
import type { CheckpointStore } from '../core/types';
import type { TransportOptions } from '../core/transport';
import { type CodeCacheOutcome, lastCodeCacheOutcome, lastCodeCacheSave } from '../core/codeCache';
import { onDemand, onDemandLoaded } from './commands/onDemand';
import type { UploadLog } from './ui/log';
import { type BucketProfile, type ProfileSecrets, type ProfileStore, secretStorageKey } from './profiles/profileStore';
import type { PromptHooks } from './ui/prompts';
import { readTransport } from './settings/proxySettings';
import type { StartupReport } from './uploads/resumeOnStartup';
import { readSettings } from './settings/settings';
import type { StatusBarSnapshot, UploadStatusBar } from './ui/statusBar';
import type { SaveStatusSnapshot } from './uploadOnSave/saveStatusBar';
import { SAVE_PAUSED_STATE_KEY, type UploadOnSave } from './uploadOnSave/uploadOnSave';
import type { BucketViewProvider } from './bucketView/bucketView';
import type { ViewNode } from './bucketView/nodes';
import { UploadManager, type UploadChange, type UploadSnapshot } from './uploads/uploadManager';

/**
 * What activate() returns outside production, for the extension-host tests: read-only views of
 * state the VS Code API cannot read back (log lines, status bar, globalState). Never a secret:
 * SecretStorage is only asked whether a value exists.
 */
export interface CosUploadTestApi {
  uploads: {
    list(): UploadSnapshot[];
    onDidChange: vscode.Event<UploadChange>;
  };
  profiles: {
    list(): BucketProfile[];
    hasSecret(profileId: string, field: keyof ProfileSecrets): Promise<boolean>;
    /** Values the profile store has read from SecretStorage this session (its cache keeps this low). */
    secretReads(): number;
    /**
     * Writes a secret straight to SecretStorage, past the profile store, as another window would:
     * only SecretStorage's change event tells the store. Takes a value from the test, returns none.
     */
    storeSecretDirectly(profileId: string, field: keyof ProfileSecrets, value: string): Promise<void>;
    /** Saves a profile through the store alone, not a command, so no command has run yet. */
    saveDirectly(profile: Omit<BucketProfile, 'id'>, secrets: Partial<ProfileSecrets>): Promise<BucketProfile>;
  };
  log: {
    /** Recent lines of the "COS Upload" log, oldest first, as `[level] message`. */
    lines(): readonly string[];
  };
  statusBar: {
    snapshot(): StatusBarSnapshot;
  };
  /** The upload-on-save status bar item and whether it is paused. */
  uploadOnSave: {
    snapshot(): SaveStatusSnapshot & { paused: boolean };
    /** What workspaceState holds for the pause (true while paused). */
    pausedState(): unknown;
    /**
     * A second upload on save built as activate() builds it (same profiles, log, workspaceState and
     * upload manager), as after a window reload; it watches saves until the caller disposes it.
     */
    reactivate(): { snapshot(): SaveStatusSnapshot & { paused: boolean }; dispose(): void };
  };
  storage: {
    globalStateKeys(): readonly string[];
    globalStateValue(key: string): unknown;
    globalStorageDir: string;
    checkpointDir: string;
  };
  /** Answers the resume, recovery and credential prompts instead of the user; undefined removes the hooks. */
  prompts: {
    set(hooks: PromptHooks | undefined): void;
  };
  /**
   * Runs what activate() runs for uploads left by an earlier session (restore checkpoints, offer
   * to resume, resume) on a fresh upload manager over the same checkpoint store, as a window
   * reload would; resolves once the resumed uploads have ended, and then disposes that manager.
   */
  startup: {
    simulate(): Promise<StartupReport>;
  };
  /** The transport options uploads and other requests get now (from http.proxy and friends). */
  transport: {
    current(): TransportOptions;
  };
  /** The COS view's tree as VS Code reads it, and its drop handler (what dragging from the Explorer calls). */
  bucketView: {
    children(node?: ViewNode): Promise<ViewNode[]>;
    treeItem(node: ViewNode): vscode.TreeItem;
    handleDrop(target: ViewNode, data: vscode.DataTransfer): Promise<void>;
  };
  /** The `cos:` provider itself, to see its own refusals (VS Code answers writes to a read-only scheme before asking it). */
  cosFileSystem: vscode.FileSystemProvider;
  activation: {
    /**
     * Whether activate() had loaded the command bundle (the core, HTTP, XML and CRC64 code) by the
     * time it returned, and which of those modules were in Node's require cache then.
     */
    loadedOnDemand: boolean;
    heavyModules: readonly string[];
    /** Whether the command bundle is loaded now, and how its load used the code cache. */
    commandBundle(): { loaded: boolean; cache?: CodeCacheOutcome; saved?: Promise<void>; cacheDir: string };
  };
}

/** Modules of this extension that activation must not load: the command bundle and what only it needs. */
const HEAVY_MODULE = /[\\/]dist[\\/]extensionCommands\.js$/;

export function createTestApi(parts: {
  context: vscode.ExtensionContext;
  manager: UploadManager;
  profiles: ProfileStore;
  log: UploadLog;
  statusBar: UploadStatusBar;
  uploadOnSave: UploadOnSave;
  makeUploadOnSave: () => UploadOnSave;
  checkpointDir: string;
  checkpoints: CheckpointStore;
  loadedAtActivation: boolean;
  codeCacheDir: string;
  bucketView: BucketViewProvider;
  cosFileSystem: vscode.FileSystemProvider;
}): CosUploadTestApi {
  const { context, manager, profiles, log, statusBar, uploadOnSave, checkpointDir, checkpoints } = parts;
  // Ours only: VS Code loads its own undici into the extension host. The core's HTTP, XML and CRC64
  // code is bundled into extensionCommands.js alone (a unit test checks), so that file tells.
  const ours = context.extensionUri.fsPath + path.sep;
  const heavyModules = Object.keys(require.cache).filter((file) => file.startsWith(ours) && HEAVY_MODULE.test(file));
  const simulateStartup = async (): Promise<StartupReport> => {
    const { CoreUploadBackend, restoreAndOfferResume } = onDemand();
    const backend = new CoreUploadBackend({ profiles, checkpoints, log, settings: readSettings });
    const fresh = new UploadManager(backend, {
      maxConcurrentUploads: () => readSettings().maxConcurrentUploads,
      onCancel: () => readSettings().onCancel,
      logger: log,
    });
    try {
      return await restoreAndOfferResume({ manager: fresh, profiles, log, settings: readSettings, checkpoints });
    } finally {
      await fresh.shutdown();
      fresh.dispose();
    }
  };
  return {
    uploads: { list: () => manager.list(), onDidChange: manager.onDidChange },
    profiles: {
      list: () => profiles.list(),
      hasSecret: (id, field) => profiles.hasSecret(id, field),
      secretReads: () => profiles.secretReads(),
      storeSecretDirectly: async (id, field, value) => context.secrets.store(secretStorageKey(id, field), value),
      saveDirectly: (profile, secrets) => profiles.save(profile, secrets),
    },
    log: { lines: () => log.recentLines() },
    statusBar: { snapshot: () => statusBar.snapshot() },
    uploadOnSave: {
      snapshot: () => uploadOnSave.snapshot(),
      pausedState: () => context.workspaceState.get(SAVE_PAUSED_STATE_KEY),
      reactivate: () => {
        const fresh = parts.makeUploadOnSave();
        return { snapshot: () => fresh.snapshot(), dispose: () => fresh.dispose() };
      },
    },
    storage: {
      globalStateKeys: () => context.globalState.keys(),
      globalStateValue: (key) => context.globalState.get(key),
      globalStorageDir: context.globalStorageUri.fsPath,
      checkpointDir,
    },
    prompts: { set: (hooks) => onDemand().setPromptHooks(hooks) },
    startup: { simulate: simulateStartup },
    transport: { current: () => readTransport() },
    bucketView: {
      children: (node) => parts.bucketView.getChildren(node),
      treeItem: (node) => parts.bucketView.getTreeItem(node),
      handleDrop: (target, data) => parts.bucketView.handleDrop(target, data, { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) }),
    },
    cosFileSystem: parts.cosFileSystem,
    activation: {
      loadedOnDemand: parts.loadedAtActivation,
      heavyModules,
      commandBundle: () => ({ loaded: onDemandLoaded(), cache: lastCodeCacheOutcome(), saved: lastCodeCacheSave(), cacheDir: parts.codeCacheDir }),
    },
  };
}
