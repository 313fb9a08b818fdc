import { LibraryPage } from '../pages/library-page';
import { seriousViolations } from '../support/axe';
import { expect, screenshot, test } from '../support/fixtures';

const suffix = Date.now().toString(36);
const NAME = `trends_${suffix}`;
const TITLE = `Trends probe ${suffix}`;

/** A workflow of its own, so the counts are this spec's runs only: a step, then a gate a person decides. */
const DOC = {
  name: NAME,
  title: TITLE,
  description: 'Prepares, then waits for a sign-off.',
  steps: [
    { id: 'prepare', title: 'Prepare', uses: 'set', with: { ready: true } },
    { id: 'sign_off', title: 'Sign-off', uses: 'approval', with: { message: 'Go ahead?' } },
  ],
};

interface RunView {
  id: string;
  status: string;
  steps: { id: string; status: string }[];
}

test('a workflow page shows its trends: counts, success rate, gate waits, as charts and as text', async ({
  app,
  api,
}) => {
  test.setTimeout(120_000);
  const saved = await api.post('/v1/ai/workflows/definitions', { data: DOC });
  expect(saved.status(), await saved.text()).toBe(201);
  const get = async (id: string) => (await (await api.get(`/v1/ai/workflows/${id}`)).json()) as RunView;
  // Two runs approved, one rejected at its gate.
  for (const approved of [true, true, false]) {
    const started = await api.post(`/v1/ai/workflows/start?workflow_name=${NAME}`, { data: {} });
    expect(started.status(), await started.text()).toBe(201);
    const { id } = (await started.json()) as RunView;
    await expect
      .poll(async () => (await get(id)).steps.find((s) => s.id === 'sign_off')?.status, { timeout: 30_000 })
      .toBe('awaiting_approval');
    const res = await api.post(`/v1/ai/workflows/${id}/approve`, {
      data: { approved, step_id: 'sign_off', note: approved ? 'fine' : 'not today' },
    });
    expect(res.status(), await res.text()).toBe(200);
    await expect
      .poll(async () => (await get(id)).status, { timeout: 30_000 })
      .toBe(approved ? 'completed' : 'cancelled');
  }

  const { page } = app;
  const library = new LibraryPage(page);
  await library.openFromNav();
  await library.openWorkflow(NAME, TITLE);
  const trends = library.workflow.getByTestId('workflow-trends');
  await expect(trends.getByRole('heading', { name: 'Trends' })).toBeVisible();
  await expect(trends.getByLabel('Last 30 days')).toBeChecked();

  const summary = trends.getByTestId('trends-summary');
  await expect(summary).toContainText('3 runs: 2 completed, 0 failed, 1 cancelled.');
  await expect(summary).toContainText('Success rate: 100% (2 of 2 completed or failed).');
  await expect(summary).toContainText('over 3 waits');
  await expect(trends.getByText('No step failed in this range.')).toBeVisible();

  // The charts (uPlot, loaded with the section) draw on canvases; the same figures are in the table.
  const charts = trends.getByTestId('trends-charts');
  for (const title of ['Success rate per day', 'Duration per day', 'Time waiting at gates per day'])
    await expect(
      charts
        .getByRole('figure', { name: new RegExp(title) })
        .locator('canvas')
        .first(),
    ).toBeVisible();
  await trends.getByText('Figures per day (the charts as a table)').click();
  const table = trends.getByRole('table', { name: /Figures per day/ });
  const today = table.getByRole('row').last();
  await expect(today.getByRole('cell').nth(0)).toHaveText('3');
  await expect(today.getByRole('cell').nth(4)).toHaveText('100%');
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'workflow-trends');

  // Another range asks again; the same runs are in the last 7 days.
  await trends.getByText('Last 7 days').click();
  await expect(trends.getByLabel('Last 7 days')).toBeChecked();
  await expect(trends).toHaveAttribute('aria-busy', 'false');
  await expect(summary).toContainText('3 runs: 2 completed, 0 failed, 1 cancelled.');
  expect(await seriousViolations(page)).toEqual([]);
});
