import * as assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, errors as undiciErrors, fetch, request } from 'undici';
import { CosError, UploadAbortedError } from '../../src/core/errors';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  isTransientNetworkError,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  retryDelay,
  sleep,
  type RetryPolicy,
} from '../../src/core/retry';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the promise to reject');
}

describe('retry', () => {
  describe('backoffDelay', () => {
    const policy: RetryPolicy = { retries: 10, baseDelayMs: 300, maxDelayMs: 20_000 };

    it('doubles the upper bound per attempt up to the cap', () => {
      const top = () => 1;
      const bounds = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((attempt) => backoffDelay(attempt, policy, top));
      assert.deepEqual(bounds, [300, 600, 1200, 2400, 4800, 9600, 19_200, 20_000, 20_000]);
    });

    it('scales the bound by the random draw (full jitter)', () => {
      assert.equal(backoffDelay(3, policy, () => 0), 0);
      assert.equal(backoffDelay(3, policy, () => 0.5), 600);
      assert.equal(backoffDelay(3, policy, () => 0.25), 300);
    });

    it('stays within 0..cap for any attempt and random draw', () => {
      for (let attempt = 1; attempt <= 2000; attempt += attempt < 50 ? 1 : 97) {
        for (let i = 0; i < 20; i++) {
          const delay = backoffDelay(attempt, policy);
          assert.ok(Number.isInteger(delay) && delay >= 0 && delay <= policy.maxDelayMs, `attempt ${attempt}: ${delay}`);
        }
      }
    });

    it('treats odd inputs safely: attempt 0, a random draw out of range or NaN', () => {
      assert.equal(backoffDelay(0, policy, () => 1), 300);
      assert.equal(backoffDelay(2, policy, () => 7), 600);
      assert.equal(backoffDelay(2, policy, () => -1), 0);
      assert.equal(backoffDelay(2, policy, () => Number.NaN), 600);
    });

    it('has defaults whose worst case stays within the cap', () => {
      assert.equal(DEFAULT_RETRY_POLICY.retries, 5);
      let total = 0;
      for (let attempt = 1; attempt <= DEFAULT_RETRY_POLICY.retries; attempt++) {
        const delay = backoffDelay(attempt, DEFAULT_RETRY_POLICY, () => 1);
        assert.ok(delay <= DEFAULT_RETRY_POLICY.maxDelayMs);
        total += delay;
      }
      assert.equal(total, 300 + 600 + 1200 + 2400 + 4800);
    });
  });

  describe('parseRetryAfter', () => {
    const now = Date.parse('Wed, 25 Mar 2020 10:07:14 GMT');

    it('reads delay-seconds', () => {
      assert.equal(parseRetryAfter('0', now), 0);
      assert.equal(parseRetryAfter('5', now), 5000);
      assert.equal(parseRetryAfter(' 12 ', now), 12_000);
    });

    it('clamps long delays', () => {
      assert.equal(parseRetryAfter('120', now), MAX_RETRY_AFTER_MS);
      assert.equal(parseRetryAfter('99999999999999999999', now), MAX_RETRY_AFTER_MS);
    });

    it('reads an HTTP-date in all three formats relative to now', () => {
      assert.equal(parseRetryAfter('Wed, 25 Mar 2020 10:07:24 GMT', now), 10_000);
      assert.equal(parseRetryAfter('Wednesday, 25-Mar-20 10:07:44 GMT', now), 30_000);
      assert.equal(parseRetryAfter('Wed Mar 25 10:07:15 2020', now), 1000);
    });

    it('gives 0 for a date in the past and clamps a far future one', () => {
      assert.equal(parseRetryAfter('Wed, 25 Mar 2020 10:00:00 GMT', now), 0);
      assert.equal(parseRetryAfter('Fri, 25 Mar 2022 10:00:00 GMT', now), MAX_RETRY_AFTER_MS);
    });

    it('ignores absent and malformed values', () => {
      for (const value of [undefined, '', ' ', 'soon', '-5', '1.5', '5s', '0x10', 'Wed, 99 Foo 2020 99:99:99 GMT', '2020-03-25T10:07:24Z', '1']) {
        const parsed = parseRetryAfter(value, now);
        if (value === '1') assert.equal(parsed, 1000);
        else assert.equal(parsed, undefined, String(value));
      }
    });
  });

  describe('retryDelay', () => {
    it("prefers the server's Retry-After, else backs off", () => {
      assert.equal(retryDelay(1, DEFAULT_RETRY_POLICY, 7000, () => 1), 7000);
      assert.equal(retryDelay(1, DEFAULT_RETRY_POLICY, 0, () => 1), 0);
      assert.equal(retryDelay(2, DEFAULT_RETRY_POLICY, undefined, () => 1), 600);
    });
  });

  describe('sleep', () => {
    it('resolves after the delay', async () => {
      const started = Date.now();
      await sleep(20);
      // Timers never fire early by more than clock granularity.
      assert.ok(Date.now() - started >= 15);
    });

    it('rejects at once with ABORTED when the signal already fired', async () => {
      const controller = new AbortController();
      controller.abort();
      const error = await rejection(sleep(60_000, controller.signal));
      assert.ok(error instanceof UploadAbortedError);
      assert.equal(error.code, 'ABORTED');
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    });

    it('rejects promptly when aborted mid-sleep, clears its timer and removes its listener', async () => {
      const controller = new AbortController();
      // Watch the timers sleep() creates and clears, without changing what they do.
      const realSet = globalThis.setTimeout;
      const realClear = globalThis.clearTimeout;
      const created: unknown[] = [];
      const cleared: unknown[] = [];
      globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
        const handle = realSet(...args);
        created.push(handle);
        return handle;
      }) as typeof setTimeout;
      globalThis.clearTimeout = ((handle: Parameters<typeof clearTimeout>[0]) => {
        cleared.push(handle);
        realClear(handle);
      }) as typeof clearTimeout;
      let error: unknown;
      try {
        const sleeping = sleep(60_000, controller.signal);
        globalThis.setTimeout = realSet;
        assert.equal(created.length, 1);
        assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
        setTimeout(() => controller.abort(), 5);
        // Mocha's 2 s test timeout fails this if the 60 s timer is what ends the sleep.
        error = await rejection(sleeping);
      } finally {
        globalThis.setTimeout = realSet;
        globalThis.clearTimeout = realClear;
      }
      assert.ok(CosError.is(error));
      assert.equal(error.code, 'ABORTED');
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
      assert.deepEqual(cleared, created);
    });

    it('keeps the reason of a timeout abort', async () => {
      const error = await rejection(sleep(60_000, AbortSignal.timeout(5)));
      assert.ok(error instanceof UploadAbortedError);
      assert.equal(error.reason, 'timeout');
    });

    it('passes our own abort error through unchanged', async () => {
      const controller = new AbortController();
      const reason = new UploadAbortedError('shutdown');
      const sleeping = sleep(60_000, controller.signal);
      controller.abort(reason);
      assert.equal(await rejection(sleeping), reason);
    });

    it('removes its listener when it completes normally', async () => {
      const controller = new AbortController();
      await sleep(1, controller.signal);
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    });

    it('treats negative and NaN delays as zero', async () => {
      await sleep(-5);
      await sleep(Number.NaN);
    });
  });

  describe('isRetryableStatus', () => {
    it('retries 5xx except 501, plus 408 and 429', () => {
      for (const status of [500, 502, 503, 504, 599, 408, 429]) assert.equal(isRetryableStatus(status), true, String(status));
      for (const status of [200, 301, 400, 401, 403, 404, 409, 412, 501]) assert.equal(isRetryableStatus(status), false, String(status));
    });

    it('retries COS codes that mean "try later" whatever the status', () => {
      assert.equal(isRetryableStatus(503, 'SlowDown'), true);
      assert.equal(isRetryableStatus(400, 'RequestTimeout'), true);
      assert.equal(isRetryableStatus(200, 'InternalError'), true);
      assert.equal(isRetryableStatus(403, 'AccessDenied'), false);
      assert.equal(isRetryableStatus(404, 'NoSuchUpload'), false);
    });
  });

  describe('isTransientNetworkError', () => {
    it('recognises undici connection and timeout errors', () => {
      const transient = [
        new undiciErrors.SocketError('other side closed'),
        new undiciErrors.ConnectTimeoutError(),
        new undiciErrors.HeadersTimeoutError(),
        new undiciErrors.BodyTimeoutError(),
        new undiciErrors.ClientClosedError(),
        new undiciErrors.ResponseContentLengthMismatchError(),
      ];
      for (const error of transient) assert.equal(isTransientNetworkError(error), true, error.name);
    });

    it('does not retry undici errors that a new connection cannot fix', () => {
      const permanent = [
        new undiciErrors.RequestAbortedError(),
        new undiciErrors.InvalidArgumentError('bad'),
        new undiciErrors.RequestContentLengthMismatchError(),
        new undiciErrors.ClientDestroyedError(),
        new undiciErrors.NotSupportedError(),
        new undiciErrors.HeadersOverflowError(),
      ];
      for (const error of permanent) assert.equal(isTransientNetworkError(error), false, error.name);
    });

    it('recognises Node socket and DNS errors by code', () => {
      for (const code of ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']) {
        assert.equal(isTransientNetworkError(withCode(`connect ${code}`, code)), true, code);
      }
      assert.equal(isTransientNetworkError(withCode('getaddrinfo ENOTFOUND nosuch.example', 'ENOTFOUND')), false);
      assert.equal(isTransientNetworkError(withCode('certificate has expired', 'CERT_HAS_EXPIRED')), false);
    });

    it('walks cause chains and AggregateError members', () => {
      const socket = new undiciErrors.SocketError('other side closed');
      assert.equal(isTransientNetworkError(new TypeError('fetch failed', { cause: socket })), true);
      assert.equal(isTransientNetworkError(new Error('outer', { cause: new Error('middle', { cause: withCode('x', 'ECONNRESET') }) })), true);
      const wrapped = new CosError('NETWORK', 'Upload Part 3 failed: connection reset', { cause: withCode('reset', 'ECONNRESET') });
      assert.equal(isTransientNetworkError(wrapped), true);
      const aggregate = new AggregateError([withCode('a', 'ECONNREFUSED'), withCode('b', 'EHOSTUNREACH')], 'connect failed');
      assert.equal(isTransientNetworkError(new TypeError('fetch failed', { cause: aggregate })), true);
      assert.equal(isTransientNetworkError(new TypeError('fetch failed', { cause: new Error('unknown') })), false);
    });

    it('trusts a retryable NETWORK or TIMEOUT CosError', () => {
      assert.equal(isTransientNetworkError(new CosError('TIMEOUT', 'no progress for 60 s', { retryable: true })), true);
      assert.equal(isTransientNetworkError(new CosError('NETWORK', 'TLS failure', { retryable: false })), false);
      assert.equal(isTransientNetworkError(new CosError('SERVICE_ERROR', 'HTTP 403', { retryable: true })), false);
    });

    it('never retries an abort, even one wrapping a socket error', () => {
      const socket = new undiciErrors.SocketError('other side closed');
      assert.equal(isTransientNetworkError(new UploadAbortedError('user', socket)), false);
      assert.equal(isTransientNetworkError(new Error('wrapped', { cause: new UploadAbortedError('user') })), false);
      assert.equal(isTransientNetworkError(new DOMException('aborted', 'AbortError')), false);
      const abortWithCause = Object.assign(new Error('The operation was aborted'), { code: 'ABORT_ERR', cause: socket });
      assert.equal(isTransientNetworkError(abortWithCause), false);
    });

    it('copes with non-errors and cyclic causes', () => {
      for (const value of [undefined, null, 'ECONNRESET', 42, {}, new Error('plain')]) assert.equal(isTransientNetworkError(value), false);
      const a = new Error('a') as Error & { cause?: unknown };
      const b = new Error('b', { cause: a });
      a.cause = b;
      assert.equal(isTransientNetworkError(a), false);
      const c = withCode('c', 'ECONNRESET') as Error & { cause?: unknown };
      c.cause = c;
      assert.equal(isTransientNetworkError(c), true);
    });

    describe('with errors from real connections', function () {
      // undici checks timeouts on a coarse (about 1 s) clock, so the headers timeout takes longer than it says.
      this.timeout(10_000);
      let server: http.Server;
      let origin: string;
      let stall: http.Server;
      let stallOrigin: string;
      const dispatcher = new Agent({ headersTimeout: 100, connect: { timeout: 1000 } });

      before(async () => {
        server = http.createServer((req) => req.socket.destroy());
        stall = http.createServer(() => {
          // Never answer, so undici's headers timeout fires.
        });
        await Promise.all([
          new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)),
          new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve)),
        ]);
        origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        stallOrigin = `http://127.0.0.1:${(stall.address() as AddressInfo).port}`;
      });

      after(async () => {
        stall.closeAllConnections();
        await Promise.all([
          new Promise<void>((resolve) => server.close(() => resolve())),
          new Promise<void>((resolve) => stall.close(() => resolve())),
          dispatcher.close(),
        ]);
      });

      it('a connection the server drops (request and fetch)', async () => {
        const viaRequest = await rejection(request(origin, { dispatcher }));
        assert.equal((viaRequest as { code?: string }).code, 'UND_ERR_SOCKET');
        assert.equal(isTransientNetworkError(viaRequest), true);
        const viaFetch = await rejection(fetch(origin, { dispatcher }));
        assert.ok(viaFetch instanceof TypeError);
        assert.equal(isTransientNetworkError(viaFetch), true);
      });

      it('a refused connection', async () => {
        const closed = http.createServer();
        await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
        const port = (closed.address() as AddressInfo).port;
        await new Promise<void>((resolve) => closed.close(() => resolve()));
        const error = await rejection(request(`http://127.0.0.1:${port}`, { dispatcher }));
        assert.equal(isTransientNetworkError(error), true);
        assert.equal(isTransientNetworkError(await rejection(fetch(`http://127.0.0.1:${port}`, { dispatcher }))), true);
      });

      it('a server that never sends headers', async () => {
        const error = await rejection(request(stallOrigin, { dispatcher }));
        assert.equal((error as { code?: string }).code, 'UND_ERR_HEADERS_TIMEOUT');
        assert.equal(isTransientNetworkError(error), true);
      });

      it('a request the caller aborts', async () => {
        const controller = new AbortController();
        const pending = request(stallOrigin, { dispatcher, signal: controller.signal });
        setTimeout(() => controller.abort(), 5);
        assert.equal(isTransientNetworkError(await rejection(pending)), false);
      });
    });
  });
});
