import { setFlagsFromString } from 'node:v8';

/**
 * Process-wide V8 flags for a process that exists to upload (the README, "Why these defaults", has
 * the figures):
 * - `--liftoff-only`: undici parses responses with llhttp compiled to WebAssembly, and V8's
 *   optimizing recompiles of it each take a burst of memory and CPU, for a parser that only ever
 *   reads short COS answers; a large `--wasm-tiering-budget` alone still lets later recompiles through.
 * - `--interrupt-budget` at 8 times V8's default: a short CLI run (a sync of a few thousand small
 *   files) spent a fifth of its CPU on optimizing compiles of code that was warm only briefly;
 *   with the larger budget only the code that stays hot is optimized.
 *
 * V8 flags belong to the whole process, so only a process that exists to upload may call this:
 * the CLI and the benchmark's uploading child do; the extension never does, because the
 * extension host is shared with every other extension and their code.
 */
export const UPLOAD_PROCESS_V8_FLAGS = ['--liftoff-only', '--interrupt-budget=540672'] as const;

let applied = false;

/** Applies UPLOAD_PROCESS_V8_FLAGS before the first request; later calls do nothing. */
export function tuneDedicatedUploadProcess(): void {
  if (applied) return;
  applied = true;
  for (const flag of UPLOAD_PROCESS_V8_FLAGS) setFlagsFromString(flag);
}
