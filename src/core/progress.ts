import type { UploadEvent } from './types';

type ProgressEvent = Extract<UploadEvent, { type: 'progress' }>;

/**
 * Counts bytes actually taken by sockets, per part, so a retried part's bytes drop back and count
 * again instead of inflating the total. Emits at most every `intervalMs`, and always on demand.
 */
export class ProgressTracker {
  private readonly inFlight = new Map<number, number>();
  private confirmedBytes: number;
  private partsDone: number;
  private lastEmit = 0;

  constructor(
    private readonly total: number,
    private readonly partCount: number,
    private readonly emit: (event: ProgressEvent) => void,
    already: { bytes: number; parts: number } = { bytes: 0, parts: 0 },
    private readonly intervalMs = 100,
    public concurrency = 1,
  ) {
    this.confirmedBytes = already.bytes;
    this.partsDone = already.parts;
  }

  get bytesSent(): number {
    let sum = this.confirmedBytes;
    for (const sent of this.inFlight.values()) sum += sent;
    return sum;
  }

  sent(partNumber: number, bytes: number): void {
    this.inFlight.set(partNumber, bytes);
    this.maybeEmit();
  }

  reset(partNumber: number): void {
    this.inFlight.delete(partNumber);
  }

  partDone(partNumber: number, size: number): void {
    this.inFlight.delete(partNumber);
    this.confirmedBytes += size;
    this.partsDone++;
    this.flush();
  }

  flush(): void {
    this.lastEmit = Date.now();
    this.emit({
      type: 'progress',
      bytesSent: Math.min(this.bytesSent, this.total),
      bytesTotal: this.total,
      partsDone: this.partsDone,
      partCount: this.partCount,
      concurrency: this.concurrency,
    });
  }

  private maybeEmit(): void {
    if (Date.now() - this.lastEmit >= this.intervalMs) this.flush();
  }
}
