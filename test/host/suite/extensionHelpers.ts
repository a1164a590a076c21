/**
 * Shared by the extension's host tests: the extension's test API, the emulator (over HTTP, as it
 * runs in the runner's process) and workspace files.
 */
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CosUploadTestApi } from '../../../src/extension/testApi';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- read at run time, as VS Code does.
export const manifest = require('../../../../package.json') as PackageManifest;
export const EXTENSION_ID = `${manifest.publisher}.${manifest.name}`;
export const MiB = 1024 * 1024;

export interface PackageManifest {
  publisher: string;
  name: string;
  activationEvents?: string[];
  capabilities?: Record<string, unknown>;
  contributes: {
    commands: Array<{ command: string; title: string; category?: string }>;
    menus: Record<string, Array<{ command: string; when?: string; group?: string }>>;
    configuration: { properties: Record<string, Record<string, unknown>> };
    views?: Record<string, Array<{ id: string; name: string }>>;
  };
}

export async function extensionApi(): Promise<CosUploadTestApi> {
  const extension = vscode.extensions.getExtension<CosUploadTestApi | undefined>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
  const api = await extension.activate();
  assert.ok(api, 'the extension returned no test API (is it running in production mode?)');
  return api;
}

/** The COS_TEST_* values the runner passes; fails the test when one is missing. */
export function testEnv(): { url: string; bucket: string; region: string; secretId: string; secretKey: string; workspace: string; logUrl: string } {
  const read = (name: string): string => {
    const value = process.env[name];
    assert.ok(value, `${name} is not set: run the host tests through test/host/runCodeServer.ts or runElectron.ts`);
    return value;
  };
  return {
    url: read('COS_TEST_EMULATOR_URL'),
    bucket: read('COS_TEST_BUCKET'),
    region: read('COS_TEST_REGION'),
    secretId: read('COS_TEST_SECRET_ID'),
    secretKey: read('COS_TEST_SECRET_KEY'),
    workspace: read('COS_TEST_WORKSPACE'),
    logUrl: read('COS_TEST_EMULATOR_LOG_URL'),
  };
}

/** Adds (or replaces) the profile pointing at the emulator, through the command. */
export async function addEmulatorProfile(name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
  const env = testEnv();
  const profile = await vscode.commands.executeCommand<{ id: string; name: string } | undefined>('cosUpload.addProfile', {
    name,
    bucket: env.bucket,
    region: env.region,
    endpoint: env.url,
    secretId: env.secretId,
    secretKey: env.secretKey,
    ...extra,
  });
  assert.ok(profile, `cosUpload.addProfile did not save profile ${name}`);
  return profile;
}

export interface EmulatorLogEntry {
  method: string;
  operation: string;
  key: string;
  partNumber?: number;
  uploadId?: string;
  status: number;
  requestId: string;
  etag?: string;
  crc64?: string;
  bytes: number;
  interrupted?: boolean;
  /** The x-cos-traffic-limit header the request carried (bit/s). */
  trafficLimit?: string;
}

export async function emulatorLog(): Promise<EmulatorLogEntry[]> {
  const res = await fetch(testEnv().logUrl);
  assert.equal(res.status, 200, 'the emulator log server did not answer');
  return (await res.json()) as EmulatorLogEntry[];
}

/** Calls the emulator's control API (faults, network, uploads). */
export async function emulatorControl<T = unknown>(method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${testEnv().url}/_emulator/${route}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `emulator control ${method} ${route} failed: ${text}`);
  return JSON.parse(text) as T;
}

/** A file of random bytes in the test workspace; returns its URI and SHA-256. */
export async function workspaceFile(relative: string, size: number): Promise<{ uri: vscode.Uri; sha256: string; relative: string }> {
  const file = path.join(testEnv().workspace, relative);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const data = randomBytes(size);
  await fs.writeFile(file, data);
  return { uri: vscode.Uri.file(file), sha256: sha256(data), relative };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Sets `cosUpload.<name>` globally for the duration of a test; returns a function restoring it. */
export async function withSettings(values: Record<string, unknown>): Promise<() => Promise<void>> {
  const config = vscode.workspace.getConfiguration('cosUpload');
  const previous = Object.keys(values).map((name) => [name, config.inspect(name)?.globalValue] as const);
  for (const [name, value] of Object.entries(values)) await config.update(name, value, vscode.ConfigurationTarget.Global);
  return async () => {
    const now = vscode.workspace.getConfiguration('cosUpload');
    for (const [name, value] of previous) await now.update(name, value, vscode.ConfigurationTarget.Global);
  };
}

/** Remembers the profiles that exist now; the returned function removes every profile added since, so later suites see what they expect. */
export async function trackAddedProfiles(): Promise<() => Promise<void>> {
  const api = await extensionApi();
  const before = new Set(api.profiles.list().map((p) => p.name));
  return async () => {
    for (const profile of api.profiles.list()) {
      if (!before.has(profile.name)) await vscode.commands.executeCommand('cosUpload.removeProfile', profile.name);
    }
  };
}

export interface HostSuiteOptions {
  /** A profile on the emulator added for the whole suite. */
  profile?: string;
  /** Its other fields (prefix, credentials…), as cosUpload.addProfile takes them. */
  profileFields?: Record<string, unknown>;
  /** Leave the suite's profile in place at the end: the UI tests (test/host/ui), run after the suite, upload with it. */
  keepProfile?: boolean;
  /** `cosUpload.*` settings for the whole suite (e.g. 1 MiB parts, so small files go multipart). */
  settings?: Record<string, unknown>;
}

export interface HostSuite {
  /** The extension's test API, once the suite's `before` has run. */
  readonly api: CosUploadTestApi;
}

/**
 * The set-up the host suites over the emulator share, as mocha hooks of the calling `describe`:
 * the test API, the suite's profile and settings, every profile added during the suite removed at
 * its end, and after each test no prompt hooks left and the emulator's network, faults and clock
 * back to normal. Call it first in the `describe`, so a suite's own `before` finds all this done.
 */
export function hostSuite(options: HostSuiteOptions = {}): HostSuite {
  let api: CosUploadTestApi | undefined;
  let removeAddedProfiles: (() => Promise<void>) | undefined;
  let restoreSettings: (() => Promise<void>) | undefined;
  before(async () => {
    api = await extensionApi();
    if (options.profile && options.keepProfile) await addEmulatorProfile(options.profile, options.profileFields);
    removeAddedProfiles = await trackAddedProfiles();
    if (options.profile && !options.keepProfile) await addEmulatorProfile(options.profile, options.profileFields);
    restoreSettings = await withSettings(options.settings ?? {});
  });
  afterEach(async () => {
    api?.prompts.set(undefined);
    await emulatorControl('POST', 'network', { latencyMs: 0, connMbps: 0 });
    await emulatorControl('DELETE', 'faults');
    await emulatorControl('POST', 'clock', { skewMs: 0 });
  });
  after(async () => {
    await restoreSettings?.();
    await removeAddedProfiles?.();
  });
  return {
    get api(): CosUploadTestApi {
      assert.ok(api, 'the suite has not started yet: read api inside a test or hook');
      return api;
    },
  };
}
