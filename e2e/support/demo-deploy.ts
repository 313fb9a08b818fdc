import { type APIRequestContext, expect } from '@playwright/test';

/** What the specs read of a run from `GET /v1/ai/workflows/{id}`. */
export interface DeployedRun {
  id: string;
  status: string;
  currentStep: string | null;
  steps: { id: string; status: string; summary: string | null }[];
}

/**
 * A deploy of the demo repository to the demo agent, both gates approved over REST, run to its end: the setup
 * of specs that need a real deploy to look at (its history, its rollback), not the journey they test.
 */
export async function deployDemoOverRest(api: APIRequestContext): Promise<DeployedRun> {
  const get = async (id: string) => (await (await api.get(`/v1/ai/workflows/${id}`)).json()) as DeployedRun;
  const started = await api.post('/v1/ai/workflows/start?workflow_name=deploy_application', {
    data: { repository: 'demo/hello-app', ref: 'main' },
  });
  expect(started.status(), await started.text()).toBe(201);
  const { id } = (await started.json()) as DeployedRun;
  for (const [step, input] of [
    ['select_agent', 'demo-agent'],
    ['create_job', undefined],
  ] as const) {
    await expect
      .poll(async () => (await get(id)).steps.find((s) => s.id === step)?.status, { timeout: 30_000 })
      .toBe('awaiting_approval');
    const res = await api.post(`/v1/ai/workflows/${id}/approve`, {
      data: { approved: true, step_id: step, ...(input && { user_input: input }) },
    });
    expect(res.status(), await res.text()).toBe(200);
  }
  await expect.poll(async () => (await get(id)).status, { timeout: 60_000 }).toBe('completed');
  return get(id);
}
