/**
 * The fault matrix: every fault the emulator (or the test, for a server that goes away, a skewed
 * clock or expiring credentials) can inject, at every point of a multipart upload. Each cell uploads
 * a fresh 5-part file with SSE-C and temporary credentials, injects one fault and then checks:
 *
 * - the upload either completed byte-identical (SHA-256 of the stored object equals the file's), or
 *   failed cleanly: a CosError, no success reported, its checkpoint kept whenever an upload id
 *   existed; then a plain rerun (the resume) must complete byte-identical, sending none of the
 *   parts the checkpoint recorded;
 * - nothing the upload produced (errors with their causes, retry events, log lines, checkpoint
 *   files) contains a secret key, session token, SSE-C key or any part of a signature.
 *
 * "Bytes lost" is the number of bytes of the file that are not in the stored object, identical, at
 * the end of the cell (after the resume, for a cell that failed). It must be 0 everywhere.
 *
 * Used by test/integration/faultMatrix.test.ts (asserts every cell) and by `npm run fault-matrix`
 * (prints the Markdown table for the README).
 */

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import {
  CosError,
  FileCheckpointStore,
  refreshableCredentials,
  staticCredentials,
  uploadFile,
  type Credentials,
  type CredentialSource,
  type Logger,
  type UploadEvent,
  type UploadOptions,
  type UploadResult,
} from '../../src/core';
import { generateCredentials, startEmulator, type FaultRule, type RunningEmulator } from '../../src/emulator';

const MiB = 1024 * 1024;
/** Five parts: four of 1 MiB and a short last one, so first, middle and last are different parts. */
export const PART_COUNT = 5;
export const FILE_SIZE = 4 * MiB + 12_345;

export type Point = 'initiate' | 'firstPart' | 'middlePart' | 'lastPart' | 'complete' | 'listParts';

export const POINTS: ReadonlyArray<{ id: Point; label: string }> = [
  { id: 'initiate', label: 'Initiate' },
  { id: 'firstPart', label: 'First part' },
  { id: 'middlePart', label: 'Middle part' },
  { id: 'lastPart', label: 'Last part' },
  { id: 'complete', label: 'Complete' },
  { id: 'listParts', label: 'List Parts (resume)' },
];

const PART_AT: Partial<Record<Point, number>> = { firstPart: 1, middlePart: 3, lastPart: PART_COUNT };

/** survived: the upload completed in the run the fault hit. resumed: it failed cleanly, and the rerun completed. */
export type Outcome = 'survived' | 'resumed';

/** What a row's fault needs from the cell it runs in. */
export interface CellSetup {
  env: MatrixEnv;
  point: Point;
}

/** A fault set up for one cell. */
export interface ArmedFault {
  /** Injects a fault that is not a rule in the emulator (server down, clock, credentials); called at the point. */
  fire?(): void;
  /** Credentials for the run the fault hits (default: the emulator's current ones, static). */
  credentials?: CredentialSource;
  /** Sees every event of the run the fault hits. */
  onEvent?(event: UploadEvent): void;
  /** How many requests (or events) the fault hit. */
  injected(): number;
  /** Removes the fault so the resume runs against a healthy server. */
  disarm(): Promise<void>;
}

export interface FaultRow {
  id: string;
  label: string;
  /** The expected outcome at each point; a point missing here does not apply to this fault. */
  expect: Partial<Record<Point, Outcome>>;
  /** Points where the fault is harmless by design, so surviving it takes no retry. */
  harmless?: Point[];
  /** Extra attempts per request (UploadOptions.retries); default 3. */
  retries?: number;
  arm(setup: CellSetup): ArmedFault;
}

export interface MatrixEnv {
  emu: RunningEmulator;
  /** base64 of the 32-byte SSE-C key every cell uploads with. */
  sseKey: string;
  workDir: string;
  /** Every credential the emulator accepted at some point. */
  credentialsSeen: Credentials[];
  /** Expires the emulator's temporary credentials and returns the fresh ones it accepts now. */
  expireCredentials(): Credentials;
  close(): Promise<void>;
}

export interface CellResult {
  row: string;
  point: Point;
  outcome: Outcome;
  /** Retry events in the run that survived (or in the run that failed). */
  retries: number;
  /** Recoveries that are not retries: clock corrected, credentials refreshed. */
  recoveries: string[];
  /** The failed run's error code. */
  errorCode?: string;
  /** The resume had to start a new upload (the old one was gone or completed). */
  restarted: boolean;
  /** Parts in the checkpoint the failed run left, and parts the resume did not send again. */
  checkpointParts?: number;
  resumedParts?: number;
  injected: number;
  bytesLost: number;
  /** Multipart uploads of this key still open on the server at the end (billable leftovers). */
  leftoverUploads: number;
  /** Every text the cell produced that was scanned for secrets. */
  scannedTexts: number;
  seconds: number;
}

