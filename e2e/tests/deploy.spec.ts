import { expect, screenshot, test } from '../support/fixtures';

test('deploy_application: pick the agent at the gate, approve, live log lines, completion', async ({
  app,
}) => {
  const { sidebar, page } = app;
  await sidebar.startWorkflow('deploy_application', { repository: 'demo/hello-app', ref: 'main' });

  await sidebar.expectStep('select_agent', 'awaiting_approval');
  await expect(sidebar.stepIcon('select_agent')).toHaveText('‖');
  await expect(sidebar.step('select_agent').getByTestId('approval-plan')).toContainText('Deploy to');
  await screenshot(page, 'deploy-select-agent-gate');
  // The gate takes an input: the agent to deploy to (the demo agent, whatever the scoring picked).
  await sidebar.approve('select_agent', { choice: { key: 'agent', value: 'demo-agent' } });
  await sidebar.expectStep('select_agent', 'completed');
  await expect(sidebar.step('select_agent').getByTestId('step-summary')).toContainText('demo-agent');

  await sidebar.expectStep('validate_repository', 'completed');
  await sidebar.approve('create_job', { note: 'ship it' });
  await sidebar.expectStep('create_job', 'completed');

  // The job's log streams into the sidebar while the deployment runs.
  await expect(sidebar.jobLog.getByTestId('log-line').filter({ hasText: 'smoke test passed' })).toBeVisible({
    timeout: 30_000,
  });
  await expect(
    sidebar.jobLog.getByTestId('log-line').filter({ hasText: 'released version 1.0.0' }),
  ).toBeVisible();
  await sidebar.expectStep('monitor_job', 'completed', 30_000);
  await sidebar.expectRun('completed');
  await expect(sidebar.progressText).toHaveText('100%');
  await expect(sidebar.jobLog.getByTestId('job-status')).toHaveText('success');
  await screenshot(page, 'deploy-completed-with-log');

  // The fleet view shows the job and its log too.
  const jobId = await sidebar.runView.getAttribute('data-run-id');
  expect(jobId).toBeTruthy();
  await app.fleet.open();
  const row = page.getByTestId('jobs-table').locator('tr', { hasText: 'demo/hello-app@main' }).first();
  await expect(row.getByTestId('job-status')).toHaveText('success');
  await row.getByRole('button').click();
  const log = page.getByTestId('fleet-view').getByTestId('log-viewer');
  await expect(log.getByTestId('log-line').filter({ hasText: 'smoke test passed' })).toBeVisible();
  await screenshot(page, 'fleet-job-log');
});
