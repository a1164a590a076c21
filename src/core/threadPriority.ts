import * as os from 'node:os';

/**
 * Hashing is background work, so the hash worker thread runs at nice 10 (COS_UPLOAD_HASH_NICE
 * overrides, 0 leaves it alone): under load the editor, the uploading thread and other programs
 * get the CPU first. Only on Linux, where nice belongs to a thread; elsewhere it would slow the
 * whole process (the extension host).
 */
export const HASH_THREAD_NICE = 10;

/** Lowers the calling thread's priority to HASH_THREAD_NICE; returns its nice value, or undefined where it is left alone. */
export function lowerThreadPriority(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  const forced = Number(process.env.COS_UPLOAD_HASH_NICE);
  const wanted = process.env.COS_UPLOAD_HASH_NICE !== undefined && Number.isInteger(forced) ? Math.min(19, Math.max(0, forced)) : HASH_THREAD_NICE;
  try {
    // Raising nice needs no privilege; lowering it would, so a process already nicer keeps its value.
    if (os.getPriority() < wanted) os.setPriority(wanted);
    return os.getPriority();
  } catch {
    return undefined;
  }
}