/** Starts the emulator the matrix runs against: temporary credentials, default limits. */
export async function startMatrixEnv(): Promise<MatrixEnv> {
  const emu = await startEmulator({ credentials: generateCredentials(true) });
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cos-fault-matrix-'));
  const credentialsSeen: Credentials[] = [emu.credentials];
  return {
    emu,
    sseKey: randomBytes(32).toString('base64'),
    workDir,
    credentialsSeen,
    expireCredentials() {
      const fresh = emu.expireSessionToken();
      credentialsSeen.push(fresh);
      return fresh;
    },
    async close() {
      await emu.close();
      await fs.rm(workDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The faults

/** The emulator operation and part number a rule must match to hit `point`. */
function ruleTarget(point: Point): Pick<FaultRule, 'operation' | 'partNumber'> {
  switch (point) {
    case 'initiate':
      return { operation: 'initiate' };
    case 'complete':
      return { operation: 'complete' };
    case 'listParts':
      return { operation: 'listParts' };
    default:
      return { operation: 'uploadPart', partNumber: PART_AT[point] };
  }
}

/** A fault the emulator injects by rule at the cell's point. */
function ruleFault(fault: (point: Point) => Omit<FaultRule, 'operation' | 'partNumber'>): FaultRow['arm'] {
  return ({ env, point }) => {
    const rule = env.emu.faults.add({ ...ruleTarget(point), ...fault(point) });
    return {
      injected: () => rule.hits,
      disarm: async () => env.emu.faults.clear(),
    };
  };
}

const EVERY_POINT: Point[] = POINTS.map((p) => p.id);
const PART_POINTS: Point[] = ['firstPart', 'middlePart', 'lastPart'];
const expectAll = (outcome: Outcome, points: Point[] = EVERY_POINT): Partial<Record<Point, Outcome>> =>
  Object.fromEntries(points.map((p) => [p, outcome]));

/** Operations without a request body cannot be cut mid-body: for them the connection drops as the head arrives. */
const hasNoBody = (point: Point) => point === 'initiate' || point === 'listParts';

export const FAULT_ROWS: ReadonlyArray<FaultRow> = [
  {
    id: '500-once',
    label: 'HTTP 500 InternalError, once',
    expect: expectAll('survived'),
    arm: ruleFault(() => ({ fault: 'status', status: 500 })),
  },
  {
    id: '500-always',
    label: 'HTTP 500 on every attempt (retries exhausted)',
    expect: expectAll('resumed'),
    retries: 1,
    arm: ruleFault(() => ({ fault: 'status', status: 500, times: 2 })),
  },
  {
    id: 'slowdown',
    label: '503 SlowDown with Retry-After: 1',
    expect: expectAll('survived'),
    arm: ruleFault(() => ({ fault: 'status', status: 503, code: 'SlowDown', retryAfter: 1 })),
  },
  {
    id: 'reset-request',
    label: 'Connection reset mid-request (nothing processed)',
    expect: expectAll('survived'),
    arm: ruleFault((point) => (hasNoBody(point) ? { fault: 'refuse' } : { fault: 'reset', at: 'request' })),
  },
  {
    id: 'reset-response',
    label: 'Answer lost (reset after the server processed it)',
    expect: expectAll('survived'),
    arm: ruleFault(() => ({ fault: 'reset', at: 'response' })),
  },
  {
    id: 'stall',
    label: 'Stall: no answer until the 1 s request timeout',
    expect: expectAll('survived'),
    arm: ruleFault(() => ({ fault: 'stall' })),
  },
  {
    id: 'refused',
    label: 'Connection refused (server down until the first retry)',
    expect: expectAll('survived'),
    arm: ({ env }) => {
      let paused: Promise<void> | undefined;
      let resumed: Promise<void> | undefined;
      let refusals = 0;
      return {
        fire: () => {
          paused = env.emu.pause();
        },
        onEvent: (event) => {
          if (event.type !== 'retry' || !paused) return;
          if (CosError.is(event.error) && event.error.code === 'NETWORK') refusals++;
          resumed ??= paused.then(() => env.emu.resume());
        },
        injected: () => refusals,
        disarm: async () => {
          await paused;
          await (resumed ?? env.emu.resume());
        },
      };
    },
  },
  {
    id: 'wrong-crc',
    label: 'Wrong CRC64 in the answer',
    // Initiate and List Parts answers carry no CRC64.
    expect: { ...expectAll('survived', PART_POINTS), complete: 'resumed' },
    arm: ruleFault(() => ({ fault: 'wrongCrc' })),
  },
  {
    id: 'wrong-etag',
    label: 'Wrong ETag in the answer',
    // A multipart object's ETag is not an MD5 of anything the client has, so Complete's is not checked; the CRC64 is.
    expect: { ...expectAll('survived', PART_POINTS), complete: 'survived' },
    harmless: ['complete'],
    arm: ruleFault(() => ({ fault: 'wrongEtag' })),
  },
  {
    id: 'no-crc',
    label: 'No CRC64 in the answer',
    // A part's ETag would vouch instead, but under SSE-C (every cell) it is no MD5: the part goes again
    // with Content-MD5. After Complete the parts were each checked, so a missing whole-object CRC64 only warns.
    expect: { ...expectAll('survived', PART_POINTS), complete: 'survived' },
    harmless: ['complete'],
    arm: ruleFault(() => ({ fault: 'noCrc' })),
  },
  {
    id: 'error-in-200',
    label: '200 OK whose body is an `<Error>`',
    // Only Complete answers 200 before it knows the outcome; elsewhere such an answer is not COS.
    expect: { ...expectAll('resumed'), complete: 'survived' },
    arm: ruleFault(() => ({ fault: 'completeErrorIn200' })),
  },
  {
    id: 'html-200',
    label: 'HTML page from a proxy (200)',
    expect: expectAll('resumed'),
    arm: ruleFault(() => ({ fault: 'garbage' })),
  },
  {
    id: 'clock-skew',
    label: 'Clock skew: server 45 min ahead',
    expect: expectAll('survived'),
    arm: ({ env }) => {
      let fired = 0;
      return {
        fire: () => {
          fired++;
          env.emu.setClockSkew(45 * 60_000);
        },
        injected: () => fired,
        disarm: async () => env.emu.setClockSkew(0),
      };
    },
  },
  {
    id: 'expired-refreshed',
    label: 'Temporary credentials expire (fresh ones available)',
    expect: expectAll('survived'),
    arm: ({ env }) => {
      let fresh: Credentials | undefined;
      return {
        credentials: refreshableCredentials(env.emu.credentials, async () => fresh),
        fire: () => {
          fresh = env.expireCredentials();
        },
        injected: () => (fresh ? 1 : 0),
        disarm: async () => {},
      };
    },
  },
  {
    id: 'expired-none',
    label: 'Temporary credentials expire (no fresh ones)',
    expect: expectAll('resumed'),
    arm: ({ env }) => {
      let fired = 0;
      return {
        credentials: refreshableCredentials(env.emu.credentials, async () => undefined),
        fire: () => {
          fired++;
          env.expireCredentials();
        },
        injected: () => fired,
        disarm: async () => {},
      };
    },
  },
];

// ---------------------------------------------------------------------------------------------
// One cell

/** Thrown when a cell breaks a rule (lost bytes, a secret in a message, state thrown away). */
export class MatrixViolation extends Error {
  override readonly name = 'MatrixViolation';
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new MatrixViolation(message);
}

/** Every way a secret could show: the values themselves, and the parts of an Authorization header. */
export function findSecret(text: string, secrets: readonly string[]): string | undefined {
  for (const secret of secrets) if (secret && text.includes(secret)) return `a secret value (${secret.slice(0, 4)}…)`;
  const signature = /q-sign(?:ature|-algorithm|-time)|q-key-time|q-ak=|authorization:/i.exec(text);
  return signature ? `part of an Authorization header ("${signature[0]}")` : undefined;
}

/** The secrets a matrix run could leak: every secret key and token the emulator accepted, and the SSE-C key. */
export function matrixSecrets(env: MatrixEnv): string[] {
  const values = env.credentialsSeen.flatMap((c) => [c.secretKey, c.sessionToken ?? '']);
  return [...values, env.sseKey, Buffer.from(env.sseKey, 'base64').toString('hex')].filter((v) => v.length >= 8);
}

/** Text the user could see from an error: message, causes, and whatever else inspect() prints. */
function errorTexts(error: unknown): string[] {
  return [inspect(error, { depth: 8 }), error instanceof Error ? error.message : String(error)];
}

interface Run {
  result?: UploadResult;
  error?: unknown;
  events: UploadEvent[];
}

function collectingLogger(lines: string[]): Logger {
  const push = (level: string) => (message: string) => lines.push(`${level}: ${message}`);
  return { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

async function checkpointFiles(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map((n) => fs.readFile(path.join(dir, n), 'utf8')));
}

/** Bytes of `expected` that are not found, identical, at the same offset in `actual`. */
export function bytesMissing(expected: Buffer, actual: Buffer | undefined): number {
  if (!actual) return expected.length;
  let missing = Math.max(0, expected.length - actual.length);
  const n = Math.min(expected.length, actual.length);
  for (let i = 0; i < n; i++) if (expected[i] !== actual[i]) missing++;
  return missing;
}

/** Runs one cell: `row`'s fault at `point`. Throws MatrixViolation when a rule is broken. */
export async function runCell(env: MatrixEnv, row: FaultRow, point: Point): Promise<CellResult> {
  const started = Date.now();
  const { emu } = env;
  const key = `matrix/${row.id}/${point}.bin`;
  const cellDir = await fs.mkdtemp(path.join(env.workDir, `${row.id}-${point}-`));
  const filePath = path.join(cellDir, 'data.bin');
  const data = randomBytes(FILE_SIZE);
  await fs.writeFile(filePath, data);
  const stateDir = path.join(cellDir, 'state');
  const store = new FileCheckpointStore(stateDir);
  const texts: string[] = [];
  const logger = collectingLogger(texts);
  const options: Partial<UploadOptions> = {
    partSize: MiB,
    multipartThreshold: 0,
    concurrency: 1,
    retries: row.retries ?? 3,
    requestTimeoutMs: 1_000,
    sse: { type: 'SSE-C', key: env.sseKey },
  };
  const upload = async (credentials: CredentialSource, onEvent?: (e: UploadEvent) => void): Promise<Run> => {
    const events: UploadEvent[] = [];
    const run: Run = { events };
    try {
      run.result = await uploadFile({
        filePath,
        key,
        target: { bucket: emu.bucket, region: emu.region, endpoint: emu.url },
        credentials,
        options,
        checkpoints: store,
        logger,
        onEvent: (event) => {
          events.push(event);
          onEvent?.(event);
        },
      });
    } catch (error) {
      run.error = error;
      texts.push(...errorTexts(error));
    }
    for (const event of events) {
      if (event.type === 'retry') texts.push(...errorTexts(event.error));
      else texts.push(JSON.stringify(event));
    }
    return run;
  };
  const healthy = (): CredentialSource => staticCredentials(emu.credentials);

  emu.faults.clear();
  let checkpointParts: number | undefined;
  if (point === 'listParts') {
    // Leave an interrupted upload behind: part 3 is refused for good, parts 1 and 2 are recorded.
    emu.faults.add({ operation: 'uploadPart', partNumber: 3, fault: 'status', status: 400, code: 'InvalidArgument' });
    const interrupted = await upload(healthy());
    emu.faults.clear();
    check(interrupted.error && !interrupted.result, 'the upload to resume was not interrupted');
    const saved = await store.list();
    check(saved.length === 1 && saved[0].checkpoint.parts.length === 2, 'the interrupted upload left no checkpoint with parts 1 and 2');
  }

  const armed = row.arm({ env, point });
  let fired = false;
  const fire = (): void => {
    if (fired) return;
    fired = true;
    armed.fire?.();
  };
  if (point === 'initiate' || point === 'listParts') fire();
  const hit = await upload(armed.credentials ?? healthy(), (event) => {
    armed.onEvent?.(event);
    if (point === 'firstPart' && event.type === 'start') fire();
    const before = point === 'complete' ? PART_COUNT : (PART_AT[point] ?? 0) - 1;
    if (PART_AT[point] !== 1 && event.type === 'part' && event.partNumber === before) fire();
  });
  const injected = armed.injected();
  await armed.disarm();
  emu.faults.clear();
  check(injected > 0, `the fault was never injected (${row.label} at ${point})`);

  let outcome: Outcome;
  let errorCode: string | undefined;
  let restarted = false;
  let resumedParts: number | undefined;
  const retries = hit.events.filter((e) => e.type === 'retry').length;
  const recoveries: string[] = [];
  if (hit.events.some((e) => e.type === 'clock-corrected')) recoveries.push('clock corrected');
  if (hit.events.some((e) => e.type === 'credentials-refreshed')) recoveries.push('credentials refreshed');

  if (hit.result) {
    outcome = 'survived';
    check(await store.list().then((l) => l.length === 0), 'the checkpoint was not removed after success');
  } else {
    outcome = 'resumed';
    const error = hit.error;
    check(CosError.is(error), `the failure is not a CosError: ${inspect(error)}`);
    errorCode = error.code;
    check(error.code !== 'INTERNAL' && error.code !== 'ABORTED', `the failure is not a clean one: ${error.code}: ${error.message}`);
    check(!hit.events.some((e) => e.type === 'complete'), 'a failed upload reported completion');
    const uploadId = hit.events.find((e) => e.type === 'start')?.uploadId;
    const saved = await store.list();
    texts.push(...(await checkpointFiles(stateDir)));
    if (uploadId !== undefined || point === 'listParts') {
      check(saved.length === 1, `the failed upload's checkpoint was thrown away (${error.code})`);
      checkpointParts = saved[0].checkpoint.parts.length;
    }
    const resume = await upload(healthy());
    check(resume.result, `the resume failed: ${resume.error instanceof Error ? resume.error.message : String(resume.error)}`);
    restarted = resume.events.some((e) => e.type === 'restarted');
    resumedParts = resume.result.resumedParts;
    if (!restarted && checkpointParts !== undefined) {
      check(resumedParts >= checkpointParts, `the resume sent again ${checkpointParts - resumedParts} part(s) the checkpoint recorded`);
    }
  }

  const object = await emu.readObject(key).catch(() => undefined);
  const bytesLost = bytesMissing(data, object);
  const leftoverUploads = emu.listUploads().filter((u) => u.key === key).length;

  const secrets = matrixSecrets(env);
  for (const text of texts) {
    const found = findSecret(text, secrets);
    check(!found, `${found} appears in what the upload produced: ${text.slice(0, 200)}`);
  }
  await fs.rm(cellDir, { recursive: true, force: true });
  return {
    row: row.id,
    point,
    outcome,
    retries,
    recoveries,
    ...(errorCode ? { errorCode } : {}),
    restarted,
    ...(checkpointParts !== undefined ? { checkpointParts } : {}),
    ...(resumedParts !== undefined ? { resumedParts } : {}),
    injected,
    bytesLost,
    leftoverUploads,
    scannedTexts: texts.length,
    seconds: (Date.now() - started) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// The table

/** What one cell says in the README table. */
export function cellText(cell: CellResult | undefined): string {
  if (!cell) return 'n/a';
  if (cell.outcome === 'survived') {
    const how = cell.recoveries.length ? cell.recoveries.join(', ') : `retried ${cell.retries}`;
    return `survived (${how})`;
  }
  return `failed cleanly (${cell.errorCode}) → resumed${cell.restarted ? ' (restarted)' : ''}`;
}

/** The Markdown table: faults × points, injected and bytes lost per fault, then totals. */
export function formatMatrix(cells: readonly CellResult[], rows: readonly FaultRow[] = FAULT_ROWS): string {
  const at = (row: string, point: Point) => cells.find((c) => c.row === row && c.point === point);
  const header = ['Fault', ...POINTS.map((p) => p.label), 'Injected', 'Bytes lost'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) {
    const mine = cells.filter((c) => c.row === row.id);
    if (mine.length === 0) continue;
    const injected = mine.reduce((n, c) => n + c.injected, 0);
    const lost = mine.reduce((n, c) => n + c.bytesLost, 0);
    lines.push(`| ${row.label} | ${POINTS.map((p) => cellText(at(row.id, p.id))).join(' | ')} | ${injected} | ${lost} |`);
  }
  const survived = cells.filter((c) => c.outcome === 'survived').length;
  const resumed = cells.length - survived;
  const injected = cells.reduce((n, c) => n + c.injected, 0);
  const lost = cells.reduce((n, c) => n + c.bytesLost, 0);
  const perPoint = POINTS.map((p) => {
    const here = cells.filter((c) => c.point === p.id);
    return `${here.filter((c) => c.outcome === 'survived').length} survived, ${here.filter((c) => c.outcome === 'resumed').length} resumed`;
  });
  lines.push(`| **Total** | ${perPoint.join(' | ')} | ${injected} | ${lost} |`);
  lines.push('');
  lines.push(
    `${cells.length} cells, ${injected} faults injected: ${survived} survived in the same run, ${resumed} failed cleanly and completed on resume; ${lost} bytes lost.`,
  );
  const leftovers = cells.filter((c) => c.leftoverUploads > 0);
  if (leftovers.length) {
    const where = leftovers.map((c) => `${rows.find((r) => r.id === c.row)?.label ?? c.row} at ${POINTS.find((p) => p.id === c.point)?.label ?? c.point}`);
    lines.push(`Multipart uploads left open on the server (billed until aborted; \`cos-upload incomplete\` lists them): ${where.join('; ')}.`);
  }
  return lines.join('\n');
}
