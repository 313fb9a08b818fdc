import { AppPage } from '../pages/app-page';
import { ADMIN_TOKEN } from '../support/env';
import { expect, screenshot, test, watchConsole } from '../support/fixtures';

test('an approval in one browser appears in another within a second', async ({ app, browser, baseURL }) => {
  const runId = await app.sidebar.startWorkflow('deploy_application', {
    repository: 'demo/hello-app',
    ref: 'main',
  });
  await app.sidebar.expectStep('select_agent', 'awaiting_approval');

  const other = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const otherPage = await other.newPage();
  const errors: string[] = [];
  watchConsole(otherPage, errors);
  const second = new AppPage(otherPage);
  await second.signIn(ADMIN_TOKEN, `/?run=${runId}`);
  await expect(second.sidebar.runView).toHaveAttribute('data-run-id', runId);
  await second.sidebar.expectStep('select_agent', 'awaiting_approval');

  await app.sidebar.approve('select_agent', { choice: { key: 'agent', value: 'demo-agent' } });
  await app.sidebar.expectStep('select_agent', 'completed');
  // The second browser hears it over its own socket, no reload, no polling.
  await second.sidebar.expectStep('select_agent', 'completed', 1_000);
  await expect(second.sidebar.step('select_agent').getByTestId('step-decisions')).toContainText(
    'Approved by admin',
  );
  await screenshot(otherPage, 'second-browser-sees-approval');

  // And the other way round: reject the next gate in the second browser.
  await second.sidebar.reject('create_job', 'second thoughts');
  await second.sidebar.expectRun('cancelled');
  await app.sidebar.expectRun('cancelled', 1_000);
  await other.close();
  expect(errors).toEqual([]);
});

test('a reload mid-run restores the run, and the gate still works', async ({ app }) => {
  const { sidebar, page } = app;
  const runId = await sidebar.startWorkflow('deploy_application', {
    repository: 'demo/hello-app',
    ref: 'main',
  });
  await sidebar.expectStep('select_agent', 'awaiting_approval');
  await page.reload();
  await app.waitLive();
  await expect(sidebar.runView).toHaveAttribute('data-run-id', runId);
  await sidebar.expectStep('select_agent', 'awaiting_approval');
  await expect(sidebar.step('select_agent').getByTestId('approval-plan')).toContainText('Deploy to');
  await expect(page.getByTestId(`run-item-${runId}`)).toBeVisible();
  await screenshot(page, 'after-reload');
  await sidebar.approve('select_agent', { choice: { key: 'agent', value: 'demo-agent' } });
  await sidebar.expectStep('create_job', 'awaiting_approval');
  await sidebar.cancel('done testing');
  await sidebar.expectRun('cancelled');
});

test('a dropped connection resynchronises on reconnect without showing an unconfirmed decision', async ({
  app,
  context,
  api,
}) => {
  const { sidebar, page } = app;
  const runId = await sidebar.startWorkflow('deploy_application', {
    repository: 'demo/hello-app',
    ref: 'main',
  });
  await sidebar.expectStep('select_agent', 'awaiting_approval');

  await context.setOffline(true);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'offline', {
    timeout: 30_000,
  });
  // Approving while offline fails: the step must still show as waiting, with the error.
  await sidebar.approve('select_agent', { choice: { key: 'agent', value: 'demo-agent' } });
  await expect(sidebar.step('select_agent').getByTestId('action-error')).toBeVisible();
  await sidebar.expectStep('select_agent', 'awaiting_approval');
  await screenshot(page, 'offline-approval-not-shown');

  // Meanwhile someone else approves it; after reconnecting this page catches up from the snapshot.
  const res = await api.post(`/v1/ai/workflows/${runId}/approve`, {
    data: { approved: true, step_id: 'select_agent', user_input: 'demo-agent' },
  });
  expect(res.ok()).toBe(true);
  await context.setOffline(false);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'online', {
    timeout: 30_000,
  });
  await sidebar.expectStep('select_agent', 'completed');
  await sidebar.expectStep('create_job', 'awaiting_approval');
  await sidebar.cancel('done testing');
  await sidebar.expectRun('cancelled');
});
