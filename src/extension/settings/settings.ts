import * as vscode from 'vscode';
import type { OnCancel, UploadOptions } from '../../core';

export const SECTION = 'cosUpload';

const MiB = 1024 * 1024;
/** x-cos-traffic-limit is in bit/s; the setting is in KiB/s so its bounds are round numbers. */
const BITS_PER_KIB = 1024 * 8;

/** Everything the extension reads from `cosUpload.*`, converted to the units the core expects. */
export interface ExtensionSettings {
  /** Only the options the user changed; the core fills in (and validates) the rest. */
  uploadOptions: Partial<UploadOptions>;
  onCancel: OnCancel;
  maxConcurrentUploads: number;
  excludeGlobs: string[];
  presignedUrlExpirySeconds: number;
  /** Sync Folder sends again unchanged files whose object headers drifted. */
  syncUpdateHeaders: boolean;
}

/** Reads the settings for `scope` (a file, so workspace-folder values apply). */
export function readSettings(scope?: vscode.Uri): ExtensionSettings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return settingsFrom((name) => config.get(name), (name) => isUserSet(config.inspect(name)));
}

/**
 * Settings renamed so the Settings UI titles read well ("Part Size", not "Part Size Mi B"), new key
 * to old. The old key is still read when only it is set, so nobody's settings are lost.
 */
export const RENAMED_SETTINGS: Readonly<Record<string, string>> = {
  partSize: 'partSizeMiB',
  multipartThreshold: 'multipartThresholdMiB',
  trafficLimit: 'trafficLimitKiBps',
  sendContentMD5: 'contentMd5',
};

/** Pure conversion, separated from the configuration API for tests. */
export function settingsFrom(rawGet: (name: string) => unknown, isSet: (name: string) => boolean = () => true): ExtensionSettings {
  const get = (name: string): unknown => {
    const old = RENAMED_SETTINGS[name];
    return old !== undefined && !isSet(name) && isSet(old) ? rawGet(old) : rawGet(name);
  };
  const num = (name: string): number | undefined => {
    const value = get(name);
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
  const options: Partial<UploadOptions> = {};
  const partSizeMiB = num('partSize');
  if (partSizeMiB !== undefined) options.partSize = partSizeMiB === 0 ? 'auto' : Math.round(partSizeMiB * MiB);
  const threshold = num('multipartThreshold');
  if (threshold !== undefined) options.multipartThreshold = Math.round(threshold * MiB);
  const concurrency = num('concurrency');
  if (concurrency !== undefined) options.concurrency = concurrency;
  // The default upper bound would otherwise cap a concurrency the user raised above it.
  const maxConcurrency = num('maxConcurrency');
  if (maxConcurrency !== undefined && isSet('maxConcurrency')) options.maxConcurrency = maxConcurrency;
  const retries = num('retries');
  if (retries !== undefined) options.retries = retries;
  const traffic = num('trafficLimit');
  if (traffic !== undefined && traffic > 0) options.trafficLimit = Math.round(traffic * BITS_PER_KIB);
  if (get('sendContentMD5') === true) options.contentMd5 = true;
  // Passed on as written: the core validates them before any request and names the bad entry.
  const headers = get('headers');
  if (Array.isArray(headers) && headers.length) options.headerRules = headers as UploadOptions['headerRules'];
  const tagging = get('tagging');
  if (typeof tagging === 'string' && tagging.trim() !== '') options.tagging = tagging.trim();

  const globs = get('excludeGlobs');
  return {
    uploadOptions: options,
    onCancel: get('onCancel') === 'abort' ? 'abort' : 'keep',
    maxConcurrentUploads: Math.max(1, Math.floor(num('maxConcurrentUploads') ?? 2)),
    excludeGlobs: Array.isArray(globs) ? globs.filter((g): g is string => typeof g === 'string' && g.trim() !== '') : [],
    presignedUrlExpirySeconds: Math.max(1, Math.floor(num('presignedUrlExpirySeconds') ?? 3600)),
    syncUpdateHeaders: get('syncUpdateHeaders') === true,
  };
}

function isUserSet(inspected: ReturnType<vscode.WorkspaceConfiguration['inspect']>): boolean {
  if (!inspected) return false;
  return [inspected.globalValue, inspected.workspaceValue, inspected.workspaceFolderValue].some((v) => v !== undefined);
}

/** The setting a core option name (ConfigError.field) comes from, to open it in the Settings editor. */
export function settingForOption(field: string): string | undefined {
  const map: Record<string, string> = {
    partSize: 'partSize',
    multipartThreshold: 'multipartThreshold',
    concurrency: 'concurrency',
    maxConcurrency: 'maxConcurrency',
    retries: 'retries',
    trafficLimit: 'trafficLimit',
    contentMd5: 'sendContentMD5',
    tagging: 'tagging',
    headers: 'headers',
  };
  return map[field] ? `${SECTION}.${map[field]}` : undefined;
}
