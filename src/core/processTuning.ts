import { setFlagsFromString } from 'node:v8';

/**
 * undici parses responses with llhttp compiled to WebAssembly, and V8's optimizing recompiles of
 * it each take a burst of memory and CPU, for a parser that only ever reads short COS answers (the
 * part bodies are written, never parsed). `--liftoff-only` keeps wasm on V8's baseline compiler; a
 * large `--wasm-tiering-budget` alone still lets later recompiles through. The figures are in the
 * README, "Why these defaults".
 *
 * V8 flags belong to the whole process, so only a process that exists to upload may call this:
 * the CLI and the benchmark's uploading child do; the extension never does, because the
 * extension host is shared with every other extension and their WebAssembly.
 */
export const UPLOAD_PROCESS_V8_FLAGS = ['--liftoff-only'] as const;

let applied = false;

/** Applies UPLOAD_PROCESS_V8_FLAGS before the first request; later calls do nothing. */
export function tuneDedicatedUploadProcess(): void {
  if (applied) return;
  applied = true;
  for (const flag of UPLOAD_PROCESS_V8_FLAGS) setFlagsFromString(flag);
}
