/**
 * CPU time from /proc (Linux): per process (utime + stime of /proc/<pid>/stat), for all PostgreSQL server
 * processes together, and for the whole machine (/proc/stat). The cluster scenario samples these before and after
 * a pass, so its report can say which processes the time went to.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second, the unit of /proc's CPU times (100 on nearly every Linux). */
const TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds (user + system) a process has used; 0 once it is gone. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return 0;
  const f = statFields(stat);
  // utime and stime are fields 14 and 15 of the line; the slice starts at field 3 (state).
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_S;
}

/**
 * CPU seconds of every process named `postgres` (the server and its backends, whoever they serve), by pid.
 * A backend that exits between two samples takes its time with it: the pools here keep theirs open.
 */
export async function postgresCpuSeconds(): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null);
    if (stat === null || !stat.startsWith(`${entry} (postgres)`)) continue;
    const f = statFields(stat);
    out.set(Number(entry), (Number(f[11]) + Number(f[12])) / TICKS_PER_S);
  }
  return out;
}

/** CPU seconds the PostgreSQL processes used between two samples (new backends count from zero). */
export function postgresDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, seconds] of after) sum += seconds - (before.get(pid) ?? 0);
  return sum;
}

/**
 * A process's main thread (where Node's event loop runs): seconds on a CPU and seconds runnable but waiting for
 * one (/proc/<pid>/schedstat). The wait is what a saturated machine costs it; the rest of its wall time it was
 * idle, waiting for I/O. Zeros once it is gone.
 */
export async function mainThreadSchedule(pid: number): Promise<{ running: number; waiting: number }> {
  const stat = await readFile(`/proc/${pid}/schedstat`, 'utf8').catch(() => null);
  if (stat === null) return { running: 0, waiting: 0 };
  const [running, waiting] = stat.trim().split(/\s+/).map(Number);
  return { running: (running ?? 0) / 1e9, waiting: (waiting ?? 0) / 1e9 };
}

/** Busy CPU seconds of the whole machine, all cores (everything but idle and iowait). */
export async function machineBusySeconds(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const [, ...ticks] = line.trim().split(/\s+/).map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  // guest and guest_nice (the last two) are already counted in user and nice.
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - idle) / TICKS_PER_S;
}
