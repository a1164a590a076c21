import { strict as assert } from 'node:assert';
import { CosClient, CosError, silentLogger, staticCredentials, uploadFile, type Credentials, type Logger, type UploadEvent } from '../../src/core';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { makeFile, MiB } from './helpers';

const HOUR = 3_600_000;

describe('integration: clock skew and credential errors when the first request is a Head Object', function () {
  this.timeout(60_000);
  let emu: RunningEmulator;

  before(async () => {
    emu = await startEmulator();
  });
  after(async () => {
    await emu.close();
  });
  afterEach(() => {
    emu.faults.clear();
    emu.setClockSkew(0);
  });

  function client(credentials: Credentials = emu.credentials, logger: Logger = silentLogger, clockOffsetMs?: number): CosClient {
    return new CosClient({
      target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url },
      credentials: staticCredentials(credentials),
      logger,
      retry: { retries: 1, baseDelayMs: 1 },
      ...(clockOffsetMs === undefined ? {} : { clockOffsetMs }),
    });
  }

  function warningsInto(lines: string[]): Logger {
    return { ...silentLogger, warn: (m) => lines.push(m) };
  }

  for (const skew of [HOUR, -HOUR]) {
    it(`corrects a server clock ${skew > 0 ? '1 h ahead' : '1 h behind'} from a bare 403 on Head Object, then uploads with that offset`, async () => {
      emu.setClockSkew(skew);
      const file = await makeFile(2 * MiB + 17);
      const key = `skew/${skew > 0 ? 'ahead' : 'behind'}.bin`;
      const warnings: string[] = [];
      const head = client(emu.credentials, warningsInto(warnings));
      try {
        assert.equal(await head.headObject(key), undefined, 'the object does not exist yet');
      } finally {
        await head.close();
      }
      const heads = emu.log.filter((e) => e.key === key && e.operation === 'head');
      assert.deepEqual(
        heads.map((e) => e.status),
        [403, 404],
        'one refused HEAD (no body, as COS answers), then the same HEAD signed with the server time',
      );
      // The Date header has whole seconds: the measured offset may be one second short.
      const line = warnings.find((w) => /^Clock differs from the COS server by -?\d+ s/.test(w));
      assert.ok(line, `no clock correction line: ${JSON.stringify(warnings)}`);
      const seconds = Number(/by (-?\d+) s/.exec(line)?.[1]);
      assert.ok(Math.abs(seconds - skew / 1000) <= 2, `the line names ${seconds} s: ${line}`);
      assert.match(line, /corrected/);
      assert.ok(Math.abs(head.clockOffset - skew) < 5_000, `offset ${head.clockOffset}`);

      // The upload starts from the measured offset: nothing of it is refused.
      const events: UploadEvent[] = [];
      const before = emu.log.length;
      const result = await uploadFile({
        filePath: file.path,
        key,
        target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url },
        credentials: staticCredentials(emu.credentials),
        options: { partSize: MiB, multipartThreshold: 0, concurrency: 2 },
        clockOffsetMs: head.clockOffset,
        onEvent: (e) => events.push(e),
      });
      assert.equal(await emu.objectSha256(key), file.sha256);
      assert.equal(result.crc64Verified, true);
      assert.deepEqual(
        emu.log.slice(before).filter((e) => e.status === 403),
        [],
        'no request of the upload was refused',
      );
      assert.equal(events.filter((e) => e.type === 'clock-corrected').length, 0);
    });
  }

  const causes: Array<[string, () => Credentials, string, RegExp]> = [
    ['a wrong SecretId', () => ({ ...emu.credentials, secretId: 'AKIDnotAKnownSecretId0123456789' }), 'INVALID_SECRET_ID', /SecretId/],
    ['a wrong SecretKey', () => ({ ...emu.credentials, secretKey: 'not-the-secret-key-0123456789' }), 'SIGNATURE_MISMATCH', /SecretKey is wrong/],
  ];
  for (const [what, credentials, code, advice] of causes) {
    it(`names ${what} after a bare 403 on Head Object (${code}), without echoing a secret`, async () => {
      const warnings: string[] = [];
      const c = client(credentials(), warningsInto(warnings));
      const before = emu.log.length;
      try {
        await assert.rejects(c.headObject('cred/any.bin'), (error: unknown) => {
          assert.ok(CosError.is(error));
          assert.equal(error.code, code);
          assert.match(error.message, /^Head Object failed/);
          assert.match(error.message, advice);
          assert.match(error.message, /List Multipart Uploads/);
          for (const secret of [credentials().secretKey, emu.credentials.secretKey]) assert.ok(!error.message.includes(secret), 'a secret in the message');
          return true;
        });
      } finally {
        await c.close();
      }
      assert.deepEqual(
        emu.log.slice(before).map((e) => `${e.operation} ${e.status}`),
        ['head 403', 'listUploads 403'],
        'one HEAD, one diagnostic request, no retry storm',
      );
      assert.ok(warnings.some((w) => w.includes(code)), JSON.stringify(warnings));
    });
  }

  it('names expired temporary credentials after a bare 403 on Head Object (CREDENTIALS_EXPIRED)', async () => {
    const temporary = { ...emu.credentials, sessionToken: 'token-0123456789' };
    emu.setCredentials(temporary);
    const old = { ...emu.credentials };
    emu.expireSessionToken();
    const c = client(old);
    try {
      await assert.rejects(c.headObject('cred/expired.bin'), (error: unknown) => CosError.is(error) && error.code === 'CREDENTIALS_EXPIRED' && /temporary credentials/.test(error.message));
    } finally {
      await c.close();
      emu.setCredentials(old);
    }
  });

  it('says the keys are valid but lack permission when only the object is refused (ACCESS_DENIED)', async () => {
    emu.faults.add({ operation: 'head', fault: 'status', status: 403, code: 'AccessDenied', times: 'always' });
    const c = client();
    try {
      await assert.rejects(c.headObject('cred/forbidden.bin'), (error: unknown) => {
        assert.ok(CosError.is(error));
        assert.equal(error.code, 'ACCESS_DENIED');
        assert.match(error.message, /keys and the clock are fine/);
        assert.match(error.message, /CAM policy/);
        return true;
      });
    } finally {
      await c.close();
    }
  });

  it('names no permission on the bucket when the diagnostic request is refused with AccessDenied', async () => {
    emu.faults.add({ operation: 'head', fault: 'status', status: 403, code: 'AccessDenied', times: 'always' });
    emu.faults.add({ operation: 'listUploads', fault: 'status', status: 403, code: 'AccessDenied', message: 'Access Denied.', times: 'always' });
    const c = client();
    try {
      await assert.rejects(c.headObject('cred/forbidden.bin'), (error: unknown) => CosError.is(error) && error.code === 'ACCESS_DENIED' && /answered AccessDenied/.test(error.message));
    } finally {
      await c.close();
    }
  });

  it('names clock skew when COS keeps refusing the signing time (CLOCK_SKEW)', async () => {
    emu.faults.add({ operation: 'head', fault: 'status', status: 403, code: 'AccessDenied', times: 'always' });
    emu.faults.add({ operation: 'listUploads', fault: 'status', status: 403, code: 'RequestTimeTooSkewed', times: 'always' });
    const c = client();
    try {
      await assert.rejects(c.headObject('cred/skewed.bin'), (error: unknown) => CosError.is(error) && error.code === 'CLOCK_SKEW' && /clock/.test(error.message));
    } finally {
      await c.close();
    }
  });
});
