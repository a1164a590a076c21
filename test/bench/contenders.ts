/**
 * The uploaders the benchmark compares. Each runs inside a child process (child.ts) against the
 * emulator the parent started, and resolves once the object is complete on the server.
 */

import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type COS from 'cos-nodejs-sdk-v5';
import type { UploadEvent, UploadRequest } from '../../src/core';

// Each contender loads only its own modules (lazily, below), so a child's memory holds one uploader
// and its figures are not inflated by the others' code.
const loadCore = (): Promise<typeof import('../../src/core')> => import('../../src/core');
const loadSdk = async (): Promise<typeof COS> => (await import('cos-nodejs-sdk-v5')).default;

/** Names the parent may ask a child to run. */
export const CONTENDER_NAMES = ['ours', 'ours-md5', 'ours-max', 'ours-shared', 'sdk-default', 'sdk-tuned', 'ceiling', 'ours-limit'] as const;
export type ContenderName = (typeof CONTENDER_NAMES)[number];

export function isContenderName(name: string): name is ContenderName {
  return (CONTENDER_NAMES as readonly string[]).includes(name);
}

/** What the parent passes to a child (as one JSON argument). */
export interface ContenderArgs {
  /** Emulator origin, e.g. http://127.0.0.1:40123. */
  url: string;
  bucket: string;
  region: string;
  secretId: string;
  secretKey: string;
  filePath: string;
  fileSize: number;
  key: string;
  /** sdk-tuned: part size; ours-max: ignored (ours picks its own). */
  partSize?: number;
  /** sdk-tuned and ours-max: parts in flight. */
  concurrency?: number;
  /** ours-limit: x-cos-traffic-limit, bit/s per request. */
  trafficLimit?: number;
}

/** Contender-specific figures reported next to the process figures. */
export interface ContenderDetails {
  partSize?: number;
  partCount?: number;
  /** Parts in flight: the engine's reported concurrency (highest seen) or the configured value. */
  concurrency?: number;
  crcEngine?: string;
  /** ours-limit: each part's bytes / duration, Mbit/s. */
  partRatesMbps?: number[];
}

export type Contender = (args: ContenderArgs) => Promise<ContenderDetails>;

async function runOurs(args: ContenderArgs, options: UploadRequest['options']): Promise<ContenderDetails> {
  const { staticCredentials, uploadFile } = await loadCore();
  const details: ContenderDetails = { concurrency: 0, partRatesMbps: [] };
  const onEvent = (event: UploadEvent): void => {
    if (event.type === 'start') {
      details.partSize = event.partSize;
      details.partCount = event.partCount;
      details.crcEngine = event.crcEngine;
    } else if (event.type === 'progress') {
      details.concurrency = Math.max(details.concurrency ?? 0, event.concurrency);
    } else if (event.type === 'part' && event.durationMs > 0) {
      details.partRatesMbps?.push((event.bytes * 8) / 1e6 / (event.durationMs / 1000));
    }
  };
  await uploadFile({
    filePath: args.filePath,
    key: args.key,
    target: { bucket: args.bucket, region: args.region, endpoint: args.url },
    credentials: staticCredentials({ secretId: args.secretId, secretKey: args.secretKey }),
    ...(options ? { options } : {}),
    onEvent,
  });
  if (!options?.trafficLimit) delete details.partRatesMbps;
  return details;
}

async function sdkClient(args: ContenderArgs, tuning: { ChunkSize?: number; ChunkParallelLimit?: number }): Promise<COS> {
  const Sdk = await loadSdk();
  return new Sdk({
    SecretId: args.secretId,
    SecretKey: args.secretKey,
    // The emulator is addressed by IP with path /<key>, as a custom domain is.
    Domain: new URL(args.url).host,
    Protocol: 'http:',
    ...tuning,
  });
}

async function runSdk(args: ContenderArgs, tuning: { ChunkSize?: number; ChunkParallelLimit?: number }): Promise<ContenderDetails> {
  const cos = await sdkClient(args, tuning);
  await cos.sliceUploadFile({ Bucket: args.bucket, Region: args.region, Key: args.key, FilePath: args.filePath });
  const chunk = Math.max(1024 * 1024, tuning.ChunkSize ?? 1024 * 1024);
  // The SDK doubles its part size until the file fits in 10000 parts.
  let partSize = chunk;
  while (Math.ceil(args.fileSize / partSize) > 10000) partSize *= 2;
  return { partSize, partCount: Math.ceil(args.fileSize / partSize), concurrency: tuning.ChunkParallelLimit ?? 3 };
}

/**
 * The ceiling: the same bytes as one streamed, signed Put Object with no hashing on the client;
 * no uploader sending these bytes through this server can beat it on one connection.
 */
