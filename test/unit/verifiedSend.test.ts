import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { CosError } from '../../src/core/errors';
import { digestPart } from '../../src/core/integrity';
import { silentLogger, type ServerSideEncryption } from '../../src/core/types';
import { VerifiedSender, type SendAnswer } from '../../src/core/verifiedSend';

/** A VerifiedSender whose COS is a list of scripted answers; records what each send carried. */
function harness(options: { contentMd5?: boolean; sse?: ServerSideEncryption['type']; retries?: number } = {}) {
  const warnings: string[] = [];
  const resends: Array<{ partNumber: number; error: CosError }> = [];
  let md5Computed = 0;
  const sender = new VerifiedSender({
    contentMd5: options.contentMd5 ?? false,
    sse: () => options.sse ?? 'none',
    retries: () => options.retries ?? 2,
    md5Of: async (data) => {
      md5Computed++;
      return digestPart(data).md5;
    },
    logger: { ...silentLogger, warn: (m) => warnings.push(m) },
    onSent: () => undefined,
    onResend: (partNumber, _attempt, error) => resends.push({ partNumber, error }),
  });
  const data = randomBytes(4096);
  const full = digestPart(data);
  const md5Etag = `"${full.md5?.hex}"`;
  const crc = full.crc64.toString();
  const carried: Array<string | undefined> = [];
  const run = async (answers: Array<(sent: string | undefined) => SendAnswer>, withMd5 = options.contentMd5 ?? false) => {
    const digest = digestPart(data, undefined, withMd5);
    let i = 0;
    return sender.send(7, data, digest, async (contentMd5) => {
      carried.push(contentMd5);
      const answer = answers[Math.min(i++, answers.length - 1)];
      return answer(contentMd5);
    }, undefined);
  };
  return { sender, run, warnings, resends, carried, md5Etag, crc, full, md5Computed: () => md5Computed };
}

const OPAQUE_ETAG = `"${'ab'.repeat(16)}"`;

