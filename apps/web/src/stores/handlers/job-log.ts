import type { JobDto, JobLogPage, LogLine } from '@deploybot/shared';
import type { JobLog } from '../fleet-slice';
import type { AppStore } from '../types';
import { isNewerJob } from './fleet-snapshot';

/** Lines kept per job in the viewer; older ones are dropped from the top (and can be paged back in). */
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

/** The log with `lines`; when lines were dropped from the top, the way back starts at the first kept one. */
function withLines(log: JobLog, lines: LogLine[]): JobLog {
  const dropped = log.lines.length > 0 && lines[0] !== log.lines[0] && lines[0]!.seq > log.lines[0]!.seq;
  return { ...log, lines, before: dropped ? lines[0]!.seq : log.before };
}

/** Before `job:subscribe`: buffer live batches until the ack. */
export function beginJobLog(store: AppStore, jobId: string): void {
  store.setState((s) => ({
    logs: {
      ...s.logs,
      [jobId]: { lines: [], synced: false, buffered: [], before: null, loadingOlder: false },
    },
  }));
}

/** Ack of `job:subscribe`: the job and its latest lines (one page), then whatever was buffered. */
export function onJobLogSnapshot(store: AppStore, job: JobDto, page: JobLogPage): void {
  store.setState((s) => {
    const buffered = s.logs[job.id]?.buffered ?? [];
    const known = s.jobs[job.id];
    const log: JobLog = { lines: [], synced: true, buffered: [], before: page.before, loadingOlder: false };
    return {
      jobs: known && isNewerJob(known, job) ? s.jobs : { ...s.jobs, [job.id]: job },
      logs: { ...s.logs, [job.id]: withLines(log, appendLines(appendLines([], page.lines), buffered)) },
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
        ? withLines(log, appendLines(log.lines, batch.lines))
        : { ...log, buffered: log.buffered.concat(batch.lines) },
    },
  }));
}

/** A `job:logs` request for older lines is on its way (or failed: `loading` false again). */
export function onOlderLinesLoading(store: AppStore, jobId: string, loading: boolean): void {
  const log = store.getState().logs[jobId];
  if (!log) return;
  store.setState((s) => ({ logs: { ...s.logs, [jobId]: { ...log, loadingOlder: loading } } }));
}

/** Answer of `job:logs`: older lines go on top, if the log still starts where the request was made. */
export function onOlderLines(
  store: AppStore,
  jobId: string,
  requestedBefore: number,
  page: JobLogPage,
): void {
  const log = store.getState().logs[jobId];
  if (!log) return;
  if (log.before !== requestedBefore) {
    onOlderLinesLoading(store, jobId, false); // resubscribed meanwhile: this page may not fit any more
    return;
  }
  const first = log.lines[0]?.seq ?? Number.POSITIVE_INFINITY;
  const older = page.lines.filter((l) => l.seq < first);
  store.setState((s) => ({
    logs: {
      ...s.logs,
      [jobId]: { ...log, lines: older.concat(log.lines), before: page.before, loadingOlder: false },
    },
  }));
}
