import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { BucketTarget, CredentialSource, Credentials, ServerSideEncryption } from '../../core';
import { ConfigError } from '../../core/errors';

/** Encryption as a profile stores it: the SSE-C key itself lives in SecretStorage. */
export type ProfileEncryption = { type: 'none' } | { type: 'SSE-COS' } | { type: 'SSE-KMS'; kmsKeyId?: string } | { type: 'SSE-C' };

/** The non-secret part of a bucket profile, kept in globalState. */
export interface BucketProfile {
  /** Stable id; names can change, SecretStorage keys must not. */
  id: string;
  name: string;
  bucket: string;
  region: string;
  /** A custom origin (for example the local emulator); undefined means the default COS endpoint. */
  endpoint?: string;
  /** Global acceleration endpoint (cos.accelerate.myqcloud.com). */
  accelerate?: boolean;
  /** Prepended to every object key, for example "backups/". */
  prefix: string;
  storageClass?: string;
  encryption: ProfileEncryption;
}

/** The secret part of a bucket profile, kept only in SecretStorage. */
export interface ProfileSecrets {
  secretId: string;
  secretKey: string;
  sessionToken?: string;
  /** Base64 of the 32-byte SSE-C key. */
  sseCustomerKey?: string;
}

/**
 * Secrets to write: a field left undefined keeps its stored value; an empty string deletes an
 * optional one (session token, SSE-C key).
 */
export type SecretsUpdate = Partial<ProfileSecrets>;

const PROFILES_KEY = 'cosUpload.profiles';
const LAST_USED_KEY = 'cosUpload.lastProfileId';
/** Folder path → the profile and prefix it was last synced to. */
const SYNC_TARGETS_KEY = 'cosUpload.syncTargets';

export interface SyncTarget {
  profileId: string;
  prefix: string;
}
const SECRET_FIELDS = ['secretId', 'secretKey', 'sessionToken', 'sseCustomerKey'] as const;

export function secretStorageKey(profileId: string, field: keyof ProfileSecrets): string {
  return `cosUpload.profile.${profileId}.${field}`;
}

/**
 * Bucket profiles: records in globalState, secrets in SecretStorage under per-profile keys.
 * Nothing secret ever goes to globalState, so a dump of it (or of settings) cannot leak one.
 */
