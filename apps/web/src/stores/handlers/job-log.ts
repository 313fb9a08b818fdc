import type { JobDto, LogLine } from '@deploybot/shared';
import type { AppStore } from '../types';
import { isNewerJob } from './fleet-snapshot';

/** Lines kept per job in the viewer; older ones are dropped from the top. */
export const MAX_LOG_LINES = 50_000;

/** Appends lines newer than the last kept seq (the server may send a line twice around a subscribe). */
export function appendLines(lines: LogLine[], incoming: LogLine[]): LogLine[] {
  let last = lines.at(-1)?.seq ?? -1;
  const fresh: LogLine[] = [];
  for (const line of [...incoming].sort((a, b) => a.seq - b.seq)) {
    if (line.seq > last) {
      fresh.push(line);
      last = line.seq;
    }
  }
  if (fresh.length === 0) return lines;
  const next = lines.concat(fresh);
  return next.length > MAX_LOG_LINES ? next.slice(next.length - MAX_LOG_LINES) : next;
}

/** Before `job:subscribe`: buffer live batches until the ack. */
export function beginJobLog(store: AppStore, jobId: string): void {
  store.setState((s) => ({ logs: { ...s.logs, [jobId]: { lines: [], synced: false, buffered: [] } } }));
}

/** Ack of `job:subscribe`: the job and its latest lines, then whatever was buffered. */
export function onJobLogSnapshot(store: AppStore, job: JobDto, lines: LogLine[]): void {
  store.setState((s) => {
    const buffered = s.logs[job.id]?.buffered ?? [];
    const known = s.jobs[job.id];
    return {
      jobs: known && isNewerJob(known, job) ? s.jobs : { ...s.jobs, [job.id]: job },
      logs: {
        ...s.logs,
        [job.id]: { lines: appendLines(appendLines([], lines), buffered), synced: true, buffered: [] },
      },
    };
  });
}

/** `job:log`: a batch of lines for a job the client follows. */
export function onJobLog(store: AppStore, batch: { jobId: string; lines: LogLine[] }): void {
  const log = store.getState().logs[batch.jobId];
  if (!log) return; // not following this job (any more)
  store.setState((s) => ({
    logs: {
      ...s.logs,
      [batch.jobId]: log.synced
        ? { ...log, lines: appendLines(log.lines, batch.lines) }
        : { ...log, buffered: log.buffered.concat(batch.lines) },
    },
  }));
}
