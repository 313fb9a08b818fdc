import { watchEventLoop } from './event-loop';

/** What one measured pass took: wall time, this process's CPU (% of one core) and its longest event-loop stall. */
export interface Measured<T> {
  value: T;
  seconds: number;
  cpuPercent: number;
  longestStallMs: number;
}

/** Runs `work` as a measured pass. */
export async function measured<T>(work: () => Promise<T>): Promise<Measured<T>> {
  const loop = watchEventLoop();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const value = await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const { longestStallMs } = loop.stop();
  return { value, seconds, cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100, longestStallMs };
}
