/**
 * Where requests go, and the checks that keep a bad bucket, region, key or endpoint from ever
 * reaching the network. Every check throws a ConfigError naming the value and the rule it broke.
 */

import { isIP } from 'node:net';
import { ConfigError } from './errors';
import { cosUriEncode } from './signer';
import type { BucketTarget } from './types';

/**
 * COS limits the whole default domain (`<bucket>.cos.<region>.myqcloud.com`) to 60 characters.
 * Older buckets may predate that rule, so only the bucket itself is held to 60 here and COS has
 * the last word on the rest.
 */
const MAX_BUCKET_LENGTH = 60;
const MAX_REGION_LENGTH = 50;
/** COS limit on object keys, in UTF-8 bytes. */
const MAX_KEY_BYTES = 850;
/** How much of a rejected value a message quotes. */
const MAX_QUOTED_LENGTH = 120;

const BUCKET_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]+$/;
const REGION_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The public COS regions, for pickers. Regions missing here are still accepted when well-formed. */
export const COS_REGIONS: ReadonlyArray<{ id: string; label: string }> = Object.freeze([
  { id: 'ap-beijing', label: 'China (Beijing)' },
  { id: 'ap-nanjing', label: 'China (Nanjing)' },
  { id: 'ap-shanghai', label: 'China (Shanghai)' },
  { id: 'ap-guangzhou', label: 'China (Guangzhou)' },
  { id: 'ap-chengdu', label: 'China (Chengdu)' },
  { id: 'ap-chongqing', label: 'China (Chongqing)' },
  { id: 'ap-hongkong', label: 'China (Hong Kong)' },
  { id: 'ap-singapore', label: 'Singapore' },
  { id: 'ap-jakarta', label: 'Indonesia (Jakarta)' },
  { id: 'ap-bangkok', label: 'Thailand (Bangkok)' },
  { id: 'ap-seoul', label: 'South Korea (Seoul)' },
  { id: 'ap-tokyo', label: 'Japan (Tokyo)' },
  { id: 'na-siliconvalley', label: 'US West (Silicon Valley)' },
  { id: 'na-ashburn', label: 'US East (Virginia)' },
  { id: 'sa-saopaulo', label: 'Brazil (São Paulo)' },
  { id: 'eu-frankfurt', label: 'Germany (Frankfurt)' },
].map((region) => Object.freeze(region)));

/**
 * `<name>-<appid>`: name of lowercase letters, digits and hyphens, not starting or ending with a
 * hyphen; appid of digits; 60 characters at most.
 */
export function validateBucket(bucket: string): void {
  const rule = 'Use <name>-<appid>, lowercase letters, digits and hyphens, e.g. examplebucket-1250000000';
  if (typeof bucket !== 'string' || bucket === '') throw new ConfigError('bucket', `Bucket name is empty. ${rule}.`);
  if (!BUCKET_PATTERN.test(bucket)) throw new ConfigError('bucket', `Bucket name is invalid: ${quote(bucket)}. ${rule}.`);
  if (bucket.length > MAX_BUCKET_LENGTH) {
    throw new ConfigError('bucket', `Bucket name is longer than ${MAX_BUCKET_LENGTH} characters: ${quote(bucket)}. ${rule}.`);
  }
}

/** A region ID such as ap-guangzhou: lowercase letters and digits in hyphen-separated groups. */
export function validateRegion(region: string): void {
  const rule = 'Use a COS region ID such as ap-guangzhou: lowercase letters, digits and single hyphens';
  if (typeof region !== 'string' || region === '') throw new ConfigError('region', `Region is empty. ${rule}.`);
  if (region === 'accelerate') {
    throw new ConfigError('region', 'Region cannot be "accelerate": give the bucket\'s own region and turn on global acceleration instead.');
  }
  if (!REGION_PATTERN.test(region) || region.length > MAX_REGION_LENGTH) {
    throw new ConfigError('region', `Region is invalid: ${quote(region)}. ${rule}.`);
  }
}

/**
 * Object keys we are willing to upload to. COS itself is more permissive; these rules refuse keys
 * that would be rewritten or misread on the way:
 * - non-empty, at most 850 bytes of UTF-8 (the COS limit), valid Unicode;
 * - no control characters (COS lists them as unsafe; many tools cannot show or type them);
 * - no leading '/' (the key would start with an empty segment and COS tools disagree on it);
 * - no '.' or '..' segments (URL parsers and proxies collapse them, so the request would reach a
 *   different key than the one signed);
 * - no trailing '/' (COS shows such an object as a folder, not as the file).
 */
