/** How a request finds its handler: the target split into key and query, then the operation. */

import type * as http from 'node:http';
import * as bucket from './bucket';
import type { RequestContext } from './context';
import type { EmulatedOperation } from './faults';
import * as multipart from './multipart';
import * as objects from './objects';

export interface RequestTarget {
  pathname: string;
  key: string;
  query: Array<[string, string]>;
}

function decode(s: string): string {
  return decodeURIComponent(s);
}

/** Splits a request target into decoded path and query pairs; throws on bad percent-encoding. */
export function parseRequestTarget(rawUrl: string): RequestTarget {
  let url = rawUrl;
  if (/^https?:\/\//i.test(url)) {
    const u = new URL(url);
    url = u.pathname + u.search;
  }
  const q = url.indexOf('?');
  const rawPath = q >= 0 ? url.slice(0, q) : url;
  const rawQuery = q >= 0 ? url.slice(q + 1) : '';
  if (!rawPath.startsWith('/')) throw new Error('path must start with /');
  const pathname = decode(rawPath);
  const query: Array<[string, string]> = [];
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    query.push(eq < 0 ? [decode(piece), ''] : [decode(piece.slice(0, eq)), decode(piece.slice(eq + 1))]);
  }
  return { pathname, key: pathname.slice(1), query };
}

export function classify(method: string, key: string, query: ReadonlyArray<readonly [string, string]>, headers: http.IncomingHttpHeaders): EmulatedOperation {
  const has = (name: string): boolean => query.some(([k]) => k === name);
  switch (method) {
    case 'POST':
      if (has('uploads')) return 'initiate';
      if (has('uploadId')) return 'complete';
      return key === '' && has('delete') ? 'deleteMultiple' : 'unknown';
    case 'PUT':
      if (headers['x-cos-copy-source'] !== undefined) return 'unknown';
      if (has('partNumber') || has('uploadId')) return 'uploadPart';
      return key ? 'putObject' : 'unknown';
    case 'GET':
      if (key === '') return has('uploads') ? 'listUploads' : 'listObjects';
      return has('uploadId') ? 'listParts' : 'getObject';
    case 'HEAD':
      return key ? 'head' : 'headBucket';
    case 'DELETE':
      if (has('uploadId')) return 'abort';
      return key ? 'deleteObject' : 'unknown';
    default:
      return 'unknown';
  }
}

export const HANDLERS: Record<EmulatedOperation, (ctx: RequestContext) => Promise<void>> = {
  initiate: multipart.initiate,
  uploadPart: multipart.uploadPart,
  listParts: multipart.listParts,
  complete: multipart.complete,
  abort: multipart.abort,
  listUploads: multipart.listUploads,
  putObject: objects.putObject,
  head: objects.head,
  getObject: objects.getObject,
  deleteObject: objects.deleteObject,
  headBucket: bucket.headBucket,
  listObjects: bucket.listObjects,
  deleteMultiple: bucket.deleteMultiple,
  unknown: objects.unsupported,
};
