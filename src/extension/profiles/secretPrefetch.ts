import type { ProfileStore } from './profileStore';

/**
 * Starts reading the secrets of the profile an upload command will most likely use, before the
 * command bundle loads and while the user picks a file: the SecretStorage round trip then overlaps
 * time that is spent anyway. Loaded at activation, so it reads only what the arguments say.
 */
export function prefetchUploadSecrets(profiles: ProfileStore, first: unknown): void {
  const id = likelyUploadProfileId(profiles, first);
  if (id !== undefined) profiles.prefetchSecrets(id);
}

/**
 * The profile named in the arguments (`{ profile }` of the upload command, or a COS view node);
 * otherwise the last used one, which the profile pick offers first; otherwise the only one.
 */
function likelyUploadProfileId(profiles: ProfileStore, first: unknown): string | undefined {
  const named = typeof first === 'object' && first !== null ? (first as { profile?: unknown }).profile : undefined;
  if (typeof named === 'string') return profiles.find(named)?.id;
  const all = profiles.list();
  const lastUsed = profiles.lastUsedId();
  if (lastUsed !== undefined && all.some((p) => p.id === lastUsed)) return lastUsed;
  return all.length === 1 ? all[0].id : undefined;
}
