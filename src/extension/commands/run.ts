import * as vscode from 'vscode';
import type { CommandId } from './ids';

/** `executeCommand` for this extension's own commands: a misspelt id does not compile. */
export function runCommand<T = unknown>(id: CommandId, ...args: unknown[]): Thenable<T> {
  return vscode.commands.executeCommand<T>(id, ...args);
}
