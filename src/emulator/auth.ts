/**
 * Server-side check of the COS "q-sign" signature (XML API, sha1), written from the spec and the
 * official Node SDK's `getAuth` — not from the client's signer, so a bug there cannot hide here.
 *
 *   SignKey       = hex HMAC-SHA1(SecretKey, KeyTime)
 *   HttpString    = lower(method) \n pathname \n params \n headers \n
 *   StringToSign  = "sha1" \n SignTime \n hex SHA1(HttpString) \n
 *   q-signature   = hex HMAC-SHA1(SignKey, StringToSign)
 *
 * `params` / `headers` are `lower(enc(name))=enc(value)` pairs sorted by name and joined with `&`,
 * restricted to the names the client listed in q-url-param-list / q-header-list.
 */

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Credentials the emulator accepts. */
export interface EmulatorCredentials {
  secretId: string;
  secretKey: string;
  sessionToken?: string;
}

/** How COS-like the "temporary credentials expired" answer is; see {@link AuthPolicy}. */
export type ExpiredTokenStyle = 'InvalidAccessKeyId' | 'ExpiredToken';

export interface AuthPolicy {
  credentials: EmulatorCredentials;
  /** SecretIds and session tokens that belonged to credentials since expired. */
  expiredSecretIds: ReadonlySet<string>;
  expiredTokens: ReadonlySet<string>;
  expiredTokenStyle: ExpiredTokenStyle;
  /** Server time in ms (already shifted by the emulated clock skew). */
  nowMs: number;
}

export interface AuthRequest {
  method: string;
  /** Decoded path, e.g. "/dir/a b.txt". */
  pathname: string;
  /** Decoded query pairs in order of appearance. */
  query: ReadonlyArray<readonly [string, string]>;
  headers: IncomingHttpHeaders;
}

export type AuthResult =
  | { ok: true; secretId: string; viaQuery: boolean }
  | { ok: false; status: number; code: string; message: string };

/** Largest allowed distance between the client's clock (Date, key start) and the server's. */
export const MAX_SKEW_SECONDS = 15 * 60;

/** encodeURIComponent plus the RFC 3986 reserved characters it leaves alone: !'()* */
export function cosUrlEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The fields of an Authorization header or of the q-* query parameters. */
const AUTH_FIELDS = ['q-sign-algorithm', 'q-ak', 'q-sign-time', 'q-key-time', 'q-header-list', 'q-url-param-list', 'q-signature'];

function parseAuthorization(value: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const piece of value.split('&')) {
    const eq = piece.indexOf('=');
    if (eq <= 0) continue;
    fields.set(piece.slice(0, eq).trim().toLowerCase(), piece.slice(eq + 1).trim());
  }
  return fields;
}

function parseWindow(value: string | undefined): [number, number] | undefined {
  const m = value ? /^(\d{1,12});(\d{1,12})$/.exec(value) : null;
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return start <= end ? [start, end] : undefined;
}

function splitList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(';')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}

