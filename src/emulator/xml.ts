/**
 * The emulator's own XML: documents are built with template strings and a local escaper, and the
 * one body COS parses (Complete) is read with a small tolerant regex parser. Deliberately shares
 * nothing with the client's XML module.
 */

export const XML_DECLARATION = "<?xml version='1.0' encoding='utf-8' ?>";

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXmlText(value: string | number | boolean): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** `<Name>escaped</Name>`, or '' when the value is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXmlText(value)}</${name}>`;
}

export function xmlDocument(body: string): string {
  return `${XML_DECLARATION}\n${body}`;
}

export interface ErrorDocument {
  code: string;
  message: string;
  resource: string;
  requestId: string;
  traceId: string;
}

export function errorXml(e: ErrorDocument): string {
  return xmlDocument(
    `<Error>${el('Code', e.code)}${el('Message', e.message)}${el('Resource', e.resource)}` +
      `${el('RequestId', e.requestId)}${el('TraceId', e.traceId)}</Error>`,
  );
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITY[name] ?? whole;
  });
}

export interface CompleteRequestPart {
  partNumber: number;
  /** As sent, unescaped; quotes included if the client sent them. */
  etag: string;
}

/**
 * Reads `<CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>…` in document order.
 * Returns undefined when the body is not such a document (the caller answers MalformedXML).
 * Tolerates a declaration, namespaces, attributes, whitespace and element order inside Part.
 */
export function parseCompleteBody(body: string): CompleteRequestPart[] | undefined {
  const withoutComments = body.replace(/<!--[\s\S]*?-->/g, '');
  const root = /<CompleteMultipartUpload(?:\s[^>]*)?>([\s\S]*)<\/CompleteMultipartUpload\s*>/.exec(withoutComments);
  if (!root) return undefined;
  const parts: CompleteRequestPart[] = [];
  const partRe = /<Part(?:\s[^>]*)?>([\s\S]*?)<\/Part\s*>/g;
  for (let m = partRe.exec(root[1]); m; m = partRe.exec(root[1])) {
    const num = /<PartNumber(?:\s[^>]*)?>\s*([^<]*?)\s*<\/PartNumber\s*>/.exec(m[1]);
    const etag = /<ETag(?:\s[^>]*)?>([\s\S]*?)<\/ETag\s*>/.exec(m[1]);
    if (!num || !etag || !/^\d{1,6}$/.test(num[1])) return undefined;
    parts.push({ partNumber: Number(num[1]), etag: unescapeXml(etag[1].trim()) });
  }
  return parts.length > 0 ? parts : undefined;
}
