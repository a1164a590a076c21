import { ConfigError } from './errors';
import { validateHeaderRules } from './objectHeaderRules';
import type { Checkpoint, CheckpointObjectOptions, ServerSideEncryption, UploadOptions } from './types';

/** The object options a checkpoint keeps, so a resumed upload ends as the object it began as. */
export function objectOptionsOf(options: UploadOptions): CheckpointObjectOptions {
  const { sse } = options;
  return {
    ...(options.contentType ? { contentType: options.contentType } : {}),
    ...(options.storageClass ? { storageClass: options.storageClass } : {}),
    sse: sse.type,
    ...(sse.type === 'SSE-KMS' && sse.kmsKeyId ? { kmsKeyId: sse.kmsKeyId } : {}),
    ...(sse.type === 'SSE-KMS' && sse.context ? { kmsContext: sse.context } : {}),
    ...(options.metadata && Object.keys(options.metadata).length ? { metadata: { ...options.metadata } } : {}),
    ...(options.tagging ? { tagging: options.tagging } : {}),
    ...(options.headerRules?.length ? { headerRules: options.headerRules.map((r) => ({ glob: r.glob, headers: { ...r.headers } })) } : {}),
    ...(options.forbidOverwrite ? { forbidOverwrite: true } : {}),
  };
}

/**
 * Resuming keeps the object as it was begun: options the caller did not set explicitly come from the
 * checkpoint. SSE-C needs its key on every part, and the key is not stored, so it must be given again.
 */
export function withCheckpointObject(options: UploadOptions, explicit: Partial<UploadOptions>, checkpoint: Checkpoint): UploadOptions {
  const saved = checkpoint.object;
  if (!saved) return options;
  if (saved.sse === 'SSE-C' && options.sse.type !== 'SSE-C') {
    throw new ConfigError(
      'sse',
      `Upload ${checkpoint.uploadId} was started with SSE-C, and every remaining part needs the same customer key: provide it to resume (the key is never stored in the checkpoint).`,
    );
  }
  let sse: ServerSideEncryption = options.sse;
  if (explicit.sse === undefined && saved.sse !== 'SSE-C') {
    sse = saved.sse === 'SSE-KMS' ? { type: 'SSE-KMS', kmsKeyId: saved.kmsKeyId, context: saved.kmsContext } : { type: saved.sse };
  }
  return {
    ...options,
    sse,
    contentType: explicit.contentType ?? saved.contentType ?? options.contentType,
    storageClass: explicit.storageClass ?? saved.storageClass ?? options.storageClass,
    metadata: explicit.metadata ?? saved.metadata ?? options.metadata,
    tagging: explicit.tagging ?? saved.tagging ?? options.tagging,
    // A checkpoint is a file on disk: its rules are checked again before they become headers.
    headerRules: explicit.headerRules ?? (saved.headerRules ? validateHeaderRules(saved.headerRules, 'checkpoint headers') : options.headerRules),
    forbidOverwrite: explicit.forbidOverwrite ?? saved.forbidOverwrite ?? options.forbidOverwrite,
  };
}
