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

/** The smallest size class: below it, rounding up costs less than keeping another class. */
const SMALLEST_CLASS = 4096;

/**
 * The buffer length that holds `size` bytes: sizes are rounded up to a quarter of their power of
 * two, so files of many sizes share a few classes and rounding wastes at most a quarter.
 */
export function sizeClass(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`A buffer size must be a whole number of bytes: ${size}`);
  if (size <= SMALLEST_CLASS) return SMALLEST_CLASS;
  let power = SMALLEST_CLASS;
  while (power * 2 <= size) power *= 2;
  const step = power / 4;
  return Math.ceil(size / step) * step;
}

/**
 * BufferPools of several size classes (sizeClass), for whole small files of any size: a sync reads
 * thousands of them, and a fresh buffer each is paid again in page faults and garbage collection.
 */
export class SizedBufferPool {
  private readonly pools = new Map<number, BufferPool>();
  constructor(private readonly allocate: (size: number) => Buffer) {}

  /** A buffer of at least `size` bytes; its length is the size class. */
  acquire(size: number): Buffer {
    const capacity = sizeClass(size);
    let pool = this.pools.get(capacity);
    if (!pool) {
      pool = new BufferPool(capacity, this.allocate);
      this.pools.set(capacity, pool);
    }
    return pool.acquire();
  }

  /** Gives back a buffer acquire() handed out, once nothing reads or sends it any more. */
  release(buffer: Buffer): void {
    this.pools.get(buffer.length)?.release(buffer);
  }
}
