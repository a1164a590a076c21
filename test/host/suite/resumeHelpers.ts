/**
 * Shared by the resume, credential-expiry, incomplete-uploads and proxy host tests: the emulator as
 * a COS client sees it, checkpoints on disk, and pausing an upload part-way.
 */
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CosClient, staticCredentials, type Checkpoint, type Credentials } from '../../../src/core';
import type { UploadCommandResult } from '../../../src/extension/commands/upload';
import type { CosUploadTestApi } from '../../../src/extension/testApi';
import type { UploadOutcome, UploadSnapshot } from '../../../src/extension/uploads/uploadManager';
import { emulatorControl, type EmulatorLogEntry, sha256, testEnv, waitFor } from './extensionHelpers';

export interface EmulatorUpload {
  key: string;
  uploadId: string;
  parts: number;
}

/** A client with the emulator's permanent test keys, as the test's own view of the bucket. */
export function emulatorClient(): CosClient {
  const env = testEnv();
  return new CosClient({
    target: { bucket: env.bucket, region: env.region, endpoint: env.url },
    credentials: staticCredentials({ secretId: env.secretId, secretKey: env.secretKey }),
    transport: { ignoreEnvironmentProxy: true },
  });
}

/** The object's bytes as the emulator serves them, fetched with a presigned GET URL. */
export async function objectSha256(key: string): Promise<string> {
  const client = emulatorClient();
  try {
    const res = await fetch(await client.presignUrl(key, 300));
    assert.equal(res.status, 200, `GET ${key} answered ${res.status}`);
    return sha256(Buffer.from(await res.arrayBuffer()));
  } finally {
    await client.close();
  }
}

export async function checkpointFiles(api: CosUploadTestApi): Promise<Checkpoint[]> {
  const names = await fs.readdir(api.storage.checkpointDir).catch(() => [] as string[]);
  const found: Checkpoint[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    found.push(JSON.parse(await fs.readFile(path.join(api.storage.checkpointDir, name), 'utf8')) as Checkpoint);
  }
  return found;
}

export async function checkpointFor(api: CosUploadTestApi, uploadId: string): Promise<Checkpoint | undefined> {
  return (await checkpointFiles(api)).find((c) => c.uploadId === uploadId);
}

export async function uploadsOnServer(): Promise<EmulatorUpload[]> {
  return emulatorControl<EmulatorUpload[]>('GET', 'uploads');
}

/** Fresh temporary credentials that no one has used yet. */
export function temporaryCredentials(): Required<Credentials> {
  return {
    secretId: `AKIDTEMP${randomBytes(14).toString('hex')}`,
    secretKey: randomBytes(16).toString('hex'),
    sessionToken: randomBytes(24).toString('base64url'),
  };
}

/** Makes the emulator accept the given credentials (and only those). */
export async function acceptCredentials(credentials: Credentials): Promise<void> {
  const res = await fetch(`${testEnv().url}/_emulator/credentials`, {
    method: 'PUT',
    body: JSON.stringify(credentials),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(res.status, 200, `the emulator did not take the credentials: ${await res.text()}`);
}

/** Back to the permanent test keys every other test uses. */
export async function restoreEmulatorCredentials(): Promise<void> {
  const env = testEnv();
  await acceptCredentials({ secretId: env.secretId, secretKey: env.secretKey });
}

/** Starts uploading `uri` with the command; the promise of its outcome, and the upload once `minParts` parts are done. */
export async function startUpload(
  api: CosUploadTestApi,
  uri: vscode.Uri,
  profile: string,
  minParts: number,
): Promise<{ pending: Thenable<UploadCommandResult>; running: UploadSnapshot }> {
  const pending = vscode.commands.executeCommand<UploadCommandResult>('cosUpload.uploadFile', { uri, profile, overwrite: true });
  const running = await waitFor(`${minParts} parts of ${uri.fsPath} to be uploaded`, () =>
    api.uploads.list().find((s) => s.job.filePath === uri.fsPath && s.state === 'running' && s.partsDone >= minParts && s.uploadId),
  );
  return { pending, running };
}

/** Starts an upload and pauses it (as a window closing does) after `minParts` parts; returns it paused, with its checkpoint. */
export async function uploadAndPause(
  api: CosUploadTestApi,
  uri: vscode.Uri,
  profile: string,
  minParts: number,
): Promise<{ snapshot: UploadSnapshot; uploadId: string; checkpoint: Checkpoint }> {
  await emulatorControl('POST', 'network', { latencyMs: 250 });
  try {
    const { pending, running } = await startUpload(api, uri, profile, minParts);
    await vscode.commands.executeCommand('cosUpload.showUploads', { action: 'pause', id: running.id });
    const [outcome] = (await pending) as UploadOutcome[];
    assert.equal(outcome.status, 'paused', `pausing ended the upload ${outcome.status}`);
  } finally {
    await emulatorControl('POST', 'network', { latencyMs: 0 });
  }
  const snapshot = api.uploads.list().find((s) => s.job.filePath === uri.fsPath && s.state === 'paused');
  assert.ok(snapshot?.uploadId, 'the paused upload is not listed with an uploadId');
  const checkpoint = await checkpointFor(api, snapshot.uploadId);
  assert.ok(checkpoint, 'pausing left no checkpoint');
  assert.ok(checkpoint.parts.length >= minParts, `the checkpoint holds ${checkpoint.parts.length} parts, expected at least ${minParts}`);
  return { snapshot, uploadId: snapshot.uploadId, checkpoint };
}

/** Drops an upload from this window's Show Uploads list (discarding it: abort on COS, checkpoint deleted). */
export async function discardListed(api: CosUploadTestApi, id: string): Promise<void> {
  if (!api.uploads.list().some((s) => s.id === id)) return;
  await vscode.commands.executeCommand('cosUpload.showUploads', { action: 'cancel', id });
  assert.equal(api.uploads.list().some((s) => s.id === id), false, 'discarding did not remove the upload from the list');
}

/** Entries whose request arrived at or after `sinceMs`: the emulator logs a request when its answer ends, which for an aborted one can be much later. */
export function arrivedSince(log: EmulatorLogEntry[], sinceMs: number): EmulatorLogEntry[] {
  return log.filter((e) => Date.parse((e as EmulatorLogEntry & { time: string }).time) >= sinceMs);
}

const CLI = path.resolve(__dirname, '../../../../dist/cli.js');

/** `cos-upload upload` of `file` to `key` on the emulator, as a user's terminal would run it. */
export function startCli(file: string, key: string, stateDir: string): { child: ChildProcess; started: Promise<void> } {
  const env = testEnv();
  const child = spawn(
    process.execPath,
    [CLI, 'upload', file, '--key', key, '--bucket', env.bucket, '--region', env.region, '--endpoint', env.url, '--state-dir', stateDir, '--part-size', '1MiB', '--multipart-threshold', '0', '--concurrency', '1', '--json'],
    // The same HOME and XDG folders as this extension host: the CLI and the extension share the lock folder.
    { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', COS_SECRET_ID: env.secretId, COS_SECRET_KEY: env.secretKey }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  const started = new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      // The lock is taken before Initiate, so once the upload started the lock is held.
      if (stdout.includes('"type":"start"')) resolve();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('exit', (code) => reject(new Error(`the CLI exited ${String(code)} before it started uploading: ${stderr}${stdout}`)));
  });
  return { child, started };
}
