import { strict as assert } from 'node:assert';
import { clockCorrectionLine, serverClockOffset, signingTimeRefused, skewCorrection } from '../../src/core/clockSkew';
import { credentialCause, diagnosedDenial, isBareDenial } from '../../src/core/credentialDiagnosis';
import { CosServiceError } from '../../src/core/errors';

describe('clockSkew', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');

  it('reads the server offset from a Date header, and nothing from a missing or bad one', () => {
    assert.equal(serverClockOffset('Wed, 01 May 2024 13:00:00 GMT', now), 3_600_000);
    assert.equal(serverClockOffset(undefined, now), undefined);
    assert.equal(serverClockOffset('yesterday-ish', now), undefined);
  });

  it('blames the clock only when COS time lies outside the signature window [t - 1 s, t + ttl]', () => {
    assert.equal(signingTimeRefused(0, 0, 300), false);
    assert.equal(signingTimeRefused(2_000, 0, 300), false, 'a second or two is the Date header rounding');
    assert.equal(signingTimeRefused(-2_000, 0, 300), false);
    assert.equal(signingTimeRefused(299_000, 0, 300), true, 'the signature ended before COS read it');
    assert.equal(signingTimeRefused(3_600_000, 0, 300), true);
    assert.equal(signingTimeRefused(-3_600_000, 0, 300), true, 'the signature starts in COS future');
    assert.equal(signingTimeRefused(3_600_000, 3_600_500, 300), false, 'already corrected');
  });

  it('gives the offset to sign with after a bare 403, or undefined when the clock is fine', () => {
    assert.equal(skewCorrection('Wed, 01 May 2024 11:00:00 GMT', now, 0, 300), -3_600_000);
    assert.equal(skewCorrection('Wed, 01 May 2024 12:00:01 GMT', now, 0, 300), undefined);
    assert.equal(skewCorrection(undefined, now, 0, 300), undefined);
  });

  it('says by how much and which way in the log line', () => {
    assert.match(clockCorrectionLine(3_599_400), /by 3599 s \(COS is 3599 s ahead of this computer\); corrected/);
    assert.match(clockCorrectionLine(-3_600_000, 10_000), /by -3600 s \(COS is 3600 s behind this computer\) \(was 10 s\)/);
  });
});

describe('credentialDiagnosis', () => {
  it('tells each credential cause apart by its COS code', () => {
    assert.equal(credentialCause('InvalidAccessKeyId', false)?.code, 'INVALID_SECRET_ID');
    assert.equal(credentialCause('InvalidAccessKeyId', true)?.code, 'CREDENTIALS_EXPIRED');
    assert.equal(credentialCause('SignatureDoesNotMatch', false)?.code, 'SIGNATURE_MISMATCH');
    assert.equal(credentialCause('RequestTimeTooSkewed', false)?.code, 'CLOCK_SKEW');
    assert.equal(credentialCause('AccessDenied', false, true)?.code, 'CLOCK_SKEW');
    assert.equal(credentialCause('AccessDenied', false)?.code, 'ACCESS_DENIED');
    assert.equal(credentialCause('ExpiredToken', true)?.code, 'CREDENTIALS_EXPIRED');
    assert.equal(credentialCause('NoSuchBucket', false), undefined);
    assert.equal(credentialCause(undefined, false), undefined);
    assert.match(credentialCause('SignatureDoesNotMatch', false)?.hint ?? '', /SecretKey/);
    assert.match(credentialCause('InvalidAccessKeyId', false)?.hint ?? '', /SecretId/);
  });

  const denied = new CosServiceError({ status: 403, operation: 'Head Object', code: 'ACCESS_DENIED', requestId: 'head-1' });

  it('reports what the diagnostic request said, keeping the refused request and its id', () => {
    const probe = new CosServiceError({ status: 403, cosCode: 'SignatureDoesNotMatch', cosMessage: 'The signature does not match.', operation: 'List Multipart Uploads', code: 'SIGNATURE_MISMATCH', requestId: 'list-1' });
    const error = diagnosedDenial(denied, probe);
    assert.equal(error.code, 'SIGNATURE_MISMATCH');
    assert.equal(error.requestId, 'head-1');
    assert.match(error.message, /^Head Object failed with SignatureDoesNotMatch \(HTTP 403\)/);
    assert.match(error.message, /answered SignatureDoesNotMatch \(The signature does not match\)/);
  });

  it('blames permissions when the diagnostic request succeeded, and keeps the refusal when it failed for another reason', () => {
    const permission = diagnosedDenial(denied, undefined);
    assert.equal(permission.code, 'ACCESS_DENIED');
    assert.match(permission.message, /keys and the clock are fine/);
    const network = new Error('socket hang up');
    assert.equal(diagnosedDenial(denied, network), denied);
    const noBucket = new CosServiceError({ status: 404, cosCode: 'NoSuchBucket', operation: 'List Multipart Uploads', code: 'NO_SUCH_BUCKET' });
    assert.equal(diagnosedDenial(denied, noBucket), denied);
  });
});

describe('isBareDenial', () => {
  it('is a 403 without an error document or a page', () => {
    assert.equal(isBareDenial(403, '', undefined), true);
    assert.equal(isBareDenial(403, '<html><body>403 Forbidden</body></html>', undefined), false);
    assert.equal(isBareDenial(403, '<Error/>', { code: 'AccessDenied' }), false);
    assert.equal(isBareDenial(404, '', undefined), false);
  });
});
