/**
 * Reading COS XML answers safely: one lazily loaded fast-xml-parser, a well-formedness check
 * before parsing (the parser accepts truncated documents), the expected root, and typed fields.
 * Everything either returns checked values or throws a CosError with code BAD_RESPONSE naming
 * the operation that answered. The multipart answers are in xml.ts, the bucket listing and
 * Delete Multiple answers in bucketListing.ts.
 *
 * fast-xml-parser is used with:
 * - parseTagValue off: keys like "0123" or "1e5" and ETags stay strings;
 * - trimValues off: object keys may start or end with spaces; fields we know cannot (ids, ETags,
 *   numbers) are trimmed by the callers instead;
 * - its own entity handling off: we decode the five XML entities and numeric character references
 *   ourselves, once, and DOCTYPE-declared entities are never expanded;
 * - isArray for the elements that may repeat, so one element and many look the same;
 * - a validation pass first, because the parser itself accepts truncated documents.
 */

import type { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CosError } from './errors';

export interface CosErrorDocument {
  code?: string;
  message?: string;
  requestId?: string;
  traceId?: string;
  resource?: string;
}


/** Error messages from COS are short; anything longer is cut so a hostile body cannot flood a log. */
const MAX_ERROR_FIELD_LENGTH = 500;
export const ENDPOINT_HINT = 'check that the endpoint is a COS endpoint';

export type XmlNode = Record<string, unknown>;

/** Elements of the bucket listing and Delete Multiple answers that may repeat (bucketListing.ts). */
const REPEATED_PATHS = new Set(['ListBucketResult.Contents', 'ListBucketResult.CommonPrefixes', 'DeleteResult.Deleted', 'DeleteResult.Error']);

let xml: { parser: XMLParser; validator: typeof XMLValidator } | undefined;

/**
 * The parser, loaded on the first XML answer: a single PUT that succeeds reads none, and a short
 * CLI run then never evaluates the library.
 */
function xmlLibrary(): { parser: XMLParser; validator: typeof XMLValidator } {
  if (xml) return xml;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above.
  const lib = require('fast-xml-parser') as typeof import('fast-xml-parser');
  xml = { parser: new lib.XMLParser(PARSER_OPTIONS), validator: lib.XMLValidator };
  return xml;
}

const PARSER_OPTIONS: ConstructorParameters<typeof XMLParser>[0] = {
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: false,
  isArray: (tagName, jPath) => tagName === 'Part' || tagName === 'Upload' || REPEATED_PATHS.has(String(jPath)),
  tagValueProcessor: (_tagName, value) => decodeXmlText(value),
};

/**
 * The fields of a COS `<Error>` document, or undefined when the body is not one (HTML, empty, other
 * XML). Never throws. Lenient on purpose: a truncated error body still yields the fields it has.
 */
export function parseErrorDocument(body: string): CosErrorDocument | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    return errorDocumentOf(xmlLibrary().parser.parse(stripPrologue(body)) as XmlNode);
  } catch {
    return undefined;
  }
}



/** Characters XML 1.0 does not allow, including lone surrogates. */
export const INVALID_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the XML entities and character references in one pass; unknown ones are left as they are. */
function decodeXmlText(value: string): string {
  return value.replace(/&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,9}|amp|lt|gt|quot|apos);/g, (match, name: string) => {
    if (name[0] !== '#') return NAMED_ENTITIES[name];
    const codePoint = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    const isValid = codePoint > 0 && codePoint <= 0x10ffff && !(codePoint >= 0xd800 && codePoint <= 0xdfff);
    return isValid ? String.fromCodePoint(codePoint) : match;
  });
}

/** COS Complete pads the body with whitespace before the XML; a BOM may precede it too. */
function stripPrologue(body: string): string {
  return body.replace(/^[\ufeff\s]+/, '');
}

/**
 * Parses a whole body after checking it is well-formed XML. `truncationIsRetryable` marks the
 * errors that a dropped connection would explain.
 */
export function parseDocument(body: string, ctx: string, truncationIsRetryable = false): XmlNode {
  if (typeof body !== 'string') throw badResponse(ctx, `returned no body text: ${ENDPOINT_HINT}`);
  const textBody = stripPrologue(body);
  if (textBody === '') {
    throw badResponse(ctx, `returned an empty body where XML was expected: ${ENDPOINT_HINT}`, { retryable: truncationIsRetryable });
  }
  if (/^<(!doctype\s+html|html|head|body)[\s>]/i.test(textBody)) {
    throw badResponse(ctx, `returned an HTML page instead of COS XML: ${ENDPOINT_HINT} and that no proxy or captive portal answers instead. The page starts with: ${snippet(textBody)}`);
  }
  if (!textBody.startsWith('<')) {
    throw badResponse(ctx, `returned a body that is not XML: ${ENDPOINT_HINT}. The body starts with: ${snippet(textBody)}`);
  }
  const { parser, validator } = xmlLibrary();
  let validation: ReturnType<typeof XMLValidator.validate>;
  try {
    validation = validator.validate(textBody);
  } catch (error) {
    throw badResponse(ctx, 'returned XML that could not be checked', { cause: error, retryable: truncationIsRetryable });
  }
  if (validation !== true) {
    const where = validation.err.line ? ` (line ${validation.err.line})` : '';
    throw badResponse(ctx, `returned malformed or truncated XML${where}: ${validation.err.msg}`, { retryable: truncationIsRetryable });
  }
  try {
    const doc: unknown = parser.parse(textBody);
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new TypeError('the parser returned no document');
    return doc as XmlNode;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw badResponse(ctx, `returned XML that could not be read: ${reason}`, { cause: error });
  }
}

