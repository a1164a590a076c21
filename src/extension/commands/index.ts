import * as vscode from 'vscode';
import type { CheckpointStore } from '../../core';
import type { LocalEmulator } from '../emulator/emulatorEndpoint';
import type { UploadUiDeps } from '../uploads/uploadUi';
import { COMMAND_IDS, type CommandId } from './ids';
import { manageIncompleteUploadsCommand } from './incomplete';
import { addProfileCommand, editProfileCommand, removeProfileCommand } from './profiles';
import { testConnectionCommand } from './testConnection';
import { uploadCommand } from './upload';
import { syncFolderCommand } from './syncFolder';
import { showUploadsCommand } from './uploads';

/** What every command handler may use; built once in activate(). */
export interface ExtensionCommandContext extends UploadUiDeps {
  checkpoints: CheckpointStore;
  localEmulator: LocalEmulator;
}

/**
 * One signature for every handler: the context, then what VS Code passes (from the Explorer: the
 * clicked Uri and the selection; from `executeCommand`: the caller's arguments).
 */
export type CommandHandler = (ctx: ExtensionCommandContext, ...args: unknown[]) => unknown;

/** Every command, id → handler. A Record over CommandId: a missing or unknown id does not compile. */
export const COMMANDS: Record<CommandId, CommandHandler> = {
  'cosUpload.uploadFile': (ctx, first, second) => uploadCommand(ctx, first, second),
  'cosUpload.uploadFromExplorer': (ctx, first, second) => uploadCommand(ctx, first, second),
  'cosUpload.syncFolder': (ctx, first) => syncFolderCommand(ctx, first),
  'cosUpload.showUploads': (ctx, args) => showUploadsCommand(ctx, args),
  'cosUpload.manageIncompleteUploads': (ctx, args) => manageIncompleteUploadsCommand(ctx, args),
  'cosUpload.addProfile': (ctx, args) => addProfileCommand(ctx.profiles, args, ctx.localEmulator),
  'cosUpload.editProfile': (ctx, args) => editProfileCommand(ctx.profiles, args),
  'cosUpload.removeProfile': (ctx, args) => removeProfileCommand(ctx.profiles, args),
  'cosUpload.testConnection': (ctx, args) => testConnectionCommand(ctx.profiles, ctx.log, args),
  'cosUpload.showLog': (ctx) => ctx.log.show(),
};

export function registerCommands(ctx: ExtensionCommandContext): vscode.Disposable[] {
  return COMMAND_IDS.map((id) => vscode.commands.registerCommand(id, (...args: unknown[]) => COMMANDS[id](ctx, ...args)));
}
