/**
 * Hashes of the bytes we send and how they compare with what COS returns. Pure functions on
 * buffers, so hashing can move to worker threads without changing callers.
 */

import { createHash } from 'node:crypto';
import { crc64, crc64Combine, getCrc64Engine, type Crc64Engine } from './crc64';

export interface PartDigest {
  /** For the Content-MD5 request header. */
  md5Base64: string;
  /** For comparing with the ETag COS returns. */
  md5Hex: string;
  crc64: bigint;
}

/** MD5 and CRC64 of one part: hash the very buffer that is sent, so what we check is what went. */
export function digestPart(data: Uint8Array, engine?: Crc64Engine): PartDigest {
  const md5 = createHash('md5').update(data).digest();
  return { md5Base64: md5.toString('base64'), md5Hex: md5.toString('hex'), crc64: crc64(data, engine) };
}

/** Slice size for hashing on a shared thread: about 1.5 ms of MD5 + CRC64, then other work may run. */
export const HASH_SLICE_BYTES = 1024 * 1024;

/**
 * The same digest as digestPart, computed in slices with a yield to the event loop between them, so
 * hashing an 8 MiB part never blocks the thread (the VS Code extension host) for more than a slice.
 */
export async function digestPartSliced(data: Uint8Array, engine?: Crc64Engine, slice = HASH_SLICE_BYTES): Promise<PartDigest> {
  const md5 = createHash('md5');
  const crcEngine = engine ?? getCrc64Engine();
  let crc = 0n;
  for (let offset = 0; offset < data.length || offset === 0; offset += slice) {
    const piece = data.subarray(offset, Math.min(offset + slice, data.length));
    md5.update(piece);
    crc = crcEngine.update(crc, piece);
    if (offset + slice < data.length) await new Promise<void>((resolve) => setImmediate(resolve));
    if (data.length === 0) break;
  }
  const digest = md5.digest();
  return { md5Base64: digest.toString('base64'), md5Hex: digest.toString('hex'), crc64: crc };
}

export type EtagComparison = 'match' | 'mismatch' | 'not-md5';

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
