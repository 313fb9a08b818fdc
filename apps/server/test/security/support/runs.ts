import type { WorkflowRun } from '@deploybot/shared';
import type { Client } from './http';

export const WORKFLOWS = '/v1/ai/workflows';

/** Starts a run as `api`'s user; throws unless 201. */
export async function startRun(
  api: Client,
  name: string,
  context: Record<string, unknown> = {},
): Promise<WorkflowRun> {
  const res = await api.post<WorkflowRun>(`${WORKFLOWS}/start?workflow_name=${name}`, context);
  if (res.status !== 201) throw new Error(`start ${name} answered ${res.status}: ${res.text}`);
  return res.body;
}

/** Polls the run over REST (tests only) until `done` holds. */
export async function waitForRun(
  api: Client,
  id: string,
  done: (run: WorkflowRun) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<WorkflowRun> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await api.get<WorkflowRun>(`${WORKFLOWS}/${id}`);
    if (res.status !== 200) throw new Error(`GET run ${id} answered ${res.status}: ${res.text}`);
    if (done(res.body)) return res.body;
    if (Date.now() > until) {
      const steps = res.body.steps.map((s) => `${s.id}:${s.status}`).join(' ');
      throw new Error(`timed out waiting for ${what} on run ${id}: ${res.body.status} ${steps}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const waitingAt = (stepId: string) => (run: WorkflowRun) =>
  run.status === 'waiting' && run.currentStep === stepId;

export const runningIn = (stepId: string) => (run: WorkflowRun) =>
  run.status === 'running' && run.steps.find((s) => s.id === stepId)?.status === 'in_progress';

export const hasStatus =
  (...statuses: WorkflowRun['status'][]) =>
  (run: WorkflowRun) =>
    statuses.includes(run.status);

/** Polls anything until `done` holds. */
export async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
