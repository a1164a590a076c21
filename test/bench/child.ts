/**
 * One benchmark contender in a process of its own:
 *   node out/test/bench/child.js <contender> '<json ContenderArgs>'
 *   node out/test/bench/child.js <download contender> '<json DownloadContenderArgs>'
 *   node out/test/bench/child.js hash-speed '{"bytes": 268435456}'
 * Prints one line `RESULT_MARKER <json ChildResult>` on stdout and exits; the contenders' own
 * console output is silenced so it cannot mix with the result or slow the run.
 */

import { CONTENDERS, isContenderName, measureHashSpeeds, preload, type ContenderArgs, type ContenderDetails, type HashSpeeds } from './contenders';
import { DOWNLOAD_CONTENDERS, isDownloadContenderName, preloadDownloader, type DownloadContenderArgs, type DownloadContenderDetails } from './downloadContenders';
import { ProcessMeter, type ProcessFigures } from './measure';

export const RESULT_MARKER = '@@bench-result@@';

export type ChildResult =
  | { ok: true; contender: string; figures: ProcessFigures; details: ContenderDetails }
  | { ok: true; contender: string; figures: ProcessFigures; download: DownloadContenderDetails }
  | { ok: true; contender: 'hash-speed'; hash: HashSpeeds }
  | { ok: false; contender: string; error: string };

function report(result: ChildResult): void {
  // Exit only once the line is flushed: the SDK's keep-alive sockets would otherwise hold the process.
  process.stdout.write(`${RESULT_MARKER} ${JSON.stringify(result)}\n`, () => process.exit(result.ok ? 0 : 1));
}

async function main(argv: string[]): Promise<void> {
  const [name, json] = argv;
  const quiet = (): void => {};
  console.log = quiet;
  console.info = quiet;
  console.warn = quiet;
  console.error = quiet;
  console.debug = quiet;
  try {
    if (name === 'hash-speed') {
      const { bytes } = JSON.parse(json ?? '{}') as { bytes?: number };
      report({ ok: true, contender: name, hash: await measureHashSpeeds(bytes) });
      return;
    }
    if (name && isDownloadContenderName(name)) {
      const args = JSON.parse(json ?? '') as DownloadContenderArgs;
      await preloadDownloader(name);
      const meter = new ProcessMeter();
      const download = await DOWNLOAD_CONTENDERS[name](args);
      report({ ok: true, contender: name, figures: meter.stop(), download });
      return;
    }
    if (!name || !isContenderName(name)) throw new Error(`Unknown contender: ${name ?? '(none)'}`);
    const args = JSON.parse(json ?? '') as ContenderArgs;
    await preload(name);
    const meter = new ProcessMeter();
    const details = await CONTENDERS[name](args);
    const figures = meter.stop();
    report({ ok: true, contender: name, figures, details });
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    report({ ok: false, contender: name ?? '', error: message });
  }
}

if (require.main === module) void main(process.argv.slice(2));
