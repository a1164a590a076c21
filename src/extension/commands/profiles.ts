import * as vscode from 'vscode';
import { runCommand } from './run';
import { ConfigError, validateBucket, validateEndpoint, validateRegion } from '../../core';
import { addEmulatorProfile, askProfileKind, type LocalEmulator } from '../emulator/emulatorEndpoint';
import { prefixProblem } from '../files/keyNaming';
import { ask } from '../ui/prompts';
import type { BucketProfile, ProfileEncryption, ProfileSecrets, ProfileStore, SecretsUpdate } from '../profiles/profileStore';
import { describeProfile, pickProfile } from '../profiles/profilePicker';
import {
  askBucket,
  askEncryption,
  askEndpoint,
  askName,
  askPrefix,
  askRegion,
  askSecretId,
  askSecretKey,
  askSessionToken,
  askStorageClass,
  sseCustomerKeyProblem,
  STORAGE_CLASSES,
} from '../profiles/profileSteps';

/**
 * A whole profile as one argument, so tasks and tests can add one without prompts:
 * `executeCommand('cosUpload.addProfile', { name, bucket, region, secretId, secretKey, ... })`.
 */
export interface ProfileArgs {
  name: string;
  bucket: string;
  region: string;
  endpoint?: string;
  accelerate?: boolean;
  prefix?: string;
  storageClass?: string;
  encryption?: ProfileEncryption | ProfileEncryption['type'];
  secretId: string;
  secretKey: string;
  sessionToken?: string;
  sseCustomerKey?: string;
}

type ProfileRecord = Omit<BucketProfile, 'id'> & { id?: string };

/**
 * Add Bucket Profile. With {@link ProfileArgs}, adds (or replaces the same-named profile) without
 * prompts; with `{ localEmulator: true, name? }`, starts the local emulator and adds its profile.
 * Interactively, the first question is where files go: COS, or the local emulator.
 */
export async function addProfileCommand(store: ProfileStore, args?: unknown, emulator?: LocalEmulator): Promise<BucketProfile | undefined> {
  if (emulator && isEmulatorArgs(args)) return addEmulatorProfile(emulator, store, args.name);
  if (emulator && args === undefined) {
    const kind = await askProfileKind(vscode.l10n.t('Add Bucket Profile'));
    if (kind === undefined) return undefined;
    if (kind === 'emulator') return addEmulatorProfile(emulator, store, undefined);
  }
  if (isProfileArgs(args)) {
    const existing = store.find(args.name);
    return saveChecked(store, { ...recordFromArgs(args), ...(existing ? { id: existing.id } : {}) }, secretsFromArgs(args));
  }
  const total = 10;
  const step = (n: number) => ({ title: vscode.l10n.t('Add Bucket Profile ({0}/{1})', n, total) });
  const name = await askName(step(1), undefined, (n) => store.find(n)?.name.toLowerCase() === n.toLowerCase());
  if (name === undefined) return undefined;
  const bucket = await askBucket(step(2), undefined);
  if (bucket === undefined) return undefined;
  const region = await askRegion(step(3), undefined);
  if (region === undefined) return undefined;
  const endpoint = await askEndpoint(step(4), bucket, region, {});
  if (endpoint === undefined) return undefined;
  const secretId = await askSecretId(step(5), false);
  if (secretId === undefined) return undefined;
  const secretKey = await askSecretKey(step(6), false);
  if (secretKey === undefined) return undefined;
  const sessionToken = await askSessionToken(step(7), false);
  if (sessionToken === undefined) return undefined;
  const prefix = await askPrefix(step(8), '');
  if (prefix === undefined) return undefined;
  const storageClass = await askStorageClass(step(9), undefined);
  if (storageClass === undefined) return undefined;
  const encryption = await askEncryption(step(10), { type: 'none' }, false);
  if (encryption === undefined) return undefined;

  const record: ProfileRecord = {
    name,
    bucket,
    region,
    ...endpoint,
    prefix,
    ...(storageClass !== 'STANDARD' ? { storageClass } : {}),
    encryption: encryption.encryption,
  };
  const secrets: SecretsUpdate = { secretId, secretKey, ...(sessionToken ? { sessionToken } : {}), ...(encryption.sseCustomerKey ? { sseCustomerKey: encryption.sseCustomerKey } : {}) };
  const saved = await saveChecked(store, record, secrets);
  if (saved) void offerTest(saved);
  return saved;
}

/**
 * Edit Bucket Profile: a menu of fields; each pick edits one, "Save" writes them all.
 * With `{ profile: name, ...fields }` it changes those fields without prompts; with a name string
 * it opens that profile's menu.
 */
