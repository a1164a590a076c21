/** Command-line options of `npm run bench` (see USAGE). */

import { parseSize } from '../../src/core';
import { CONTENDER_NAMES, isContenderName, type ContenderName } from './contenders';
import { SMALL_FILES_CONTENDERS } from './smallFilesReport';

export const PROFILE_NAMES = ['lan', 'wan'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * The contenders the issue names, plus diagnostics: `ours-md5` (what Content-MD5 costs) and
 * `ours-max` (how far more parts in flight go); `ours-shared` on request.
 */
export const DEFAULT_CONTENDERS: ContenderName[] = ['ours', 'ours-md5', 'sdk-default', 'sdk-tuned', 'ceiling', 'ours-max'];

export interface BenchOptions {
  profiles: ProfileName[];
  /** File sizes per profile, bytes. */
  sizes: Record<ProfileName, number[]>;
  runs: number;
  contenders: ContenderName[];
  /** x-cos-traffic-limit for the limit check, bit/s; 0 skips the check. */
  trafficLimit: number;
  /** File size for the traffic-limit check. */
  trafficLimitSize: number;
  /** Measure CRC64 (native, TypeScript) and MD5 speeds. */
  hashSpeeds: boolean;
  /** One discarded run per profile first, so the emulator's JIT warm-up is not billed to the first contender. */
  warmup: boolean;
  /** Write all figures here as JSON. */
  json?: string;
  /** Write the tables as Markdown here (default test/bench/LAST_RUN.md for a full run, none for --quick). */
  markdown?: string;
  /** `markdown` is the default path, relative to the repository root rather than the working folder. */
  markdownIsDefault: boolean;
  /** Before each upload, wait up to this long for other processes to go quiet; 0 never waits. */
  waitQuietSeconds: number;
  /** Where the test files go; default a new folder under the OS temp dir. */
  tmpDir?: string;
  /** Time whole processes too (cos-upload and curl -T, spawn to exit). */
  wholeProcess: boolean;
  /** Run only the whole-process section. */
  wholeProcessOnly: boolean;
  /** File sizes of the whole-process uploads, bytes (1 B allowed). */
  wholeProcessSizes: number[];
  /** Interleaved rounds of the whole-process section. */
  wholeProcessRuns: number;
  /** Time downloads too (ours, the SDK's getObject, one streamed GET). */
  download: boolean;
  /** Run only the download section. */
  downloadOnly: boolean;
  /** Object sizes of the download section per profile, bytes. */
  downloadSizes: Record<ProfileName, number[]>;
  /** Run only the many-small-files section (smallFiles.ts). */
  smallFilesOnly: boolean;
  /** With --quick: a tenth of the files in each set. */
  quick: boolean;
  /** Many-small-files sets to run, by file size (bytes); undefined: every set. */
  smallFileSizes?: number[];
  /** Many-small-files contenders to run; undefined: every one. */
  smallFilesContenders?: string[];
  /** Write a V8 CPU profile of each of our many-small-files child processes into this folder. */
  cpuProfDir?: string;
  /** Re-render the report an earlier --json saved (print it, write the Markdown) instead of running. */
  fromJson?: string;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]
  --quick                 smoke test: LAN and WAN, 64 MiB only, 1 run, no Markdown file
  --profiles lan,wan      network profiles (default both)
  --sizes 64MiB,1GiB      file sizes for every profile (default LAN 64MiB,1GiB; WAN 64MiB,512MiB)
  --lan-sizes LIST        file sizes for LAN only
  --wan-sizes LIST        file sizes for WAN only
  --big                   add 10 GiB to the LAN sizes
  --runs N                runs per contender and size; the median is reported (default 3)
  --contenders LIST       any of ${CONTENDER_NAMES.filter((c) => c !== 'ours-limit').join(', ')} (default ${DEFAULT_CONTENDERS.join(',')})
  --traffic-limit BITS    x-cos-traffic-limit for the limit check, bit/s (default 50000000; 0 skips it)
  --no-hash               skip the CRC64 / MD5 engine speeds
  --no-warmup             skip the discarded warm-up run
  --wait-quiet SECONDS    before each upload, wait up to this long for other processes to go quiet (default 30; 0: never)
  --json FILE             write every figure as JSON
  --md FILE               write the tables as Markdown (default test/bench/LAST_RUN.md unless --quick)
  --from-json FILE        re-render the report an earlier --json saved (print it, write the Markdown), without running
  --tmp DIR               where to create the test files
  --small-files-only      only the many-small-files section: 2,000 x 64 KiB and 200 x 1 MiB, ours (sync) against the
                          SDK's uploadFiles and a bare PUT loop (the ceiling), LAN and WAN (--quick: a tenth of the
                          files; record test/bench/LAST_RUN_SMALL_FILES.md)
  --small-sets LIST       only the sets of these file sizes (64KiB, 1MiB)
  --small-contenders LIST only these contenders of the small-files section (ours, sdk-default, sdk-our-files,
                          ours-resync, bare-put)
  --cpu-prof DIR          write a V8 CPU profile of our small-files child processes into DIR
  --whole-process-only    only the whole-process section: cos-upload and curl -T spawned per run, timed spawn to exit
  --no-whole-process      skip that section
  --whole-process-sizes L its upload sizes (default 1B,64MiB,1GiB; --quick 1B,64MiB)
  --whole-process-runs N  its interleaved rounds (default 5; --quick 1)
  --download-only         only the download section: ours, the SDK's getObject and one streamed GET into a file
                          (default LAN 1GiB, WAN 512MiB; --quick 64MiB; Markdown test/bench/LAST_RUN_DOWNLOAD.md)
  --no-download           skip that section
  --download-sizes LIST   its object sizes for every profile
  --download-lan-sizes L  its object sizes for LAN only
  --download-wan-sizes L  its object sizes for WAN only
  --help`;

function list(value: string | undefined, flag: string): string[] {
  if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value; see --help.`);
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function sizes(value: string | undefined, flag: string): number[] {
  return list(value, flag).map((text) => {
    const bytes = parseSize(text, flag);
    if (bytes < MiB) throw new Error(`${flag}: each size must be at least 1 MiB: ${text}`);
    return bytes;
  });
}

