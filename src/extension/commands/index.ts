import * as vscode from 'vscode';
import type { CheckpointStore, DownloadCheckpointStore } from '../../core';
import type { LocalEmulator } from '../emulator/emulatorEndpoint';
import type { UploadOnSave } from '../uploadOnSave/uploadOnSave';
import type { UploadUiDeps } from '../uploads/uploadUi';
import type { BucketViewProvider } from '../bucketView/bucketView';
import { timeCommand } from '../debugTiming';
import { COMMAND_IDS, type CommandId } from './ids';
import { onDemand } from './onDemand';
import { isViewNode } from '../bucketView/nodes';
import { prefetchUploadSecrets } from '../profiles/secretPrefetch';

/** What every command handler may use; built once in activate(). */
export interface ExtensionCommandContext extends UploadUiDeps {
  checkpoints: CheckpointStore;
  /** Download Folder's checkpoints: a cancelled or failed file resumes when the folder is downloaded again. */
  downloadCheckpoints: DownloadCheckpointStore;
  localEmulator: LocalEmulator;
  uploadOnSave: UploadOnSave;
  /** The COS view's data, for the view's commands to refresh and filter it. */
  bucketView: BucketViewProvider;
}

/**
 * One signature for every handler: the context, then what VS Code passes (from the Explorer: the
 * clicked Uri and the selection; from `executeCommand`: the caller's arguments).
 */
export type CommandHandler = (ctx: ExtensionCommandContext, ...args: unknown[]) => unknown;

/** An upload command that first asks for its likely profile's secrets, so the round trip overlaps the bundle load and the picks. */
function prefetchingSecrets(run: CommandHandler): CommandHandler {
  return (ctx, first, ...rest) => {
    prefetchUploadSecrets(ctx.profiles, first);
    return run(ctx, first, ...rest);
  };
}

/**
 * Every command, id → handler. A Record over CommandId: a missing or unknown id does not compile.
 * The implementations load on the first command that needs them (onDemand), not at activation.
 */
export const COMMANDS: Record<CommandId, CommandHandler> = {
  'cosUpload.uploadFile': prefetchingSecrets((ctx, first, second) => onDemand().uploadCommand(ctx, first, second)),
  'cosUpload.uploadFromExplorer': prefetchingSecrets((ctx, first, second) => onDemand().uploadCommand(ctx, first, second)),
  'cosUpload.syncFolder': (ctx, first) => onDemand().syncFolderCommand(ctx, first),
  'cosUpload.showUploads': (ctx, args) => onDemand().showUploadsCommand(ctx, args),
  'cosUpload.manageIncompleteUploads': (ctx, args) => onDemand().manageIncompleteUploadsCommand(ctx, args),
  'cosUpload.addProfile': (ctx, args) => onDemand().addProfileCommand(ctx.profiles, args, ctx.localEmulator),
  'cosUpload.editProfile': (ctx, args) => onDemand().editProfileCommand(ctx.profiles, args),
  'cosUpload.removeProfile': (ctx, args) => onDemand().removeProfileCommand(ctx.profiles, args),
  'cosUpload.testConnection': (ctx, args) => onDemand().testConnectionCommand(ctx.profiles, ctx.log, args),
  'cosUpload.showLog': (ctx) => ctx.log.show(),
  'cosUpload.pauseUploadOnSave': (ctx) => ctx.uploadOnSave.pause(),
  'cosUpload.resumeUploadOnSave': (ctx) => ctx.uploadOnSave.resume(),
  'cosUpload.view.refresh': (ctx, node) => ctx.bucketView.refresh(isViewNode(node) ? node : undefined),
  'cosUpload.view.filter': (ctx, node, args) => onDemand().filterViewCommand(ctx, node, args),
  'cosUpload.view.loadMore': (ctx, node) => onDemand().loadMoreCommand(ctx, node),
  'cosUpload.view.incompleteUploads': (ctx, node) => onDemand().viewIncompleteUploadsCommand(ctx, node),
  'cosUpload.view.download': (ctx, node, second) => onDemand().downloadViewObjectCommand(ctx, node, second),
  'cosUpload.view.copyUrl': (ctx, node, selection) => onDemand().copyUrlCommand(ctx, false, node, selection),
  'cosUpload.view.copyPresignedUrl': (ctx, node, selection) => onDemand().copyUrlCommand(ctx, true, node, selection),
  'cosUpload.view.copyKey': (ctx, node, selection) => onDemand().copyKeyCommand(ctx, node, selection),
  'cosUpload.view.delete': (ctx, node, selection) => onDemand().deleteObjectsCommand(ctx, node, selection),
  'cosUpload.view.properties': (ctx, node) => onDemand().objectPropertiesCommand(ctx, node),
  'cosUpload.view.deletePrefix': (ctx, node) => onDemand().deletePrefixCommand(ctx, node),
  'cosUpload.view.uploadHere': prefetchingSecrets((ctx, node, second) => onDemand().uploadHereCommand(ctx, node, second)),
  'cosUpload.openObject': (ctx, first) => onDemand().openObjectCommand(ctx, first),
  'cosUpload.downloadFolder': (ctx, first) => onDemand().downloadFolderCommand(ctx, first),
};

export function registerCommands(ctx: ExtensionCommandContext): vscode.Disposable[] {
  return COMMAND_IDS.map((id) =>
    vscode.commands.registerCommand(id, (...args: unknown[]) => {
      timeCommand(id, ctx.log);
      return COMMANDS[id](ctx, ...args);
    }),
  );
}
