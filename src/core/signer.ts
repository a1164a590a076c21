/**
 * COS request signing, `q-sign-algorithm=sha1` (https://cloud.tencent.com/document/product/436/7778).
 * Byte-compatible with the official Node SDK's `getAuth` (cos-nodejs-sdk-v5 sdk/util.js) for every
 * request this uploader sends; test/unit/signer.test.ts cross-checks the two on random inputs.
 *
 * Choices, where the SDKs differ or the docs are silent:
 * - Signed headers: host, content-length, content-md5, content-type and every x-cos-* header: what
 *   binds the body, the bucket and the COS options to the signature. The Node SDK signs these too,
 *   plus a few that need no protection here (cache-control, content-disposition, range, if-*, ...).
 * - Pairs are sorted by their encoded, lowercased name. The Node SDK sorts the pair string by the
 *   raw name; the two orders only differ for names with characters outside A–Z a–z 0–9 - _ . ~,
 *   which no COS parameter or header has.
 * - x-cos-security-token is an x-cos-* header, so it is signed when the caller passes it in
 *   `headers` (what the Go SDK does). Callers using temporary credentials must pass it there and
 *   send the same value; COS also accepts it unsigned, but signing it is the stricter choice.
 * - Header values are signed exactly as given, not trimmed, like the Node SDK: callers must not
 *   send values with leading or trailing spaces (HTTP would strip them and the signature would
 *   no longer match).
 * - `undefined` values are left out of the signature (the Node SDK signs them as ""): an absent
 *   header is simply not sent.
 */

import { createHash, createHmac } from 'node:crypto';
import { CosError } from './errors';
import type { Credentials } from './types';

export interface SignableRequest {
  /** HTTP method, any case. */
  method: string;
  /** Decoded path, starts with '/', e.g. '/dir/a b.txt'. */
  pathname: string;
  /** Query parameters sent with the request; every one of them is signed. */
  query?: Record<string, string | undefined>;
  /** Request headers; the ones {@link headersToSign} picks are signed. */
  headers?: Record<string, string | undefined>;
}

export interface SignOptions {
  credentials: Credentials;
  /** ms since epoch, already clock-offset-corrected; default Date.now(). */
  nowMs?: number;
  /** Key-time window length in seconds, default 900; the window starts one second before now, like the SDK. */
  expiresSeconds?: number;
}

const DEFAULT_EXPIRES_SECONDS = 900;

/** Headers signed besides x-cos-*: the ones COS needs to bind the body and the bucket to the signature. */
const SIGNED_PLAIN_HEADERS: ReadonlySet<string> = new Set(['host', 'content-length', 'content-md5', 'content-type']);

/** The fields of a computed signature, before they are joined into a header or a query string. */
interface Signature {
  accessKeyId: string;
  keyTime: string;
  headerList: string;
  urlParamList: string;
  signature: string;
}

/**
 * The `Authorization` header value for a request.
 * @throws CosError INVALID_ARGUMENT when the credentials are empty, the window is not a positive
 *   whole number of seconds, a name appears twice with different case, or a value is not valid Unicode.
 */
export function signAuthorization(req: SignableRequest, opts: SignOptions): string {
  const s = computeSignature(req, opts);
  return [
    'q-sign-algorithm=sha1',
    `q-ak=${s.accessKeyId}`,
    `q-sign-time=${s.keyTime}`,
    `q-key-time=${s.keyTime}`,
    `q-header-list=${s.headerList}`,
    `q-url-param-list=${s.urlParamList}`,
    `q-signature=${s.signature}`,
  ].join('&');
}

/**
 * The same signature as a query string for a presigned URL:
 * "q-sign-algorithm=sha1&...&q-signature=..." plus "&x-cos-security-token=..." when the
 * credentials carry a session token. Append the request's own query parameters after it.
 *
 * Matches the SDK's `getObjectUrl`: q-url-param-list is URL-encoded once more (COS decodes the
 * query before comparing it with the list it computes), the token is URL-encoded and not signed.
 */
