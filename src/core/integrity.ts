/**
 * Hashes of the bytes we send and how they compare with what COS returns. Pure functions on
 * buffers, so hashing can move to worker threads without changing callers.
 */

import { createHash } from 'node:crypto';
import { crc64, crc64Combine, getCrc64Engine, type Crc64Engine } from './crc64';
import type { ServerSideEncryption } from './types';

export interface Md5Digest {
  /** For the Content-MD5 request header. */
  base64: string;
  /** For comparing with the ETag COS returns. */
  hex: string;
}

export interface PartDigest {
  /** Absent when the upload does not send Content-MD5 (the default): CRC64 alone checks the bytes. */
  md5?: Md5Digest;
  crc64: bigint;
}

function md5Digest(raw: Buffer): Md5Digest {
  return { base64: raw.toString('base64'), hex: raw.toString('hex') };
}

/**
 * CRC64, and MD5 when asked, of one part: hash the very buffer that is sent, so what we check is
 * what went. MD5 is optional because it costs more than the rest of the upload put together
 * (README, "Why these defaults").
 */
export function digestPart(data: Uint8Array, engine?: Crc64Engine, withMd5 = true): PartDigest {
  const crc = crc64(data, engine);
  return withMd5 ? { md5: md5Digest(createHash('md5').update(data).digest()), crc64: crc } : { crc64: crc };
}

/** Slice size for hashing on a shared thread: short enough that other work runs between slices. */
export const HASH_SLICE_BYTES = 1024 * 1024;

/**
 * The same digest as digestPart, computed in slices with a yield to the event loop between them, so
 * hashing an 8 MiB part never blocks the thread (the VS Code extension host) for more than a slice.
 */
export async function digestPartSliced(data: Uint8Array, engine?: Crc64Engine, withMd5 = true, slice = HASH_SLICE_BYTES): Promise<PartDigest> {
  const md5 = withMd5 ? createHash('md5') : undefined;
  const crcEngine = engine ?? getCrc64Engine();
  let crc = 0n;
  for (let offset = 0; offset < data.length || offset === 0; offset += slice) {
    const piece = data.subarray(offset, Math.min(offset + slice, data.length));
    md5?.update(piece);
    crc = crcEngine.update(crc, piece);
    if (offset + slice < data.length) await new Promise<void>((resolve) => setImmediate(resolve));
    if (data.length === 0) break;
  }
  return md5 ? { md5: md5Digest(md5.digest()), crc64: crc } : { crc64: crc };
}

export type EtagComparison = 'match' | 'mismatch' | 'not-md5';

/**
 * Whether COS's ETag for a part or object is the body's MD5. Under SSE-KMS and SSE-C it looks like
 * one but is not (the spec's Upload Part examples: the same 13 bytes, Content-MD5 10 8f 52 8e…,
 * get ETag "108f528e…" plain and with SSE-COS, "1d3e8ae9…" with SSE-KMS, "ff14981a…" with SSE-C),
 * so comparing it with the MD5 would fail every part.
 */
export function etagIsBodyMd5(sse: ServerSideEncryption['type']): boolean {
  return sse === 'none' || sse === 'SSE-COS';
}

const MD5_HEX = /^[0-9a-f]{32}$/i;

/**
 * Compares an ETag with the MD5 of the bytes sent. COS does not promise the ETag is an MD5 (it is
 * not under SSE-KMS or SSE-C, for example), so an ETag that does not look like one gives
 * 'not-md5': neither proof nor disproof, and the CRC64 has to decide.
 */
export function etagMatchesMd5(etag: string | undefined, md5Hex: string): EtagComparison {
  if (etag === undefined) return 'not-md5';
  let value = etag.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  if (!MD5_HEX.test(value)) return 'not-md5';
  return value.toLowerCase() === md5Hex.toLowerCase() ? 'match' : 'mismatch';
}

/**
 * The whole object's CRC64 from its parts' CRCs, folded in part order, as COS computes the
 * x-cos-hash-crc64ecma it returns from Complete Multipart Upload. No parts gives the CRC of
 * nothing, 0.
 */
export function combinePartCrcs(parts: ReadonlyArray<{ crc64: bigint; size: number }>): bigint {
  let crc = 0n;
  for (const part of parts) crc = crc64Combine(crc, part.crc64, part.size);
  return crc;
}
