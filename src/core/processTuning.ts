import { setFlagsFromString } from 'node:v8';

/**
 * undici parses responses with llhttp compiled to WebAssembly. V8 first runs it on its baseline
 * compiler (Liftoff) and recompiles hot or newly reached functions with TurboFan in the
 * background: measured here, each such compile briefly adds about 25-30 MB of RSS (TurboFan's
 * register-allocation zones; the first after a few dozen responses, more during long uploads)
 * and the first costs about 80 ms of CPU, for a parser that only ever reads short COS answers
 * (the part bodies are written, never parsed). `--liftoff-only` keeps wasm on Liftoff; a large
 * `--wasm-tiering-budget` alone was tried and still let later recompiles through (4 GiB upload:
 * peak RSS 187 MB with it, 153 MB with --liftoff-only).
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
