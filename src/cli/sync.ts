/**
 * `cos-upload sync <dir>` (send what changed, optionally delete remote-only objects) and
 * `cos-upload upload <dir>` (send every file). One line per file on stdout (one JSON object per
 * line with --json), the plan's counts first, a summary last; a live files-and-bytes line on a
 * terminal's stderr.
 */

import {
  CosError,
  FileCheckpointStore,
  formatBytes,
  resolveUploadOptions,
  staticCredentials,
  syncFolder,
  syncOutcomeCounts,
  type PlanItem,
  type PlanSummary,
  type SyncEvent,
  type SyncResult,
} from '../core';
import { formatRate } from '../core/sizes';
import { groupDigits } from '../core/sync/syncProgress';
import { credentialsFromEnv } from './cliEnvironment';
import { FilesProgressLine } from './filesProgressLine';
import { EXIT_FAILURE, EXIT_OK, exitCodeFor, formatErrorLines, errorJson, formatSeconds, type CliStreams } from './output';
import type { SyncCommand } from './syncArgs';
import { checkTarget, secretsIn, stderrLogger, transportFromEnv, type CommandContext } from './upload';

/** `132 to upload (48.0 MiB), 2310 unchanged, 4 to delete, 3 excluded` */
export function formatPlanCounts(summary: PlanSummary, dryRun: boolean): string {
  const upload = summary['upload-new'].count + summary['upload-changed'].count;
  const uploadBytes = summary['upload-new'].bytes + summary['upload-changed'].bytes;
  const parts = [`${upload} to upload (${formatBytes(uploadBytes)})`];
  if (summary['update-headers'].count) parts.push(`${summary['update-headers'].count} to send again for their headers`);
  if (summary.compare.count) parts.push(`${summary.compare.count} to compare by CRC64`);
  parts.push(`${summary['skip-unchanged'].count} unchanged`);
  if (summary['delete-remote'].count) parts.push(`${summary['delete-remote'].count} to delete (${formatBytes(summary['delete-remote'].bytes)})`);
  if (summary['keep-remote'].count) parts.push(`${summary['keep-remote'].count} remote only, kept (no --delete)`);
  if (summary.excluded.count) parts.push(`${summary.excluded.count} excluded`);
  if (summary['invalid-key'].count) parts.push(`${summary['invalid-key'].count} not valid as keys`);
  return `${dryRun ? 'plan (dry run)' : 'plan'}: ${parts.join(', ')}`;
}

const ACTION_WORDS: Record<PlanItem['action'], string> = {
  'upload-new': 'upload (new)',
  'upload-changed': 'upload (changed)',
  compare: 'compare',
  'skip-unchanged': 'unchanged',
  'update-headers': 'upload (headers)',
  'delete-remote': 'delete',
  'keep-remote': 'remote only (kept)',
  excluded: 'excluded',
  'invalid-key': 'not a valid key',
};

/** One plan line of a dry run: `upload (new)  docs/a b.md  ->  cos://bucket/site/docs/a b.md  1.2 KiB` */
export function formatPlanItem(item: PlanItem, bucket: string): string {
  const size = item.action === 'skip-unchanged' || item.action === 'keep-remote' ? '' : `  ${formatBytes(item.size)}`;
  const problem = item.problem ? `: ${item.problem}` : '';
  return `${ACTION_WORDS[item.action]}  ${item.relativePath}  ->  cos://${bucket}/${item.key}${size}${problem}`;
}

export function syncSummaryLines(result: SyncResult): string[] {
  const s = result.summary;
  if (result.dryRun) {
    const upload = s['upload-new'].count + s['upload-changed'].count;
    const bytes = s['upload-new'].bytes + s['upload-changed'].bytes;
    return [
      `dry run, nothing was sent: would upload ${upload} (${formatBytes(bytes)}), ${s['skip-unchanged'].count} unchanged, ` +
        (s['update-headers'].count ? `would send ${s['update-headers'].count} again for their headers, ` : '') +
        `would delete ${s['delete-remote'].count}, ${s.excluded.count} excluded (${formatSeconds(result.seconds)})`,
    ];
  }
  const c = syncOutcomeCounts(result);
  const headers = c.headersUpdated ? `${groupDigits(c.headersUpdated)} headers updated (${formatBytes(c.headersUpdatedBytes)}), ` : '';
  const sentBytes = c.uploadedBytes + c.headersUpdatedBytes;
  const lines = [
    `${groupDigits(c.uploaded)} uploaded (${formatBytes(c.uploadedBytes)}), ${headers}${groupDigits(c.unchanged)} unchanged, ` +
      `${groupDigits(c.deleted)} deleted, ${groupDigits(c.failed)} failed, ${groupDigits(c.excluded)} excluded in ${formatSeconds(result.seconds)}` +
      (result.seconds > 0 && sentBytes > 0 ? ` (${formatRate(sentBytes / result.seconds)})` : ''),
  ];
  if (result.deleteRefused.length) lines.push(`${result.deleteRefused.length} deletions were refused by COS (see above)`);
  if (result.deletesSkipped) lines.push(`${result.deletesSkipped} remote-only objects were not deleted because files failed to upload; run the same command again`);
  if (s['invalid-key'].count) lines.push(`${s['invalid-key'].count} files were left out: their paths are not valid object keys`);
  return lines;
}

