import { setFlagsFromString } from 'node:v8';

/**
 * undici parses responses with llhttp compiled to WebAssembly. V8 first runs it on its baseline
 * compiler (Liftoff) and, once it has parsed a few dozen responses, recompiles it with TurboFan
 * in the background: measured here, that recompile briefly adds about 30 MB of RSS and costs
 * about 80 ms of CPU, once per process, for a parser that only ever reads short COS answers (the
 * part bodies are written, never parsed). A tiering budget no upload can exhaust keeps it on
 * Liftoff.
 *
 * V8 flags belong to the whole process, so only a process that exists to upload may call this:
 * the CLI and the benchmark's uploading child do; the extension never does, because the
 * extension host is shared with every other extension and their WebAssembly.
 */
export const UPLOAD_PROCESS_V8_FLAGS = ['--wasm-tiering-budget=2000000000'] as const;

let applied = false;

/** Applies UPLOAD_PROCESS_V8_FLAGS before the first request; later calls do nothing. */
export function tuneDedicatedUploadProcess(): void {
  if (applied) return;
  applied = true;
  for (const flag of UPLOAD_PROCESS_V8_FLAGS) setFlagsFromString(flag);
}
