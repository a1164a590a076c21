/**
 * Opens the VS Code workbench served by code-server in a browser page, the way VS Code's own
 * browser integration tests do: the extension under development and the test entry point go in
 * the `payload` query parameter (code-server refuses them as command-line flags), and the
 * workbench reports through two functions the page exposes, `codeAutomationLog` (every log line,
 * extension host console included) and `codeAutomationExit` (the tests' exit code).
 */
import * as util from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';

export interface WorkbenchServer {
  baseUrl: string;
  /** host:port, the authority of vscode-remote:// URIs. */
  authority: string;
}

export interface WorkbenchPayload {
  /** Absolute path on the code-server machine of an extension to load from source. */
  extensionDevelopmentPath?: string;
  /** Absolute path of a compiled module exporting `run(): Promise<void>`, run inside the extension host. */
  extensionTestsPath?: string;
}

export interface AutomationExit {
  code: number;
  /** The workbench's own log files (window, network, ...), handed over at exit. */
  logs: Array<{ relativePath: string; contents: string }>;
}

export interface WorkbenchSession {
  page: Page;
  /** Settles when the extension tests end (only with extensionTestsPath). */
  exit: Promise<AutomationExit>;
}

export type LogLine = (type: string, text: string) => void;

const NAVIGATION_TIMEOUT_MS = 60_000;

export function workbenchUrl(server: WorkbenchServer, workspaceDir: string, payload: WorkbenchPayload): string {
  const remote = (file: string): string => `vscode-remote://${server.authority}${file}`;
  const entries: Array<[string, string]> = [];
  if (payload.extensionDevelopmentPath) entries.push(['extensionDevelopmentPath', remote(payload.extensionDevelopmentPath)]);
  if (payload.extensionTestsPath) entries.push(['extensionTestsPath', remote(payload.extensionTestsPath)]);
  const url = new URL(server.baseUrl);
  url.searchParams.set('folder', workspaceDir);
  if (entries.length > 0) url.searchParams.set('payload', JSON.stringify(entries));
  return url.toString();
}

/** Opens a new page of `context` on the workbench and wires its automation hooks to `onLog`. */
export async function openWorkbench(context: BrowserContext, url: string, onLog: LogLine): Promise<WorkbenchSession> {
  const page = await context.newPage();
  let resolveExit!: (exit: AutomationExit) => void;
  const exit = new Promise<AutomationExit>((resolve) => {
    resolveExit = resolve;
  });
  await page.exposeFunction('codeAutomationLog', (type: unknown, args: unknown) => {
    // The extension host's console arrives unformatted: ['%s of %s', 1, 2].
    onLog(String(type), Array.isArray(args) ? util.format(...(args as unknown[])) : String(args));
  });
  await page.exposeFunction('codeAutomationExit', (code: unknown, logs: unknown) => {
    resolveExit({ code: Number(code), logs: Array.isArray(logs) ? (logs as AutomationExit['logs']) : [] });
  });
  page.on('pageerror', (error) => onLog('error', `page error: ${error.stack ?? error.message}`));
  page.on('crash', () => onLog('error', 'the browser page crashed'));
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: NAVIGATION_TIMEOUT_MS });
  return { page, exit };
}

/** Resolves once the workbench has laid itself out (the status bar is there). */
export async function waitForWorkbench(page: Page, timeoutMs = NAVIGATION_TIMEOUT_MS): Promise<void> {
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
}
