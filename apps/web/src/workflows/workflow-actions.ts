import type { WorkflowDefinitionDto, WorkflowRun } from '@deploybot/shared';
import { ApiError, api, errorMessage } from '../lib/api';
import { followRun } from '../lib/realtime';
import { mergeRun } from '../stores/run-sync';
import { appStore } from '../stores/store';
import type { PendingAction } from '../stores/workflows-slice';

const base = '/v1/ai/workflows';

export async function loadDefinitions(): Promise<void> {
  const { definitions } = await api<{ definitions: WorkflowDefinitionDto[] }>('GET', `${base}/definitions`);
  appStore.setState({ definitions });
}

/** Finished runs for the "past runs" list, fetched when the list is opened (they no longer change). */
export async function loadPastRuns(): Promise<void> {
  const { runs } = await api<{ runs: WorkflowRun[] }>('GET', `${base}?state=past&limit=25`);
  for (const run of runs) mergeRun(appStore, run);
  appStore.setState({ pastRunIds: runs.map((r) => r.id) });
}

/** Shows a run in the sidebar, keeps it in the address (a reload restores it) and follows it live. */
export function selectRun(runId: string | null): void {
  appStore.setState({ selectedRunId: runId });
  const url = new URL(window.location.href);
  if (runId) url.searchParams.set('run', runId);
  else url.searchParams.delete('run');
  window.history.replaceState(window.history.state, '', url);
  followRun(runId);
}

export type StartResult =
  | { ok: true; run: WorkflowRun }
  | { ok: false; message: string; fields: Record<string, string> };

/**
 * Starts a run (inside a conversation, when given, so the assistant narrates it there); a 400 answer's field
 * errors come back by field key so the form shows each by its field.
 */
export async function startWorkflow(
  name: string,
  context: Record<string, unknown>,
  sessionId?: string | null,
  /** A stored version to run (the library's Start); the latest without it. */
  version?: number,
): Promise<StartResult> {
  const query = `workflow_name=${encodeURIComponent(name)}${version === undefined ? '' : `&version=${version}`}`;
  const path = sessionId ? `/v1/ai/sessions/${sessionId}/runs?${query}` : `${base}/start?${query}`;
  try {
    const run = await api<WorkflowRun>('POST', path, context);
    mergeRun(appStore, run);
    appStore.setState({ selectedWorkflow: null });
    selectRun(run.id);
    return { ok: true, run };
  } catch (err) {
    const fields: Record<string, string> = {};
    if (err instanceof ApiError) {
      for (const issue of err.details) fields[issue.path.split('.').at(-1) ?? issue.path] = issue.message;
    }
    return { ok: false, message: errorMessage(err), fields };
  }
}

/**
 * Sends a person's action and shows it as pending until the server answers. The store's run changes only with
 * what the server confirms (its answer, or the live event): never optimistically.
 */
async function act(
  runId: string,
  pending: PendingAction,
  send: () => Promise<WorkflowRun>,
): Promise<boolean> {
  appStore.setState((s) => ({
    pending: { ...s.pending, [runId]: pending },
    actionErrors: { ...s.actionErrors, [runId]: undefined },
  }));
  try {
    mergeRun(appStore, await send());
    return true;
  } catch (err) {
    appStore.setState((s) => ({
      actionErrors: { ...s.actionErrors, [runId]: errorMessage(err) },
      actionErrorSteps: { ...s.actionErrorSteps, [runId]: pending.stepId },
    }));
    return false;
  } finally {
    appStore.setState((s) => ({ pending: { ...s.pending, [runId]: undefined } }));
  }
}

export function decide(
  runId: string,
  stepId: string,
  approved: boolean,
  extra: { note?: string; input?: unknown } = {},
): Promise<boolean> {
  const body: Record<string, unknown> = { approved, step_id: stepId };
  if (extra.note?.trim()) body.note = extra.note.trim();
  if (extra.input !== undefined) body.user_input = extra.input;
  return act(runId, { stepId, kind: approved ? 'approve' : 'reject' }, () =>
    api<WorkflowRun>('POST', `${base}/${runId}/approve`, body),
  );
}

export function submitInput(runId: string, stepId: string, value: unknown): Promise<boolean> {
  return act(runId, { stepId, kind: 'input' }, () =>
    api<WorkflowRun>('POST', `${base}/${runId}/input`, { value, step_id: stepId }),
  );
}

export function cancelRun(runId: string, reason?: string): Promise<boolean> {
  const body = reason?.trim() ? { reason: reason.trim() } : {};
  return act(runId, { stepId: null, kind: 'cancel' }, () =>
    api<WorkflowRun>('POST', `${base}/${runId}/cancel`, body),
  );
}
