/** `cos-upload download`: one object to one file, verified (CRC64) and resumable through a checkpoint. */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CosError, DownloadCheckpointStore, downloadObject, formatBytes, staticCredentials, type DownloadEvent, type DownloadResult } from '../core';
import { credentialsFromEnv } from './args';
import { lastSegment, type DownloadCommand } from './downloadArgs';
import { runPrefixDownload } from './downloadFolder';
import { EXIT_OK, exitCodeFor, formatSeconds, redact, UploadReporter } from './output';
import { formatRate } from '../core/sizes';
import { checkTarget, secretsIn, stderrLogger, transportFromEnv, type CommandContext } from './upload';

export function downloadStartLine(event: Extract<DownloadEvent, { type: 'start' }>, source: string, destPath: string): string {
  const ranges = `${event.rangeCount} range${event.rangeCount === 1 ? '' : 's'} of ${formatBytes(event.partSize)}`;
  const resumed = event.resumedRanges > 0 ? `, resuming: ${event.resumedRanges} range(s) already in ${event.tempPath}` : '';
  return `downloading ${source} (${formatBytes(event.size)}, ${event.size} bytes) to ${destPath} in ${ranges}${resumed}`;
}

export function downloadSummaryLines(result: DownloadResult, source: string): string[] {
  const rate = result.seconds > 0 ? `, ${formatRate(result.bytes / result.seconds)}` : '';
  const resumed = result.resumedRanges > 0 ? ` (${result.resumedRanges} resumed)` : '';
  return [
    `downloaded ${source} to ${result.path}`,
    `  size       ${formatBytes(result.bytes)} (${result.bytes} bytes) in ${result.ranges} range(s)${resumed}, ${formatSeconds(result.seconds)}${rate}`,
    `  etag       ${result.etag}`,
    `  crc64      ${result.crc64} (${result.crc64Verified ? 'matches COS' : 'not checked: COS sent no CRC64'})`,
  ];
}

/** The file a download writes: `dest`, or the key's last segment inside it when `dest` is a folder. */
async function destinationFile(key: string, dest: string): Promise<string> {
  const stat = await fs.stat(dest).catch(() => undefined);
  return stat?.isDirectory() ? path.join(dest, lastSegment(key)) : dest;
}

/** Runs the download and returns the process exit code; every failure is printed, none is thrown. */
export async function runDownload(command: DownloadCommand, context: CommandContext): Promise<number> {
  if (command.prefix) return runPrefixDownload(command, context);
  const secrets = secretsIn(context.env);
  const source = `cos://${command.bucket}/${command.key}`;
  const reporter = new UploadReporter(context.streams, { json: command.json, quiet: command.quiet, destination: source, secrets });
  const out = (line: string) => {
    reporter.clearProgress();
    context.streams.stdout.write(`${redact(line, secrets)}\n`);
  };
  try {
    const target = checkTarget(command);
    const credentials = credentialsFromEnv(context.env);
    const destPath = await destinationFile(command.key, command.dest);
    const result = await downloadObject({
      key: command.key,
      destPath,
      target,
      credentials: staticCredentials(credentials),
      options: command.options,
      checkpoints: new DownloadCheckpointStore(command.stateDir),
      overwrite: command.overwrite,
      transport: transportFromEnv(context.env),
      signal: context.signal,
      logger: stderrLogger(reporter, command.verbose ? 'debug' : command.quiet ? 'silent' : 'warn'),
      onEvent: (event) => {
        switch (event.type) {
          case 'progress':
            reporter.onEvent({
              type: 'progress',
              bytesSent: event.bytesDone,
              bytesTotal: event.bytesTotal,
              partsDone: event.rangesDone,
              partCount: event.rangeCount,
              concurrency: event.concurrency,
            });
            break;
          case 'retry':
            reporter.onEvent({ type: 'retry', operation: `${event.operation} bytes ${event.start}-${event.end}`, attempt: event.attempt, delayMs: event.delayMs, error: event.error });
            break;
          case 'start':
            if (command.quiet) break;
            out(command.json ? JSON.stringify({ ...event, type: 'start' }) : downloadStartLine(event, source, destPath));
            break;
          case 'restarted':
            if (!command.quiet) reporter.notice(`starting over: ${event.reason}; every range is fetched again`);
            break;
          case 'complete':
            break;
        }
      },
    });
    if (command.json) out(JSON.stringify({ type: 'summary', ...result, seconds: Math.round(result.seconds * 1000) / 1000 }));
    else for (const line of downloadSummaryLines(result, source)) out(line);
    return EXIT_OK;
  } catch (error) {
    reporter.error(error);
    if (CosError.is(error) && (error.retryable || error.code === 'NETWORK' || error.code === 'TIMEOUT') && error.code !== 'INTEGRITY') {
      reporter.notice(`The ranges already fetched are kept, with a checkpoint in ${command.stateDir}; run the same command again to resume once the problem is fixed.`);
    }
    return exitCodeFor(error);
  } finally {
    reporter.clearProgress();
  }
}
