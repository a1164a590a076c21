/**
 * `cos-upload download <prefix/> [destDir]`: every object under a prefix, one line per file (one
 * JSON object per line with --json), a summary last; exit 1 when any file failed or was refused.
 * On a terminal, a live files-and-bytes line on stderr as the sync draws it.
 */

import { DownloadCheckpointStore, downloadPrefix, formatBytes, listingPrefix, prefixDownloadIncomplete, staticCredentials, type PrefixDownloadEvent, type PrefixDownloadResult } from '../core';
import { credentialsFromEnv } from './args';
import type { DownloadCommand } from './downloadArgs';
import { FilesProgressLine } from './filesProgressLine';
import { EXIT_FAILURE, EXIT_OK, errorJson, exitCodeFor, formatErrorLines, formatSeconds, UploadReporter } from './output';
import { checkTarget, secretsIn, stderrLogger, transportFromEnv, type CommandContext } from './upload';

/** The human line of one event, or undefined when it has none (progress). */
export function prefixEventLine(event: PrefixDownloadEvent, source: string, destDir: string): string | undefined {
  switch (event.type) {
    case 'planned': {
      const markers = event.skippedMarkers ? `, ${event.skippedMarkers} folder marker(s) skipped` : '';
      const refused = event.refused.length ? `, ${event.refused.length} refused` : '';
      return `plan: ${event.files} file(s) (${formatBytes(event.bytes)}) under ${source} to ${destDir}${markers}${refused}`;
    }
    case 'file-done':
      return `downloaded ${event.key} to ${event.path} (${formatBytes(event.bytes)}, CRC64 ${event.crc64Verified ? 'matches COS' : 'not sent by COS'})`;
    case 'file-failed':
      return `failed ${event.key}: ${formatErrorLines(event.error).join(' ')}`;
    case 'progress':
      return undefined;
  }
}

export function prefixSummaryLines(result: PrefixDownloadResult, source: string): string[] {
  const total = result.downloaded.length + result.failed.length;
  return [
    `downloaded ${result.downloaded.length} of ${total} file(s) under ${source} to ${result.destDir}: ${formatBytes(result.bytes)} in ${formatSeconds(result.seconds)}`,
    ...(result.failed.length ? [`  failed     ${result.failed.length}: run the same command again to retry them (finished ranges resume)`] : []),
    ...result.refused.map((r) => `  refused    ${r.key}: ${r.reason}`),
  ];
}

export async function runPrefixDownload(command: DownloadCommand, context: CommandContext): Promise<number> {
  const secrets = secretsIn(context.env);
  const prefix = listingPrefix(command.key);
  const source = `cos://${command.bucket}/${prefix}`;
  const reporter = new UploadReporter(context.streams, { json: command.json, quiet: command.quiet, destination: source, secrets });
  const progressLine = new FilesProgressLine(context.streams, command.quiet, secrets);
  const out = (line: string) => progressLine.line('stdout', line);
  try {
    const target = checkTarget(command);
    const credentials = credentialsFromEnv(context.env);
    const result = await downloadPrefix({
      prefix,
      destDir: command.dest,
      target,
      credentials: staticCredentials(credentials),
      options: command.options,
      ...(command.fileConcurrency !== undefined ? { fileConcurrency: command.fileConcurrency } : {}),
      checkpoints: new DownloadCheckpointStore(command.stateDir),
      overwrite: command.overwrite,
      transport: transportFromEnv(context.env),
      signal: context.signal,
      logger: stderrLogger(reporter, command.verbose ? 'debug' : 'silent'),
      onEvent: (event) => {
        if (event.type === 'progress') {
          progressLine.update({ filesDone: event.filesDone, filesTotal: event.filesTotal, bytesSent: event.bytesDone, bytesTotal: event.bytesTotal });
          return;
        }
        if (command.quiet) return;
        if (command.json) out(JSON.stringify(eventJson(event)));
        else out(prefixEventLine(event, source, command.dest) ?? '');
      },
    });
    if (command.json) out(JSON.stringify(summaryJson(result)));
    else for (const line of prefixSummaryLines(result, source)) out(line);
    return prefixDownloadIncomplete(result) ? EXIT_FAILURE : EXIT_OK;
  } catch (error) {
    progressLine.clear();
    reporter.error(error);
    return exitCodeFor(error);
  } finally {
    progressLine.clear();
  }
}

function eventJson(event: Exclude<PrefixDownloadEvent, { type: 'progress' }>): Record<string, unknown> {
  if (event.type === 'file-failed') return { type: 'file-failed', key: event.key, path: event.path, error: errorJson(event.error) };
  if (event.type === 'file-done') return { type: 'file', key: event.key, path: event.path, bytes: event.bytes, crc64Verified: event.crc64Verified };
  return { ...event };
}

function summaryJson(result: PrefixDownloadResult): Record<string, unknown> {
  return {
    type: 'summary',
    prefix: result.prefix,
    destDir: result.destDir,
    files: result.downloaded.length,
    failed: result.failed.map((f) => ({ key: f.key, path: f.path, error: errorJson(f.error) })),
    refused: result.refused,
    skippedMarkers: result.skippedMarkers,
    bytes: result.bytes,
    seconds: Math.round(result.seconds * 1000) / 1000,
  };
}