export function presignQuery(req: SignableRequest, opts: SignOptions): string {
  const s = computeSignature(req, opts);
  const parts = [
    'q-sign-algorithm=sha1',
    `q-ak=${cosUriEncode(s.accessKeyId)}`,
    `q-sign-time=${s.keyTime}`,
    `q-key-time=${s.keyTime}`,
    `q-header-list=${s.headerList}`,
    `q-url-param-list=${encodeURIComponent(s.urlParamList).toLowerCase()}`,
    `q-signature=${s.signature}`,
  ];
  const token = opts.credentials.sessionToken;
  if (token) parts.push(`x-cos-security-token=${cosUriEncode(token)}`);
  return parts.join('&');
}

/**
 * Which headers we sign: host, content-length, content-md5, content-type, and every x-cos-* header.
 * Returns them with lowercased names; `undefined` values are skipped, other values kept as given.
 */
export function headersToSign(headers: Record<string, string | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of definedEntries(headers, 'Header')) {
    if (SIGNED_PLAIN_HEADERS.has(name) || name.startsWith('x-cos-')) picked[name] = value;
  }
  return picked;
}

/** encodeURIComponent plus `!'()*`: everything except A–Z a–z 0–9 - _ . ~ is percent-encoded. */
export function cosUriEncode(value: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch (error) {
    // A lone UTF-16 surrogate has no UTF-8 form; the value itself is not echoed (it may be a header).
    throw new CosError('INVALID_ARGUMENT', 'A value to sign or send is not valid Unicode: it contains a lone surrogate.', {
      cause: error,
    });
  }
  return encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function computeSignature(req: SignableRequest, opts: SignOptions): Signature {
  const { secretId, secretKey } = opts.credentials;
  if (!secretId || !secretKey) {
    throw new CosError('INVALID_ARGUMENT', 'Cannot sign a request without a SecretId and a SecretKey: add credentials to the profile.');
  }
  const keyTime = keyTimeWindow(opts.nowMs ?? Date.now(), opts.expiresSeconds ?? DEFAULT_EXPIRES_SECONDS);

  const params = canonicalPairs(definedEntries(req.query ?? {}, 'Query parameter'));
  const headers = canonicalPairs(Object.entries(headersToSign(req.headers ?? {})));

  const httpString = [
    req.method.toLowerCase(),
    req.pathname,
    params.map(([k, v]) => `${k}=${v}`).join('&'),
    headers.map(([k, v]) => `${k}=${v}`).join('&'),
    '',
  ].join('\n');
  const stringToSign = ['sha1', keyTime, sha1Hex(httpString), ''].join('\n');
  const signKey = hmacSha1Hex(secretKey, keyTime);

  return {
    accessKeyId: secretId,
    keyTime,
    headerList: headers.map(([k]) => k).join(';'),
    urlParamList: params.map(([k]) => k).join(';'),
    signature: hmacSha1Hex(signKey, stringToSign),
  };
}

/** "start;end" in Unix seconds. Start is one second in the past, as in the SDK, to absorb rounding. */
function keyTimeWindow(nowMs: number, expiresSeconds: number): string {
  if (!Number.isFinite(nowMs)) {
    throw new CosError('INVALID_ARGUMENT', `The signing time must be a finite number of milliseconds: ${String(nowMs)}`);
  }
  if (!Number.isSafeInteger(expiresSeconds) || expiresSeconds <= 0) {
    throw new CosError('INVALID_ARGUMENT', `The signature lifetime must be a positive whole number of seconds: ${String(expiresSeconds)}`);
  }
  const start = Math.round(nowMs / 1000) - 1;
  return `${start};${start + expiresSeconds}`;
}

/**
 * Lowercased names with their values, skipping undefined. Two spellings of one name would make the
 * signed request ambiguous, so that is refused rather than resolved silently.
 */
function definedEntries(record: Record<string, string | undefined>, what: string): Array<[string, string]> {
  const seen = new Set<string>();
  const entries: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (seen.has(lower)) {
      throw new CosError('INVALID_ARGUMENT', `${what} is given twice with different letter case: ${lower}`);
    }
    seen.add(lower);
    entries.push([lower, value]);
  }
  return entries;
}

/** `lower(encode(key)) = encode(value)`, sorted by the encoded key. */
function canonicalPairs(entries: Array<[string, string]>): Array<[string, string]> {
  return entries
    .map(([k, v]): [string, string] => [cosUriEncode(k).toLowerCase(), cosUriEncode(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function sha1Hex(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

function hmacSha1Hex(key: string, text: string): string {
  return createHmac('sha1', key).update(text, 'utf8').digest('hex');
}
