/**
 * What the benchmark measures inside one uploading process: wall time, CPU time, peak resident
 * memory and event-loop delay. Each contender runs in its own child process so these figures
 * belong to that uploader alone.
 */

import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** RSS is sampled this often; process.resourceUsage().maxRSS catches peaks in between. */
const RSS_SAMPLE_MS = 50;
/** Event-loop delay sampling resolution: fine enough that a 20 ms stall shows as one. */
const LOOP_RESOLUTION_MS = 2;

export interface ProcessFigures {
  /** Date.now() when the measured work began; the emulator's request log shares this clock. */
  startEpochMs: number;
  seconds: number;
  /** User + system CPU seconds of this process while the work ran. */
  cpuSeconds: number;
  /** User + system CPU seconds of this process since it started (module loading included). */
  processCpuSeconds: number;
  /** Resident set size just before the work, bytes (modules loaded, nothing uploaded yet). */
  rssStartBytes: number;
  /** Highest resident set size seen, bytes. */
  peakRssBytes: number;
  /** What the memory was made of at the highest sampled RSS (bytes), to tell buffers from code and heap. */
  atPeak: { rss: number; heapTotal: number; external: number; arrayBuffers: number };
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
}

/** Measures one stretch of work in the current process; call `stop` once it ends. */
export class ProcessMeter {
  private readonly histogram: IntervalHistogram;
  private readonly startEpochMs: number;
  private readonly t0: number;
  private readonly cpu0: NodeJS.CpuUsage;
  private readonly rssStartBytes: number;
  private peakRss: number;
  private atPeak: ProcessFigures['atPeak'];
  private readonly sampler: NodeJS.Timeout;

  constructor() {
    this.histogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.histogram.enable();
    this.atPeak = snapshot();
    this.rssStartBytes = this.atPeak.rss;
    this.peakRss = this.rssStartBytes;
    this.sampler = setInterval(() => {
      // rss() alone is cheap; the full snapshot walks the heap, so it is taken only at a new peak.
      if (process.memoryUsage.rss() <= this.peakRss) return;
      const now = snapshot();
      this.peakRss = Math.max(this.peakRss, now.rss);
      this.atPeak = now;
    }, RSS_SAMPLE_MS);
    this.cpu0 = process.cpuUsage();
    this.startEpochMs = Date.now();
    this.t0 = performance.now();
  }

  stop(): ProcessFigures {
    const seconds = (performance.now() - this.t0) / 1000;
    const cpu = process.cpuUsage(this.cpu0);
    const total = process.cpuUsage();
    clearInterval(this.sampler);
    this.histogram.disable();
    const peakRssBytes = Math.max(this.peakRss, process.memoryUsage.rss(), highWaterRss());
    const ms = (ns: number): number => ns / 1e6;
    return {
      startEpochMs: this.startEpochMs,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      processCpuSeconds: (total.user + total.system) / 1e6,
      rssStartBytes: this.rssStartBytes,
      peakRssBytes,
      atPeak: this.atPeak,
      loopP50Ms: ms(this.histogram.percentile(50)),
      loopP99Ms: ms(this.histogram.percentile(99)),
      loopMaxMs: ms(this.histogram.max),
    };
  }
}

/**
 * The process's highest RSS, bytes. On Linux /proc/self/status VmHWM: getrusage's maxRSS there
 * keeps the spawning parent's peak across fork and exec, so a child would report the benchmark's
 * own memory (emulator included) whenever that is larger. Elsewhere maxRSS (KiB on every platform).
 */
function highWaterRss(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // Not Linux: fall through.
  }
  return process.resourceUsage().maxRSS * 1024;
}

function snapshot(): ProcessFigures['atPeak'] {
  const m = process.memoryUsage();
  return { rss: m.rss, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** Median of the finite values, NaN when there are none. */
export function median(values: readonly number[]): number {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** Decimal megabytes per second, the unit of every rate in the report. */
export function mbPerSecond(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / 1e6 / seconds : NaN;
}

/** Clock ticks per second of /proc/stat (USER_HZ), 100 on every mainstream Linux build. */
const USER_HZ = 100;

/**
 * CPU seconds the whole machine has spent busy since boot (all cores, all processes), from
 * /proc/stat; undefined where that file does not exist. The difference over a run, minus what the
 * benchmark's own processes used, shows how much other work disturbed the figures.
 */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [label, ...fields] = line.trim().split(/\s+/);
    if (label !== 'cpu') return undefined;
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return (user + nice + system + irq + softirq + (steal || 0)) / USER_HZ;
  } catch {
    return undefined;
  }
}

const QUIET_CORES = 0.25;

/**
 * Waits (up to the configured time) until other processes keep less than a quarter of a core
 * busy, so a shared machine's bursts of other work land between runs rather than inside them.
 */
export async function waitForQuiet(maxSeconds: number, log: (message: string) => void): Promise<void> {
  const deadline = Date.now() + maxSeconds * 1000;
  for (let announced = false; ; ) {
    const busy0 = machineBusySeconds();
    const cpu0 = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const busy1 = machineBusySeconds();
    if (busy0 === undefined || busy1 === undefined) return;
    const own = process.cpuUsage(cpu0);
    const others = busy1 - busy0 - (own.user + own.system) / 1e6;
    if (others < QUIET_CORES || Date.now() >= deadline) return;
    if (!announced) log(`  (waiting for other processes to quieten: ${others.toFixed(2)} cores busy)`);
    announced = true;
  }
}
