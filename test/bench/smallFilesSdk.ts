/**
 * The official SDK's way to send many files: cos-nodejs-sdk-v5 `uploadFiles`, which sends a file up
 * to its SliceSize (1 MiB by default) as one Put Object and bigger ones in parts, FileParallelLimit
 * files at once (3 by default), ChunkParallelLimit parts each (3).
 */

import type { SmallFilesChildArgs } from './smallFilesChild';

export interface SdkFileLimits {
  /** undefined: the SDK's default (3). */
  fileParallelLimit?: number;
}

/** Uploads every file of `files` (relative paths under args.folder) to args.prefix; throws naming the first failure. */
export async function sdkUploadFiles(args: SmallFilesChildArgs, files: readonly string[], limits: SdkFileLimits): Promise<number> {
  const Sdk = (await import('cos-nodejs-sdk-v5')).default;
  const cos = new Sdk({
    SecretId: args.secretId,
    SecretKey: args.secretKey,
    // The emulator is addressed by IP with path /<key>, as a custom domain is.
    Domain: new URL(args.url).host,
    Protocol: 'http:',
    ...(limits.fileParallelLimit !== undefined ? { FileParallelLimit: limits.fileParallelLimit } : {}),
  });
  const list = files.map((relative) => ({ Bucket: args.bucket, Region: args.region, Key: args.prefix + relative, FilePath: `${args.folder}/${relative}` }));
  const result = await new Promise<{ files: Array<{ error?: unknown; options: { Key?: string } }> }>((resolve, reject) => {
    void cos.uploadFiles({ files: list }, (error, data) => (error ? reject(error instanceof Error ? error : new Error(JSON.stringify(error))) : resolve(data as never)));
  });
  const failed = result.files.filter((f) => f.error);
  if (failed.length) throw new Error(`The SDK failed ${failed.length} of ${files.length} files, first ${failed[0].options.Key ?? '?'}: ${JSON.stringify(failed[0].error).slice(0, 300)}`);
  return limits.fileParallelLimit ?? 3;
}
