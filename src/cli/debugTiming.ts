/**
 * COS_UPLOAD_DEBUG_TIMING=1: prints, on stderr at exit, when each phase of the process was reached
 * (milliseconds since the process started), to see where a short command's time goes. The first
 * connection and request are read from undici's diagnostics channels, so the core is not touched.
 */
const marks: Array<[string, number]> = [];
let enabled = false;

/** Records a phase when timing is on; costs a property read when it is off. */
export function markPhase(label: string): void {
  if (enabled) marks.push([label, performance.now()]);
}

/** Turns timing on when `env` asks for it; call once, first thing. */
export function startDebugTiming(env: NodeJS.ProcessEnv, write: (text: string) => void): void {
  if (env.COS_UPLOAD_DEBUG_TIMING !== '1' || enabled) return;
  enabled = true;
  marks.push(['cli.js started', performance.now()]);
  // Required here, not imported: with timing off the CLI does not load it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { subscribe, unsubscribe } = require('node:diagnostics_channel') as typeof import('node:diagnostics_channel');
  const once = (channel: string, label: string) => {
    const onMessage = () => {
      markPhase(label);
      queueMicrotask(() => unsubscribe(channel, onMessage));
    };
    subscribe(channel, onMessage);
  };
  once('undici:client:beforeConnect', 'first connection: connecting');
  once('undici:client:connected', 'first connection: connected');
  once('undici:client:sendHeaders', 'first request: headers sent');
  once('undici:request:headers', 'first request: answer received');
  process.once('exit', () => {
    markPhase('exit');
    write(formatPhases(marks));
  });
}

/** `timing:   12.3 ms  +4.1 ms  args parsed`, one line per phase, in the order reached. */
export function formatPhases(phases: ReadonlyArray<readonly [string, number]>): string {
  const sorted = [...phases].sort((a, b) => a[1] - b[1]);
  let previous = 0;
  return sorted
    .map(([label, at]) => {
      const line = `timing: ${at.toFixed(1).padStart(8)} ms  +${(at - previous).toFixed(1).padStart(6)} ms  ${label}\n`;
      previous = at;
      return line;
    })
    .join('');
}
