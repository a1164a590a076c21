/**
 * `cos-upload incomplete`: the bucket's unfinished multipart uploads. Their parts are stored, and
 * billed, until the upload is completed or aborted, and nothing in COS's console makes them easy
 * to see, so this lists them with their size and age, says which ones this machine can resume,
 * and aborts one or all older than some days.
 */

import {
  CosClient,
  CosError,
  FileCheckpointStore,
  formatBytes,
  staticCredentials,
  type Checkpoint,
  type CheckpointStore,
} from '../core';
import { credentialsFromEnv, type IncompleteCommand } from './args';
import { checkTarget, transportFromEnv, secretsIn, stderrLogger, type CommandContext } from './upload';
import { errorJson, EXIT_FAILURE, EXIT_OK, exitCodeFor, formatErrorLines, redact } from './output';
import { quoteArg } from './resume';
import { mapLimit } from '../core/mapLimit';

const DAY_MS = 24 * 60 * 60 * 1000;
/** List Parts calls in flight while sizing uploads: enough to be quick, few enough to be polite. */
const LIST_PARTS_CONCURRENCY = 4;

/** One unfinished upload as the command reports it. */
export interface IncompleteUpload {
  key: string;
  uploadId: string;
  /** ISO 8601 as COS sent it; undefined when it sent none. */
  initiated?: string;
  /** undefined when List Parts failed for this upload (the reason is in `partsError`). */
  parts?: number;
  bytes?: number;
  partsError?: string;
  /** The local file and checkpoint when this machine's state folder knows the upload. */
  local?: { checkpointId: string; filePath: string };
}

/** Age in the largest unit that reads naturally: 40 s, 12 min, 5.0 h, 3.2 days. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

function ageMs(upload: IncompleteUpload, now: number): number | undefined {
  if (upload.initiated === undefined) return undefined;
  const t = Date.parse(upload.initiated);
  return Number.isNaN(t) ? undefined : now - t;
}

/** `2024-05-01T10:00:00.000Z  3.2 days  8.0 MiB in 8 parts  key  upload id …` */
export function formatUploadLine(upload: IncompleteUpload, now: number): string {
  const age = ageMs(upload, now);
  const size = upload.bytes === undefined ? `size unknown (${upload.partsError ?? 'List Parts failed'})` : `${formatBytes(upload.bytes)} in ${upload.parts} part${upload.parts === 1 ? '' : 's'}`;
  return [upload.initiated ?? 'initiated ?', age === undefined ? '?' : formatAge(age), size, upload.key, `upload id ${upload.uploadId}`].join('  ');
}

export function uploadJson(upload: IncompleteUpload, now: number, type = 'upload'): Record<string, unknown> {
  const age = ageMs(upload, now);
  return {
    type,
    key: upload.key,
    uploadId: upload.uploadId,
    initiated: upload.initiated ?? null,
    ageDays: age === undefined ? null : Math.round((age / DAY_MS) * 1000) / 1000,
    parts: upload.parts ?? null,
    bytes: upload.bytes ?? null,
    localFile: upload.local?.filePath ?? null,
    checkpointId: upload.local?.checkpointId ?? null,
  };
}

/**
 * The uploads `--abort-older-than days` selects. 0 takes every upload, even one whose initiated
 * time is missing or a little in the future (the server's clock is not ours).
 */
export function selectOlderThan(uploads: readonly IncompleteUpload[], days: number, now: number): IncompleteUpload[] {
  if (days === 0) return [...uploads];
  return uploads.filter((upload) => {
    const age = ageMs(upload, now);
    return age !== undefined && age >= days * DAY_MS;
  });
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
      const uploads = await describeUploads(client, store, command.prefix, signal);
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
          if (upload.local) print('stdout', `      local file ${upload.local.filePath}: cos-upload resume ${quoteArg(upload.local.filePath)} --state-dir ${quoteArg(command.stateDir)}`);
        }
        print('stdout', 'Unfinished parts are stored and billed until the upload is completed or aborted (--abort <upload id>, --abort-older-than <days>).');
      }
      return EXIT_OK;
    }

    let chosen: IncompleteUpload[];
    if (action.type === 'abort') {
      const uploads = await describeUploads(client, store, action.key ?? command.prefix, signal);
      const match = uploads.filter((u) => u.uploadId === action.uploadId && (action.key === undefined || u.key === action.key));
      if (match.length === 0) {
        // Not listed: still try when the key is known (the listing may lag), and drop a stale checkpoint.
        if (action.key === undefined) {
          throw new CosError('NO_SUCH_UPLOAD', `No incomplete upload with this id in ${where}; list them with cos-upload incomplete: ${action.uploadId}`);
        }
        chosen = [{ key: action.key, uploadId: action.uploadId, ...localFor(await checkpointsByUploadId(store), action.uploadId) }];
      } else {
        chosen = match;
      }
    } else {
      chosen = selectOlderThan(await describeUploads(client, store, command.prefix, signal), action.days, now);
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
        if (CosError.is(error) && error.code === 'NO_SUCH_UPLOAD') await removeCheckpoints(store, upload.uploadId, notice);
        continue;
      }
      freed += upload.bytes ?? 0;
      print('stdout', command.json ? JSON.stringify(uploadJson(upload, now, 'aborted')) : `aborted  ${formatUploadLine(upload, now)}`);
      await removeCheckpoints(store, upload.uploadId, notice);
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

/** Lists the uploads, sizes each with List Parts (all pages) and joins the local checkpoints. */
async function describeUploads(client: CosClient, store: CheckpointStore, prefix: string | undefined, signal: AbortSignal): Promise<IncompleteUpload[]> {
  const listed = await client.listMultipartUploads(prefix !== undefined ? { prefix } : {}, signal);
  const local = await checkpointsByUploadId(store);
  return mapLimit(listed, LIST_PARTS_CONCURRENCY, async (upload): Promise<IncompleteUpload> => {
    const base: IncompleteUpload = {
      key: upload.key,
      uploadId: upload.uploadId,
      ...(upload.initiated !== undefined ? { initiated: upload.initiated } : {}),
      ...localFor(local, upload.uploadId),
    };
    try {
      const parts = await client.listParts(upload.key, upload.uploadId, signal);
      return { ...base, parts: parts.length, bytes: parts.reduce((sum, p) => sum + p.size, 0) };
    } catch (error) {
      if (CosError.is(error) && error.code === 'ABORTED') throw error;
      // One upload that cannot be sized (completed meanwhile, no permission) should not hide the rest.
      return { ...base, partsError: CosError.is(error) ? error.code : String(error) };
    }
  });
}

async function checkpointsByUploadId(store: CheckpointStore): Promise<Map<string, { id: string; checkpoint: Checkpoint }>> {
  const map = new Map<string, { id: string; checkpoint: Checkpoint }>();
  // An unreadable state folder only means no local match; the listing itself still helps.
  const entries = await store.list().catch(() => []);
  for (const entry of entries) map.set(entry.checkpoint.uploadId, entry);
  return map;
}

function localFor(local: Map<string, { id: string; checkpoint: Checkpoint }>, uploadId: string): Pick<IncompleteUpload, 'local'> {
  const entry = local.get(uploadId);
  return entry ? { local: { checkpointId: entry.id, filePath: entry.checkpoint.filePath } } : {};
}

async function removeCheckpoints(store: CheckpointStore, uploadId: string, notice: (message: string) => void): Promise<void> {
  const entries = await store.list().catch(() => []);
  for (const entry of entries) {
    if (entry.checkpoint.uploadId !== uploadId) continue;
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
