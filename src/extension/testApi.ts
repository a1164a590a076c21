import type * as vscode from 'vscode';
import type { UploadLog } from './log';
import type { BucketProfile, ProfileSecrets, ProfileStore } from './profileStore';
import type { StatusBarSnapshot, UploadStatusBar } from './statusBar';
import type { UploadChange, UploadManager, UploadSnapshot } from './uploadManager';

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
  };
  log: {
    /** Recent lines of the "COS Upload" log, oldest first, as `[level] message`. */
    lines(): readonly string[];
  };
  statusBar: {
    snapshot(): StatusBarSnapshot;
  };
  storage: {
    globalStateKeys(): readonly string[];
    globalStateValue(key: string): unknown;
    globalStorageDir: string;
    checkpointDir: string;
  };
}

export function createTestApi(parts: {
  context: vscode.ExtensionContext;
  manager: UploadManager;
  profiles: ProfileStore;
  log: UploadLog;
  statusBar: UploadStatusBar;
  checkpointDir: string;
}): CosUploadTestApi {
  const { context, manager, profiles, log, statusBar, checkpointDir } = parts;
  return {
    uploads: { list: () => manager.list(), onDidChange: manager.onDidChange },
    profiles: { list: () => profiles.list(), hasSecret: (id, field) => profiles.hasSecret(id, field) },
    log: { lines: () => log.recentLines() },
    statusBar: { snapshot: () => statusBar.snapshot() },
    storage: {
      globalStateKeys: () => context.globalState.keys(),
      globalStateValue: (key) => context.globalState.get(key),
      globalStorageDir: context.globalStorageUri.fsPath,
      checkpointDir,
    },
  };
}
