/**
 * The downloaders the benchmark compares. Each runs inside a child process (child.ts) against the
 * emulator the parent started and resolves once the whole object is in `destPath`; the parent then
 * checks the file's CRC64 against the object's, so a fast wrong answer cannot win.
 */

import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type COS from 'cos-nodejs-sdk-v5';
import type { DownloadEvent } from '../../src/core';

const loadCore = (): Promise<typeof import('../../src/core')> => import('../../src/core');
const loadSdk = async (): Promise<typeof COS> => (await import('cos-nodejs-sdk-v5')).default;

export const DOWNLOAD_CONTENDER_NAMES = ['ours-download', 'sdk-getobject', 'single-get'] as const;
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

/**
 * The ceiling: one signed, streamed GET piped into the file with no hashing; no downloader reading
 * these bytes from this server over one connection can beat it.
 */
async function runSingleGet(args: DownloadContenderArgs): Promise<DownloadContenderDetails> {
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
    await pipeline(res.body, createWriteStream(args.destPath, { highWaterMark: 1024 * 1024 }));
  } finally {
    await client.close();
  }
  return { ranges: 1, partSize: args.size, concurrency: 1, crc64Verified: false };
}

export const DOWNLOAD_CONTENDERS: Record<DownloadContenderName, (args: DownloadContenderArgs) => Promise<DownloadContenderDetails>> = {
  /** This project's core at its defaults: parallel ranged GETs, CRC64 verified. */
  'ours-download': runOurs,
  'sdk-getobject': runSdk,
  'single-get': runSingleGet,
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
    if (name === 'single-get') await import('undici');
  }
}
