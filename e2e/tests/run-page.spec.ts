import { readFileSync } from 'node:fs';
import { RunPage } from '../pages/run-page';
import { seriousViolations } from '../support/axe';
import { COLOUR_REPO, ensureColourRepository } from '../support/colour-repo';
import { expect, screenshot, test } from '../support/fixtures';

const UUID = '[0-9a-f-]{36}';

/** The part of a run these checks read. */
interface WorkflowRun {
  id: string;
  context: Record<string, unknown>;
}

test('run page: steps with durations, decisions, a log grouped by step with colour, search, download, re-run', async ({
  app,
  api,
  controller,
}) => {
  const { page } = app;
  await ensureColourRepository(api, controller.dataDir);
  const started = await api.post('/v1/ai/workflows/start?workflow_name=deploy_application', {
    data: { repository: COLOUR_REPO, ref: 'main' },
  });
  expect(started.status(), await started.text()).toBe(201);
  const run = (await started.json()) as WorkflowRun;

  // The run opens at its own address, in the main area; the gates are decided right there.
  const runPage = new RunPage(page);
  await runPage.open(run.id);
  await runPage.approve('select_agent', { choice: { key: 'agent', value: 'demo-agent' } });
  await runPage.approve('create_job', { note: 'colours please' });
  await runPage.expectStatus('completed', 60_000);
  await expect(runPage.title).toContainText(`${COLOUR_REPO}@main → demo-agent`);
  await expect(runPage.root.getByTestId('run-started')).toContainText('Started by admin');

  // Every step that ran has a finished duration, and so has the run.
  for (const id of ['select_agent', 'create_job', 'monitor_job']) {
    const d = runPage.step(id).getByTestId('step-duration');
    await expect(d).toHaveText(/^\d/);
    await expect(d).not.toHaveAttribute('data-live', 'true');
  }
  await expect(runPage.root.getByTestId('run-duration')).toHaveText(/^\d/);
  const decision = runPage.step('create_job').getByTestId('decision');
  await expect(decision).toContainText('Approved by admin');
  await expect(decision.getByTestId('decision-note')).toHaveText(': “colours please”');

  // The log: one group per manifest step with its outcome and duration; lines numbered, timed and coloured.
  await expect(runPage.logGroup('build')).toHaveAttribute('data-outcome', 'success');
  await expect(runPage.logGroup('test')).toHaveAttribute('data-outcome', 'success');
  await expect(runPage.logGroup('build').getByTestId('log-group-duration')).toHaveText(/^\d/);
  const green = runPage.logLine('compiled ok').locator('[data-ansi]');
  await expect(green).toHaveText('compiled ok');
  await expect(green).toHaveCSS('color', 'rgb(74, 222, 128)');
  const red = runPage.logLine('warning: colourful output').locator('[data-ansi]');
  await expect(red).toHaveCSS('font-weight', '600');
  await expect(runPage.logLine('warning: colourful output').getByTestId('log-line-text')).toHaveText(
    'warning: colourful output plain tail',
  );
  await expect(runPage.log.getByTestId('log-line').first().getByTestId('log-line-number')).toHaveText('1');
  await expect(runPage.log.getByTestId('log-line').first().getByTestId('log-line-time')).toHaveText(
    /^\d\d:\d\d:\d\d\.\d{3}$/,
  );
  await screenshot(page, 'run-page-completed');
  expect(await seriousViolations(page)).toEqual([]);

  // Search shows the matching lines only.
  await runPage.log.getByTestId('log-search').fill('COLOURFUL');
  await expect(runPage.log.getByTestId('log-match-count')).toHaveText('1 matching line');
  await expect(runPage.log.getByTestId('log-line')).toHaveCount(1);
  await runPage.log.getByTestId('log-search').fill('');

  // Download: the whole log, read page by page over REST, as plain text.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    runPage.log.getByTestId('log-download').click(),
  ]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^job-${UUID}\\.log$`));
  const text = readFileSync(await download.path(), 'utf8');
  expect(text).toContain('compiled ok');
  expect(text).toContain('$ step test');
  expect(text).not.toContain('\u001b');

  // The job has its own address.
  const jobLink = runPage.log.getByTestId('job-link');
  await jobLink.click();
  await expect(page).toHaveURL(new RegExp(`/jobs/${UUID}$`));
  await expect(page.getByTestId('job-page').getByTestId('job-status')).toHaveText('success');
  await expect(
    page.getByTestId('job-page').getByTestId('log-line').filter({ hasText: 'compiled ok' }),
  ).toBeVisible();
  await page.goBack();
  await expect(runPage.root).toHaveAttribute('data-run-id', run.id);

  // Re-run: a new run with the same inputs, on its own page, asking the gate again.
  await runPage.root.getByTestId('rerun').click();
  await expect(page).not.toHaveURL(new RegExp(`/runs/${run.id}$`));
  await expect(page).toHaveURL(new RegExp(`/runs/${UUID}$`));
  const again = await runPage.root.getAttribute('data-run-id');
  expect(again).not.toBe(run.id);
  await expect(runPage.step('select_agent')).toHaveAttribute('data-status', 'awaiting_approval', {
    timeout: 30_000,
  });
  await expect(runPage.title).toContainText(`${COLOUR_REPO}@main`);
  const rerun = (await (await api.get(`/v1/ai/workflows/${again}`)).json()) as WorkflowRun;
  expect(rerun.context).toMatchObject({ repository: COLOUR_REPO, ref: 'main' });
  await api.post(`/v1/ai/workflows/${again}/cancel`, { data: { reason: 'e2e re-run checked' } });
});

test('a failed deploy shows its failure once on the run page, and the failing step in the log', async ({
  app,
  api,
}) => {
  const { page } = app;
  const started = await api.post('/v1/ai/workflows/start?workflow_name=deploy_application', {
    data: { repository: 'demo/hello-app', ref: 'broken' },
  });
  expect(started.status(), await started.text()).toBe(201);
  const run = (await started.json()) as WorkflowRun;
  const runPage = new RunPage(page);
  await runPage.open(run.id);
  await runPage.approve('select_agent', { choice: { key: 'agent', value: 'demo-agent' } });
  await runPage.approve('create_job');
  await runPage.expectStatus('failed', 60_000);
  await expect(runPage.root.getByTestId('run-failure')).toHaveCount(1);
  await expect(runPage.root.getByTestId('run-failure')).not.toContainText('last log lines');
  await expect(runPage.logGroup('test')).toHaveAttribute('data-outcome', 'failure');
  await screenshot(page, 'run-page-failed');
});
