import * as vscode from 'vscode';
import { runCommand } from '../commands/run';
import type { CheckpointStore } from '../../core';
import { CosError, describeError, formatBytes } from '../../core';
import { followAllInNotification, followInNotification } from '../ui/progressUi';
import { ask } from '../ui/prompts';
import { restorePausedUploads } from './restore';
import type { UploadOutcome, UploadSnapshot } from './uploadManager';
import { showOutcome, showUploadFailure, type UploadUiDeps } from './uploadUi';

export interface StartupDeps extends UploadUiDeps {
  checkpoints: CheckpointStore;
}

export type StartupChoice = 'resume' | 'showUploads' | 'later';

/** What happened to the uploads an earlier session left unfinished; the extension-host tests read it. */
export interface StartupReport {
  /** The uploads offered for resuming (listed as paused in Show Uploads). */
  offered: UploadSnapshot[];
  /** The notification's text, when one was shown. */
  message?: string;
  /** undefined when the notification was dismissed. */
  choice?: StartupChoice;
  /** How each resumed upload ended, after any Start Over or Discard. */
  outcomes: UploadOutcome[];
}

/**
 * What activate() runs: lists the checkpoints of earlier sessions as paused uploads and offers
 * "Resume N interrupted uploads" (Resume all / Show Uploads / Later). Resuming goes through the
 * same checkpoint store, so only the parts COS does not have are sent. Never throws.
 */
export async function restoreAndOfferResume(deps: StartupDeps): Promise<StartupReport> {
  try {
    const offered = await restorePausedUploads(deps.manager, deps.profiles, deps.checkpoints, deps.log);
    if (offered.length === 0) return { offered, outcomes: [] };
    return await offerResume(deps, offered);
  } catch (error) {
    deps.log.error(`resuming interrupted uploads failed: ${describeError(error)}`);
    return { offered: [], outcomes: [] };
  }
}

/** The notification, and what follows the user's answer. */
export async function offerResume(deps: UploadUiDeps, offered: UploadSnapshot[]): Promise<StartupReport> {
  const resume = offered.length === 1 ? vscode.l10n.t('Resume') : vscode.l10n.t('Resume All');
  const showUploads = vscode.l10n.t('Show Uploads');
  const later = vscode.l10n.t('Later');
  const missing = offered.reduce((sum, s) => sum + Math.max(0, s.bytesTotal - s.bytesSent), 0);
  const message =
    offered.length === 1
      ? vscode.l10n.t('Resume 1 interrupted upload? {0} of it is still to send; the parts already on COS are kept: {1}', formatBytes(missing), offered[0].job.displayPath)
      : vscode.l10n.t('Resume {0} interrupted uploads? {1} is still to send; the parts already on COS are kept.', offered.length, formatBytes(missing));
  deps.log.info(`offering to resume ${offered.length} interrupted upload(s): ${offered.map((s) => s.job.displayPath).join(', ')}`);
  const picked = await ask('info', message, {}, resume, showUploads, later);
  const choice: StartupChoice | undefined = picked === resume ? 'resume' : picked === showUploads ? 'showUploads' : picked === later ? 'later' : undefined;
  if (choice === 'showUploads') void runCommand('cosUpload.showUploads');
  if (choice !== 'resume') return { offered, message, ...(choice ? { choice } : {}), outcomes: [] };
  return { offered, message, choice, outcomes: await resumeAll(deps, offered.map((s) => s.id)) };
}

/** Resumes the listed uploads that are still paused or failed, in one progress notification, and follows up on each ending. */
export async function resumeAll(deps: UploadUiDeps, ids: string[]): Promise<UploadOutcome[]> {
  const waiting = ids.map((id) => deps.manager.get(id)).filter((s): s is UploadSnapshot => s !== undefined && (s.state === 'paused' || s.state === 'failed'));
  if (waiting.length === 0) return [];
  const handles = waiting.map((s) => deps.manager.resume(s.id));
  const outcomes =
    handles.length === 1
      ? [await followInNotification(deps.manager, handles[0], vscode.l10n.t('Resuming {0} to {1}', waiting[0].job.displayPath, waiting[0].job.bucket))]
      : await followAllInNotification(
          deps.manager,
          handles,
          waiting.map((s) => s.bytesTotal),
          vscode.l10n.t('Resuming {0} uploads', handles.length),
        );
  return Promise.all(outcomes.map((outcome) => followUp(deps, outcome)));
}

/**
 * After a resumed run: a changed file gets Start Over / Discard (awaited, as it decides the outcome);
 * every other ending gets the same message as any other run ({@link showOutcome}).
 */
async function followUp(deps: UploadUiDeps, outcome: UploadOutcome): Promise<UploadOutcome> {
  const { job } = outcome;
  if (outcome.status === 'failed' && CosError.is(outcome.error) && outcome.error.code === 'FILE_CHANGED') {
    const startOver = vscode.l10n.t('Start Over');
    const discard = vscode.l10n.t('Discard');
    const picked = await ask(
      'warning',
      vscode.l10n.t('{0} changed since its upload was interrupted, so the parts on COS no longer match it. Start over (the old upload is aborted and the file is uploaded as it is now), or discard the upload?', job.displayPath),
      {},
      startOver,
      discard,
    );
    if (picked === startOver && deps.manager.get(outcome.id)?.state === 'failed') {
      const handle = deps.manager.resume(outcome.id, { restartIfChanged: true });
      return followUp(deps, await followInNotification(deps.manager, handle, vscode.l10n.t('Uploading {0} to {1}', job.displayPath, job.bucket)));
    }
    if (picked === discard && deps.manager.get(outcome.id)) {
      const discarded = await deps.manager.cancel(outcome.id);
      if (discarded?.status === 'failed') void showUploadFailure(deps, discarded);
      return discarded ?? outcome;
    }
    return outcome;
  }
  showOutcome(deps, outcome);
  return outcome;
}
