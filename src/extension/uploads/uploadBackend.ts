import * as vscode from 'vscode';
import type { CheckpointStore, UploadEvent, UploadOptions, UploadResult } from '../../core';
import { checkpointId, ConfigError, CosClient, CosError, hashingStatus, resolveUploadOptions, uploadFile } from '../../core';
import { CALLING_THREAD_HASH_MAX } from '../../core/hashPool';
import { markCommandPhase } from '../debugTiming';
import { CredentialRenewer } from '../profiles/credentialPrompt';
import type { UploadLog } from '../ui/log';
import type { BucketProfile, ProfileSecrets, ProfileStore } from '../profiles/profileStore';
import { sseOf, targetOf } from '../profiles/profileStore';
import { readTransport } from '../settings/proxySettings';
import { rememberClockOffset, sessionClockOffset, sessionClockOptions } from '../profiles/sessionClock';
import type { ExtensionSettings } from '../settings/settings';
import type { UploadBackend, UploadJob } from './uploadManager';
import { completeLine, failureLine, type LineContext, otherEventLine, partLine, retryLine, startLine } from './uploadLogLines';

export interface BackendDeps {
  profiles: ProfileStore;
  checkpoints: CheckpointStore;
  log: UploadLog;
  settings(scope?: vscode.Uri): ExtensionSettings;
  /** The core's uploadFile; replaceable in tests. */
  upload?: typeof uploadFile;
  /** Renews expired temporary credentials (one per extension, so one question per profile). */
  renewer?: CredentialRenewer;
}

/** Set once the CRC64 engine line is written: once per session, not per file. */
let hashingLogged = false;

/** Bounds an Abort Multipart Upload so discarding never hangs the UI. */
const DISCARD_TIMEOUT_MS = 15_000;

/** Runs an {@link UploadJob} through the core with the profile's credentials and the user's settings, and logs it. */
export class CoreUploadBackend implements UploadBackend {
  private readonly renewer: CredentialRenewer;

  constructor(private readonly deps: BackendDeps) {
    this.renewer = deps.renewer ?? new CredentialRenewer(deps.profiles, deps.log);
  }

  async run(job: UploadJob, signal: AbortSignal, onEvent: (event: UploadEvent) => void): Promise<UploadResult> {
    const { profile, secrets } = await this.profileFor(job);
    markCommandPhase('profile and secrets read');
    const settings = this.deps.settings(vscode.Uri.file(job.filePath));
    const options: Partial<UploadOptions> = {
      ...settings.uploadOptions,
      sse: sseOf(profile, secrets),
      ...(profile.storageClass ? { storageClass: profile.storageClass } : {}),
    };
    const ctx: LineContext = { file: job.displayPath, key: job.key, bucket: profile.bucket, concurrency: 0 };
    const log = this.deps.log;
    try {
      // Validates before any request; a bad setting is reported as such, with nothing sent.
      ctx.concurrency = resolveUploadOptions(options).concurrency;
      const result = await (this.deps.upload ?? uploadFile)({
        filePath: job.filePath,
        key: job.key,
        target: targetOf(profile),
        // Expired temporary credentials pause the upload until renewed; finished parts stay on COS.
        credentials: this.renewer.sourceFor(profile, secrets),
        options,
        checkpoints: this.deps.checkpoints,
        // Cancel and pause both keep the upload; the manager aborts it on COS when the user asked to.
        onCancel: 'keep',
        clockOffsetMs: sessionClockOffset(profile.id),
        ...(job.restartIfChanged ? { onFileChanged: 'restart' as const } : {}),
        signal,
        logger: log,
        transport: readTransport(),
        onEvent: (event) => {
          if (event.type === 'clock-corrected') rememberClockOffset(profile.id, event.offsetMs);
          this.logEvent(ctx, event);
          onEvent(event);
        },
      });
      log.info(completeLine(ctx, result));
      return result;
    } catch (error) {
      // Upload on save waits for another uploader's lock and logs that once, not every retry.
      const lockWait = job.origin === 'onSave' && CosError.is(error) && error.code === 'LOCKED';
      if (!signal.aborted && !lockWait) log.error(failureLine(ctx, error));
      throw error;
    }
  }

  async discard(job: UploadJob, uploadId: string | undefined, signal?: AbortSignal): Promise<void> {
    const { profile } = await this.profileFor(job);
    const target = targetOf(profile);
    const id = checkpointId(target, job.key, job.filePath);
    const checkpoint = await this.deps.checkpoints.load(id).catch(() => undefined);
    const toAbort = checkpoint?.uploadId ?? uploadId;
    if (toAbort) {
      const client = new CosClient({
        target,
        credentials: this.deps.profiles.credentialSource(profile.id),
        logger: this.deps.log,
        transport: readTransport(),
        ...sessionClockOptions(profile.id),
      });
      try {
        const timeout = AbortSignal.timeout(DISCARD_TIMEOUT_MS);
        await client.abortMultipartUpload(job.key, toAbort, signal ? AbortSignal.any([signal, timeout]) : timeout);
      } catch (error) {
        // Already gone on COS is what we wanted.
        if (!CosError.is(error) || error.code !== 'NO_SUCH_UPLOAD') throw error;
      } finally {
        await client.close().catch(() => undefined);
      }
      this.deps.log.info(`aborted file=${job.displayPath} key=${job.key} uploadId=${toAbort}: the parts were deleted on COS`);
    }
    await this.deps.checkpoints.remove(id);
  }

  private async profileFor(job: UploadJob): Promise<{ profile: BucketProfile; secrets: ProfileSecrets }> {
    const profile = this.deps.profiles.find(job.profileId);
    if (!profile) {
      throw new ConfigError('profile', `The bucket profile of this upload no longer exists; add it again with COS: Add Bucket Profile: ${job.profileName}`);
    }
    const secrets = await this.deps.profiles.getSecrets(profile.id);
    if (!secrets) {
      throw new ConfigError('credentials', `The bucket profile has no SecretId or SecretKey stored; enter them with COS: Edit Bucket Profile: ${profile.name}`);
    }
    this.maskSecrets(secrets);
    return { profile, secrets };
  }

  private maskSecrets(secrets: ProfileSecrets): void {
    for (const value of [secrets.secretId, secrets.secretKey, secrets.sessionToken, secrets.sseCustomerKey]) this.deps.log.addSecret(value);
  }

  private logEvent(ctx: LineContext, event: UploadEvent): void {
    const log = this.deps.log;
    switch (event.type) {
      case 'start':
        markCommandPhase('start event');
        log.info(startLine(ctx, event));
        // Small files are hashed by the TypeScript engine on this thread; the first larger one
        // starts the hash worker, which reports the engine it loaded (and why not the native one).
        if (!hashingLogged && event.fileSize > CALLING_THREAD_HASH_MAX) {
          hashingLogged = true;
          void hashingStatus().then((crc) =>
            log.info(
              `hashing: crc64Engine=${crc.name}${crc.reason ? ` (${crc.reason})` : ''} on ${crc.threaded ? `a worker thread${crc.nice !== undefined ? ` (nice ${crc.nice})` : ''}` : 'the extension host thread'}`,
            ),
          );
        }
        break;
      case 'part':
        log.info(partLine(ctx, event));
        break;
      case 'retry':
        log.warn(retryLine(ctx, event));
        break;
      case 'progress':
      case 'complete':
        break;
      default: {
        const line = otherEventLine(ctx, event);
        if (line) log.info(line);
      }
    }
  }
}
