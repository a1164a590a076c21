/**
 * Reuses part buffers so memory stays at the peak concurrency × part size, whatever the file size.
 * Buffers are kept when concurrency shrinks: one dropped for the GC still counts until it is
 * collected, and growing again would allocate beside it.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  constructor(
    private readonly size: number,
    private readonly allocate: (size: number) => Buffer,
  ) {}
  acquire(): Buffer {
    return this.free.pop() ?? this.allocate(this.size);
  }
  release(buffer: Buffer): void {
    this.free.push(buffer);
  }
}
