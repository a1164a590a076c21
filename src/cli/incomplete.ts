/**
 * `cos-upload incomplete`: the bucket's unfinished multipart uploads. Their parts are stored, and
 * billed, until the upload is completed or aborted, and nothing in COS's console makes them easy
 * to see, so this lists them with their size and age, says which ones this machine can resume,
 * and aborts one or all older than some days.
 */

import {
  checkpointsOfUpload,
  CosClient,
  CosError,
  FileCheckpointStore,
  formatBytes,
  joinCheckpoint,
  LIST_PARTS_CONCURRENCY,
  listIncompleteUploads,
  selectOlderThan,
  staticCredentials,
  uploadAgeMs,
  type BucketTarget,
  type CheckpointStore,
  type IncompleteUpload,
} from '../core';
import { credentialsFromEnv, type IncompleteCommand } from './args';
import { checkTarget, transportFromEnv, secretsIn, stderrLogger, type CommandContext } from './upload';
import { errorJson, EXIT_FAILURE, EXIT_OK, exitCodeFor, formatErrorLines, redact } from './output';
import { quoteArg } from './resume';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Age in the largest unit that reads naturally: 40 s, 12 min, 5.0 h, 3.2 days. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

/** `2024-05-01T10:00:00.000Z  3.2 days  8.0 MiB in 8 parts  key  upload id …` */
export function formatUploadLine(upload: IncompleteUpload, now: number): string {
  const age = uploadAgeMs(upload, now);
  const size = upload.bytes === undefined ? `size unknown (${upload.partsError ?? 'List Parts failed'})` : `${formatBytes(upload.bytes)} in ${upload.parts} part${upload.parts === 1 ? '' : 's'}`;
  return [upload.initiated ?? 'initiated ?', age === undefined ? '?' : formatAge(age), size, upload.key, `upload id ${upload.uploadId}`].join('  ');
}

export function uploadJson(upload: IncompleteUpload, now: number, type = 'upload'): Record<string, unknown> {
  const age = uploadAgeMs(upload, now);
  return {
    type,
    key: upload.key,
    uploadId: upload.uploadId,
    initiated: upload.initiated ?? null,
    ageDays: age === undefined ? null : Math.round((age / DAY_MS) * 1000) / 1000,
    parts: upload.parts ?? null,
    bytes: upload.bytes ?? null,
    localFile: upload.localFile ?? null,
    checkpointId: upload.checkpointId ?? null,
  };
}

