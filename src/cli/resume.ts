/**
 * `cos-upload resume`: finishes uploads that were interrupted (Ctrl-C, a crash, SIGKILL, a network
 * outage that outlasted the retries) from the checkpoints in the state folder. Everything about
 * where the bytes go comes from the checkpoint; the core reconciles it with List Parts and sends
 * only the parts COS does not already hold.
 */

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  checkpointId,
  CosError,
  FileCheckpointStore,
  formatBytes,
  MAX_PARTS,
  resolveUploadOptions,
  staticCredentials,
  uploadFile,
  validateBucket,
  validateEndpoint,
  validateObjectKey,
  validateRegion,
  type BucketTarget,
  type Checkpoint,
  type CheckpointEntry,
  type CheckpointStore,
  type CredentialSource,
  type UploadOptions,
} from '../core';
import { credentialsFromEnv, UsageError, type ResumeCommand } from './args';
import { errorJson, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, exitCodeFor, formatErrorLines, redact, UploadReporter } from './output';
import { transportFromEnv, secretsIn, stderrLogger, type CommandContext } from './upload';

/** Bytes of the parts a checkpoint records as on COS. */
export function checkpointBytes(checkpoint: Checkpoint): number {
  return checkpoint.parts.reduce((sum, part) => sum + part.size, 0);
}

/** `/data/a.bin → cos://bucket/key  5/16 parts (5.0 MiB of 16.0 MiB)  upload id …  updated …` */
export function formatCheckpointLine({ checkpoint: c }: CheckpointEntry): string {
  return [
    `${c.filePath} → cos://${c.bucket}/${c.key}`,
    `${c.parts.length}/${c.partCount} parts (${formatBytes(checkpointBytes(c))} of ${formatBytes(c.fileSize)})`,
    `upload id ${c.uploadId}`,
    `updated ${c.updatedAt}`,
  ].join('  ');
}