describe('VerifiedSender', () => {
  it('accepts a part whose CRC64 matches, with one send and no MD5', async () => {
    const h = harness();
    const part = await h.run([() => ({ etag: OPAQUE_ETAG, crc64: h.crc, requestId: 'r1' })]);
    assert.deepEqual({ sends: part.sends, crcVerified: part.crcVerified, crc64: part.crc64, requestId: part.requestId }, { sends: 1, crcVerified: true, crc64: h.crc, requestId: 'r1' });
    assert.deepEqual(h.carried, [undefined], 'no Content-MD5');
    assert.equal(h.md5Computed(), 0);
  });

  it('sends the part while its CRC64 is still being computed, and checks the answer once the hash is in', async () => {
    const h = harness();
    let finishHash: (digest: ReturnType<typeof digestPart>) => void = () => undefined;
    const hashing = new Promise<ReturnType<typeof digestPart>>((resolve) => (finishHash = resolve));
    let hashDoneWhenSent: boolean | undefined;
    let hashDone = false;
    void hashing.then(() => (hashDone = true));
    const wrong = (BigInt(h.crc) ^ 1n).toString();
    const answers = [wrong, h.crc];
    const sending = h.sender.send(3, Buffer.alloc(0), hashing, async () => {
      hashDoneWhenSent ??= hashDone;
      // The hash finishes only after the first send went out.
      setImmediate(() => finishHash({ crc64: h.full.crc64 }));
      return { etag: OPAQUE_ETAG, crc64: answers.shift() };
    }, undefined);
    const part = await sending;
    assert.equal(hashDoneWhenSent, false, 'the send waited for the hash');
    assert.equal(part.sends, 2, 'the first answer, checked against the late hash, was a mismatch and the part went again');
    assert.equal(part.crc64, h.crc);
    assert.match(h.resends[0].error.message, /CRC64 of part 3 does not match/);
  });

  it('fails the part with the hash\'s own error when hashing fails after the send', async () => {
    const h = harness();
    const broken = Promise.reject(new Error('worker died'));
    await assert.rejects(h.sender.send(4, Buffer.alloc(0), broken, async () => ({ etag: OPAQUE_ETAG, crc64: h.crc }), undefined), /worker died/);
  });

  it('sends a part again when its CRC64 differs, and gives up with INTEGRITY after the retries', async () => {
    const h = harness({ retries: 2 });
    const wrong = (BigInt(h.crc) ^ 1n).toString();
    const part = await h.run([() => ({ etag: h.md5Etag, crc64: wrong }), () => ({ etag: h.md5Etag, crc64: h.crc })]);
    assert.equal(part.sends, 2);
    assert.equal(h.resends.length, 1);
    assert.match(h.resends[0].error.message, /CRC64 of part 7 does not match/);
    const always = harness({ retries: 2 });
    await assert.rejects(always.run([() => ({ etag: always.md5Etag, crc64: wrong })]), (e: unknown) => CosError.is(e) && e.code === 'INTEGRITY');
    assert.equal(always.carried.length, 3, 'sent once and again twice');
  });

  it('with Content-MD5, sends the MD5 and checks the ETag too', async () => {
    const h = harness({ contentMd5: true });
    const part = await h.run([() => ({ etag: `"${'0'.repeat(32)}"`, crc64: h.crc }), () => ({ etag: h.md5Etag, crc64: h.crc })]);
    assert.equal(part.sends, 2);
    assert.deepEqual(h.carried, [h.full.md5?.base64, h.full.md5?.base64]);
    assert.match(h.resends[0].error.message, /ETag \(MD5\) of part 7/);
  });

  it('without a CRC64 in the answer, checks the ETag against an MD5 of the same buffer: one send', async () => {
    const h = harness();
    const part = await h.run([() => ({ etag: h.md5Etag })]);
    assert.equal(part.sends, 1);
    assert.equal(part.crcVerified, false);
    assert.equal(h.md5Computed(), 1);
    const bad = harness();
    const again = await bad.run([() => ({ etag: `"${'0'.repeat(32)}"` }), () => ({ etag: bad.md5Etag, crc64: bad.crc })]);
    assert.equal(again.sends, 2, 'an ETag that is another MD5 is a mismatch');
    assert.equal(bad.carried[1], bad.full.md5?.base64, 'and the resend carries the MD5 now known');
  });

  for (const [label, sse, etag] of [
    ['an ETag that is no MD5', 'none', '"3f2a-1"'],
    ['SSE-KMS, whose ETag only looks like an MD5', 'SSE-KMS', OPAQUE_ETAG],
  ] as const) {
    it(`without a CRC64 and with ${label}, sends again with Content-MD5 and keeps sending it`, async () => {
      const h = harness({ sse, retries: 0 });
      const part = await h.run([() => ({ etag }), (sent) => ({ etag: sent ? etag : 'unexpected' })]);
      assert.deepEqual(h.carried, [undefined, h.full.md5?.base64], 'the second send carries Content-MD5 (retries: 0 does not stop it)');
      assert.equal(part.sends, 2);
      assert.equal(part.crcVerified, false, 'COS checked the Content-MD5; no CRC64 was there to verify');
      assert.equal(h.sender.sendsMd5, true, 'later parts carry Content-MD5 from the start');
      assert.equal(h.warnings.length, 1);
      assert.match(h.warnings[0], /cannot be checked: COS returned no CRC64 and its ETag is not an MD5.*every later part/);
      assert.equal(h.resends.length, 1);
    });
  }

  it('under SSE-C never compares the ETag with the MD5, even with Content-MD5 on', async () => {
    const h = harness({ contentMd5: true, sse: 'SSE-C' });
    const part = await h.run([() => ({ etag: OPAQUE_ETAG, crc64: h.crc })]);
    assert.equal(part.sends, 1);
    assert.equal(h.resends.length, 0);
  });
});
