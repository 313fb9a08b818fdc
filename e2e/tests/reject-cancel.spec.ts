import { expect, screenshot, test } from '../support/fixtures';

test('rejecting a gate cancels the run and shows the reason', async ({ app }) => {
  const { sidebar, page } = app;
  await sidebar.startWorkflow('deploy_application', { repository: 'demo/hello-app', ref: 'v1.0.0' });
  await sidebar.reject('select_agent', 'not during the freeze');

  await sidebar.expectRun('cancelled');
  await sidebar.expectStep('select_agent', 'cancelled');
  await expect(sidebar.stepIcon('select_agent')).toHaveText('⊘');
  await sidebar.expectStep('create_job', 'cancelled');
  await expect(sidebar.runError).toContainText('Rejected by admin');
  await expect(sidebar.runError).toContainText('not during the freeze');
  await expect(sidebar.step('select_agent').getByTestId('step-decisions')).toContainText('Rejected by admin');
  await screenshot(page, 'deploy-rejected');
});

test('cancelling mid-run stops the step in flight', async ({ app }) => {
  const { sidebar, page } = app;
  // No agent will ever dial in for this host: the connectivity step keeps waiting until we cancel.
  await sidebar.startWorkflow('register_agent', { hostname: `never-${Date.now().toString(36)}` });
  await sidebar.expectStep('check_connectivity', 'in_progress');
  await sidebar.runView.getByTestId('cancel-workflow').click();
  await expect(sidebar.runView.getByTestId('cancel-confirm')).toBeVisible();
  await screenshot(page, 'cancel-confirmation');
  await sidebar.runView.getByTestId('cancel-reason').fill('wrong host');
  await sidebar.runView.getByTestId('confirm-cancel').click();

  await sidebar.expectRun('cancelled');
  await sidebar.expectStep('check_connectivity', 'cancelled');
  await sidebar.expectStep('register', 'cancelled');
  await expect(sidebar.runError).toContainText('Cancelled by admin: wrong host');
  await expect(sidebar.runView.getByTestId('cancel-workflow')).toHaveCount(0);
  await screenshot(page, 'run-cancelled');
});