export async function editProfileCommand(store: ProfileStore, args?: unknown): Promise<BucketProfile | undefined> {
  if (typeof args === 'object' && args !== null && typeof (args as { profile?: unknown }).profile === 'string') {
    const { profile: name, ...changes } = args as Partial<ProfileArgs> & { profile: string };
    const profile = store.find(name);
    if (!profile) return missing(name);
    const merged = { ...profileAsArgs(profile), ...changes } as ProfileArgs;
    const secrets = secretsFromArgs(changes);
    const previous = await store.getSecrets(profile.id);
    const saved = await saveChecked(store, { ...recordFromArgs(merged), id: profile.id }, secrets);
    if (saved) void confirmEdit(profile, saved, secretChanges(secrets, previous));
    return saved;
  }
  const profile = typeof args === 'string' ? store.find(args) : await pickProfile(store, vscode.l10n.t('Edit which bucket profile?'), { offerAdd: false });
  if (!profile) return typeof args === 'string' ? missing(args) : undefined;
  return editMenu(store, profile);
}

/** Remove Bucket Profile; with a name argument it removes that profile without asking. */
export async function removeProfileCommand(store: ProfileStore, args?: unknown): Promise<boolean> {
  const name = typeof args === 'string' ? args : typeof args === 'object' && args !== null ? (args as { name?: string }).name : undefined;
  const profile = name !== undefined ? store.find(name) : await pickProfile(store, vscode.l10n.t('Remove which bucket profile?'), { offerAdd: false });
  if (!profile) {
    if (name !== undefined) void missing(name);
    return false;
  }
  if (name === undefined) {
    // The safe answer comes first: a modal focuses its first button, so Enter keeps the profile.
    const keep = vscode.l10n.t('Keep It');
    const remove = vscode.l10n.t('Remove');
    const picked = await vscode.window.showWarningMessage(
      vscode.l10n.t('Remove bucket profile {0}? Its SecretId and SecretKey are deleted from this machine; the bucket is not touched.', profile.name),
      { modal: true },
      keep,
      remove,
    );
    if (picked !== remove) return false;
  }
  await store.remove(profile.id);
  void vscode.window.showInformationMessage(vscode.l10n.t('Bucket profile removed: {0}', profile.name));
  return true;
}

async function editMenu(store: ProfileStore, original: BucketProfile): Promise<BucketProfile | undefined> {
  const draft: BucketProfile = { ...original };
  const secrets: SecretsUpdate = {};
  const title = { title: vscode.l10n.t('Edit Bucket Profile: {0}', original.name) };
  type Field = 'save' | 'name' | 'bucket' | 'region' | 'endpoint' | 'keys' | 'token' | 'prefix' | 'storageClass' | 'encryption';
  for (;;) {
    const hasToken = secrets.sessionToken !== undefined ? secrets.sessionToken !== '' : await store.hasSecret(original.id, 'sessionToken');
    const stored = vscode.l10n.t('stored');
    const items: Array<vscode.QuickPickItem & { field: Field }> = [
      { label: `$(check) ${vscode.l10n.t('Save')}`, description: describeProfile(draft), field: 'save' },
      { label: vscode.l10n.t('Name'), description: draft.name, field: 'name' },
      { label: vscode.l10n.t('Bucket'), description: draft.bucket, field: 'bucket' },
      { label: vscode.l10n.t('Region'), description: draft.region, field: 'region' },
      { label: vscode.l10n.t('Endpoint'), description: draft.endpoint ?? (draft.accelerate ? vscode.l10n.t('global acceleration') : vscode.l10n.t('default')), field: 'endpoint' },
      { label: vscode.l10n.t('SecretId and SecretKey'), description: keysDescription(secrets) ?? stored, field: 'keys' },
      { label: vscode.l10n.t('Session token'), description: hasToken ? stored : vscode.l10n.t('none'), field: 'token' },
      { label: vscode.l10n.t('Key prefix'), description: draft.prefix || vscode.l10n.t('none'), field: 'prefix' },
      { label: vscode.l10n.t('Storage class'), description: draft.storageClass ?? 'STANDARD', field: 'storageClass' },
      { label: vscode.l10n.t('Encryption'), description: draft.encryption.type, field: 'encryption' },
    ];
    const picked = await vscode.window.showQuickPick(items, { ...title, placeHolder: vscode.l10n.t('Pick a field to change, then Save'), ignoreFocusOut: true });
    if (!picked) return undefined;
    switch (picked.field) {
      case 'save': {
        const previous = await store.getSecrets(original.id);
        const saved = await saveChecked(store, draft, secrets);
        if (saved) void confirmEdit(original, saved, secretChanges(secrets, previous));
        return saved;
      }
      case 'name': {
        const name = await askName(title, draft.name, (n) => {
          const other = store.find(n);
          return other !== undefined && other.id !== original.id && other.name.toLowerCase() === n.toLowerCase();
        });
        if (name !== undefined) draft.name = name;
        break;
      }
      case 'bucket': {
        const bucket = await askBucket(title, draft.bucket);
        if (bucket !== undefined) draft.bucket = bucket;
        break;
      }
      case 'region': {
        const region = await askRegion(title, draft.region);
        if (region !== undefined) draft.region = region;
        break;
      }
      case 'endpoint': {
        const choice = await askEndpoint(title, draft.bucket, draft.region, { endpoint: draft.endpoint, accelerate: draft.accelerate });
        if (choice !== undefined) {
          delete draft.endpoint;
          delete draft.accelerate;
          Object.assign(draft, choice);
        }
        break;
      }
      case 'keys': {
        const secretId = await askSecretId(title, true);
        if (secretId === undefined) break;
        const secretKey = await askSecretKey(title, true);
        if (secretKey === undefined) break;
        if (secretId) secrets.secretId = secretId;
        if (secretKey) secrets.secretKey = secretKey;
        break;
      }
      case 'token': {
        const token = await askSessionToken(title, hasToken);
        if (token === '-') secrets.sessionToken = '';
        else if (token) secrets.sessionToken = token;
        break;
      }
      case 'prefix': {
        const prefix = await askPrefix(title, draft.prefix);
        if (prefix !== undefined) draft.prefix = prefix;
        break;
      }
      case 'storageClass': {
        const storageClass = await askStorageClass(title, draft.storageClass);
        if (storageClass !== undefined) {
          if (storageClass === 'STANDARD') delete draft.storageClass;
          else draft.storageClass = storageClass;
        }
        break;
      }
      case 'encryption': {
        const choice = await askEncryption(title, draft.encryption, await store.hasSecret(original.id, 'sseCustomerKey'));
        if (choice !== undefined) {
          draft.encryption = choice.encryption;
          if (choice.sseCustomerKey) secrets.sseCustomerKey = choice.sseCustomerKey;
          // A key nobody will use again should not stay in the keychain.
          if (choice.encryption.type !== 'SSE-C') secrets.sseCustomerKey = '';
        }
        break;
      }
    }
  }
}

