import type { Dispatcher } from 'undici';
import { CosError } from './errors';

/**
 * Request bodies are streamed in slices so progress reflects bytes the socket took: at least 8 per
 * part, 256 KiB to 1 MiB each; fewer slices mean less garbage per part.
 */
const MIN_BODY_SLICE = 256 * 1024;
const MAX_BODY_SLICE = 1024 * 1024;
const SLICES_PER_BODY = 8;

/** Fails an attempt that makes no progress: the socket accepts nothing, or no answer comes. */
export class Watchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  fired = false;

  constructor(private readonly ms: number) {
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  touch(): void {
    // Touched for every body slice: refresh() re-arms the one timer instead of allocating another.
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new Error('stalled'));
    }, this.ms);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** A request body as undici takes it: sliced, touching the watchdog and reporting progress per slice written. */
export function watchedBody(body: Buffer | string | undefined, onProgress: ((sent: number) => void) | undefined, watchdog: Watchdog): Dispatcher.DispatchOptions['body'] {
  if (body === undefined) return undefined;
  // A body of one slice goes whole: undici then writes it with the headers in one call (as an
  // iterable it is a second write and a second read on the server); its caller reports it done.
  if (typeof body === 'string' || body.length <= MIN_BODY_SLICE || !onProgress) {
    return body;
  }
  const sliceSize = Math.min(MAX_BODY_SLICE, Math.max(MIN_BODY_SLICE, Math.ceil(body.length / SLICES_PER_BODY)));
  // undici accepts async iterables as bodies (docs/api/Dispatcher.md); its typings lag behind.
  return (async function* slices() {
    for (let offset = 0; offset < body.length; offset += sliceSize) {
      const end = Math.min(offset + sliceSize, body.length);
      yield body.subarray(offset, end);
      // Resumed only when undici asks for more, i.e. the previous slice was written.
      watchdog.touch();
      onProgress(end);
    }
  })() as unknown as Dispatcher.DispatchOptions['body'];
}

/** Reads a response body that should be a short XML answer, refusing more than `limit` bytes. */
export async function readCapped(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      body.destroy();
      throw new CosError('BAD_RESPONSE', `The server sent more than ${limit} bytes where a short XML answer was expected: the endpoint may not be COS.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
