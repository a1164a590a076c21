import type { UploadLog } from './ui/log';

/**
 * COS_UPLOAD_DEBUG_TIMING=1 in the extension host's environment: from each command until the
 * first byte of a file goes out, logs when each phase was reached (milliseconds after the
 * command), to see where the time to the first byte goes. Connections and requests are read from
 * undici's diagnostics channels, so the core is not touched.
 */
interface Clock {
  started?: number;
  log?: UploadLog;
}

// On globalThis, not in a module variable: both extension bundles (extension.js and
// extensionCommands.js) include this file, and their phases go on one clock.
const clock: Clock = ((globalThis as Record<symbol, Clock | undefined>)[Symbol.for('cosUpload.debugTiming')] ??= {});

/** Records a phase of the running command; costs a comparison when timing is off. */
export function markCommandPhase(label: string): void {
  if (clock.started !== undefined) clock.log?.info(`timing: +${(performance.now() - clock.started).toFixed(1)} ms ${label}`);
}

/** Restarts the clock at a command, when the environment asks for timing. */
export function timeCommand(id: string, to: UploadLog): void {
  if (process.env.COS_UPLOAD_DEBUG_TIMING !== '1') return;
  if (!clock.log) listen();
  clock.log = to;
  clock.started = performance.now();
  markCommandPhase(`command ${id}`);
}

function listen(): void {
  // Required here, not imported: with timing off the extension does not load it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { subscribe } = require('node:diagnostics_channel') as typeof import('node:diagnostics_channel');
  const request = (message: unknown) => (message as { request?: { method?: string; path?: string } }).request ?? {};
  subscribe('undici:client:beforeConnect', () => markCommandPhase('connection: connecting'));
  subscribe('undici:client:connected', () => markCommandPhase('connection: connected'));
  subscribe('undici:client:sendHeaders', (message) => {
    const { method, path } = request(message);
    // A PUT carries the file's bytes (Put Object or Upload Part): its headers go out right before the first byte.
    markCommandPhase(method === 'PUT' ? `first byte: PUT ${path} headers sent` : `request: ${method} ${path} headers sent`);
    if (method === 'PUT') clock.started = undefined;
  });
}