/** Parses a body whose only acceptable root is `rootName`. */
export function parseRoot(body: string, ctx: string, rootName: string): XmlNode {
  return rootNode(parseDocument(body, ctx), ctx, rootName);
}

export function rootNode(doc: XmlNode, ctx: string, rootName: string): XmlNode {
  if (Object.hasOwn(doc, rootName)) {
    // Two documents run together are a broken proxy or framing, not an answer to trust.
    const others = Object.keys(doc).filter((k) => k !== rootName && !(k === '#text' && String(doc[k]).trim() === ''));
    if (others.length) throw badResponse(ctx, `returned more than one document: <${rootName}> followed by ${snippet(others[0])}`);
    return asNode(doc[rootName], ctx, rootName);
  }
  const error = errorDocumentOf(doc);
  if (error) {
    const what = [error.code, error.message].filter(Boolean).join(': ') || 'no code';
    throw badResponse(ctx, `returned an Error document where ${rootName} was expected: ${what}`, { requestId: error.requestId });
  }
  const found = Object.keys(doc).filter((k) => k !== '#text');
  const foundText = found.length ? `<${found[0]}>` : 'no element';
  throw badResponse(ctx, `returned ${foundText} instead of <${rootName}>: ${ENDPOINT_HINT}`);
}

/** The fields of a parsed `<Error>` document, or undefined when the root is something else. */
export function errorDocumentOf(doc: XmlNode): CosErrorDocument | undefined {
  if (!Object.hasOwn(doc, 'Error')) return undefined;
  const node = doc.Error;
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return {};
  const fields = node as XmlNode;
  const result: CosErrorDocument = {};
  const set = (target: keyof CosErrorDocument, name: string) => {
    const value = fields[name];
    if (typeof value !== 'string') return;
    const trimmed = value.trim();
    if (trimmed) result[target] = trimmed.length > MAX_ERROR_FIELD_LENGTH ? `${trimmed.slice(0, MAX_ERROR_FIELD_LENGTH)}…` : trimmed;
  };
  set('code', 'Code');
  set('message', 'Message');
  set('requestId', 'RequestId');
  set('traceId', 'TraceId');
  set('resource', 'Resource');
  return result;
}

/** An element with children; an empty element (`<X/>`) counts as one with none. */
function asNode(value: unknown, ctx: string, name: string): XmlNode {
  if (typeof value === 'string') {
    if (value.trim() === '') return {};
    throw badResponse(ctx, `returned <${name}> with text where elements were expected: ${ENDPOINT_HINT}`);
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as XmlNode;
  throw badResponse(ctx, `returned <${name}> more than once or in an unexpected shape`);
}

/** The text of a child element, or undefined when absent. Nested elements or repeats are refused. */
export function text(node: XmlNode, name: string, ctx: string): string | undefined {
  if (!Object.hasOwn(node, name)) return undefined;
  const value = node[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) throw badResponse(ctx, `returned more than one <${name}> where one was expected`);
  throw badResponse(ctx, `returned <${name}> with nested elements where text was expected`);
}

export function requiredText(node: XmlNode, name: string, ctx: string, where: string): string {
  const value = text(node, name, ctx)?.trim();
  if (!value) throw badResponse(ctx, `returned an entry without ${name}: ${where}`);
  return value;
}

/** The repeated child elements `name`, each as a node. */
export function elements(node: XmlNode, name: string, ctx: string): XmlNode[] {
  if (!Object.hasOwn(node, name)) return [];
  const value = node[name];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => asNode(item, ctx, name));
}

export function integerField(node: XmlNode, name: string, ctx: string, where: string, min: number, max: number): number {
  const raw = requiredText(node, name, ctx, where);
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw badResponse(ctx, `returned ${name} that is not a whole number in ${min}..${max} (${where}): ${snippet(raw)}`);
  }
  return value;
}

/** true/false, any case; absent means false (COS always sends it, other servers may not). */
export function booleanField(node: XmlNode, name: string, ctx: string): boolean {
  const raw = text(node, name, ctx)?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw badResponse(ctx, `returned ${name} that is neither true nor false: ${snippet(raw)}`);
}

/** Copies the defined optional fields onto the required ones, so results have no `key: undefined`. */
export function withOptional<T extends object, O extends Record<string, string | undefined>>(required: T, optional: O): T & Partial<Record<keyof O, string>> {
  const result = { ...required } as Record<string, unknown>;
  for (const [name, value] of Object.entries(optional)) if (value !== undefined) result[name] = value;
  return result as T & Partial<Record<keyof O, string>>;
}

/** A short, printable excerpt of server text for a message. */
function snippet(value: string): string {
  const head = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(head);
}

export function badResponse(ctx: string, problem: string, options: { cause?: unknown; retryable?: boolean; requestId?: string } = {}): CosError {
  return new CosError('BAD_RESPONSE', `${ctx} ${problem}`, { retryable: false, ...options });
}