async function runCeiling(args: ContenderArgs): Promise<ContenderDetails> {
  const origin = new URL(args.url);
  const headers: Record<string, string> = { host: origin.host, 'content-length': String(args.fileSize) };
  // Signed with the official SDK's signer so the ceiling shares no code with our core.
  const Sdk = await loadSdk();
  const { Client } = await import('undici');
  const authorization = Sdk.getAuthorization({
    SecretId: args.secretId,
    SecretKey: args.secretKey,
    Method: 'PUT',
    Key: args.key,
    Headers: headers,
  });
  const client = new Client(origin.origin, { headersTimeout: 0, bodyTimeout: 0 });
  try {
    const res = await client.request({
      method: 'PUT',
      path: '/' + args.key.split('/').map(encodeURIComponent).join('/'),
      headers: { ...headers, authorization },
      body: createReadStream(args.filePath, { highWaterMark: 1024 * 1024 }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`The single Put Object failed with HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
  } finally {
    await client.close();
  }
  return { partSize: args.fileSize, partCount: 1, concurrency: 1 };
}

export const CONTENDERS: Record<ContenderName, Contender> = {
  /** This project's core at its defaults: no options at all. */
  ours: (args) => runOurs(args, undefined),
  /** Diagnostic, not one of the contenders: ours with `concurrency` parts in flight from the start. */
  'ours-max': (args) => runOurs(args, { concurrency: args.concurrency, maxConcurrency: args.concurrency }),
  /** Diagnostic: ours with Content-MD5 on every part (`--content-md5`), the integrity the SDK's sliceUploadFile also sends. */
  'ours-md5': (args) => runOurs(args, { contentMd5: true }),
  /** Diagnostic: ours in a process it shares, as in the extension host (no process-wide V8 flags). */
  'ours-shared': (args) => runOurs(args, undefined),
  /** The official SDK's sliceUploadFile at its defaults (1 MiB parts, 3 in flight). */
  'sdk-default': (args) => runSdk(args, {}),
  /** The SDK at our part size and concurrency. */
  'sdk-tuned': (args) => runSdk(args, { ChunkSize: args.partSize, ChunkParallelLimit: args.concurrency }),
  ceiling: runCeiling,
  /** Ours at defaults plus x-cos-traffic-limit. */
  'ours-limit': (args) => runOurs(args, { trafficLimit: args.trafficLimit }),
};

/** Loads a contender's modules, so loading is not counted as upload time. */
export async function preload(name: ContenderName): Promise<void> {
  // Each contender has a process of its own, as the CLI does: the undici users get the CLI's V8 flags.
  const core = name.startsWith('ours') || name === 'ceiling' ? await loadCore() : undefined;
  if (core && name !== 'ours-shared') core.tuneDedicatedUploadProcess();
  // The extension starts the hash worker at activation and the CLI at startup: it is up before an upload begins.
  if (core && name.startsWith('ours')) await core.hashingStatus();
  if (name.startsWith('sdk') || name === 'ceiling') await loadSdk();
  if (name === 'ceiling') await import('undici');
}

/** Hashing speeds, MB/s, best of `rounds` over `bytes` of random data. */
export interface HashSpeeds {
  bytes: number;
  coreEngine: string;
  /** liblzma's lzma_crc64 through src/native, the engine uploads use where it is built. */
  crc64LzmaMBps?: number;
  crc64NativeMBps?: number;
  crc64TypescriptMBps: number;
  /** hash-wasm, the engine for small files on the calling thread during a sync. */
  crc64WasmMBps?: number;
  md5MBps: number;
}

export async function measureHashSpeeds(bytes = 256 * 1024 * 1024, rounds = 3): Promise<HashSpeeds> {
  // The engines themselves are internal to the core; the benchmark times each one directly.
  const { crc64, getCrc64Engine, nativeCrc64, typescriptCrc64 } = await import('../../src/core/crc64');
  const data = Buffer.allocUnsafe(bytes);
  for (let offset = 0; offset < bytes; offset += 64 * 1024 * 1024) randomFillSync(data, offset, Math.min(64 * 1024 * 1024, bytes - offset));
  const best = (work: () => void): number => {
    let fastest = Infinity;
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      work();
      fastest = Math.min(fastest, (performance.now() - t0) / 1000);
    }
    return bytes / 1e6 / fastest;
  };
  const native = nativeCrc64();
  const { existsSync } = await import('node:fs');
  const { builtLzmaBindingPath, builtLzmaEngine } = await import('../lzmaBinding');
  const lzma = existsSync(builtLzmaBindingPath()) ? builtLzmaEngine() : undefined;
  const { startWasmCrc64 } = await import('../../src/core/wasmCrc64');
  const wasm = await startWasmCrc64();
  return {
    bytes,
    coreEngine: getCrc64Engine().name,
    ...(lzma ? { crc64LzmaMBps: best(() => crc64(data, lzma)) } : {}),
    ...(native ? { crc64NativeMBps: best(() => crc64(data, native)) } : {}),
    crc64TypescriptMBps: best(() => crc64(data, typescriptCrc64)),
    ...(wasm ? { crc64WasmMBps: best(() => crc64(data, wasm)) } : {}),
    md5MBps: best(() => createHash('md5').update(data).digest()),
  };
}
