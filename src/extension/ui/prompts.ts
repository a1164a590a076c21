import * as vscode from 'vscode';
import type { Credentials } from '../../core';

/**
 * The questions the resume, recovery and credential-renewal flows ask, and the pickers, input boxes
 * and open dialogs of the commands that ask for a profile, key or folder. They go through here so the
 * extension-host tests can answer them (the test API installs hooks); without hooks they are
 * ordinary VS Code notifications and input boxes.
 */

export type MessageSeverity = 'info' | 'warning' | 'error';

export interface MessageRequest {
  severity: MessageSeverity;
  message: string;
  /** Button labels, in order. */
  actions: string[];
  modal: boolean;
  detail?: string;
}

export interface PickRequest {
  title: string;
  placeHolder: string;
  /** Row labels, in order. */
  labels: string[];
}

export interface InputRequest {
  title: string;
  prompt: string;
  /** The text the box starts with. */
  value: string;
}

export interface OpenDialogRequest {
  title: string;
  openLabel: string;
  canSelectFolders: boolean;
}

export interface CredentialsRequest {
  profileId: string;
  profileName: string;
}

/** Answers instead of the user. A hook returns the label of the button it "clicks", or undefined to dismiss. */
export interface PromptHooks {
  message?(request: MessageRequest): string | undefined | Promise<string | undefined>;
  /** Answers a quick pick (the sync plan): returns the label of the row it picks, or undefined to dismiss. */
  pick?(request: PickRequest): string | undefined | Promise<string | undefined>;
  /** Answers an input box with the text typed (checked by the box's validation: refused text dismisses), or undefined to dismiss. */
  input?(request: InputRequest): string | undefined | Promise<string | undefined>;
  /** Answers an open dialog with the files or folders picked, or undefined to cancel. */
  openDialog?(request: OpenDialogRequest): vscode.Uri[] | undefined | Promise<vscode.Uri[] | undefined>;
  /** Replaces the whole "temporary credentials expired" exchange (notification and input boxes). */
  credentials?(request: CredentialsRequest): Credentials | undefined | Promise<Credentials | undefined>;
}

let hooks: PromptHooks = {};

/** Installs (or, with undefined, removes) the test hooks. */
export function setPromptHooks(next: PromptHooks | undefined): void {
  hooks = next ?? {};
}

export function promptHooks(): PromptHooks {
  return hooks;
}

/** A notification (or a modal dialog) with buttons; resolves with the label picked, undefined when dismissed. */
export async function ask(
  severity: MessageSeverity,
  message: string,
  options: { modal?: boolean; detail?: string },
  ...actions: string[]
): Promise<string | undefined> {
  if (hooks.message) {
    const answer = await hooks.message({ severity, message, actions, modal: options.modal ?? false, ...(options.detail ? { detail: options.detail } : {}) });
    return answer !== undefined && actions.includes(answer) ? answer : undefined;
  }
  const show =
    severity === 'error' ? vscode.window.showErrorMessage : severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const messageOptions: vscode.MessageOptions = { modal: options.modal ?? false, ...(options.detail ? { detail: options.detail } : {}) };
  return show(message, messageOptions, ...actions);
}

/** A quick pick of rows; resolves with the row picked, undefined when dismissed. */
export async function askPick<T extends vscode.QuickPickItem>(items: T[], options: { title: string; placeHolder: string; matchOnDescription?: boolean }): Promise<T | undefined> {
  if (hooks.pick) {
    const label = await hooks.pick({ title: options.title, placeHolder: options.placeHolder, labels: items.map((item) => item.label) });
    return items.find((item) => item.label === label);
  }
  return vscode.window.showQuickPick(items, { ...options, ignoreFocusOut: true });
}

/** An input box; resolves with the text, undefined when dismissed. */
export async function askInput(options: vscode.InputBoxOptions & { title: string; prompt: string }): Promise<string | undefined> {
  if (hooks.input) {
    const answer = await hooks.input({ title: options.title, prompt: options.prompt, value: options.value ?? '' });
    // The box would not accept text its validation refuses.
    if (answer === undefined || (await options.validateInput?.(answer))) return undefined;
    return answer;
  }
  return vscode.window.showInputBox({ ...options, ignoreFocusOut: true });
}

/** An open dialog; resolves with what was picked, undefined when cancelled. */
export async function askOpenDialog(options: vscode.OpenDialogOptions & { title: string; openLabel: string }): Promise<vscode.Uri[] | undefined> {
  if (hooks.openDialog) return hooks.openDialog({ title: options.title, openLabel: options.openLabel, canSelectFolders: options.canSelectFolders ?? false });
  return vscode.window.showOpenDialog(options);
}
