/**
 * Which credential COS refused, and what to do about it. A refusal with an error document names
 * its cause; a bare 403 (any HEAD) does not, so the client then asks COS once more with a cheap
 * signed GET whose answer is an error document, and reports what that one says.
 */

import { CosError, CosServiceError, type CosErrorCode } from './errors';
import type { Logger } from './types';

export type CredentialErrorCode = Extract<CosErrorCode, 'INVALID_SECRET_ID' | 'SIGNATURE_MISMATCH' | 'CLOCK_SKEW' | 'CREDENTIALS_EXPIRED' | 'ACCESS_DENIED'>;

export interface CredentialCause {
  code: CredentialErrorCode;
  hint: string;
}

/** Codes S3-compatible services use for an expired session token; COS itself says InvalidAccessKeyId. */
const EXPIRED_TOKEN_CODES: ReadonlySet<string> = new Set(['ExpiredToken', 'TokenExpired', 'InvalidToken', 'ExpiredTokenException']);

export const CREDENTIAL_HINTS: Readonly<Record<CredentialErrorCode, string>> = Object.freeze({
  INVALID_SECRET_ID: 'COS does not know this SecretId: copy the SecretId again from the CAM console (API keys) into the profile.',
  SIGNATURE_MISMATCH: 'The SecretId is known but the signature does not match: the SecretKey is wrong; enter the SecretKey that belongs to this SecretId.',
  CLOCK_SKEW: "The computer's clock is too far from COS's: turn on automatic date and time (network time), then try again.",
  CREDENTIALS_EXPIRED: 'The temporary credentials expired (or were revoked): provide fresh ones and resume.',
  ACCESS_DENIED: "The keys are valid but may not do this: grant the key's CAM policy access to this bucket (read and write objects, multipart uploads).",
});

/**
 * The credential cause of a COS error code, or undefined when the code is not about credentials.
 * `temporaryCredentials`: a session token was sent, and COS reports its expiry as an unknown SecretId.
 * `signingTimeExpired`: COS said AccessDenied "Request has expired", its words for a signing time outside the window.
 */
export function credentialCause(cosCode: string | undefined, temporaryCredentials: boolean, signingTimeExpired = false): CredentialCause | undefined {
  const cause = (code: CredentialErrorCode): CredentialCause => ({ code, hint: CREDENTIAL_HINTS[code] });
  switch (cosCode) {
    case 'InvalidAccessKeyId':
      return cause(temporaryCredentials ? 'CREDENTIALS_EXPIRED' : 'INVALID_SECRET_ID');
    case 'SignatureDoesNotMatch':
      return cause('SIGNATURE_MISMATCH');
    case 'RequestTimeTooSkewed':
      return cause('CLOCK_SKEW');
    case 'AccessDenied':
      return cause(signingTimeExpired ? 'CLOCK_SKEW' : 'ACCESS_DENIED');
    default:
      return cosCode !== undefined && EXPIRED_TOKEN_CODES.has(cosCode) ? cause('CREDENTIALS_EXPIRED') : undefined;
  }
}

/**
 * A 403 that says nothing: no error document and no page (a HEAD answer has no body). An HTML
 * 403 comes from a proxy or portal, not from COS, and is reported as such elsewhere.
 */
export function isBareDenial(status: number, body: string, doc: unknown): boolean {
  return status === 403 && !doc && !/^\s*</.test(body);
}

/** The probe sent to learn why a bare 403 happened; named in the message. */
export const DIAGNOSIS_OPERATION = 'List Multipart Uploads';

/**
 * The error for a bare 403 on `denied.operation`, given what the diagnostic request found:
 * `probe` is undefined when it succeeded (the keys and the clock are fine, so the refusal is a
 * missing permission), else the error it failed with. A probe failure that is not about
 * credentials leaves the original refusal as it was.
 */
export function diagnosedDenial(denied: CosServiceError, probe: unknown): CosError {
  const init = {
    status: denied.status,
    operation: denied.operation,
    requestId: denied.requestId,
    traceId: denied.traceId,
    retryable: false,
  };
  if (probe === undefined) {
    return new CosServiceError({
      ...init,
      code: 'ACCESS_DENIED',
      hint: `COS gave no reason, but a signed ${DIAGNOSIS_OPERATION} with the same keys succeeded, so the keys and the clock are fine. ${CREDENTIAL_HINTS.ACCESS_DENIED}`,
      cause: undefined,
    });
  }
  if (!(probe instanceof CosServiceError) || !isCredentialCode(probe.code)) return denied;
  const said = probe.cosCode ? `${probe.cosCode}${probe.cosMessage ? ` (${probe.cosMessage.trim().replace(/\.+$/, '')})` : ''}` : `HTTP ${probe.status}`;
  return new CosServiceError({
    ...init,
    // The probe's answer names the cause; the refused request's own id stays the one quoted.
    cosCode: probe.cosCode,
    code: probe.code,
    hint: `COS gave no reason; a signed ${DIAGNOSIS_OPERATION} with the same keys answered ${said}. ${CREDENTIAL_HINTS[probe.code as CredentialErrorCode]}`,
    cause: probe,
  });
}

/**
 * Sends the diagnostic request for a bare 403 and names its cause. 'clock corrected' when that
 * request succeeded only after the client corrected its clock: the refused request should be sent again.
 */
export async function diagnoseBareDenial(
  denied: CosServiceError,
  how: { probe: () => Promise<unknown>; clockOffset: () => number; logger: Logger },
): Promise<CosError | 'clock corrected'> {
  const offsetBefore = how.clockOffset();
  let probeError: unknown;
  try {
    await how.probe();
  } catch (error) {
    if (CosError.is(error) && error.code === 'ABORTED') throw error;
    probeError = error ?? new Error('unknown failure');
  }
  if (probeError === undefined && how.clockOffset() !== offsetBefore) return 'clock corrected';
  const diagnosed = diagnosedDenial(denied, probeError);
  how.logger.warn(`${denied.operation} was refused with a bare 403 (no reason given); ${DIAGNOSIS_OPERATION} was sent to find out: ${diagnosed.code}`);
  return diagnosed;
}

function isCredentialCode(code: CosErrorCode): code is CredentialErrorCode {
  return Object.prototype.hasOwnProperty.call(CREDENTIAL_HINTS, code);
}
