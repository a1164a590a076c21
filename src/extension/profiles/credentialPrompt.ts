import * as vscode from 'vscode';
import type { Credentials, CredentialSource } from '../../core';
import { describeError, refreshableCredentials } from '../../core';
import type { UploadLog } from '../ui/log';
import type { BucketProfile, ProfileSecrets, ProfileStore } from './profileStore';
import { ask, promptHooks } from '../ui/prompts';

function credentialsOf(secrets: ProfileSecrets): Credentials {
  return { secretId: secrets.secretId, secretKey: secrets.secretKey, ...(secrets.sessionToken ? { sessionToken: secrets.sessionToken } : {}) };
}

function sameCredentials(a: Credentials, b: Credentials): boolean {
  return a.secretId === b.secretId && a.secretKey === b.secretKey && (a.sessionToken ?? '') === (b.sessionToken ?? '');
}

/** Resolves with `work`'s value, or with undefined as soon as `signal` aborts (the upload was paused meanwhile). */
function unlessAborted<T>(work: Promise<T | undefined>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (!signal) return work;
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Temporary credentials that expire while an upload runs. Each upload gets a
 * {@link refreshableCredentials} source; when COS reports the expiry the core asks once (for all
 * parts in flight), and this:
 * 1. uses the profile's stored secrets if they changed since the upload read them (Edit Bucket
 *    Profile, or another upload's prompt), without asking;
 * 2. otherwise asks the user for new ones, once per profile however many uploads wait, and saves
 *    them to SecretStorage. Cancel leaves the uploads paused with their checkpoints: finished
 *    parts are never lost.
 */
export class CredentialRenewer {
  private readonly asking = new Map<string, Promise<Credentials | undefined>>();

  constructor(
    private readonly profiles: ProfileStore,
    private readonly log: UploadLog,
  ) {}

  /** The credential source for one upload, starting with the secrets it read at its start. */
  sourceFor(profile: BucketProfile, initial: ProfileSecrets): CredentialSource {
    const source = refreshableCredentials(credentialsOf(initial), (signal) => this.renew(profile, source.current(), signal));
    return source;
  }

  /** New credentials for `profile` to replace `expired`, or undefined (the upload pauses). */
  async renew(profile: BucketProfile, expired: Credentials, signal?: AbortSignal): Promise<Credentials | undefined> {
    if (signal?.aborted) return undefined;
    const stored = await this.profiles.getSecrets(profile.id);
    if (stored && !sameCredentials(credentialsOf(stored), expired)) {
      this.log.info(`credentials profile=${profile.name}: the temporary credentials expired; using the newer ones stored in the profile`);
      return credentialsOf(stored);
    }
    let pending = this.asking.get(profile.id);
    if (!pending) {
      pending = this.askUser(profile).finally(() => this.asking.delete(profile.id));
      this.asking.set(profile.id, pending);
    }
    return unlessAborted(pending, signal);
  }

  private async askUser(profile: BucketProfile): Promise<Credentials | undefined> {
    this.log.warn(`credentials profile=${profile.name}: the temporary credentials expired; uploads of this profile wait for new ones`);
    let fresh: Credentials | undefined;
    try {
      const hook = promptHooks().credentials;
      fresh = hook ? await hook({ profileId: profile.id, profileName: profile.name }) : await askForCredentials(profile);
    } catch (error) {
      this.log.error(`credentials profile=${profile.name}: asking for new credentials failed: ${describeError(error)}`);
      fresh = undefined;
    }
    if (!fresh) {
      this.log.warn(`credentials profile=${profile.name}: no new credentials entered; the uploads pause and keep their parts on COS`);
      return undefined;
    }
    for (const value of [fresh.secretId, fresh.secretKey, fresh.sessionToken]) this.log.addSecret(value);
    await this.profiles.updateSecrets(profile.id, { secretId: fresh.secretId, secretKey: fresh.secretKey, sessionToken: fresh.sessionToken ?? '' });
    this.log.info(`credentials profile=${profile.name}: new temporary credentials saved to the profile; the uploads continue`);
    return fresh;
  }
}

/**
 * "The temporary credentials of profile X expired": Enter New Credentials opens three masked input
 * boxes (SecretId, SecretKey, session token); Cancel, Escape or dismissing returns undefined.
 */
export async function askForCredentials(profile: BucketProfile): Promise<Credentials | undefined> {
  const enter = vscode.l10n.t('Enter New Credentials');
  const cancel = vscode.l10n.t('Cancel');
  const picked = await ask(
    'warning',
    vscode.l10n.t('The temporary credentials of bucket profile {0} expired. Uploads with it are waiting; the parts already sent are kept. Enter new credentials to continue, or cancel to pause them.', profile.name),
    {},
    enter,
    cancel,
  );
  if (picked !== enter) return undefined;
  return inputCredentials(profile);
}

/** Three masked input boxes: SecretId, SecretKey, session token. Escape in any returns undefined. */
export async function inputCredentials(profile: BucketProfile): Promise<Credentials | undefined> {
  const title = vscode.l10n.t('New temporary credentials for {0}', profile.name);
  const noSpaces = (what: string) => (v: string) => (v.trim() === '' ? vscode.l10n.t('Enter the {0}.', what) : /\s/.test(v.trim()) ? vscode.l10n.t('The {0} has no spaces.', what) : undefined);
  const secretId = await vscode.window.showInputBox({ title, prompt: vscode.l10n.t('SecretId of the temporary credentials.'), password: true, ignoreFocusOut: true, validateInput: noSpaces('SecretId') });
  if (secretId === undefined) return undefined;
  const secretKey = await vscode.window.showInputBox({ title, prompt: vscode.l10n.t('SecretKey of the temporary credentials.'), password: true, ignoreFocusOut: true, validateInput: noSpaces('SecretKey') });
  if (secretKey === undefined) return undefined;
  const sessionToken = await vscode.window.showInputBox({
    title,
    prompt: vscode.l10n.t('Session token of the temporary credentials; leave empty for permanent keys.'),
    password: true,
    ignoreFocusOut: true,
  });
  if (sessionToken === undefined) return undefined;
  return { secretId: secretId.trim(), secretKey: secretKey.trim(), ...(sessionToken.trim() ? { sessionToken: sessionToken.trim() } : {}) };
}