/** Runs `cos-upload incomplete` and returns the exit code; every failure is printed, none thrown. */
export async function runIncomplete(command: IncompleteCommand, context: CommandContext): Promise<number> {
  const secrets = secretsIn(context.env);
  const print = (stream: 'stdout' | 'stderr', line: string) => void context.streams[stream].write(`${redact(line, secrets)}\n`);
  const notice = (message: string) => print('stderr', message);
  const printError = (error: unknown, extra: Record<string, unknown> = {}) => {
    for (const line of formatErrorLines(error)) print('stderr', line);
    if (command.json) print('stdout', JSON.stringify({ ...errorJson(error), ...extra }));
  };
  const where = `cos://${command.bucket}${command.prefix ? `/${command.prefix}` : ''}`;

  let client: CosClient | undefined;
  try {
    const target = checkTarget(command);
    const credentials = staticCredentials(credentialsFromEnv(context.env));
    client = new CosClient({
      target,
      credentials,
      logger: stderrLogger({ notice }, command.verbose ? 'debug' : 'warn'),
      maxConnections: LIST_PARTS_CONCURRENCY,
      ...(command.retries !== undefined ? { retry: { retries: command.retries } } : {}),
      transport: transportFromEnv(context.env),
    });
    const store = new FileCheckpointStore(command.stateDir);
    const { signal } = context;
    const now = Date.now();
    const action = command.action;

    if (action.type === 'list') {
      const uploads = await listIncompleteUploads(client, store, target, command.prefix !== undefined ? { prefix: command.prefix } : {}, signal);
      const bytes = uploads.reduce((sum, u) => sum + (u.bytes ?? 0), 0);
      const parts = uploads.reduce((sum, u) => sum + (u.parts ?? 0), 0);
      if (command.json) {
        for (const upload of uploads) print('stdout', JSON.stringify(uploadJson(upload, now)));
        print('stdout', JSON.stringify({ type: 'summary', uploads: uploads.length, parts, bytes }));
      } else if (uploads.length === 0) {
        print('stdout', `No incomplete multipart uploads in ${where}.`);
      } else {
        print('stdout', `${plural(uploads.length, 'incomplete multipart upload')} in ${where}, ${formatBytes(bytes)} in ${plural(parts, 'part')}:`);
        for (const upload of uploads) {
          print('stdout', `  ${formatUploadLine(upload, now)}`);
          if (upload.localFile) print('stdout', `      local file ${upload.localFile}: cos-upload resume ${quoteArg(upload.localFile)} --state-dir ${quoteArg(command.stateDir)}`);
        }
        print('stdout', 'Unfinished parts are stored and billed until the upload is completed or aborted (--abort <upload id>, --abort-older-than <days>).');
      }
      return EXIT_OK;
    }

    let chosen: IncompleteUpload[];
    if (action.type === 'abort') {
      const prefix = action.key ?? command.prefix;
      const uploads = await listIncompleteUploads(client, store, target, prefix !== undefined ? { prefix } : {}, signal);
      const match = uploads.filter((u) => u.uploadId === action.uploadId && (action.key === undefined || u.key === action.key));
      if (match.length === 0) {
        // Not listed: still try when the key is known (the listing may lag), and drop a stale checkpoint.
        if (action.key === undefined) {
          throw new CosError('NO_SUCH_UPLOAD', `No incomplete upload with this id in ${where}; list them with cos-upload incomplete: ${action.uploadId}`);
        }
        const upload = { key: action.key, uploadId: action.uploadId };
        chosen = [await joinCheckpoint(upload, await checkpointsOfUpload(store, target, upload), target)];
      } else {
        chosen = match;
      }
    } else {
      const uploads = await listIncompleteUploads(client, store, target, command.prefix !== undefined ? { prefix: command.prefix } : {}, signal);
      chosen = selectOlderThan(uploads, action.days, now);
    }

    let failed = 0;
    let freed = 0;
    for (const upload of chosen) {
      if (action.dryRun) {
        print('stdout', command.json ? JSON.stringify(uploadJson(upload, now, 'would-abort')) : `would abort  ${formatUploadLine(upload, now)}`);
        freed += upload.bytes ?? 0;
        continue;
      }
      try {
        await client.abortMultipartUpload(upload.key, upload.uploadId, signal);
      } catch (error) {
        if (CosError.is(error) && error.code === 'ABORTED') throw error;
        failed++;
        printError(error, { key: upload.key, uploadId: upload.uploadId });
        // COS forgot it: the local checkpoint can only lead to a restart the user just declined.
        if (CosError.is(error) && error.code === 'NO_SUCH_UPLOAD') await removeCheckpoints(store, target, upload, notice);
        continue;
      }
      freed += upload.bytes ?? 0;
      print('stdout', command.json ? JSON.stringify(uploadJson(upload, now, 'aborted')) : `aborted  ${formatUploadLine(upload, now)}`);
      await removeCheckpoints(store, target, upload, notice);
    }
    const done = chosen.length - failed;
    if (command.json) {
      print('stdout', JSON.stringify({ type: 'summary', dryRun: action.dryRun, aborted: action.dryRun ? 0 : done, failed, selected: chosen.length, bytes: freed }));
    } else if (chosen.length === 0) {
      const age = action.type === 'abort-older-than' && action.days > 0 ? ` older than ${action.days} days` : '';
      print('stdout', `No incomplete uploads${age} in ${where}; nothing to abort.`);
    } else {
      const verb = action.dryRun ? 'would abort' : 'aborted';
      print('stdout', `${verb} ${plural(done, 'upload')} (${formatBytes(freed)})${failed ? `; ${failed} failed` : ''}`);
    }
    return failed > 0 ? EXIT_FAILURE : EXIT_OK;
  } catch (error) {
    printError(error);
    return exitCodeFor(error);
  } finally {
    await client?.close().catch(() => undefined);
  }
}

/** After an abort: the checkpoints that knew the upload can only lead to a restart the user declined. */
async function removeCheckpoints(store: CheckpointStore, target: BucketTarget, upload: Pick<IncompleteUpload, 'key' | 'uploadId'>, notice: (message: string) => void): Promise<void> {
  for (const entry of await checkpointsOfUpload(store, target, upload)) {
    try {
      await store.remove(entry.id);
      notice(`removed the local checkpoint of ${entry.checkpoint.filePath}`);
    } catch (error) {
      notice(`warning: could not remove the local checkpoint ${entry.id}: ${(error as Error).message}`);
    }
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

