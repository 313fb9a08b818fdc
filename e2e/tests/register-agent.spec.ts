import { parseAgentCommand } from '../support/agent-process';
import { expect, screenshot, test } from '../support/fixtures';

test('register_agent: form, join token, a real agent connects, two approvals, 100%', async ({
  app,
  agent,
}) => {
  const { sidebar, page } = app;
  const hostname = `web-e2e-${Date.now().toString(36)}`;

  // The hostname field is checked as typed, with the server's own rules.
  await sidebar.root.getByTestId('workflow-select').selectOption('register_agent');
  await sidebar.field('hostname').fill('bad_host!');
  await expect(sidebar.fieldError('hostname')).toContainText('RFC 1123');
  await screenshot(page, 'start-form-validation');

  await sidebar.field('hostname').fill(hostname);
  await expect(sidebar.fieldError('hostname')).toHaveCount(0);
  await sidebar.root.getByTestId('start-workflow').click();
  await expect(sidebar.runView).toBeVisible();

  await sidebar.expectStep('validate_hostname', 'completed');
  await expect(sidebar.stepIcon('validate_hostname')).toHaveText('✓');
  // Waiting for the agent to dial in: the connectivity step waits durably (⧖), with what it waits for.
  await sidebar.expectStep('check_connectivity', 'awaiting_event');
  await expect(sidebar.stepIcon('check_connectivity')).toHaveText('⧖');
  await expect(sidebar.step('check_connectivity').getByTestId('step-summary')).toContainText(
    'Waiting for the agent of',
  );
  const command = await sidebar.enrollCommand();
  const parsed = parseAgentCommand(command);
  expect(parsed.hostname).toBe(hostname);
  expect(parsed.token).toMatch(/^dbj_/);
  await screenshot(page, 'register-agent-join-command');

  agent.start(command);
  await sidebar.expectStep('check_connectivity', 'awaiting_approval', 30_000);
  await expect(sidebar.step('check_connectivity').getByTestId('approval-plan')).toContainText(
    'Connected from',
  );
  await screenshot(page, 'register-agent-connectivity-gate');
  await sidebar.approve('check_connectivity', { note: 'looks right' });
  await sidebar.expectStep('check_connectivity', 'completed');
  await expect(sidebar.stepIcon('check_connectivity')).toHaveText('✓');

  await sidebar.approve('register');
  await sidebar.expectStep('register', 'completed');
  await sidebar.expectStep('configure', 'completed', 30_000);
  await sidebar.expectRun('completed');
  await expect(sidebar.progressText).toHaveText('100%');
  await expect(sidebar.runView.getByTestId('progress-bar')).toHaveAttribute('aria-valuenow', '100');
  await screenshot(page, 'register-agent-completed');

  // The new agent shows up live in the fleet view.
  await app.fleet.open();
  await expect(app.fleet.agentRow(hostname).getByTestId('agent-status')).toHaveText('online');
  await screenshot(page, 'fleet-agents');
});
