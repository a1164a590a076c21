import { createHash } from 'node:crypto';
import { contentTypeForKey } from './contentType';
import { ruleHeadersForKey } from './objectHeaderRules';
import type { ServerSideEncryption, UploadOptions } from './types';

export type HeaderMap = Record<string, string>;

/** SSE-C must be repeated on Initiate, every Upload Part and Put Object; the others only on the object-creating call. */
export function sseHeaders(sse: ServerSideEncryption, on: 'object' | 'part'): HeaderMap {
  switch (sse.type) {
    case 'SSE-COS':
      return on === 'object' ? { 'x-cos-server-side-encryption': 'AES256' } : {};
    case 'SSE-KMS': {
      if (on === 'part') return {};
      const headers: HeaderMap = { 'x-cos-server-side-encryption': 'cos/kms' };
      if (sse.kmsKeyId) headers['x-cos-server-side-encryption-cos-kms-key-id'] = sse.kmsKeyId;
      if (sse.context) headers['x-cos-server-side-encryption-context'] = sse.context;
      return headers;
    }
    case 'SSE-C':
      return {
        'x-cos-server-side-encryption-customer-algorithm': 'AES256',
        'x-cos-server-side-encryption-customer-key': sse.key,
        'x-cos-server-side-encryption-customer-key-md5': createHash('md5').update(Buffer.from(sse.key, 'base64')).digest('base64'),
      };
    default:
      return {};
  }
}

/** Headers that describe the object: sent on Initiate Multipart Upload or on Put Object. */
export function objectHeaders(key: string, options: UploadOptions): HeaderMap {
  const headers: HeaderMap = { ...sseHeaders(options.sse, 'object') };
  if (options.forbidOverwrite) headers['x-cos-forbid-overwrite'] = 'true';
  return { ...headers, ...describingHeaders(key, options) };
}

/**
 * The headers a user chooses for an object (type, storage class, metadata, tagging, rule headers;
 * rules win, being per glob): what a sync compares with Head Object to find drifted headers.
 */
export function describingHeaders(key: string, options: UploadOptions): HeaderMap {
  const headers: HeaderMap = { 'content-type': options.contentType ?? contentTypeForKey(key) };
  if (options.storageClass) headers['x-cos-storage-class'] = options.storageClass;
  for (const [name, value] of Object.entries(options.metadata ?? {})) {
    headers[`x-cos-meta-${name.toLowerCase()}`] = value;
  }
  if (options.tagging) headers['x-cos-tagging'] = options.tagging;
  return { ...headers, ...ruleHeadersForKey(key, options.headerRules) };
}

/** Headers every Upload Part carries besides Content-MD5 and Content-Length. */
export function partHeaders(options: UploadOptions): HeaderMap {
  const headers: HeaderMap = { ...sseHeaders(options.sse, 'part') };
  if (options.trafficLimit !== undefined) headers['x-cos-traffic-limit'] = String(options.trafficLimit);
  if (options.partSizeMax !== undefined) headers['x-cos-psize-max'] = String(options.partSizeMax);
  if (options.partSizeMin !== undefined) headers['x-cos-psize-min'] = String(options.partSizeMin);
  return headers;
}

/** Part-count guards go on Complete. */
export function completeHeaders(options: UploadOptions): HeaderMap {
  const headers: HeaderMap = {};
  if (options.partCountMax !== undefined) headers['x-cos-pnum-max'] = String(options.partCountMax);
  if (options.partCountMin !== undefined) headers['x-cos-pnum-min'] = String(options.partCountMin);
  return headers;
}