export function validateObjectKey(key: string): void {
  const fail = (problem: string) => new ConfigError('key', `Object key ${problem}`);
  if (typeof key !== 'string' || key === '') throw fail('is empty: give the file a name in the bucket.');
  if (LONE_SURROGATE.test(key)) throw fail(`is not valid Unicode (it contains a lone surrogate): ${quote(key)}`);
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) throw fail(`is ${bytes} bytes of UTF-8, more than the ${MAX_KEY_BYTES} COS allows: ${quote(key)}`);
  const control = /\p{Cc}/u.exec(key);
  if (control) {
    const code = control[0].codePointAt(0) ?? 0;
    throw fail(`contains the control character U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${control.index}: ${quote(key)}`);
  }
  if (key.startsWith('/')) throw fail(`must not start with "/": ${quote(key)}`);
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw fail(`must not contain "." or ".." path segments, which URLs rewrite: ${quote(key)}`);
  }
  if (key.endsWith('/')) throw fail(`must not end with "/", which COS shows as a folder: ${quote(key)}`);
}

/**
 * A custom endpoint: an http(s) origin such as https://cos.example.com or http://127.0.0.1:9000,
 * without path, query, fragment or user name and password.
 */
export function validateEndpoint(endpoint: string): URL {
  const rule = 'Use an http or https origin such as https://cos.example.com or http://127.0.0.1:9000';
  if (typeof endpoint !== 'string' || endpoint.trim() === '') throw new ConfigError('endpoint', `Endpoint is empty. ${rule}.`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError('endpoint', `Endpoint is not a URL: ${quote(redactUserInfo(endpoint))}. ${rule}.`);
  }
  const shown = quote(redactUserInfo(endpoint));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('endpoint', `Endpoint must use http or https, not ${url.protocol.slice(0, -1)}: ${shown}. ${rule}.`);
  }
  if (url.username || url.password) {
    throw new ConfigError('endpoint', `Endpoint must not contain a user name or password (credentials belong in the profile): ${shown}.`);
  }
  if (url.hostname === '') throw new ConfigError('endpoint', `Endpoint has no host name: ${shown}. ${rule}.`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[?#]/.test(endpoint)) {
    throw new ConfigError('endpoint', `Endpoint must be an origin without path, query or fragment: ${shown}. ${rule}.`);
  }
  return url;
}

export interface ResolvedEndpoint {
  /** Scheme, host and port, e.g. https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com. */
  origin: string;
  /** Host header value. */
  host: string;
}

/**
 * The origin requests for a bucket go to: the custom endpoint when set, else the global
 * acceleration domain when `accelerate`, else the bucket's default regional domain.
 * Validates bucket, region and endpoint first.
 */
export function resolveEndpoint(target: BucketTarget): ResolvedEndpoint {
  validateBucket(target.bucket);
  validateRegion(target.region);
  if (target.endpoint !== undefined && target.endpoint !== '') {
    const url = validateEndpoint(target.endpoint);
    return { origin: url.origin, host: url.host };
  }
  const host = target.accelerate ? `${target.bucket}.cos.accelerate.myqcloud.com` : `${target.bucket}.cos.${target.region}.myqcloud.com`;
  return { origin: `https://${host}`, host };
}

/**
 * The request path for a key: '/' + key with each segment percent-encoded and the '/' separators
 * kept. The signer takes the decoded form ('/' + key); COS decodes this one back to it.
 */
export function objectPath(key: string): string {
  return `/${key.split('/').map(cosUriEncode).join('/')}`;
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped loopback) and localhost; brackets and a trailing dot allowed. */
export function isLoopbackHost(hostname: string): boolean {
  let host = hostname.trim().toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) {
    // Let URL bring the address to one canonical form: ::1, or ::ffff:7fxx:xxxx for 127.x.x.x.
    // It refuses zone ids (fe80::1%eth0), which are never loopback anyway.
    if (!URL.canParse(`http://[${host}]/`)) return false;
    const canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1);
    return canonical === '::1' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(canonical);
  }
  return false;
}

/** A value for a message: JSON-quoted (control characters visible), cut when long. */
function quote(value: string): string {
  const chars = [...value];
  return JSON.stringify(chars.length > MAX_QUOTED_LENGTH ? `${chars.slice(0, MAX_QUOTED_LENGTH).join('')}…` : value);
}

/**
 * Hides everything between the scheme and the last '@', so a mistyped endpoint never echoes a
 * `user:password@` part, however malformed the rest is.
 */
function redactUserInfo(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/i, '$1***@');
}
