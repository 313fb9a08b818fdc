/** Latency summary in milliseconds. */
export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles: every reported figure is a latency that was actually observed. */
export function percentiles(samples: readonly number[]): Percentiles {
  if (samples.length === 0)
    return {
      count: 0,
      p50: Number.NaN,
      p95: Number.NaN,
      p99: Number.NaN,
      max: Number.NaN,
      mean: Number.NaN,
    };
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted[sorted.length - 1]!,
    mean: sum / sorted.length,
  };
}

export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  /** Outside the V8 heap: Buffers, and PGlite's WebAssembly memory at its reserved size (RSS counts touched pages). */
  externalMb: number;
}

const MB = 1024 * 1024;

export function memorySample(): MemorySample {
  const m = process.memoryUsage();
  return { rssMb: m.rss / MB, heapUsedMb: m.heapUsed / MB, externalMb: m.external / MB };
}

/** `gc` when Node runs with --expose-gc. */
export function exposedGc(): (() => void) | undefined {
  return (globalThis as { gc?: () => void }).gc;
}

/**
 * Collects garbage when the process was started with --expose-gc (scenario processes are), so memory figures
 * show what is retained rather than what the collector has not reached yet. Returns whether it could.
 */
export async function collectGarbage(): Promise<boolean> {
  const gc = exposedGc();
  if (!gc) return false;
  // Several passes with turns of the event loop between them: finalizers and weak references settle late.
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return true;
}
