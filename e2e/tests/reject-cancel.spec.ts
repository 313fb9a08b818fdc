import { seriousViolations } from '../support/axe';
import { expect, screenshot, test } from '../support/fixtures';

test('rejecting a gate asks why, cancels the run and shows the reason', async ({ app }) => {
  const { sidebar, page } = app;
  await sidebar.startWorkflow('deploy_application', { repository: 'demo/hello-app', ref: 'v1.0.0' });
  await sidebar.expectStep('select_agent', 'awaiting_approval');
  const gate = sidebar.step('select_agent');

  // Reject is not one click: it opens a required reason, and an empty one is refused before anything is sent.
  await gate.getByTestId('reject-button').click();
  await expect(gate.getByTestId('reject-reason')).toBeFocused();
  await expect(gate.getByTestId('approve-button')).toHaveCount(0);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'reject-reason');
  await gate.getByTestId('confirm-reject').click();
  await expect(gate.getByTestId('reject-reason-error')).toContainText('Say why');
  await sidebar.expectStep('select_agent', 'awaiting_approval');
  // Esc goes back without deciding.
  await gate.getByTestId('reject-reason').press('Escape');
  await expect(gate.getByTestId('approve-button')).toBeVisible();

  await sidebar.reject('select_agent', 'not during the freeze');
  await sidebar.expectRun('cancelled');
  await sidebar.expectStep('select_agent', 'cancelled');
  await expect(sidebar.stepIcon('select_agent')).toHaveText('⊘');
  await sidebar.expectStep('create_job', 'cancelled');
  // The run failed where the step did: its reason shows once, on that step.
  await expect(gate.getByTestId('step-error')).toContainText('Rejected by admin');
  await expect(gate.getByTestId('step-error')).toContainText('not during the freeze');
  await expect(gate.getByTestId('step-decisions')).toContainText('Rejected by admin');
  await expect(gate.getByTestId('step-decisions')).toContainText('not during the freeze');
  await screenshot(page, 'deploy-rejected');
});

test('rejecting from the chat asks why too; the narration shows who rejected and why', async ({ app }) => {
  const { chat, page, sidebar } = app;
  await page.getByTestId('new-chat').click();
  await chat.send('Deploy demo/hello-app at main');
  const narration = chat.root.locator('[data-testid="chat-message"][data-narration="true"]');
  const gate = narration.filter({ has: page.getByTestId('quick-actions') }).last();
  const reject = gate.getByRole('button', { name: 'Reject…' });
  await expect(reject).toBeVisible({ timeout: 30_000 });
  await expect(gate.getByRole('button', { name: 'Approve' })).toBeVisible();

  await reject.click();
  await expect(gate.getByTestId('reject-reason')).toBeFocused();
  await gate.getByTestId('reject-reason').fill('wrong agent for this app');
  await screenshot(page, 'chat-reject-reason');
  await gate.getByTestId('confirm-reject').click();

  await expect(
    narration
      .filter({ hasText: 'Rejected by admin' })
      .filter({ hasText: 'wrong agent for this app' })
      .first(),
  ).toBeVisible();
  await chat.root.getByRole('button', { name: 'Open run' }).first().click();
  await sidebar.expectRun('cancelled');
  await expect(sidebar.step('select_agent').getByTestId('step-error')).toContainText(
    'wrong agent for this app',
  );
});

test('cancelling mid-run ends the step that waits', async ({ app }) => {
  const { sidebar, page } = app;
  // No agent will ever dial in for this host: the connectivity step keeps waiting (durably) until we cancel.
  await sidebar.startWorkflow('register_agent', { hostname: `never-${Date.now().toString(36)}` });
  await sidebar.expectStep('check_connectivity', 'awaiting_event');
  await sidebar.runView.getByTestId('cancel-workflow').click();
  await expect(sidebar.runView.getByTestId('cancel-confirm')).toBeVisible();
  // The dialog says what really happens: the steps not yet finished end cancelled (not "skipped").
  await expect(sidebar.runView.getByTestId('cancel-confirm')).toContainText('end as cancelled');
  await screenshot(page, 'cancel-confirmation');
  await sidebar.runView.getByTestId('cancel-reason').fill('wrong host');
  await sidebar.runView.getByTestId('confirm-cancel').click();

  await sidebar.expectRun('cancelled');
  await sidebar.expectStep('check_connectivity', 'cancelled');
  await sidebar.expectStep('register', 'cancelled');
  await expect(sidebar.step('check_connectivity').getByTestId('step-error')).toContainText(
    'Cancelled by admin: wrong host',
  );
  await expect(sidebar.runView.getByTestId('cancel-workflow')).toHaveCount(0);
  await screenshot(page, 'run-cancelled');
});
