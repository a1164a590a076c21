/**
 * Object headers by glob: `cosUpload.headers` ({glob, headers} entries) and the CLI's
 * `--header 'GLOB:Name: value'`, checked before any request. Also the Content-Type derived from
 * the key, and the x-cos-tagging syntax. Pure: no I/O.
 */

import { InvalidHeaderError } from './errors';
import { globToRegex } from './gitignore';
import { expandBraces } from './excludeGlobs';
import { STORAGE_CLASSES } from './options';

/** Headers set on the objects whose key matches `glob`; names are lower-case once validated. */
export interface HeaderRule {
  glob: string;
  headers: Record<string, string>;
}

/** The headers a rule may set; x-cos-meta-* is allowed by prefix. */
export const RULE_HEADER_NAMES: readonly string[] = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
  'x-cos-storage-class',
  'x-cos-tagging',
];

const META_PREFIX = 'x-cos-meta-';
// RFC 9110 token characters.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// COS keeps header values as printable ASCII; anything else must be encoded (RFC 5987 for file names).
const PRINTABLE = /^[\x20-\x7e]*$/;
const MAX_TAGS = 10;

/** Checks one header and returns its lower-case name and trimmed value; `source` names where it came from. */
export function validateRuleHeader(name: string, value: string, source: string): [string, string] {
  const lower = name.trim().toLowerCase();
  if (!TOKEN.test(lower)) throw new InvalidHeaderError(name, `${source}: "${name}" is not a valid header name (letters, digits and -!#$%&'*+.^_\`|~ only).`);
  if (!RULE_HEADER_NAMES.includes(lower) && !lower.startsWith(META_PREFIX)) {
    throw new InvalidHeaderError(name, `${source}: ${name} cannot be set by a header rule. Use Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires, x-cos-meta-*, x-cos-storage-class or x-cos-tagging.`);
  }
  if (/[\r\n]/.test(value)) throw new InvalidHeaderError(name, `${source}: the value of ${name} contains a line break: remove it.`);
  const trimmed = value.trim();
  if (!PRINTABLE.test(trimmed)) {
    throw new InvalidHeaderError(name, `${source}: the value of ${name} must be printable ASCII; percent-encode other characters (RFC 5987 filename* for Content-Disposition).`);
  }
  if (lower.startsWith(META_PREFIX) && !/^[a-z0-9-]+$/.test(lower.slice(META_PREFIX.length))) {
    throw new InvalidHeaderError(name, `${source}: metadata names may use only letters, digits and hyphens after x-cos-meta-: ${name}`);
  }
  if (lower === 'x-cos-storage-class' && !STORAGE_CLASSES.includes(trimmed.toUpperCase())) {
    throw new InvalidHeaderError(name, `${source}: x-cos-storage-class must be one of ${STORAGE_CLASSES.join(', ')}: ${trimmed}`);
  }
  if (lower === 'x-cos-tagging') validateTagging(trimmed, source);
  if (lower === 'expires' && Number.isNaN(Date.parse(trimmed))) {
    throw new InvalidHeaderError(name, `${source}: Expires takes an HTTP date such as "Wed, 21 Oct 2026 07:28:00 GMT": ${trimmed}`);
  }
  if (trimmed === '') throw new InvalidHeaderError(name, `${source}: ${name} has an empty value: give one or leave the header out.`);
  return [lower, lower === 'x-cos-storage-class' ? trimmed.toUpperCase() : trimmed];
}

/** x-cos-tagging is a URL query (`k1=v1&k2=v2`): up to 10 tags, keys 1-128 characters, values up to 256, no key twice. */
export function validateTagging(tagging: string, source: string): string {
  const keys = new Set<string>();
  const pairs = tagging.split('&');
  if (pairs.length > MAX_TAGS) throw new InvalidHeaderError('x-cos-tagging', `${source}: an object takes at most ${MAX_TAGS} tags: ${pairs.length} given.`);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    } catch {
      throw new InvalidHeaderError('x-cos-tagging', `${source}: tags are key=value pairs joined by &, percent-encoded: ${pair}`);
    }
    if (eq < 0 || key.length < 1 || key.length > 128 || value.length > 256) {
      throw new InvalidHeaderError('x-cos-tagging', `${source}: each tag is key=value, the key 1 to 128 characters and the value at most 256: ${pair}`);
    }
    if (keys.has(key)) throw new InvalidHeaderError('x-cos-tagging', `${source}: the tag key ${key} is given twice.`);
    keys.add(key);
  }
  return tagging;
}

/** Validates settings or checkpoint content: a list of {glob, headers}; returns the rules with lower-case names. */
export function validateHeaderRules(rules: unknown, source: string): HeaderRule[] {
  if (rules === undefined || rules === null) return [];
  if (!Array.isArray(rules)) throw new InvalidHeaderError('', `${source} must be a list of {"glob": ..., "headers": {...}} entries.`);
  return rules.map((rule: unknown, index) => {
    const where = `${source}[${index}]`;
    const r = rule as Partial<HeaderRule> | null;
    if (typeof r !== 'object' || r === null || typeof r.glob !== 'string' || r.glob.trim() === '' || typeof r.headers !== 'object' || r.headers === null) {
      throw new InvalidHeaderError('', `${where} needs a non-empty "glob" and a "headers" object.`);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(r.headers)) {
      if (typeof value !== 'string') throw new InvalidHeaderError(name, `${where}: the value of ${name} must be a string.`);
      const [lower, clean] = validateRuleHeader(name, value, where);
      headers[lower] = clean;
    }
    return { glob: r.glob.trim(), headers };
  });
}

/** `GLOB:Name: value` (the CLI's --header); the value may itself hold colons (Expires dates do). */
export function parseHeaderFlag(text: string): HeaderRule {
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  if (first <= 0 || second < 0) {
    throw new InvalidHeaderError('', `--header takes 'GLOB:Name: value', e.g. '**/*.html:Cache-Control: no-cache': ${text}`);
  }
  const glob = text.slice(0, first).trim();
  if (glob === '') throw new InvalidHeaderError('', `--header needs a glob before the first colon: ${text}`);
  const [name, value] = validateRuleHeader(text.slice(first + 1, second), text.slice(second + 1), '--header');
  return { glob, headers: { [name]: value } };
}

/**
 * Whether a glob matches a key: a glob without "/" matches the file name at any depth (`*.html`),
 * one with "/" the whole key from the bucket root (`site/**\/*.css`). Braces are expanded.
 */
export function globMatchesKey(glob: string, key: string): boolean {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return expandBraces(glob.replace(/^\/+/, '')).some((g) => {
    const re = new RegExp(`^${globToRegex(g)}$`);
    return g.includes('/') ? re.test(key) : re.test(name);
  });
}

/** The rule headers for one key: every matching rule in order, later rules winning per header. */
export function ruleHeadersForKey(key: string, rules: readonly HeaderRule[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const rule of rules ?? []) if (globMatchesKey(rule.glob, key)) Object.assign(headers, rule.headers);
  return headers;
}
