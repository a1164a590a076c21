/**
 * Scripted failures. A test (or, over HTTP, the CLI/extension-host harness) adds rules; each
 * incoming request takes the first live rule that matches its operation and part number.
 */

/** The COS operations the emulator serves, as named in fault rules and the request log. */
export type EmulatedOperation =
  | 'initiate'
  | 'uploadPart'
  | 'listParts'
  | 'complete'
  | 'abort'
  | 'putObject'
  | 'head'
  | 'listUploads'
  | 'getObject'
  | 'deleteObject'
  | 'headBucket'
  | 'listObjects'
  | 'deleteMultiple'
  | 'unknown';

export const OPERATIONS: readonly EmulatedOperation[] = [
  'initiate',
  'uploadPart',
  'listParts',
  'complete',
  'abort',
  'putObject',
  'head',
  'listUploads',
  'getObject',
  'deleteObject',
  'headBucket',
  'listObjects',
  'deleteMultiple',
  'unknown',
];

/**
 * - `status`: answer `status` with an <Error> document (`code`, default InternalError for 5xx), and
 *   a Retry-After header when `retryAfter` is set. The request is not processed.
 * - `reset`: destroy the socket. `at: 'request'` (default for operations with a body) after about
 *   half the body arrived, nothing processed; `at: 'response'` after processing (the part IS stored,
 *   the upload IS completed) while the answer is being written; on Get Object after about half the
 *   body was sent.
 * - `stall`: hold the request unanswered (body unread) for `ms`, then process it normally;
 *   without `ms`, until the client gives up.
 * - `wrongCrc` / `wrongEtag`: process normally, then answer with a wrong x-cos-hash-crc64ecma / ETag.
 * - `wrongBody`: Get Object answers as usual but with one byte of the body flipped (same length and
 *   headers), as a corrupting middlebox would.
 * - `noCrc`: process normally, then answer without x-cos-hash-crc64ecma (a COS-compatible server
 *   that does not compute it).
 * - `completeErrorIn200`: 200, then (after whitespace on Complete) an <Error> InternalError body;
 *   the request has no effect.
 * - `garbage`: 200 with an HTML body, as a misbehaving proxy would; the request has no effect.
 * - `expiredToken`: answer as COS does to expired temporary credentials.
 * - `refuse`: close the connection as soon as the request head arrives.
 */
export type FaultKind =
  | 'status'
  | 'reset'
  | 'stall'
  | 'wrongCrc'
  | 'wrongEtag'
  | 'wrongBody'
  | 'noCrc'
  | 'completeErrorIn200'
  | 'garbage'
  | 'expiredToken'
  | 'refuse';

export const FAULT_KINDS: readonly FaultKind[] = [
  'status',
  'reset',
  'stall',
  'wrongCrc',
  'wrongEtag',
  'wrongBody',
  'noCrc',
  'completeErrorIn200',
  'garbage',
  'expiredToken',
  'refuse',
];

export interface FaultRule {
  operation: EmulatedOperation | 'any';
  /** Only requests for this part number (Upload Part). */
  partNumber?: number;
  fault: FaultKind;
  /** How many matching requests the rule hits: a count (default 1), or 'always'. */
  times?: number | 'always';
  /** Let this many matching requests through first. */
  after?: number;
  /** For `status`. */
  status?: number;
  code?: string;
  message?: string;
  /** For `status`: Retry-After header value (seconds). */
  retryAfter?: number | string;
  /** For `stall`: how long; omitted = until the client disconnects. */
  ms?: number;
  /** For `reset`. */
  at?: 'request' | 'response';
}

export interface FaultRuleState extends FaultRule {
  id: string;
  /** Matching requests seen (including the ones let through by `after`). */
  seen: number;
  /** Requests the fault was applied to. */
  hits: number;
  /** False once `times` hits were made. */
  active: boolean;
}

function validate(rule: FaultRule): void {
  if (rule.operation !== 'any' && !OPERATIONS.includes(rule.operation)) {
    throw new Error(`Unknown fault operation, use one of ${OPERATIONS.join('|')}|any: ${String(rule.operation)}`);
  }
  if (!FAULT_KINDS.includes(rule.fault)) {
    throw new Error(`Unknown fault kind, use one of ${FAULT_KINDS.join('|')}: ${String(rule.fault)}`);
  }
  if (rule.fault === 'status' && (typeof rule.status !== 'number' || rule.status < 400 || rule.status > 599)) {
    throw new Error(`A status fault needs an HTTP error status between 400 and 599: ${String(rule.status)}`);
  }
  if (rule.times !== undefined && rule.times !== 'always' && !(Number.isInteger(rule.times) && rule.times > 0)) {
    throw new Error(`Fault "times" must be a positive integer or "always": ${String(rule.times)}`);
  }
  if (rule.after !== undefined && !(Number.isInteger(rule.after) && rule.after >= 0)) {
    throw new Error(`Fault "after" must be a non-negative integer: ${String(rule.after)}`);
  }
  if (rule.at !== undefined && rule.at !== 'request' && rule.at !== 'response') {
    throw new Error(`Fault "at" must be "request" or "response": ${String(rule.at)}`);
  }
}

/** Adds, lists and clears fault rules; the server asks it which fault (if any) a request gets. */
export class FaultController {
  private rules: FaultRuleState[] = [];
  private nextId = 1;

  /** Adds a rule and returns its live state (hits update as requests arrive). */
  add(rule: FaultRule): FaultRuleState {
    validate(rule);
    const state: FaultRuleState = { ...rule, id: `f${this.nextId++}`, seen: 0, hits: 0, active: true };
    this.rules.push(state);
    return state;
  }

  /** Removes one rule, or every rule when no id is given. */
  clear(id?: string): void {
    this.rules = id === undefined ? [] : this.rules.filter((r) => r.id !== id);
  }

  list(): FaultRuleState[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Total hits over all rules, handy for "the fault did fire" assertions. */
  get totalHits(): number {
    return this.rules.reduce((n, r) => n + r.hits, 0);
  }

  /** Called once per request: returns the rule that applies, counting it. */
  take(operation: EmulatedOperation, partNumber: number | undefined): FaultRuleState | undefined {
    for (const rule of this.rules) {
      if (!rule.active) continue;
      if (rule.operation !== 'any' && rule.operation !== operation) continue;
      if (rule.partNumber !== undefined && rule.partNumber !== partNumber) continue;
      rule.seen++;
      if (rule.seen <= (rule.after ?? 0)) continue;
      rule.hits++;
      if (rule.times !== 'always' && rule.hits >= (rule.times ?? 1)) rule.active = false;
      return rule;
    }
    return undefined;
  }
}