function summaryJson(result: SyncResult): Record<string, unknown> {
  const c = syncOutcomeCounts(result);
  return {
    type: 'summary',
    dryRun: result.dryRun,
    plan: result.summary,
    // New and changed files; files sent again only for their headers are headersUpdated.
    uploaded: c.uploaded,
    uploadedBytes: c.uploadedBytes,
    headersUpdated: c.headersUpdated,
    headersUpdatedBytes: c.headersUpdatedBytes,
    unchanged: c.unchanged,
    deleted: c.deleted,
    deleteRefused: result.deleteRefused,
    deletesSkipped: result.deletesSkipped,
    failed: result.failed.map((f) => ({ key: f.key, ...errorJson(f.error) })),
    seconds: result.seconds,
  };
}

class SyncReporter {
  private readonly progressLine: FilesProgressLine;

  constructor(
    streams: CliStreams,
    private readonly command: SyncCommand,
    secrets: readonly string[],
  ) {
    this.progressLine = new FilesProgressLine(streams, command.quiet, secrets);
  }

  readonly onEvent = (event: SyncEvent): void => {
    const { json, quiet, bucket } = this.command;
    switch (event.type) {
      case 'progress':
        this.progressLine.update(event);
        return;
      case 'planned':
        if (json) this.out(JSON.stringify({ type: 'plan', ...event.summary, localFiles: event.localFiles, remoteObjects: event.remoteObjects }));
        else if (!quiet) this.err(formatPlanCounts(event.summary, this.command.dryRun));
        return;
      case 'file-uploaded':
        if (quiet) return;
        if (json) this.out(JSON.stringify({ ...event, type: 'uploaded' }));
        else this.out(`uploaded ${event.key}  ${formatBytes(event.bytes)}  etag=${event.etag}  crc64=${event.crc64}  request-id=${event.requestId ?? '-'}${event.multipart ? '  multipart' : ''}  (cos://${bucket})`);
        return;
      case 'file-failed':
        if (json) this.out(JSON.stringify({ type: 'failed', key: event.key, ...errorJson(event.error) }));
        for (const line of formatErrorLines(event.error)) this.err(`failed ${event.key}: ${line}`);
        return;
      case 'deleted':
        if (quiet) return;
        for (const key of event.keys) this.out(json ? JSON.stringify({ type: 'deleted', key }) : `deleted cos://${bucket}/${key}`);
        return;
      case 'delete-refused':
        if (json) this.out(JSON.stringify({ type: 'delete-refused', ...event.refusal }));
        this.err(`delete refused for cos://${bucket}/${event.refusal.key}: ${event.refusal.code} ${event.refusal.message}`);
        return;
      case 'compared':
        return;
    }
  };

  plan(items: readonly PlanItem[]): void {
    if (this.command.quiet) return;
    for (const item of items) {
      if (item.action === 'skip-unchanged' || item.action === 'keep-remote') continue;
      this.out(this.command.json ? JSON.stringify({ type: 'planned', action: item.action, key: item.key, path: item.relativePath, size: item.size }) : formatPlanItem(item, this.command.bucket));
    }
  }

  summary(result: SyncResult): void {
    this.clearProgress();
    if (this.command.json) this.out(JSON.stringify(summaryJson(result)));
    else for (const line of syncSummaryLines(result)) this.out(line);
  }

  error(error: unknown): void {
    this.clearProgress();
    for (const line of formatErrorLines(error)) this.err(line);
    if (this.command.json) this.out(JSON.stringify(errorJson(error)));
  }

  notice(message: string): void {
    this.err(message);
  }

  clearProgress(): void {
    this.progressLine.clear();
  }

  private out(line: string): void {
    this.progressLine.line('stdout', line);
  }

  private err(line: string): void {
    this.progressLine.line('stderr', line);
  }
}

/** Runs the sync and returns the exit code: 1 when a file failed or COS refused a deletion. */
export async function runSync(command: SyncCommand, context: CommandContext): Promise<number> {
  const reporter = new SyncReporter(context.streams, command, secretsIn(context.env));
  try {
    const target = checkTarget(command);
    resolveUploadOptions(command.options);
    const credentials = credentialsFromEnv(context.env);
    const result = await syncFolder({
      folder: command.folder,
      prefix: command.prefix,
      target,
      credentials: staticCredentials(credentials),
      options: command.options,
      deleteRemote: command.deleteRemote,
      dryRun: command.dryRun,
      ...(command.updateHeaders ? { updateHeaders: true } : {}),
      uploadAll: command.mode === 'upload-folder',
      exclude: command.exclude,
      respectGitignore: command.respectGitignore,
      ...(command.maxConcurrentFiles !== undefined ? { maxConcurrentFiles: command.maxConcurrentFiles } : {}),
      checkpoints: new FileCheckpointStore(command.stateDir),
      transport: transportFromEnv(context.env),
      signal: context.signal,
      logger: stderrLogger(reporter, command.verbose ? 'debug' : command.quiet ? 'silent' : 'warn'),
      onEvent: reporter.onEvent,
    });
    if (result.dryRun) reporter.plan(result.items);
    reporter.summary(result);
    return result.failed.length || result.deleteRefused.length || result.deletesSkipped ? EXIT_FAILURE : EXIT_OK;
  } catch (error) {
    reporter.error(error);
    if (CosError.is(error) && error.code === 'ABORTED') {
      reporter.notice('The sync stopped. Run the same command again: finished files are skipped by content, and big files resume from their checkpoints.');
    }
    return exitCodeFor(error);
  } finally {
    reporter.clearProgress();
  }
}
