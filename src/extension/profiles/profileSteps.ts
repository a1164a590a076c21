import * as vscode from 'vscode';
import { COS_REGIONS, isLoopbackHost, STORAGE_CLASSES, validateBucket, validateEndpoint, validateRegion } from '../../core';
import { prefixProblem } from '../files/keyNaming';
import type { ProfileEncryption } from './profileStore';

/**
 * The questions of the Add / Edit Bucket Profile wizards, one function per field. Each returns
 * undefined when the user cancels (Escape), so callers stop there.
 */

export interface StepTitle {
  title: string;
}

export { STORAGE_CLASSES };

const SSE_C_KEY_BYTES = 32;

/** The core's validation message for a value, or undefined when it is fine. */
export function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export function sseCustomerKeyProblem(value: string): string | undefined {
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, 'base64').length : 0;
  return bytes === SSE_C_KEY_BYTES ? undefined : vscode.l10n.t('Enter the SSE-C key as base64 of exactly 32 bytes (44 characters).');
}

function input(step: StepTitle, options: vscode.InputBoxOptions): Thenable<string | undefined> {
  return vscode.window.showInputBox({ ...options, title: step.title, ignoreFocusOut: true });
}

export async function askName(step: StepTitle, current: string | undefined, taken: (name: string) => boolean): Promise<string | undefined> {
  const value = await input(step, {
    prompt: vscode.l10n.t('A name for this bucket profile, shown when you pick where to upload.'),
    value: current ?? '',
    validateInput: (v) => {
      if (v.trim() === '') return vscode.l10n.t('Enter a name.');
      if (taken(v.trim())) return vscode.l10n.t('A bucket profile with this name already exists.');
      return undefined;
    },
  });
  return value?.trim();
}

export async function askBucket(step: StepTitle, current: string | undefined): Promise<string | undefined> {
  const value = await input(step, {
    prompt: vscode.l10n.t('Bucket name with its APPID, as shown in the COS console: <name>-<appid>.'),
    placeHolder: 'examplebucket-1250000000',
    value: current ?? '',
    validateInput: (v) => problemOf(() => validateBucket(v.trim())),
  });
  return value?.trim();
}

export async function askRegion(step: StepTitle, current: string | undefined): Promise<string | undefined> {
  const other = vscode.l10n.t('Other region…');
  const items: vscode.QuickPickItem[] = [
    ...COS_REGIONS.map((r) => ({ label: r.id, description: r.label, picked: r.id === current })),
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: other, description: vscode.l10n.t('type a region ID') },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: step.title,
    placeHolder: current ? vscode.l10n.t('Region of the bucket (now: {0})', current) : vscode.l10n.t('Region of the bucket'),
    matchOnDescription: true,
    ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  if (picked.label !== other) return picked.label;
  const value = await input(step, {
    prompt: vscode.l10n.t('COS region ID, for example ap-guangzhou.'),
    value: current ?? '',
    validateInput: (v) => problemOf(() => validateRegion(v.trim())),
  });
  return value?.trim();
}

export interface EndpointChoice {
  endpoint?: string;
  accelerate?: boolean;
}

export async function askEndpoint(step: StepTitle, bucket: string, region: string, current: EndpointChoice): Promise<EndpointChoice | undefined> {
  type Item = vscode.QuickPickItem & { choice: 'default' | 'accelerate' | 'custom' };
  const items: Item[] = [
    { label: vscode.l10n.t('Default endpoint'), description: `https://${bucket}.cos.${region}.myqcloud.com`, choice: 'default' },
    {
      label: vscode.l10n.t('Global acceleration'),
      description: `https://${bucket}.cos.accelerate.myqcloud.com`,
      detail: vscode.l10n.t('Faster over long distances; the bucket must have global acceleration turned on.'),
      choice: 'accelerate',
    },
    {
      label: vscode.l10n.t('Custom endpoint…'),
      description: current.endpoint ?? '',
      detail: vscode.l10n.t('A custom or CDN domain, or a local COS emulator such as http://127.0.0.1:9000.'),
      choice: 'custom',
    },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: step.title, placeHolder: vscode.l10n.t('Where requests go'), ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.choice === 'default') return {};
  if (picked.choice === 'accelerate') return { accelerate: true };
  const value = await input(step, {
    prompt: vscode.l10n.t('Endpoint origin: scheme, host and optional port, without a path.'),
    placeHolder: 'https://cos.example.com',
    value: current.endpoint ?? '',
    validateInput: (v) => {
      const problem = problemOf(() => validateEndpoint(v.trim()));
      if (problem) return problem;
      const url = new URL(v.trim());
      if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
        const allowed = vscode.workspace.getConfiguration('cosUpload').get<boolean>('allowInsecureHttp') === true;
        return {
          message: allowed
            ? vscode.l10n.t('Plain http sends your files unencrypted over the network; use https unless this is a trusted local server.')
            : vscode.l10n.t('Plain http sends your files unencrypted over the network, so uploads to it are refused unless the setting cosUpload.allowInsecureHttp is on; use https unless this is a trusted local server.'),
          severity: vscode.InputBoxValidationSeverity.Warning,
        };
      }
      return undefined;
    },
  });
  return value === undefined ? undefined : { endpoint: new URL(value.trim()).origin };
}

