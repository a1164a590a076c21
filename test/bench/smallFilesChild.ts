/**
 * One contender of the many-small-files bench in a process of its own:
 *   node out/test/bench/smallFilesChild.js <contender> '<json SmallFilesChildArgs>'
 * Prints `RESULT_MARKER <json>` with the process figures (wall time, peak RSS, event-loop p99).
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { RESULT_MARKER } from './child';
import { ProcessMeter, type ProcessFigures } from './measure';
import { SMALL_FILES_CONTENDERS, type SmallFilesContender } from './smallFilesReport';
import { barePutFiles } from './smallFilesBare';
import { sdkUploadFiles } from './smallFilesSdk';

export interface SmallFilesChildArgs {
  url: string;
  bucket: string;
  region: string;
  secretId: string;
  secretKey: string;
  folder: string;
  /** Key prefix, ending in '/'. */
  prefix: string;
  /** sdk-our-files: the SDK's FileParallelLimit; bare-put: its files at once. */
  fileParallelLimit?: number;
  /** Bytes of each file (bare-put sizes its buffers by it). */
  fileSize: number;
}

export type SmallFilesChildResult = { ok: true; figures: ProcessFigures; fileConcurrency: number } | { ok: false; error: string };

async function listFiles(folder: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(path.join(folder, relative), { withFileTypes: true })) {
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(folder, rel)));
    else out.push(rel);
  }
  return out;
}

async function runOurs(args: SmallFilesChildArgs): Promise<number> {
  const core = await import('../../src/core');
  const result = await core.syncFolder({
    folder: args.folder,
    prefix: args.prefix,
    target: { bucket: args.bucket, region: args.region, endpoint: args.url },
    credentials: core.staticCredentials({ secretId: args.secretId, secretKey: args.secretKey }),
    respectGitignore: false,
  });
  if (result.failed.length) throw new Error(`${result.failed.length} files failed, first ${result.failed[0].key}: ${result.failed[0].error.message}`);
  return result.peakFilesAtOnce;
}

async function main([name, json]: string[]): Promise<void> {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) console[method] = () => undefined;
  let result: SmallFilesChildResult;
  try {
    if (!(SMALL_FILES_CONTENDERS as readonly string[]).includes(name)) throw new Error(`Unknown contender: ${name}`);
    const contender = name as SmallFilesContender;
    const args = JSON.parse(json) as SmallFilesChildArgs;
    const ours = contender === 'ours' || contender === 'ours-resync';
    // Loading is not billed to the run: the CLI and the extension have their modules and hash workers up.
    if (ours) {
      const core = await import('../../src/core');
      core.tuneDedicatedUploadProcess();
      await core.hashingStatus();
    } else if (contender !== 'bare-put') {
      await import('cos-nodejs-sdk-v5');
    }
    const files = ours ? [] : await listFiles(args.folder);
    const meter = new ProcessMeter();
    const fileConcurrency = ours
      ? await runOurs(args)
      : contender === 'bare-put'
        ? await barePutFiles(args, files, args.fileParallelLimit ?? 1, args.fileSize)
        : await sdkUploadFiles(args, files, { fileParallelLimit: args.fileParallelLimit });
    result = { ok: true, figures: meter.stop(), fileConcurrency };
  } catch (error) {
    result = { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  // Exit once the line is flushed: keep-alive sockets would otherwise hold the process.
  process.stdout.write(`${RESULT_MARKER} ${JSON.stringify(result)}\n`, () => process.exit(result.ok ? 0 : 1));
}

if (require.main === module) void main(process.argv.slice(2));
