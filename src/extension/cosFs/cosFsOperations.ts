/**
 * What the `cos:` file system does, on the core: Head Object for stat, one delimited listing per
 * folder, and the verified download (ranged GETs, CRC64 checked) for reading. Loaded on demand.
 */

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CosError, describeError, downloadObject, type CosClient } from '../../core';
import { clientFor, headHeaders } from '../profiles/clients';
import { sseOf, targetOf, type BucketProfile, type ProfileStore } from '../profiles/profileStore';
import { readTransport } from '../settings/proxySettings';
import type { UploadLog } from '../ui/log';
import type { CosLocation } from './cosUri';

export interface CosFsDeps {
  profiles: ProfileStore;
  log: UploadLog;
}

const READ_ONLY_FILE = { permissions: vscode.FilePermission.Readonly };

export async function statCosObject(deps: CosFsDeps, uri: vscode.Uri, at: CosLocation): Promise<vscode.FileStat> {
  const profile = profileOf(deps, uri, at);
  if (at.key === '' || at.key.endsWith('/')) return folderStat();
  return withFsClient(deps, profile, uri, async (client) => {
    const info = await client.headObject(at.key, undefined, headHeaders(profile, await deps.profiles.getSecrets(profile.id)));
    if (info) {
      const mtime = info.lastModified ? Date.parse(info.lastModified) || 0 : 0;
      return { type: vscode.FileType.File, size: info.size, mtime, ctime: mtime, ...READ_ONLY_FILE };
    }
    // No object by that name: a "folder" when keys continue below it.
    const page = await client.listObjectsPage({ prefix: `${at.key}/`, delimiter: '/', maxKeys: 1 });
    if (page.objects.length > 0 || page.commonPrefixes.length > 0) return folderStat();
    throw vscode.FileSystemError.FileNotFound(uri);
  });
}

export async function listCosFolder(deps: CosFsDeps, uri: vscode.Uri, at: CosLocation): Promise<Array<[string, vscode.FileType]>> {
  const profile = profileOf(deps, uri, at);
  const prefix = at.key === '' || at.key.endsWith('/') ? at.key : `${at.key}/`;
  return withFsClient(deps, profile, uri, async (client) => {
    const entries: Array<[string, vscode.FileType]> = [];
    let marker: string | undefined;
    do {
      const page = await client.listObjectsPage({ prefix, delimiter: '/', ...(marker ? { marker } : {}) });
      for (const o of page.objects) if (o.key !== prefix) entries.push([o.key.slice(prefix.length), vscode.FileType.File]);
      for (const p of page.commonPrefixes) entries.push([p.slice(prefix.length).replace(/\/$/, ''), vscode.FileType.Directory]);
      marker = page.isTruncated ? page.nextMarker : undefined;
    } while (marker !== undefined);
    return entries;
  });
}

/** The whole object, through the verified download into a private temporary folder, then removed. */
export async function readCosObject(deps: CosFsDeps, uri: vscode.Uri, at: CosLocation): Promise<Uint8Array> {
  const profile = profileOf(deps, uri, at);
  if (at.key === '' || at.key.endsWith('/')) throw vscode.FileSystemError.FileIsADirectory(uri);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-upload-open-'));
  try {
    const secrets = await deps.profiles.getSecrets(profile.id);
    const destPath = path.join(dir, 'object');
    await downloadObject({
      key: at.key,
      destPath,
      target: targetOf(profile),
      credentials: deps.profiles.credentialSource(profile.id),
      options: { sse: sseOf(profile, secrets) },
      transport: readTransport(),
      logger: deps.log,
    });
    return await fs.readFile(destPath);
  } catch (error) {
    throw fsError(error, uri);
  } finally {
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function folderStat(): vscode.FileStat {
  return { type: vscode.FileType.Directory, size: 0, mtime: 0, ctime: 0, ...READ_ONLY_FILE };
}

function profileOf(deps: CosFsDeps, uri: vscode.Uri, at: CosLocation): BucketProfile {
  const profile = deps.profiles.find(at.profile);
  if (!profile) throw vscode.FileSystemError.FileNotFound(vscode.l10n.t('There is no bucket profile named {0} for {1}.', at.profile, uri.toString(true)));
  return profile;
}

async function withFsClient<T>(deps: CosFsDeps, profile: BucketProfile, uri: vscode.Uri, fn: (client: CosClient) => Promise<T>): Promise<T> {
  const client = clientFor(deps.profiles, profile, deps.log);
  try {
    return await fn(client);
  } catch (error) {
    throw fsError(error, uri);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** File system errors pass through; a missing object is FileNotFound; the rest say what failed. */
function fsError(error: unknown, uri: vscode.Uri): Error {
  if (error instanceof vscode.FileSystemError) return error;
  if (CosError.is(error) && error.code === 'NO_SUCH_KEY') return vscode.FileSystemError.FileNotFound(uri);
  return vscode.FileSystemError.Unavailable(vscode.l10n.t('Could not read {0} from COS: {1}', uri.toString(true), describeError(error)));
}
