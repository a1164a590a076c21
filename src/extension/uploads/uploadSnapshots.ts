/**
 * How the core's events move one upload's picture (bytes, parts, speed, upload id, restarts), and
 * the read-only copy of it the UI and the test API get. Apart from the manager's scheduling.
 */
import type { UploadEvent } from '../../core';
import type { SpeedEstimator } from './speedEstimator';
import type { UploadSnapshot } from './uploadManager';

/** Applies one event of a running upload; false when the event changes nothing shown. */
export function applyUploadEvent(entry: UploadSnapshot & { speed: SpeedEstimator }, event: UploadEvent): boolean {
  switch (event.type) {
    case 'start':
      entry.uploadId = event.uploadId;
      entry.bytesTotal = event.fileSize;
      entry.partCount = event.partCount;
      entry.resumedParts = event.resumedParts;
      entry.partsDone = event.resumedParts;
      entry.bytesConfirmed = Math.min(event.fileSize, event.resumedParts * event.partSize);
      return true;
    case 'part':
      // Parts and confirmed bytes move together, so "1/14 parts" never shows beside a percent
      // that has not counted that part yet (the core's progress event comes just before this one).
      entry.bytesConfirmed = Math.min(entry.bytesTotal, entry.bytesConfirmed + event.bytes);
      entry.partsDone = Math.min(entry.partCount, entry.partsDone + 1);
      return true;
    case 'progress':
      entry.bytesSent = event.bytesSent;
      entry.bytesTotal = event.bytesTotal;
      entry.partCount = event.partCount;
      entry.speed.add(event.bytesSent);
      entry.bytesPerSecond = entry.speed.bytesPerSecond();
      entry.secondsLeft = entry.speed.secondsLeft(event.bytesTotal - event.bytesSent);
      return true;
    case 'complete':
      entry.uploadId = event.uploadId ?? entry.uploadId;
      return true;
    case 'restarted':
      // The backend logs it; the UI says it in the notification and the closing message.
      entry.restarted = { reason: event.reason, previousUploadId: event.previousUploadId, serverForgot: event.cause === 'NO_SUCH_UPLOAD' };
      return true;
    default:
      return false;
  }
}

/** A copy that shares nothing mutable with the manager's entry. */
export function snapshotOf(entry: UploadSnapshot): UploadSnapshot {
  const snapshot: UploadSnapshot = {
    id: entry.id,
    job: { ...entry.job },
    state: entry.state,
    bytesSent: entry.bytesSent,
    bytesConfirmed: entry.bytesConfirmed,
    bytesTotal: entry.bytesTotal,
    partsDone: entry.partsDone,
    partCount: entry.partCount,
    resumedParts: entry.resumedParts,
  };
  if (entry.bytesPerSecond !== undefined) snapshot.bytesPerSecond = entry.bytesPerSecond;
  if (entry.secondsLeft !== undefined) snapshot.secondsLeft = entry.secondsLeft;
  if (entry.uploadId !== undefined) snapshot.uploadId = entry.uploadId;
  if (entry.result !== undefined) snapshot.result = entry.result;
  if (entry.error !== undefined) snapshot.error = { ...entry.error };
  if (entry.restarted !== undefined) snapshot.restarted = { ...entry.restarted };
  return snapshot;
}
