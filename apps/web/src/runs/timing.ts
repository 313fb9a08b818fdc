import { type StepRecord, TERMINAL_RUN_STATUSES, type WorkflowRun } from '@deploybot/shared';

/** When the run ended: its last change once it is finished (the engine stamps the end), else null (still going). */
export function runEnd(run: WorkflowRun): string | null {
  return TERMINAL_RUN_STATUSES.includes(run.status) ? run.updatedAt : null;
}

/** A step that has started and not finished is still counting; a step never started has no duration. */
export function stepIsLive(step: StepRecord): boolean {
  return step.startedAt !== null && step.finishedAt === null;
}

// The deploy step's error repeats the log's last lines for the chat and the API; the run page shows the log
// itself right below, so it shows the error's own words only (each failure once).
const LOG_TAIL = '\nlast log lines:';

/** An error without the log tail it may carry. */
export function errorHeadline(error: string): string {
  const cut = error.indexOf(LOG_TAIL);
  return cut === -1 ? error : error.slice(0, cut);
}

/**
 * The run's error when it is its own: a failed step's error is the run's error too and is shown at that step,
 * so it is not shown twice.
 */
export function runOwnError(run: WorkflowRun): string | null {
  return run.error && !run.steps.some((s) => s.error === run.error) ? run.error : null;
}

/** Job ids a run's context names (a deploy's job, a troubleshooting run's target and retry). */
export function jobsOf(run: WorkflowRun): { key: string; label: string; jobId: string }[] {
  const labels: [string, string][] = [
    ['job_id', 'Deployment job'],
    ['retry_job_id', 'Retry job'],
    ['target_job_id', 'Investigated job'],
  ];
  const out: { key: string; label: string; jobId: string }[] = [];
  for (const [key, label] of labels) {
    const v = run.context[key];
    if (typeof v === 'string' && v) out.push({ key, label, jobId: v });
  }
  return out;
}