/** Which of the two keys an edit replaces, for the menu; undefined when neither. */
export function keysDescription(secrets: SecretsUpdate): string | undefined {
  if (secrets.secretId && secrets.secretKey) return vscode.l10n.t('SecretId and SecretKey changed');
  if (secrets.secretId) return vscode.l10n.t('SecretId changed');
  if (secrets.secretKey) return vscode.l10n.t('SecretKey changed');
  return undefined;
}

/** The part of `update` that differs from the stored secrets: typing the same key again changes nothing. */
function secretChanges(update: SecretsUpdate, previous: ProfileSecrets | undefined): SecretsUpdate {
  const changes: SecretsUpdate = {};
  for (const field of ['secretId', 'secretKey', 'sessionToken', 'sseCustomerKey'] as const) {
    const value = update[field];
    if (value !== undefined && value !== (previous?.[field] ?? '')) changes[field] = value;
  }
  return changes;
}

/** The names of the fields an edit changed (never a secret's value), in menu order. */
export function changedFields(before: BucketProfile, after: BucketProfile, secrets: SecretsUpdate): string[] {
  const differs = (a: unknown, b: unknown) => JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
  const fields: Array<[boolean, string]> = [
    [before.name !== after.name, vscode.l10n.t('Name')],
    [before.bucket !== after.bucket, vscode.l10n.t('Bucket')],
    [before.region !== after.region, vscode.l10n.t('Region')],
    [differs(before.endpoint, after.endpoint) || Boolean(before.accelerate) !== Boolean(after.accelerate), vscode.l10n.t('Endpoint')],
    [secrets.secretId !== undefined && secrets.secretId !== '', 'SecretId'],
    [secrets.secretKey !== undefined && secrets.secretKey !== '', 'SecretKey'],
    [secrets.sessionToken !== undefined, vscode.l10n.t('Session token')],
    [before.prefix !== after.prefix, vscode.l10n.t('Key prefix')],
    [differs(before.storageClass, after.storageClass), vscode.l10n.t('Storage class')],
    [differs(before.encryption, after.encryption) || Boolean(secrets.sseCustomerKey), vscode.l10n.t('Encryption')],
  ];
  return fields.filter(([changed]) => changed).map(([, label]) => label);
}

/** Says what an edit changed, and offers Test Connection when something that reaches COS did. */
async function confirmEdit(before: BucketProfile, after: BucketProfile, secrets: SecretsUpdate): Promise<void> {
  const changed = changedFields(before, after, secrets);
  if (changed.length === 0) {
    await ask('info', vscode.l10n.t('Bucket profile {0} saved; nothing changed.', after.name), {});
    return;
  }
  const test = vscode.l10n.t('Test Connection');
  const picked = await ask('info', vscode.l10n.t('Bucket profile {0} saved; changed: {1}.', after.name, changed.join(vscode.l10n.t(', '))), {}, test);
  if (picked === test) await runCommand('cosUpload.testConnection', after.name);
}

