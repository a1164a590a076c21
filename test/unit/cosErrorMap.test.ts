import { strict as assert } from 'node:assert';
import { COS_ERROR_RULES, cosServiceError, isClockError, type CosErrorAnswer } from '../../src/core/cosErrorMap';
import type { CosErrorCode } from '../../src/core/errors';

const answer = (status: number, cosCode: string | undefined, extra: Partial<CosErrorAnswer> = {}): CosErrorAnswer => ({
  operation: 'Upload Part',
  status,
  headers: { 'x-cos-request-id': 'rid-1' },
  doc: cosCode === undefined ? undefined : { code: cosCode, message: 'm' },
  body: cosCode === undefined ? '' : `<Error><Code>${cosCode}</Code></Error>`,
  ...extra,
});

describe('cosServiceError (COS error table)', () => {
  // One row per COS code the table knows: the status COS answers it with, and what it must become.
  const rows: Array<[cosCode: string, status: number, code: CosErrorCode, retryable: boolean, hint: RegExp | undefined]> = [
    ['BadDigest', 400, 'SERVICE_ERROR', true, undefined],
    ['InternalError', 500, 'SERVICE_ERROR', true, undefined],
    ['ServiceUnavailable', 503, 'SERVICE_ERROR', true, undefined],
    ['SlowDown', 503, 'SERVICE_ERROR', true, undefined],
    ['NoSuchBucket', 404, 'NO_SUCH_BUCKET', false, /bucket name/],
    ['NoSuchUpload', 404, 'NO_SUCH_UPLOAD', false, /no longer knows this upload id/],
    ['FileAlreadyExists', 409, 'OBJECT_EXISTS', false, /overwriting is forbidden/],
    ['PreconditionFailed', 412, 'OBJECT_EXISTS', false, /overwriting is forbidden/],
    ['EntityTooSmall', 400, 'SERVICE_ERROR', false, /at least 1 MiB/],
  ];

  it('has a test row for every table row', () => {
    assert.deepEqual(rows.map((r) => r[0]).sort(), [...COS_ERROR_RULES.keys()].sort());
  });

  for (const [cosCode, status, code, retryable, hint] of rows) {
    it(`${cosCode} (HTTP ${status}) → ${code}, ${retryable ? 'retryable' : 'final'}`, () => {
      const error = cosServiceError(answer(status, cosCode, { partNumber: 7 }));
      assert.equal(error.code, code);
      assert.equal(error.retryable, retryable);
      assert.equal(error.cosCode, cosCode);
      assert.equal(error.status, status);
      assert.equal(error.requestId, 'rid-1');
      assert.equal(error.operation, 'Upload Part 7');
      if (hint) assert.match(error.message, hint);
    });
  }

  // The credential codes are credentialCause's (credentialDiagnosis.ts): the same rows, seen through the whole mapping.
  const credentialRows: Array<[cosCode: string, status: number, code: CosErrorCode, hint: RegExp]> = [
    ['InvalidAccessKeyId', 403, 'INVALID_SECRET_ID', /does not know this SecretId/],
    ['SignatureDoesNotMatch', 403, 'SIGNATURE_MISMATCH', /SecretKey is wrong/],
    ['AccessDenied', 403, 'ACCESS_DENIED', /CAM policy/],
    ['RequestTimeTooSkewed', 403, 'CLOCK_SKEW', /clock/],
    ['ExpiredToken', 400, 'CREDENTIALS_EXPIRED', /temporary credentials expired/],
    ['TokenExpired', 400, 'CREDENTIALS_EXPIRED', /temporary credentials expired/],
    ['InvalidToken', 400, 'CREDENTIALS_EXPIRED', /temporary credentials expired/],
    ['ExpiredTokenException', 503, 'CREDENTIALS_EXPIRED', /temporary credentials expired/],
  ];

  for (const [cosCode, status, code, hint] of credentialRows) {
    it(`${cosCode} (HTTP ${status}) → ${code}, final`, () => {
      assert.equal(COS_ERROR_RULES.has(cosCode), false, 'a credential code belongs to credentialCause, not the table');
      const error = cosServiceError(answer(status, cosCode, { partNumber: 7 }));
      assert.equal(error.code, code);
      assert.equal(error.retryable, false);
      assert.equal(error.cosCode, cosCode);
      assert.match(error.message, hint);
    });
  }

  it('InvalidAccessKeyId with temporary credentials means they expired', () => {
    const error = cosServiceError(answer(403, 'InvalidAccessKeyId', { temporaryCredentials: true }));
    assert.equal(error.code, 'CREDENTIALS_EXPIRED');
    assert.match(error.message, /expired \(or were revoked\)/);
  });

  it('AccessDenied "Request has expired" is a refused signing time', () => {
    const error = cosServiceError({ ...answer(403, 'AccessDenied'), doc: { code: 'AccessDenied', message: 'Request has expired' } });
    assert.equal(error.code, 'CLOCK_SKEW');
    assert.equal(isClockError(403, { code: 'AccessDenied', message: 'Request has expired' }), true);
    assert.equal(isClockError(403, { code: 'AccessDenied', message: 'no permission' }), false);
    assert.equal(isClockError(403, { code: 'RequestTimeTooSkewed' }), true);
  });

  it('an unknown code keeps what the status says', () => {
    assert.equal(cosServiceError(answer(502, 'SomethingNew')).retryable, true);
    assert.equal(cosServiceError(answer(400, 'SomethingNew')).retryable, false);
    assert.equal(cosServiceError(answer(400, 'toString')).code, 'SERVICE_ERROR');
  });

  it('a bare 403 (HEAD) is a refused access, an HTML page names the proxy, a 200 without a document is a bad answer', () => {
    assert.equal(cosServiceError(answer(403, undefined)).code, 'ACCESS_DENIED');
    assert.match(cosServiceError(answer(404, undefined, { body: '<html>portal</html>' })).message, /captive portal/);
    assert.match(cosServiceError(answer(502, undefined, { body: '<!DOCTYPE html><p>bad gateway</p>' })).message, /proxy or gateway/);
    assert.equal(cosServiceError(answer(200, undefined, { body: 'junk' })).code, 'BAD_RESPONSE');
  });

  it('takes the request id from the document when the header is missing', () => {
    const error = cosServiceError({ ...answer(404, 'NoSuchUpload'), headers: {}, doc: { code: 'NoSuchUpload', requestId: 'doc-rid', traceId: 't' } });
    assert.equal(error.requestId, 'doc-rid');
    assert.equal(error.traceId, 't');
  });
});
