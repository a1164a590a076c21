/**
 * The downloaders the benchmark compares. Each runs inside a child process (child.ts) against the
 * emulator the parent started and resolves once the whole object is in `destPath`; the parent then
 * checks the file's CRC64 against the object's, so a fast wrong answer cannot win.
 */

import { createWriteStream, promises as fs } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type COS from 'cos-nodejs-sdk-v5';
import type { Dispatcher } from 'undici';
import type { DownloadEvent } from '../../src/core';

const loadCore = (): Promise<typeof import('../../src/core')> => import('../../src/core');
const loadSdk = async (): Promise<typeof COS> => (await import('cos-nodejs-sdk-v5')).default;

export const DOWNLOAD_CONTENDER_NAMES = ['ours-download', 'sdk-getobject', 'single-get', 'single-get-verified'] as const;
export type DownloadContenderName = (typeof DOWNLOAD_CONTENDER_NAMES)[number];

export function isDownloadContenderName(name: string): name is DownloadContenderName {
  return (DOWNLOAD_CONTENDER_NAMES as readonly string[]).includes(name);
}

/** What the parent passes to a download child (as one JSON argument). */
export interface DownloadContenderArgs {
  url: string;
  bucket: string;
  region: string;
  secretId: string;
  secretKey: string;
  key: string;
  size: number;
  /** The file to create; it does not exist yet. */
  destPath: string;
}

/** Contender-specific figures reported next to the process figures. */
export interface DownloadContenderDetails {
  /** Ranged GETs (1 for a single GET). */
  ranges: number;
  partSize: number;
  /** Highest number of GETs in flight. */
  concurrency: number;
  /** The contender itself compared a CRC64 with the server's. */
  crc64Verified: boolean;
}

async function runOurs(args: DownloadContenderArgs): Promise<DownloadContenderDetails> {
  const { downloadObject, staticCredentials } = await loadCore();
  let concurrency = 0;
  let partSize = 0;
  const onEvent = (event: DownloadEvent): void => {
    if (event.type === 'start') partSize = event.partSize;
    else if (event.type === 'progress') concurrency = Math.max(concurrency, event.concurrency);
  };
  // At the core's defaults, no checkpoint store: what `cos-upload download` does minus the terminal output.
  const result = await downloadObject({
    key: args.key,
    destPath: args.destPath,
    target: { bucket: args.bucket, region: args.region, endpoint: args.url },
    credentials: staticCredentials({ secretId: args.secretId, secretKey: args.secretKey }),
    onEvent,
  });
  if (!result.crc64Verified) throw new Error('the download was not verified: the emulator sent no CRC64');
  return { ranges: result.ranges, partSize, concurrency, crc64Verified: true };
}

/** The official SDK's getObject at its defaults, streamed into a file (one GET, no verification). */
async function runSdk(args: DownloadContenderArgs): Promise<DownloadContenderDetails> {
  const Sdk = await loadSdk();
  const cos = new Sdk({ SecretId: args.secretId, SecretKey: args.secretKey, Domain: new URL(args.url).host, Protocol: 'http:' });
  const output = createWriteStream(args.destPath);
  const closed = new Promise<void>((resolve, reject) => {
    output.once('close', resolve);
    output.once('error', reject);
  });
  await cos.getObject({ Bucket: args.bucket, Region: args.region, Key: args.key, Output: output });
  // The SDK resolves when the response ends; the bytes count once the file is closed.
  if (!output.closed) await closed;
  return { ranges: 1, partSize: args.size, concurrency: 1, crc64Verified: false };
}

/** One signed, streamed GET of the whole object, its answer handed to `consume` (the body still unread). */
async function singleGet(args: DownloadContenderArgs, consume: (answer: Dispatcher.ResponseData) => Promise<void>): Promise<DownloadContenderDetails> {
  const origin = new URL(args.url);
  const headers: Record<string, string> = { host: origin.host };
  // Signed with the SDK's signer so the ceiling shares no code with our core.
  const Sdk = await loadSdk();
  const { Client } = await import('undici');
  const authorization = Sdk.getAuthorization({ SecretId: args.secretId, SecretKey: args.secretKey, Method: 'GET', Key: args.key, Headers: headers });
  const client = new Client(origin.origin, { headersTimeout: 0, bodyTimeout: 0 });
  try {
    const res = await client.request({ method: 'GET', path: '/' + args.key.split('/').map(encodeURIComponent).join('/'), headers: { ...headers, authorization } });
    if (res.statusCode !== 200) throw new Error(`The single Get Object failed with HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 300)}`);
    await consume(res);
  } finally {
    await client.close();
  }
  return { ranges: 1, partSize: args.size, concurrency: 1, crc64Verified: false };
}

/**
 * The ceiling: one streamed GET piped into the file with no hashing; no downloader reading
 * these bytes from this server over one connection can beat it.
 */
function runSingleGet(args: DownloadContenderArgs): Promise<DownloadContenderDetails> {
  return singleGet(args, (res) => pipeline(res.body, createWriteStream(args.destPath, { highWaterMark: 1024 * 1024 })));
}

/**
 * The verified ceiling: one streamed GET with our guarantees done the simplest way, sharing no code
 * with src/core/download: the CRC64 of every byte (the engine ours uses) compared with the object's,
 * the file fsynced before it is closed, and only then renamed into place.
 */
async function runSingleGetVerified(args: DownloadContenderArgs): Promise<DownloadContenderDetails> {
  const engine = (await loadCore()).getCrc64Engine();
  const temp = `${args.destPath}.verifying`;
  const details = await singleGet(args, async (res) => {
    const expected = res.headers['x-cos-hash-crc64ecma'];
    if (typeof expected !== 'string') throw new Error('The single Get Object answered without x-cos-hash-crc64ecma: nothing to verify against.');
    let crc = 0n;
    const hash = async function* (chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of chunks) {
        crc = engine.update(crc, chunk);
        yield chunk;
      }
    };
    try {
      // flush: the write stream fsyncs the file before closing it.
      await pipeline(res.body, hash, createWriteStream(temp, { highWaterMark: 1024 * 1024, flush: true }));
      const got = BigInt.asUintN(64, crc).toString();
      if (got !== expected.trim()) throw new Error(`The single Get Object's CRC64 is ${got}, the object's ${expected}: the bytes were damaged.`);
      await fs.rename(temp, args.destPath);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
  });
  return { ...details, crc64Verified: true };
}

export const DOWNLOAD_CONTENDERS: Record<DownloadContenderName, (args: DownloadContenderArgs) => Promise<DownloadContenderDetails>> = {
  /** This project's core at its defaults: parallel ranged GETs, CRC64 verified. */
  'ours-download': runOurs,
  'sdk-getobject': runSdk,
  'single-get': runSingleGet,
  'single-get-verified': runSingleGetVerified,
};

/** Loads a download contender's modules, so loading is not counted as download time. */
export async function preloadDownloader(name: DownloadContenderName): Promise<void> {
  if (name === 'ours-download') {
    // Like `cos-upload download`: a process of its own gets the CLI's V8 flags.
    const core = await loadCore();
    core.tuneDedicatedUploadProcess();
    core.getCrc64Engine();
  } else {
    await loadSdk();
    if (name === 'single-get' || name === 'single-get-verified') await import('undici');
    if (name === 'single-get-verified') (await loadCore()).getCrc64Engine();
  }
}
