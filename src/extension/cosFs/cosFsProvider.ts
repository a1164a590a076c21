import * as vscode from 'vscode';
import { onDemand } from '../commands/onDemand';
import type { ProfileStore } from '../profiles/profileStore';
import type { UploadLog } from '../ui/log';
import { COS_SCHEME, parseCosUri } from './cosUri';

/**
 * The read-only `cos:` file system. Registered at activation, so this module stays small: stat,
 * listing and reading load the core through onDemand() (cosFsOperations.ts) on first use.
 */
export class CosFileSystemProvider implements vscode.FileSystemProvider {
  private readonly changes = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changes.event;

  constructor(private readonly deps: { profiles: ProfileStore; log: UploadLog }) {}

  watch(): vscode.Disposable {
    // Objects change only through uploads, which reopen what they show; there is nothing to poll.
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    return onDemand().statCosObject(this.deps, uri, parseCosUri(uri));
  }

  readDirectory(uri: vscode.Uri): Promise<Array<[string, vscode.FileType]>> {
    return onDemand().listCosFolder(this.deps, uri, parseCosUri(uri));
  }

  readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return onDemand().readCosObject(this.deps, uri, parseCosUri(uri));
  }

  writeFile(uri: vscode.Uri): never {
    throw readOnly(uri);
  }

  delete(uri: vscode.Uri): never {
    throw readOnly(uri);
  }

  rename(uri: vscode.Uri): never {
    throw readOnly(uri);
  }

  createDirectory(uri: vscode.Uri): never {
    throw readOnly(uri);
  }

  dispose(): void {
    this.changes.dispose();
  }
}

/** The refusal every write gets: COS objects change only through an upload. */
export function readOnlyMessage(): string {
  return vscode.l10n.t('Objects opened from COS are read-only. To change one, save a local copy and send it with COS: Upload File to COS.');
}

function readOnly(uri: vscode.Uri): vscode.FileSystemError {
  return vscode.FileSystemError.NoPermissions(`${readOnlyMessage()} (${uri.toString(true)})`);
}

export function registerCosFileSystem(deps: { profiles: ProfileStore; log: UploadLog }): { provider: CosFileSystemProvider; disposable: vscode.Disposable } {
  const provider = new CosFileSystemProvider(deps);
  const registration = vscode.workspace.registerFileSystemProvider(COS_SCHEME, provider, {
    isCaseSensitive: true,
    isReadonly: new vscode.MarkdownString(readOnlyMessage()),
  });
  return { provider, disposable: vscode.Disposable.from(registration, provider) };
}
