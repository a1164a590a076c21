import { credentialCause, isBareDenial } from './credentialDiagnosis';
import { CosServiceError, type CosErrorCode } from './errors';
import { isRetryableStatus } from './retry';
import type { CosErrorDocument } from './xmlReading';

/** What one COS error code means for the caller; fields left out keep what the HTTP status gave. */
export interface CosCodeRule {
  code?: CosErrorCode;
  hint?: string;
  retryable?: boolean;
}

const OBJECT_EXISTS: CosCodeRule = { code: 'OBJECT_EXISTS', hint: 'The object already exists and overwriting is forbidden.' };

/**
 * COS error codes (the <Code> of an error document) to CosError codes, hints and retry decisions.
 * Codes about credentials (which key was refused, and why) are credentialCause's (credentialDiagnosis.ts).
 */
export const COS_ERROR_RULES: ReadonlyMap<string, CosCodeRule> = new Map<string, CosCodeRule>([
  // The bytes were damaged on the way: sending again fixes it.
  ['BadDigest', { retryable: true }],
  ['InternalError', { retryable: true }],
  ['ServiceUnavailable', { retryable: true }],
  ['SlowDown', { retryable: true }],
  ['NoSuchBucket', { code: 'NO_SUCH_BUCKET', hint: 'Check the bucket name (<name>-<appid>) and region in the profile.' }],
  [
    'NoSuchUpload',
    {
      code: 'NO_SUCH_UPLOAD',
      hint: 'COS no longer knows this upload id: it was aborted, expired by a lifecycle rule, or completed by another uploader; start it over.',
    },
  ],
  ['FileAlreadyExists', OBJECT_EXISTS],
  ['PreconditionFailed', OBJECT_EXISTS],
  ['EntityTooSmall', { hint: 'Every part but the last must be at least 1 MiB.' }],
]);

/** COS answers that mean "the signing time is off": the sender fixes the clock from the server's Date and retries. */
export function isClockError(status: number, doc: CosErrorDocument | undefined): boolean {
  if (doc?.code === 'RequestTimeTooSkewed') return true;
  return status === 403 && doc?.code === 'AccessDenied' && /expired/i.test(doc.message ?? '');
}

export interface CosErrorAnswer {
  operation: string;
  status: number;
  headers: Record<string, string>;
  doc: CosErrorDocument | undefined;
  body: string;
  partNumber?: number;
  /** Temporary credentials were used: COS reports their expiry as an unknown SecretId. */
  temporaryCredentials?: boolean;
}

/** Turns a COS error answer into a CosServiceError: the status decides first, then the credential cause or the table row for the COS code. */
export function cosServiceError(answer: CosErrorAnswer): CosServiceError {
  const { operation, status, headers, doc, body, partNumber } = answer;
  const op = partNumber ? `${operation} ${partNumber}` : operation;
  const cosCode = doc?.code;
  const requestId = headers['x-cos-request-id'] ?? doc?.requestId;
  let code: CosErrorCode = 'SERVICE_ERROR';
  let hint: string | undefined;
  let retryable = isRetryableStatus(status, cosCode);
  const looksHtml = /^\s*<(!doctype|html)/i.test(body);
  if (!doc && status < 500) {
    code = status === 200 ? 'BAD_RESPONSE' : code;
    hint = looksHtml
      ? 'The answer is an HTML page, not a COS document: a proxy or captive portal may be in the way, or the endpoint is wrong.'
      : 'The answer is not a COS error document: check that the endpoint is a COS endpoint.';
  } else if (!doc && looksHtml) {
    // A gateway error page (502/504 from a proxy or load balancer): say who answered, not just the status.
    hint = 'The answer is an HTML error page, not a COS document: a proxy or gateway on the way failed; if it persists, check the proxy settings and the endpoint.';
  }
  if (isBareDenial(status, body, doc)) {
    // HEAD answers carry no body, so a refused signature shows only as a bare 403.
    code = 'ACCESS_DENIED';
    hint = 'Access was denied: check the SecretId and SecretKey, and that this key may read and write the bucket.';
  }
  const credential = credentialCause(cosCode, answer.temporaryCredentials ?? false, isClockError(status, doc));
  if (credential) {
    code = credential.code;
    hint = credential.hint;
    if (code === 'CREDENTIALS_EXPIRED') retryable = false;
  }
  const rule = cosCode === undefined ? undefined : COS_ERROR_RULES.get(cosCode);
  if (rule) {
    code = rule.code ?? code;
    hint = rule.hint ?? hint;
    retryable = rule.retryable ?? retryable;
  }
  return new CosServiceError({
    status,
    cosCode,
    cosMessage: doc?.message,
    requestId,
    traceId: headers['x-cos-trace-id'] ?? doc?.traceId,
    resource: doc?.resource,
    operation: op,
    retryable,
    code,
    hint,
  });
}