/** Validates like the wizard does, saves, and reports problems instead of throwing. */
async function saveChecked(store: ProfileStore, record: ProfileRecord, secrets: SecretsUpdate): Promise<BucketProfile | undefined> {
  try {
    validateRecord(record);
    if (record.endpoint) record = { ...record, endpoint: new URL(record.endpoint).origin };
    if (record.encryption.type === 'SSE-C') {
      const key = secrets.sseCustomerKey || (record.id ? (await store.getSecrets(record.id))?.sseCustomerKey : undefined);
      const problem = key ? sseCustomerKeyProblem(key) : vscode.l10n.t('SSE-C needs a key.');
      if (problem) throw new ConfigError('sseCustomerKey', problem);
    }
    if (!record.id && (!secrets.secretId || !secrets.secretKey)) {
      throw new ConfigError('secretKey', vscode.l10n.t('A bucket profile needs a SecretId and a SecretKey.'));
    }
    return await store.save(record, secrets);
  } catch (error) {
    void vscode.window.showErrorMessage(vscode.l10n.t('The bucket profile was not saved: {0}', error instanceof Error ? error.message : String(error)));
    return undefined;
  }
}

function validateRecord(record: ProfileRecord): void {
  if (!record.name.trim()) throw new ConfigError('name', vscode.l10n.t('A bucket profile needs a name.'));
  validateBucket(record.bucket);
  validateRegion(record.region);
  if (record.endpoint) validateEndpoint(record.endpoint);
  const prefix = prefixProblem(record.prefix);
  if (prefix) throw new ConfigError('prefix', prefix);
  if (record.storageClass && !STORAGE_CLASSES.includes(record.storageClass)) {
    throw new ConfigError('storageClass', vscode.l10n.t('Unknown storage class: {0}', record.storageClass));
  }
}

function isEmulatorArgs(value: unknown): value is { localEmulator: true; name?: string } {
  const v = value as { localEmulator?: unknown; name?: unknown };
  return typeof v === 'object' && v !== null && v.localEmulator === true && (v.name === undefined || typeof v.name === 'string');
}

function isProfileArgs(value: unknown): value is ProfileArgs {
  const v = value as ProfileArgs;
  return typeof v === 'object' && v !== null && typeof v.name === 'string' && typeof v.bucket === 'string' && typeof v.region === 'string';
}

function recordFromArgs(args: ProfileArgs): ProfileRecord {
  const encryption: ProfileEncryption =
    typeof args.encryption === 'string' ? ({ type: args.encryption } as ProfileEncryption) : (args.encryption ?? { type: 'none' });
  return {
    name: args.name.trim(),
    bucket: args.bucket.trim(),
    region: args.region.trim(),
    ...(args.endpoint ? { endpoint: args.endpoint.trim() } : {}),
    ...(args.accelerate ? { accelerate: true } : {}),
    prefix: args.prefix ?? '',
    ...(args.storageClass && args.storageClass !== 'STANDARD' ? { storageClass: args.storageClass } : {}),
    encryption,
  };
}

function secretsFromArgs(args: Partial<ProfileSecrets>): SecretsUpdate {
  const out: SecretsUpdate = {};
  for (const field of ['secretId', 'secretKey', 'sessionToken', 'sseCustomerKey'] as const) {
    if (typeof args[field] === 'string') out[field] = args[field];
  }
  return out;
}

/** The non-secret fields of a profile in argument form, to merge changes over. */
function profileAsArgs(profile: BucketProfile): Omit<ProfileArgs, 'secretId' | 'secretKey'> {
  return {
    name: profile.name,
    bucket: profile.bucket,
    region: profile.region,
    ...(profile.endpoint ? { endpoint: profile.endpoint } : {}),
    ...(profile.accelerate ? { accelerate: true } : {}),
    prefix: profile.prefix,
    ...(profile.storageClass ? { storageClass: profile.storageClass } : {}),
    encryption: profile.encryption,
  };
}

function missing(name: string): undefined {
  void vscode.window.showErrorMessage(vscode.l10n.t('There is no bucket profile with this name: {0}', name));
  return undefined;
}

async function offerTest(profile: BucketProfile): Promise<void> {
  const test = vscode.l10n.t('Test Connection');
  const picked = await vscode.window.showInformationMessage(vscode.l10n.t('Bucket profile saved: {0}', profile.name), test);
  if (picked === test) await runCommand('cosUpload.testConnection', profile.name);
}