function canonicalPairs(pairs: Array<[string, string]>): string {
  return pairs
    .map(([k, v]) => [cosUrlEncode(k).toLowerCase(), cosUrlEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

const deny = (status: number, code: string, message: string): AuthResult => ({ ok: false, status, code, message });

/** The answer COS gives to a request made with temporary credentials that have expired. */
export function expiredTokenError(style: ExpiredTokenStyle): { status: number; code: string; message: string } {
  return style === 'ExpiredToken'
    ? { status: 400, code: 'ExpiredToken', message: 'The provided token has expired.' }
    : { status: 403, code: 'InvalidAccessKeyId', message: 'The Access Key Id you provided does not exist in our records. (Temporary key expired.)' };
}

/** Verifies one request. Never throws; never echoes a secret in a message. */
export function verifyRequest(req: AuthRequest, policy: AuthPolicy): AuthResult {
  const header = headerValue(req.headers, 'authorization');
  let fields: Map<string, string>;
  let viaQuery = false;
  if (header) {
    fields = parseAuthorization(header);
  } else {
    fields = new Map();
    for (const [k, v] of req.query) {
      const lower = k.toLowerCase();
      if (AUTH_FIELDS.includes(lower)) fields.set(lower, v);
    }
    if (fields.size === 0) return deny(403, 'AccessDenied', 'Access Denied. The request carries no signature (Authorization header or q-signature).');
    viaQuery = true;
  }

  for (const name of AUTH_FIELDS) {
    if (!fields.get(name) && name !== 'q-url-param-list' && name !== 'q-header-list') {
      return deny(403, 'AccessDenied', `The Authorization is malformed, a field is missing: ${name}`);
    }
  }
  if (fields.get('q-sign-algorithm') !== 'sha1') {
    return deny(403, 'AccessDenied', `The Authorization is malformed, q-sign-algorithm must be sha1: ${fields.get('q-sign-algorithm')}`);
  }
  const keyTime = fields.get('q-key-time') as string;
  const signTime = fields.get('q-sign-time') as string;
  const keyWindow = parseWindow(keyTime);
  const signWindow = parseWindow(signTime);
  if (!keyWindow || !signWindow) {
    return deny(403, 'AccessDenied', `The Authorization is malformed, q-key-time and q-sign-time must be "start;end" in Unix seconds: ${keyTime}`);
  }

  const token = headerValue(req.headers, 'x-cos-security-token') ?? req.query.find(([k]) => k.toLowerCase() === 'x-cos-security-token')?.[1];
  const ak = fields.get('q-ak') as string;
  if (policy.expiredSecretIds.has(ak) || (token !== undefined && policy.expiredTokens.has(token))) {
    const e = expiredTokenError(policy.expiredTokenStyle);
    return deny(e.status, e.code, e.message);
  }
  const creds = policy.credentials;
  if (ak !== creds.secretId) {
    return deny(403, 'InvalidAccessKeyId', 'The Access Key Id you provided does not exist in our records.');
  }
  if (creds.sessionToken !== undefined && token !== creds.sessionToken) {
    // A temporary SecretId only exists together with its token.
    return deny(
      403,
      'InvalidAccessKeyId',
      token === undefined
        ? 'The Access Key Id you provided does not exist in our records. (Temporary credentials need x-cos-security-token.)'
        : 'The Access Key Id you provided does not exist in our records. (x-cos-security-token does not belong to this key.)',
    );
  }

  const nowSec = Math.floor(policy.nowMs / 1000);
  const dateHeader = headerValue(req.headers, 'date') ?? headerValue(req.headers, 'x-cos-date');
  if (dateHeader !== undefined) {
    const dateMs = Date.parse(dateHeader);
    if (Number.isNaN(dateMs)) return deny(403, 'AccessDenied', `The Date header could not be parsed: ${dateHeader}`);
    if (Math.abs(dateMs - policy.nowMs) > MAX_SKEW_SECONDS * 1000) {
      return deny(403, 'RequestTimeTooSkewed', "The difference between the request time and the server's time is too large.");
    }
  }
  if (keyWindow[0] > nowSec + MAX_SKEW_SECONDS || signWindow[0] > nowSec + MAX_SKEW_SECONDS) {
    return deny(403, 'RequestTimeTooSkewed', "The difference between the request time and the server's time is too large.");
  }
  if (keyWindow[1] < nowSec || signWindow[1] < nowSec) {
    return deny(403, 'AccessDenied', 'Request has expired');
  }

  const headerList = splitList(fields.get('q-header-list'));
  if (!headerList.includes('host')) {
    return deny(403, 'AccessDenied', 'The signature must cover the Host header: add host to q-header-list.');
  }
  const signedHeaders: Array<[string, string]> = [];
  for (const name of headerList) {
    const value = headerValue(req.headers, name);
    if (value === undefined) {
      return deny(403, 'SignatureDoesNotMatch', `A header listed in q-header-list is missing from the request: ${name}`);
    }
    signedHeaders.push([name, value]);
  }
  const paramList = new Set(splitList(fields.get('q-url-param-list')));
  const signedParams: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const [k, v] of req.query) {
    const encoded = cosUrlEncode(k).toLowerCase();
    if (paramList.has(encoded) && !seen.has(encoded)) {
      seen.add(encoded);
      signedParams.push([k, v]);
    }
  }
  for (const name of paramList) {
    if (!seen.has(name)) return deny(403, 'SignatureDoesNotMatch', `A parameter listed in q-url-param-list is missing from the URL: ${name}`);
  }

  const httpString = [req.method.toLowerCase(), req.pathname, canonicalPairs(signedParams), canonicalPairs(signedHeaders), ''].join('\n');
  const stringToSign = ['sha1', signTime, createHash('sha1').update(httpString, 'utf8').digest('hex'), ''].join('\n');
  const signKey = createHmac('sha1', creds.secretKey).update(keyTime).digest('hex');
  const expected = createHmac('sha1', signKey).update(stringToSign).digest('hex');
  const given = (fields.get('q-signature') as string).toLowerCase();
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    return deny(403, 'SignatureDoesNotMatch', 'The calculated signature does not match the signature you provided. Check your key and signing method.');
  }
  return { ok: true, secretId: ak, viaQuery };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlnum(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (const b of bytes) s += ALNUM[b % ALNUM.length];
  return s;
}

/** Fresh test credentials: AKIDEMULATOR + random, as long as a real SecretId (36). */
export function generateCredentials(temporary = false): EmulatorCredentials {
  const creds: EmulatorCredentials = { secretId: `AKIDEMULATOR${randomAlnum(24)}`, secretKey: randomAlnum(32) };
  if (temporary) creds.sessionToken = `emulator-token-${randomAlnum(48)}`;
  return creds;
}
