/**
 * Content-Type from the object key. Apart from the header rules so that parsing them (the CLI's
 * argument parser) does not load the MIME table.
 */

import { lookup } from 'mime-types';

/** Text types get an explicit charset, so browsers do not guess the encoding of the object. */
const CHARSET_TYPES = /^(text\/.+|application\/(javascript|json|xml))$/;

/** The Content-Type for a key: mime-types' lookup, with `; charset=utf-8` for text types. */
export function contentTypeForKey(key: string): string {
  const type = lookup(key);
  if (!type) return 'application/octet-stream';
  return CHARSET_TYPES.test(type) ? `${type}; charset=utf-8` : type;
}