export function checkpointJson({ id, checkpoint: c }: CheckpointEntry): Record<string, unknown> {
  return {
    type: 'checkpoint',
    id,
    filePath: c.filePath,
    bucket: c.bucket,
    region: c.region,
    endpoint: c.endpoint ?? null,
    key: c.key,
    uploadId: c.uploadId,
    fileSize: c.fileSize,
    partSize: c.partSize,
    partCount: c.partCount,
    partsDone: c.parts.length,
    bytesDone: checkpointBytes(c),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/**
 * The target a checkpoint was written for. Acceleration comes from the checkpoint's `accelerate`
 * field; where the field is missing (checkpoints that do not record it), from whether the id
 * matches the accelerated target's hash.
 */
export function targetForCheckpoint(id: string, c: Checkpoint): BucketTarget {
  validateBucket(c.bucket);
  validateRegion(c.region);
  if (c.endpoint !== undefined) validateEndpoint(c.endpoint);
  const target: BucketTarget = { bucket: c.bucket, region: c.region, ...(c.endpoint !== undefined ? { endpoint: c.endpoint } : {}) };
  if (c.endpoint !== undefined) return target;
  const accelerate = c.accelerate ?? checkpointId({ ...target, accelerate: true }, c.key, c.filePath) === id;
  return accelerate ? { ...target, accelerate: true } : target;
}

/**
 * Presents the checkpoint stored as `storedId` under the id the core computes for it, so a
 * checkpoint file that was renamed or copied in from elsewhere still resumes (and is removed) in place.
 */
export function aliasedStore(store: CheckpointStore, storedId: string, computedId: string): CheckpointStore {
  if (storedId === computedId) return store;
  const real = (id: string) => (id === computedId ? storedId : id);
  return {
    load: (id) => store.load(real(id)),
    save: (id, checkpoint) => store.save(real(id), checkpoint),
    remove: (id) => store.remove(real(id)),
    list: () => store.list(),
  };
}

/**
 * The part size to use if the upload has to start over: the checkpoint's, so the plan stays the
 * same, unless the file has grown past what that size allows in 10000 parts.
 */
export function restartPartSize(checkpoint: Checkpoint, fileSize: number): number | 'auto' {
  return Math.ceil(fileSize / checkpoint.partSize) <= MAX_PARTS ? checkpoint.partSize : 'auto';
}

/** Runs the command and returns the exit code; every failure is printed, none is thrown. */
export async function runResume(command: ResumeCommand, context: CommandContext): Promise<number> {
  const secrets = secretsIn(context.env);
  const print = (stream: 'stdout' | 'stderr', line: string) => void context.streams[stream].write(`${redact(line, secrets)}\n`);
  const fail = (error: unknown): number => {
    for (const line of formatErrorLines(error)) print('stderr', line);
    if (command.json) print('stdout', JSON.stringify(errorJson(error)));
    return exitCodeFor(error);
  };
  const listOn = (stream: 'stdout' | 'stderr', entries: CheckpointEntry[]) => {
    for (const entry of entries) print(stream, command.json ? JSON.stringify(checkpointJson(entry)) : `  ${formatCheckpointLine(entry)}`);
  };

  const store = new FileCheckpointStore(command.stateDir);
  let entries: CheckpointEntry[];
  try {
    entries = (await store.list()).sort((a, b) => a.checkpoint.filePath.localeCompare(b.checkpoint.filePath));
  } catch (error) {
    return fail(new CosError('CHECKPOINT', `Could not read the state folder: ${command.stateDir}`, { cause: error }));
  }

  if (command.list) {
    if (!command.json) print('stdout', describeCount(entries.length, command.stateDir));
    listOn('stdout', entries);
    return EXIT_OK;
  }

  let chosen = entries;
  if (command.filePath !== undefined) {
    const wanted = command.filePath;
    chosen = entries.filter((entry) => path.resolve(entry.checkpoint.filePath) === wanted);
    if (chosen.length === 0) {
      const code = fail(new CosError('CHECKPOINT', `No interrupted upload of this file is recorded in ${command.stateDir}: ${wanted}`));
      if (entries.length > 0) {
        print('stderr', `${describeCount(entries.length, command.stateDir)}`);
        listOn('stderr', entries);
      }
      return code;
    }
  } else if (entries.length === 0) {
    print('stderr', `Nothing to resume: ${describeCount(0, command.stateDir)}`);
    return EXIT_OK;
  } else if (entries.length > 1 && !command.all) {
    if (!command.json) print('stdout', describeCount(entries.length, command.stateDir));
    listOn('stdout', entries);
    return fail(new UsageError('Several uploads can be resumed; name the file to resume, or pass --all to resume them all'));
  }

  let credentials: CredentialSource;
  try {
    credentials = staticCredentials(credentialsFromEnv(context.env));
  } catch (error) {
    return fail(error);
  }

  const codes: number[] = [];
  for (const entry of chosen) {
    const code = await resumeOne(entry, command, context, store, credentials, secrets);
    // Ctrl-C stops the whole run, not just the upload in progress.
    if (code === EXIT_INTERRUPTED) return code;
    codes.push(code);
  }
  if (codes.length === 1) return codes[0];
  return codes.every((code) => code === EXIT_OK) ? EXIT_OK : EXIT_FAILURE;
}

function describeCount(count: number, stateDir: string): string {
  if (count === 0) return `no interrupted uploads in ${stateDir}`;
  return `${count} interrupted upload${count === 1 ? '' : 's'} in ${stateDir}:`;
}

async function resumeOne(
  entry: CheckpointEntry,
  command: ResumeCommand,
  context: CommandContext,
  store: CheckpointStore,
  credentials: CredentialSource,
  secrets: string[],
): Promise<number> {
  const { id, checkpoint } = entry;
  const reporter = new UploadReporter(context.streams, {
    json: command.json,
    quiet: command.quiet,
    destination: `cos://${checkpoint.bucket}/${checkpoint.key}`,
    secrets,
  });
  try {
    const target = targetForCheckpoint(id, checkpoint);
    validateObjectKey(checkpoint.key);
    const fileSize = await currentSize(checkpoint.filePath);
    const options: Partial<UploadOptions> = {
      ...command.options,
      partSize: command.options.partSize ?? restartPartSize(checkpoint, fileSize),
      // Always the multipart path, which is the one that reads (and finally removes) the checkpoint.
      multipartThreshold: 0,
    };
    resolveUploadOptions(options);
    const result = await uploadFile({
      filePath: checkpoint.filePath,
      key: checkpoint.key,
      target,
      credentials,
      options,
      checkpoints: aliasedStore(store, id, checkpointId(target, checkpoint.key, checkpoint.filePath)),
      onCancel: command.onCancel,
      onFileChanged: command.restart ? 'restart' : 'fail',
      transport: transportFromEnv(context.env),
      signal: context.signal,
      logger: stderrLogger(reporter, command.verbose ? 'debug' : command.quiet ? 'silent' : 'warn'),
      onEvent: reporter.onEvent,
    });
    reporter.summary(result);
    return EXIT_OK;
  } catch (error) {
    if (command.all && CosError.is(error) && error.code === 'LOCKED') {
      // Running elsewhere is not a failure of this run: the other uploader finishes it.
      reporter.notice(`skipped (locked): ${error.message}`);
      return EXIT_OK;
    }
    reporter.error(error);
    const hint = failureHint(error, checkpoint, command);
    if (hint) reporter.notice(hint);
    return exitCodeFor(error);
  } finally {
    reporter.clearProgress();
  }
}

async function currentSize(filePath: string): Promise<number> {
  try {
    return (await fs.stat(filePath)).size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CosError('FILE_NOT_FOUND', `The file of this interrupted upload no longer exists: ${filePath}`, { cause: error });
    }
    throw new CosError('FILE_UNREADABLE', `The file of this interrupted upload cannot be read (${code ?? 'error'}): ${filePath}`, { cause: error });
  }
}

/** What to do next, for the failures where the CLI knows better than the message alone. */
export function failureHint(error: unknown, checkpoint: Checkpoint, command: Pick<ResumeCommand, 'stateDir' | 'onCancel'>): string | undefined {
  if (!CosError.is(error)) return undefined;
  const stateDir = `--state-dir ${quoteArg(command.stateDir)}`;
  switch (error.code) {
    case 'FILE_CHANGED':
      return (
        `Nothing was merged: the parts already on COS belong to the old content. To upload the file as it is now, run ` +
        `cos-upload resume ${quoteArg(checkpoint.filePath)} --restart ${stateDir} (it aborts upload ${checkpoint.uploadId} on COS first).`
      );
    case 'FILE_NOT_FOUND':
      return (
        `Its parts stay on COS (and are billed) until the upload is aborted: cos-upload incomplete --abort ${checkpoint.uploadId} ` +
        `--key ${quoteArg(checkpoint.key)} --bucket ${checkpoint.bucket} --region ${checkpoint.region}` +
        `${checkpoint.endpoint ? ` --endpoint ${checkpoint.endpoint}` : ''} ${stateDir}`
      );
    case 'ABORTED':
      return command.onCancel === 'abort'
        ? 'The multipart upload was aborted on COS; nothing is left to resume.'
        : `The upload is kept on COS (upload id ${checkpoint.uploadId}); run cos-upload resume ${quoteArg(checkpoint.filePath)} ${stateDir} to continue it.`;
    case 'INVALID_ARGUMENT':
      return undefined;
    default:
      return error.retryable || error.code === 'NETWORK' || error.code === 'TIMEOUT'
        ? `The checkpoint is kept; run cos-upload resume ${quoteArg(checkpoint.filePath)} ${stateDir} again once the problem is fixed.`
        : undefined;
  }
}

/** Quotes a path for a copy-pasteable hint when it holds characters a POSIX shell would split on. */
export function quoteArg(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