function wholeNumber(value: string | undefined, flag: string, min: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isSafeInteger(n) || n < min) throw new Error(`${flag} needs a whole number of at least ${min}: ${value ?? '(none)'}`);
  return n;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    profiles: [...PROFILE_NAMES],
    sizes: { lan: [64 * MiB, GiB], wan: [64 * MiB, 512 * MiB] },
    runs: 3,
    contenders: [...DEFAULT_CONTENDERS],
    trafficLimit: 50_000_000,
    trafficLimitSize: 64 * MiB,
    hashSpeeds: true,
    warmup: true,
    waitQuietSeconds: 30,
    wholeProcess: true,
    wholeProcessOnly: false,
    wholeProcessSizes: [1, 64 * MiB, GiB],
    wholeProcessRuns: 5,
    download: true,
    downloadOnly: false,
    downloadSizes: { lan: [GiB], wan: [512 * MiB] },
    markdownIsDefault: false,
    smallFilesOnly: false,
    quick: false,
    help: false,
  };
  let quick = false;
  let big = false;
  let markdownSet = false;
  const explicit: Partial<Record<ProfileName, number[]>> = {};
  let both: number[] | undefined;
  let wholeSizes: number[] | undefined;
  let wholeRuns: number | undefined;
  const downloadSizes: Partial<Record<ProfileName | 'both', number[]>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--quick':
        quick = true;
        break;
      case '--big':
        big = true;
        break;
      case '--profiles': {
        const names = list(value(), flag);
        for (const n of names) if (!(PROFILE_NAMES as readonly string[]).includes(n)) throw new Error(`Unknown profile (use ${PROFILE_NAMES.join(', ')}): ${n}`);
        options.profiles = names as ProfileName[];
        break;
      }
      case '--sizes':
        both = sizes(value(), flag);
        break;
      case '--lan-sizes':
        explicit.lan = sizes(value(), flag);
        break;
      case '--wan-sizes':
        explicit.wan = sizes(value(), flag);
        break;
      case '--runs':
        options.runs = wholeNumber(value(), flag, 1);
        break;
      case '--contenders': {
        const names = list(value(), flag);
        for (const n of names) {
          if (!isContenderName(n) || n === 'ours-limit') throw new Error(`Unknown contender (see --help): ${n}`);
        }
        options.contenders = names as ContenderName[];
        break;
      }
      case '--traffic-limit':
        options.trafficLimit = wholeNumber(value(), flag, 0);
        break;
      case '--no-hash':
        options.hashSpeeds = false;
        break;
      case '--no-warmup':
        options.warmup = false;
        break;
      case '--wait-quiet':
        options.waitQuietSeconds = wholeNumber(value(), flag, 0);
        break;
      case '--json':
        options.json = list(value(), flag)[0];
        break;
      case '--md':
        options.markdown = list(value(), flag)[0];
        markdownSet = true;
        break;
      case '--from-json':
        options.fromJson = list(value(), flag)[0];
        break;
      case '--tmp':
        options.tmpDir = list(value(), flag)[0];
        break;
      case '--whole-process-only':
        options.wholeProcessOnly = true;
        break;
      case '--small-files-only':
        options.smallFilesOnly = true;
        break;
      case '--small-sets':
        options.smallFileSizes = list(value(), flag).map((text) => parseSize(text, flag));
        break;
      case '--small-contenders':
        options.smallFilesContenders = list(value(), flag);
        for (const n of options.smallFilesContenders) {
          if (!(SMALL_FILES_CONTENDERS as readonly string[]).includes(n)) throw new Error(`Unknown small-files contender (use ${SMALL_FILES_CONTENDERS.join(', ')}): ${n}`);
        }
        break;
      case '--cpu-prof':
        options.cpuProfDir = list(value(), flag)[0];
        break;
      case '--no-whole-process':
        options.wholeProcess = false;
        break;
      case '--whole-process-sizes':
        wholeSizes = list(value(), flag).map((text) => parseSize(text, flag));
        break;
      case '--whole-process-runs':
        wholeRuns = wholeNumber(value(), flag, 1);
        break;
      case '--download-only':
        options.downloadOnly = true;
        break;
      case '--no-download':
        options.download = false;
        break;
      case '--download-sizes':
        downloadSizes.both = sizes(value(), flag);
        break;
      case '--download-lan-sizes':
        downloadSizes.lan = sizes(value(), flag);
        break;
      case '--download-wan-sizes':
        downloadSizes.wan = sizes(value(), flag);
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new Error(`Unknown option (see --help): ${arg}`);
    }
  }
  options.quick = quick;
  if (options.smallFilesOnly && options.wholeProcessOnly) throw new Error('--small-files-only and --whole-process-only each run one section alone: pick one.');
  if (quick) {
    options.sizes = { lan: [64 * MiB], wan: [64 * MiB] };
    options.runs = 1;
    options.wholeProcessSizes = [1, 64 * MiB];
    options.wholeProcessRuns = 1;
    options.downloadSizes = { lan: [64 * MiB], wan: [64 * MiB] };
  }
  if (downloadSizes.both) options.downloadSizes = { lan: [...downloadSizes.both], wan: [...downloadSizes.both] };
  if (downloadSizes.lan) options.downloadSizes.lan = downloadSizes.lan;
  if (downloadSizes.wan) options.downloadSizes.wan = downloadSizes.wan;
  if (options.downloadOnly && !options.download) throw new Error('--download-only and --no-download contradict each other.');
  if (options.downloadOnly && options.wholeProcessOnly) throw new Error('--download-only and --whole-process-only each run one section alone: pick one.');
  if (wholeSizes) options.wholeProcessSizes = wholeSizes;
  if (wholeRuns !== undefined) options.wholeProcessRuns = wholeRuns;
  if (options.wholeProcessOnly && !options.wholeProcess) throw new Error('--whole-process-only and --no-whole-process contradict each other.');
  if (both) options.sizes = { lan: [...both], wan: [...both] };
  if (explicit.lan) options.sizes.lan = explicit.lan;
  if (explicit.wan) options.sizes.wan = explicit.wan;
  if (big && !options.sizes.lan.includes(10 * GiB)) options.sizes.lan.push(10 * GiB);
  if (!markdownSet && !quick) {
    options.markdown = options.smallFilesOnly
      ? 'test/bench/LAST_RUN_SMALL_FILES.md'
      : options.wholeProcessOnly
        ? 'test/bench/LAST_RUN_WHOLE_PROCESS.md'
        : options.downloadOnly
          ? 'test/bench/LAST_RUN_DOWNLOAD.md'
          : 'test/bench/LAST_RUN.md';
    options.markdownIsDefault = true;
  }
  return options;
}

/** '64 MiB', '1 GiB', '1.5 GiB'. */
export function sizeLabel(bytes: number): string {
  if (bytes >= GiB) return `${Number((bytes / GiB).toFixed(2))} GiB`;
  return `${Number((bytes / MiB).toFixed(2))} MiB`;
}
