import { createHash } from 'node:crypto';
import { CosClient, type Logger } from '../../core';
import type { BucketProfile, ProfileSecrets, ProfileStore } from './profileStore';
import { targetOf } from './profileStore';
import { readTransport } from '../settings/proxySettings';
import { sessionClockOptions } from './sessionClock';

/**
 * A client for the short calls outside an upload (Head Object, presigned URLs, Test Connection,
 * Abort, incomplete uploads), through VS Code's proxy settings. Close it when done: it holds a
 * connection pool.
 */
export function clientFor(profiles: ProfileStore, profile: BucketProfile, logger?: Logger): CosClient {
  return new CosClient({
    target: targetOf(profile),
    credentials: profiles.credentialSource(profile.id),
    logger,
    maxConnections: 4,
    transport: readTransport(),
    ...sessionClockOptions(profile.id),
  });
}

/** Runs `fn` with a client for `profile` and closes the client afterwards. */
export async function withClient<T>(profiles: ProfileStore, profile: BucketProfile, logger: Logger | undefined, fn: (client: CosClient) => Promise<T>): Promise<T> {
  const client = clientFor(profiles, profile, logger);
  try {
    return await fn(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * Headers a Head Object needs for this profile: COS answers a HEAD of an SSE-C object only when
 * the request carries the same customer key.
 */
export function headHeaders(profile: BucketProfile, secrets: ProfileSecrets | undefined): Record<string, string> {
  if (profile.encryption.type !== 'SSE-C' || !secrets?.sseCustomerKey) return {};
  const key = secrets.sseCustomerKey;
  return {
    'x-cos-server-side-encryption-customer-algorithm': 'AES256',
    'x-cos-server-side-encryption-customer-key': key,
    'x-cos-server-side-encryption-customer-key-md5': createHash('md5').update(Buffer.from(key, 'base64')).digest('base64'),
  };
}