/** `keepable`: an empty answer keeps the stored value (Edit), returned as ''. */
export async function askSecretId(step: StepTitle, keepable: boolean): Promise<string | undefined> {
  const value = await input(step, {
    prompt: keepable ? vscode.l10n.t('SecretId of the API key; leave empty to keep the stored one.') : vscode.l10n.t('SecretId of the API key (CAM console → API Keys). It is stored in the system keychain.'),
    placeHolder: 'AKID…',
    validateInput: (v) => (!keepable && v.trim() === '' ? vscode.l10n.t('Enter the SecretId.') : /\s/.test(v.trim()) ? vscode.l10n.t('A SecretId has no spaces.') : undefined),
  });
  return value?.trim();
}

export async function askSecretKey(step: StepTitle, keepable: boolean): Promise<string | undefined> {
  const value = await input(step, {
    prompt: keepable ? vscode.l10n.t('SecretKey of the API key; leave empty to keep the stored one.') : vscode.l10n.t('SecretKey of the API key. It is stored in the system keychain, never in settings or logs.'),
    password: true,
    validateInput: (v) => (!keepable && v.trim() === '' ? vscode.l10n.t('Enter the SecretKey.') : /\s/.test(v.trim()) ? vscode.l10n.t('A SecretKey has no spaces.') : undefined),
  });
  return value?.trim();
}

export async function askSessionToken(step: StepTitle, stored: boolean): Promise<string | undefined> {
  const value = await input(step, {
    prompt: stored
      ? vscode.l10n.t('Session token of temporary credentials; leave empty to keep the stored one, or enter "-" to remove it.')
      : vscode.l10n.t('Session token, only for temporary (STS) credentials; leave empty for permanent keys.'),
    password: true,
  });
  return value?.trim();
}

export async function askPrefix(step: StepTitle, current: string | undefined): Promise<string | undefined> {
  return input(step, {
    prompt: vscode.l10n.t('Key prefix put before every uploaded path, for example "backups/"; end it with "/" for a folder. May be empty.'),
    value: current ?? '',
    validateInput: prefixProblem,
  });
}

export async function askStorageClass(step: StepTitle, current: string | undefined): Promise<string | undefined> {
  const items = STORAGE_CLASSES.map((label) => ({ label, picked: label === (current ?? 'STANDARD') }));
  const picked = await vscode.window.showQuickPick(items, {
    title: step.title,
    placeHolder: vscode.l10n.t('Storage class of uploaded objects (now: {0})', current ?? 'STANDARD'),
    ignoreFocusOut: true,
  });
  return picked?.label;
}

export interface EncryptionChoice {
  encryption: ProfileEncryption;
  /** Only for SSE-C: the key to store ('' keeps the stored one). */
  sseCustomerKey?: string;
}

export type EncryptionItem = vscode.QuickPickItem & { type: ProfileEncryption['type'] };

/**
 * The server-side encryption choices: each names only its own kind, with its own icon and a
 * detail line, so rows are tall and look different (SSE-COS and SSE-C were easy to mis-pick).
 */
export function encryptionItems(): EncryptionItem[] {
  return [
    { label: `$(circle-slash) ${vscode.l10n.t('No encryption')}`, detail: vscode.l10n.t('Objects get the bucket default encryption, if the bucket has one.'), type: 'none' },
    { label: `$(lock) ${vscode.l10n.t('SSE-COS: keys managed by COS')}`, detail: vscode.l10n.t('COS encrypts each object with AES-256 and manages the keys; nothing to keep.'), type: 'SSE-COS' },
    { label: `$(key) ${vscode.l10n.t('SSE-KMS: keys in Tencent Cloud KMS')}`, detail: vscode.l10n.t('COS encrypts with a KMS key (the default one, or a key id you enter next).'), type: 'SSE-KMS' },
    {
      label: `$(shield) ${vscode.l10n.t('SSE-C: a key you provide')}`,
      detail: vscode.l10n.t('You enter a 32-byte key; it is sent with every request and COS keeps no copy, so objects cannot be read without it.'),
      type: 'SSE-C',
    },
  ];
}

export async function askEncryption(step: StepTitle, current: ProfileEncryption, sseKeyStored: boolean): Promise<EncryptionChoice | undefined> {
  const items = encryptionItems();
  const picked = await vscode.window.showQuickPick(items, {
    title: step.title,
    placeHolder: vscode.l10n.t('Server-side encryption (now: {0})', current.type),
    ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  if (picked.type === 'SSE-KMS') {
    const kmsKeyId = await input(step, {
      prompt: vscode.l10n.t('KMS key ID (CMK); leave empty for the default COS key in KMS.'),
      value: current.type === 'SSE-KMS' ? (current.kmsKeyId ?? '') : '',
    });
    if (kmsKeyId === undefined) return undefined;
    return { encryption: kmsKeyId.trim() ? { type: 'SSE-KMS', kmsKeyId: kmsKeyId.trim() } : { type: 'SSE-KMS' } };
  }
  if (picked.type === 'SSE-C') {
    const keepable = current.type === 'SSE-C' && sseKeyStored;
    const key = await input(step, {
      prompt: keepable
        ? vscode.l10n.t('SSE-C key, base64 of 32 bytes; leave empty to keep the stored one.')
        : vscode.l10n.t('SSE-C key, base64 of 32 bytes. Keep a copy: COS cannot return objects without it.'),
      password: true,
      validateInput: (v) => (keepable && v.trim() === '' ? undefined : sseCustomerKeyProblem(v.trim())),
    });
    if (key === undefined) return undefined;
    return { encryption: { type: 'SSE-C' }, sseCustomerKey: key.trim() };
  }
  return { encryption: picked.type === 'SSE-COS' ? { type: 'SSE-COS' } : { type: 'none' } };
}