export class ProfileStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;
  /**
   * Profile id → its stored secret fields, read once per session: each SecretStorage read is a
   * round trip to VS Code's main process, and an upload used to make several. In memory only.
   */
  private readonly secretCache = new Map<string, Promise<StoredSecrets>>();
  private secretStorageReads = 0;

  constructor(
    private readonly state: vscode.Memento,
    private readonly secrets: vscode.SecretStorage,
  ) {
    // Another window may edit a profile's secrets; listeners re-read.
    this.subscription = secrets.onDidChange((e) => {
      if (!e.key.startsWith('cosUpload.profile.')) return;
      this.forgetSecrets(profileIdOfKey(e.key));
      this.changed.fire();
    });
  }

  list(): BucketProfile[] {
    const stored = this.state.get<unknown>(PROFILES_KEY);
    return Array.isArray(stored) ? stored.filter(isProfile).map((p) => ({ ...p, prefix: p.prefix ?? '', encryption: p.encryption ?? { type: 'none' } })) : [];
  }

  /** By id, or by name (case-sensitive first, then case-insensitive). */
  find(nameOrId: string): BucketProfile | undefined {
    const all = this.list();
    return (
      all.find((p) => p.id === nameOrId) ??
      all.find((p) => p.name === nameOrId) ??
      all.find((p) => p.name.toLowerCase() === nameOrId.toLowerCase())
    );
  }

  /** Profiles with the last used one first. */
  listLastUsedFirst(): BucketProfile[] {
    const lastId = this.state.get<string>(LAST_USED_KEY);
    const all = this.list();
    const last = all.findIndex((p) => p.id === lastId);
    if (last > 0) all.unshift(...all.splice(last, 1));
    return all;
  }

  lastUsedId(): string | undefined {
    return this.state.get<string>(LAST_USED_KEY);
  }

  async markUsed(id: string): Promise<void> {
    await this.state.update(LAST_USED_KEY, id);
  }

  /** Where `folder` was last synced to, when its profile still exists. */
  syncTarget(folder: string): SyncTarget | undefined {
    const target = this.state.get<Record<string, SyncTarget>>(SYNC_TARGETS_KEY, {})[folder];
    return target && this.find(target.profileId) ? target : undefined;
  }

  async rememberSyncTarget(folder: string, target: SyncTarget): Promise<void> {
    await this.state.update(SYNC_TARGETS_KEY, { ...this.state.get<Record<string, SyncTarget>>(SYNC_TARGETS_KEY, {}), [folder]: target });
  }

  /**
   * Adds (no id yet) or replaces a profile. Secrets are written first so a profile is never listed
   * without the credentials it needs.
   */
  async save(profile: Omit<BucketProfile, 'id'> & { id?: string }, secrets: SecretsUpdate): Promise<BucketProfile> {
    const record: BucketProfile = { ...stripUndefined(profile), id: profile.id ?? randomUUID() } as BucketProfile;
    const others = this.list().filter((p) => p.id !== record.id);
    if (others.some((p) => p.name.toLowerCase() === record.name.toLowerCase())) {
      throw new ConfigError('name', `A bucket profile with this name already exists: ${record.name}`);
    }
    await this.writeSecrets(record.id, secrets);
    const existing = this.list();
    const index = existing.findIndex((p) => p.id === record.id);
    if (index >= 0) existing[index] = record;
    else existing.push(record);
    await this.state.update(PROFILES_KEY, existing);
    this.changed.fire();
    return record;
  }

  /** Writes only secrets (fresh temporary credentials) of an existing profile; same rules as {@link save}. */
  async updateSecrets(id: string, secrets: SecretsUpdate): Promise<void> {
    if (!this.list().some((p) => p.id === id)) throw new ConfigError('profile', `No bucket profile has this id: ${id}`);
    await this.writeSecrets(id, secrets);
    this.changed.fire();
  }

  async remove(id: string): Promise<void> {
    try {
      for (const field of SECRET_FIELDS) await this.secrets.delete(secretStorageKey(id, field));
    } finally {
      this.forgetSecrets(id);
    }
    await this.state.update(
      PROFILES_KEY,
      this.list().filter((p) => p.id !== id),
    );
    if (this.state.get<string>(LAST_USED_KEY) === id) await this.state.update(LAST_USED_KEY, undefined);
    this.changed.fire();
  }

  /** undefined when the SecretId or SecretKey is missing (for example after a Settings Sync). */
  async getSecrets(id: string): Promise<ProfileSecrets | undefined> {
    const { secretId, secretKey, sessionToken, sseCustomerKey } = await this.storedSecrets(id);
    if (!secretId || !secretKey) return undefined;
    return { secretId, secretKey, ...(sessionToken ? { sessionToken } : {}), ...(sseCustomerKey ? { sseCustomerKey } : {}) };
  }

  /** Whether a secret field is stored, without revealing it (for the test API and the Edit wizard). */
  async hasSecret(id: string, field: keyof ProfileSecrets): Promise<boolean> {
    return (await this.storedSecrets(id))[field] !== undefined;
  }

  /**
   * Starts reading a profile's secrets into the session cache without waiting, so an upload
   * command's own read finds them while the user is still picking a file. A failed read is not
   * cached: the upload reads again and reports it.
   */
  prefetchSecrets(id: string): void {
    this.storedSecrets(id).catch(() => undefined);
  }

  /** How many values this store has asked SecretStorage for in this session (for the test API). */
  secretReads(): number {
    return this.secretStorageReads;
  }

  /** The cached fields, or one read of all of them shared by every caller until invalidated. */
  private storedSecrets(id: string): Promise<StoredSecrets> {
    let cached = this.secretCache.get(id);
    if (!cached) {
      cached = this.readSecrets(id);
      this.secretCache.set(id, cached);
      // A failed read is dropped (if still the cached one), so the next caller tries again.
      cached.catch(() => {
        if (this.secretCache.get(id) === cached) this.secretCache.delete(id);
      });
    }
    return cached;
  }

  private async readSecrets(id: string): Promise<StoredSecrets> {
    this.secretStorageReads += SECRET_FIELDS.length;
    const [secretId, secretKey, sessionToken, sseCustomerKey] = await Promise.all(SECRET_FIELDS.map((field) => this.secrets.get(secretStorageKey(id, field))));
    return { secretId, secretKey, sessionToken, sseCustomerKey };
  }

  /** Stores or deletes the given fields; the cache is dropped afterwards, even when a write failed. */
  private async writeSecrets(id: string, secrets: SecretsUpdate): Promise<void> {
    try {
      for (const field of SECRET_FIELDS) {
        const value = secrets[field];
        if (value === undefined) continue;
        if (value === '') await this.secrets.delete(secretStorageKey(id, field));
        else await this.secrets.store(secretStorageKey(id, field), value);
      }
    } finally {
      this.forgetSecrets(id);
    }
  }

  /** Drops one profile's cached secrets (all profiles' when the id is not known). */
  private forgetSecrets(id: string | undefined): void {
    if (id === undefined) this.secretCache.clear();
    else this.secretCache.delete(id);
  }

  /**
   * Credentials looked up on every request (in the session cache, which every save and every
   * SecretStorage change clears), so re-entering a session token with Edit Bucket Profile takes
   * effect in a running upload.
   */
  credentialSource(id: string, onRead?: (secrets: ProfileSecrets) => void): CredentialSource {
    let lastToken: string | undefined;
    const read = async (fresh = false): Promise<Credentials> => {
      // A refresh reads SecretStorage itself: another window's write may not have been announced yet.
      if (fresh) this.forgetSecrets(id);
      const secrets = await this.getSecrets(id);
      if (!secrets) {
        throw new ConfigError('credentials', 'The bucket profile has no SecretId or SecretKey: enter them with COS: Edit Bucket Profile.');
      }
      onRead?.(secrets);
      lastToken = secrets.sessionToken;
      return { secretId: secrets.secretId, secretKey: secrets.secretKey, ...(secrets.sessionToken ? { sessionToken: secrets.sessionToken } : {}) };
    };
    return {
      get: () => read(),
      // Fresh temporary credentials may have been stored meanwhile; the same token again means
      // there is nothing new, and the upload pauses until the user enters one.
      refresh: async () => {
        const before = lastToken;
        const fresh = await read(true);
        return fresh.sessionToken && fresh.sessionToken !== before ? fresh : undefined;
      },
    };
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

export function targetOf(profile: BucketProfile): BucketTarget {
  return {
    bucket: profile.bucket,
    region: profile.region,
    ...(profile.endpoint ? { endpoint: profile.endpoint } : {}),
    ...(profile.accelerate ? { accelerate: true } : {}),
  };
}

/** The core's encryption option for a profile; SSE-C needs the key from SecretStorage. */
export function sseOf(profile: BucketProfile, secrets: ProfileSecrets | undefined): ServerSideEncryption {
  switch (profile.encryption.type) {
    case 'SSE-COS':
      return { type: 'SSE-COS' };
    case 'SSE-KMS':
      return profile.encryption.kmsKeyId ? { type: 'SSE-KMS', kmsKeyId: profile.encryption.kmsKeyId } : { type: 'SSE-KMS' };
    case 'SSE-C':
      if (!secrets?.sseCustomerKey) {
        throw new ConfigError('sse', 'The bucket profile uses SSE-C but has no key stored: enter it with COS: Edit Bucket Profile.');
      }
      return { type: 'SSE-C', key: secrets.sseCustomerKey };
    default:
      return { type: 'none' };
  }
}

/** A profile's secret fields as SecretStorage holds them: undefined where none is stored. */
type StoredSecrets = Record<keyof ProfileSecrets, string | undefined>;

/** The profile id in a key written by {@link secretStorageKey}. */
function profileIdOfKey(key: string): string | undefined {
  return /^cosUpload\.profile\.(.+)\.[A-Za-z]+$/.exec(key)?.[1];
}

function isProfile(value: unknown): value is BucketProfile {
  const p = value as BucketProfile;
  return typeof p === 'object' && p !== null && typeof p.id === 'string' && typeof p.name === 'string' && typeof p.bucket === 'string' && typeof p.region === 'string';
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
