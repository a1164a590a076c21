/** A random-number source a seed reproduces: test inputs spread widely, and a failure names its seed. */
export type Rand = () => number;

/** mulberry32: small, fast, and the same sequence on every machine. */
export function prng(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
