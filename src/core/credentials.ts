import type { Credentials, CredentialSource } from './types';

/** Credentials that never change (long-term keys, or a session token the caller refreshes itself). */
export function staticCredentials(credentials: Credentials): CredentialSource {
  return { get: () => Promise.resolve(credentials) };
}

/**
 * Credentials that can be swapped while an upload runs: `refresh` asks `renew` (a prompt, an STS
 * call) once per expiry; undefined from `renew` leaves the upload paused with CREDENTIALS_EXPIRED.
 */
export function refreshableCredentials(
  initial: Credentials,
  renew: (signal?: AbortSignal) => Promise<Credentials | undefined>,
): CredentialSource & { current(): Credentials } {
  let current = initial;
  let renewing: Promise<Credentials | undefined> | undefined;
  return {
    get: () => Promise.resolve(current),
    current: () => current,
    refresh: async (signal) => {
      // Parts in flight all see the expiry at once; ask the user (or STS) only once.
      renewing ??= renew(signal).finally(() => {
        renewing = undefined;
      });
      const fresh = await renewing;
      if (fresh) current = fresh;
      return fresh;
    },
  };
}
