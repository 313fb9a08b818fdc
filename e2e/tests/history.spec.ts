import { readFileSync } from 'node:fs';
import { HistoryPage } from '../pages/history-page';
import { RunPage } from '../pages/run-page';
import { seriousViolations } from '../support/axe';
import { deployDemoOverRest } from '../support/demo-deploy';
import { expect, screenshot, test } from '../support/fixtures';

interface Run {
  id: string;
  status: string;
}

test('history: filter runs by workflow and status, open one, read its timeline with the approval, export it', async ({
  app,
  api,
}) => {
  // Two workflows run to their end first; on a busy 2-core machine that alone can take most of a minute.
  test.setTimeout(180_000);
  const { page } = app;
  // A health check, run to its end over REST.
  const health = (await (
    await api.post('/v1/ai/workflows/start?workflow_name=health_check', { data: {} })
  ).json()) as Run;
  await expect
    .poll(async () => ((await (await api.get(`/v1/ai/workflows/${health.id}`)).json()) as Run).status, {
      timeout: 30_000,
    })
    .toBe('completed');

  // A deploy of the demo repository, its two gates approved on its page.
  const started = await api.post('/v1/ai/workflows/start?workflow_name=deploy_application', {
    data: { repository: 'demo/hello-app', ref: 'main' },
  });
  expect(started.status(), await started.text()).toBe(201);
  const deploy = (await started.json()) as Run;
  const runPage = new RunPage(page);
  await runPage.open(deploy.id);
  await runPage.approve('select_agent', { choice: { key: 'agent', value: 'demo-agent' } });
  await runPage.approve('create_job', { note: 'ship it from the history test' });
  await runPage.expectStatus('completed', 60_000);

  // History, from the header: both runs are there, newest first.
  const history = new HistoryPage(page);
  await history.openFromNav();
  await expect(history.row(deploy.id)).toBeVisible();
  await expect(history.row(health.id)).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  // Filtered by workflow and status: only completed deploys; the filters are in the address.
  await history.filter({ workflow: 'deploy_application', statuses: ['Completed'] });
  await expect(page).toHaveURL(/\/history\?workflow=deploy_application&status=completed$/);
  await expect(history.row(deploy.id)).toBeVisible();
  await expect(history.row(health.id)).toHaveCount(0);
  for (const status of await history.rows.evaluateAll((rows) =>
    rows.map((r) => r.getAttribute('data-status')),
  ))
    expect(status).toBe('completed');
  await expect(history.row(deploy.id)).toContainText('demo/hello-app');
  await expect(history.row(deploy.id)).toContainText('demo-agent');

  // A reload keeps them; another status shows nothing of ours.
  await page.reload();
  await history.expectLoaded();
  await expect(history.filters.getByLabel('Workflow')).toHaveValue('deploy_application');
  await expect(history.filters.getByLabel('Completed', { exact: true })).toBeChecked();
  await expect(history.row(deploy.id)).toBeVisible();
  await screenshot(page, 'history-filtered');
  expect(await seriousViolations(page)).toEqual([]);

  // The row leads to the run's page, whose timeline names the approval with its note.
  await history.row(deploy.id).getByTestId('history-run-link').click();
  await expect(page).toHaveURL(new RegExp(`/runs/${deploy.id}$`));
  await expect(runPage.root).toHaveAttribute('data-run-id', deploy.id);
  const timeline = runPage.root.getByTestId('run-timeline');
  const approval = timeline.locator(
    '[data-testid="timeline-entry"][data-type="step.approved"][data-step="create_job"]',
  );
  await expect(approval.getByTestId('timeline-text')).toHaveText('Create deployment job: approved by admin');
  await expect(approval.getByTestId('timeline-note')).toHaveText('Note: “ship it from the history test”');
  await expect(
    timeline.locator('[data-testid="time-axis-bar"][data-kind="gate"][data-step="create_job"]'),
  ).toHaveCount(1);
  await expect(
    timeline.locator('[data-testid="time-axis-bar"][data-kind="event"][data-step="monitor_job"]'),
  ).toHaveCount(1);
  await screenshot(page, 'run-timeline');
  expect(await seriousViolations(page)).toEqual([]);

  // Export: the run, its event log and its timeline as one JSON file.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    runPage.root.getByRole('link', { name: 'Export JSON' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`run-${deploy.id}.json`);
  const file = JSON.parse(readFileSync(await download.path(), 'utf8')) as {
    format: string;
    run: Run;
    events: { seq: number; type: string; stepId: string | null }[];
    timeline: { type: string; stepId: string | null; by: string | null; note: string | null }[];
  };
  expect(file.format).toBe('deploybot.run/v1');
  expect(file.run).toMatchObject({ id: deploy.id, status: 'completed' });
  expect(file.events.map((e) => e.seq)).toEqual(file.events.map((_, i) => i + 1));
  expect(file.events.at(-1)?.type).toBe('run.completed');
  expect(file.timeline.find((e) => e.type === 'step.approved' && e.stepId === 'create_job')).toMatchObject({
    by: 'admin',
    note: 'ship it from the history test',
  });

  // Back returns to the filtered list.
  await page.goBack();
  await expect(page).toHaveURL(/\/history\?workflow=deploy_application&status=completed$/);
  await expect(history.row(deploy.id)).toBeVisible();
});

test('roll back a real deploy from its Roll back button: the plan first, then the rollback run’s gate', async ({
  app,
  api,
}) => {
  test.setTimeout(180_000);
  const { page } = app;
  // Two deploys: the second replaces the release the first made live, so undoing it has somewhere to go.
  await deployDemoOverRest(api);
  const deploy = await deployDemoOverRest(api);

  const runPage = new RunPage(page);
  await runPage.open(deploy.id);
  await runPage.root.getByRole('button', { name: '↺ Roll back…' }).click();
  const plan = runPage.root.getByRole('region', { name: 'Rollback plan' });
  await expect(plan.locator('li[data-step="create_job"]')).toContainText(
    "Create deployment job: switch demo-agent's demo/hello-app back to the release that was live before job",
  );
  await expect(plan.locator('li[data-step="select_agent"]')).toContainText('nothing to undo');
  expect(await seriousViolations(page)).toEqual([]);
  // Reading the plan started nothing.
  const runs = async () =>
    ((await (await api.get(`/v1/ai/workflows/history?workflow=rollback`)).json()) as { runs: Run[] }).runs
      .length;
  const before = await runs();

  await plan.getByRole('button', { name: 'Start rollback' }).click();
  await expect(page).not.toHaveURL(new RegExp(`/runs/${deploy.id}$`));
  await expect(runPage.root).not.toHaveAttribute('data-run-id', deploy.id);
  expect(await runs()).toBe(before + 1);
  await runPage.approve('review_plan', { note: 'undo the second deploy' });
  await runPage.expectStatus('completed', 60_000);
  await expect(runPage.step('undo')).toContainText("Switched demo-agent's demo/hello-app back to release");

  // The deploy's page shows its job step undone, and its timeline records it.
  await runPage.open(deploy.id);
  await expect(runPage.step('create_job')).toHaveAttribute('data-status', 'compensated');
  await expect(
    runPage.root.locator(
      '[data-testid="timeline-entry"][data-type="step.compensated"][data-step="create_job"]',
    ),
  ).toBeVisible();
});
