/**
 * Clock skew from a refusal without a reason. A HEAD answer has no body, so a signature COS
 * refused for its signing time shows only as a bare 403; the answer's Date header says whether
 * the time can be the cause.
 */

/**
 * The Date header has whole seconds and the answer spends time on the way: differences smaller
 * than this are measurement noise, not skew.
 */
export const DATE_SLACK_MS = 2_000;
/** Our signatures start one second before the signing time (signer.ts keyTimeWindow). */
const SIGNATURE_START_LEAD_MS = 1_000;

/** Server time minus local time from a Date header; undefined when absent or unreadable. */
export function serverClockOffset(dateHeader: string | undefined, localNowMs: number): number | undefined {
  const serverMs = dateHeader ? Date.parse(dateHeader) : NaN;
  return Number.isFinite(serverMs) ? serverMs - localNowMs : undefined;
}

/**
 * Whether COS's clock, `measuredOffsetMs` from ours, lies outside the window of a signature made
 * with `appliedOffsetMs` and valid for `signatureTtlSeconds` ([t − 1 s, t + ttl] in COS's view):
 * then the signing time alone explains a refusal. COS refuses a signature whose window does not
 * contain its own time.
 */
export function signingTimeRefused(measuredOffsetMs: number, appliedOffsetMs: number, signatureTtlSeconds: number): boolean {
  const residual = measuredOffsetMs - appliedOffsetMs;
  return residual > signatureTtlSeconds * 1000 - DATE_SLACK_MS || residual < -(SIGNATURE_START_LEAD_MS + DATE_SLACK_MS);
}

/**
 * The offset to sign with after a bare 403, or undefined when the Date header rules clock skew
 * out (or is missing, so it cannot rule it in).
 */
export function skewCorrection(dateHeader: string | undefined, localNowMs: number, appliedOffsetMs: number, signatureTtlSeconds: number): number | undefined {
  const measured = serverClockOffset(dateHeader, localNowMs);
  if (measured === undefined || !signingTimeRefused(measured, appliedOffsetMs, signatureTtlSeconds)) return undefined;
  return measured;
}

/** The log line for a correction: by how much, and which way. */
export function clockCorrectionLine(offsetMs: number, previousOffsetMs = 0): string {
  const seconds = Math.round(offsetMs / 1000);
  const ahead = seconds >= 0 ? 'ahead of' : 'behind';
  const change = previousOffsetMs !== 0 ? ` (was ${Math.round(previousOffsetMs / 1000)} s)` : '';
  return `Clock differs from the COS server by ${seconds} s (COS is ${Math.abs(seconds)} s ${ahead} this computer)${change}; corrected: signing with the server's time.`;
}
