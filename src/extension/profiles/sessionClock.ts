import type { ClientEvents } from '../../core';

/**
 * Server time minus local time per bucket profile, as the last request of this session measured
 * it (Test Connection, a Head Object, an upload). Every later client of that profile starts
 * signing with it, so a skewed clock is corrected once per session, not once per request.
 */
const offsets = new Map<string, number>();

export function sessionClockOffset(profileId: string): number | undefined {
  return offsets.get(profileId);
}

export function rememberClockOffset(profileId: string, offsetMs: number): void {
  offsets.set(profileId, offsetMs);
}

/** Client options that start from the profile's measured offset and keep it up to date. */
export function sessionClockOptions(profileId: string): { clockOffsetMs?: number; events: ClientEvents } {
  const clockOffsetMs = sessionClockOffset(profileId);
  return {
    ...(clockOffsetMs === undefined ? {} : { clockOffsetMs }),
    events: { onClockCorrected: (offsetMs) => rememberClockOffset(profileId, offsetMs) },
  };
}
