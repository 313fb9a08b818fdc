import type { WorkflowRun } from '@deploybot/shared';
import { api } from '../lib/api';
import { navigate, runPath } from '../lib/router';
import { mergeRun } from '../stores/run-sync';
import { appStore } from '../stores/store';

const base = '/v1/ai/workflows';

/**
 * Puts a run the client does not hold (a finished one, a link opened cold) into the store. Its later changes
 * arrive as `workflow:event`s like every run's, so this is read once, not polled.
 */
export async function loadRun(runId: string): Promise<void> {
  mergeRun(appStore, await api<WorkflowRun>('GET', `${base}/${runId}`));
}

/** Starts the same workflow with the same inputs (the server re-uses sealed ones) and opens the new run's page. */
export async function rerun(runId: string): Promise<WorkflowRun> {
  const run = await api<WorkflowRun>('POST', `${base}/${runId}/rerun`, {});
  mergeRun(appStore, run);
  navigate(runPath(run.id));
  return run;
}
