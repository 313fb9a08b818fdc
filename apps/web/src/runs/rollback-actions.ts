import type { RollbackPlan, WorkflowRun } from '@deploybot/shared';
import { api } from '../lib/api';
import { navigate, runPath } from '../lib/router';
import { mergeRun } from '../stores/run-sync';
import { appStore } from '../stores/store';

const base = '/v1/ai/workflows';

/** What a rollback would undo; reading it starts nothing. */
export function fetchRollbackPlan(runId: string): Promise<RollbackPlan> {
  return api<RollbackPlan>('GET', `${base}/${runId}/rollback-plan`);
}

/** Starts the rollback run (its gate asks for approval of the same plan) and opens its page. */
export async function startRollback(runId: string): Promise<WorkflowRun> {
  const run = await api<WorkflowRun>('POST', `${base}/${runId}/rollback`, {});
  mergeRun(appStore, run);
  navigate(runPath(run.id));
  return run;
}
