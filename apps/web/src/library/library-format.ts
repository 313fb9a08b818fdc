import type { WorkflowRunStats } from '@deploybot/shared';

/** `67% of 3 finished` / `no finished runs`, with the other counts for the title attribute. */
export function successText(runs: WorkflowRunStats): string {
  if (runs.successRate === null) return runs.total === 0 ? 'no runs yet' : 'no finished runs';
  const decided = runs.completed + runs.failed;
  return `${Math.round(runs.successRate * 100)}% of ${decided} finished`;
}

export function runsDetail(runs: WorkflowRunStats): string {
  return `${runs.total} runs: ${runs.completed} completed, ${runs.failed} failed, ${runs.cancelled} cancelled, ${runs.active} active`;
}
