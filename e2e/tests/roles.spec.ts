import type { Browser } from '@playwright/test';
import { AppPage } from '../pages/app-page';
import { expect, screenshot, test, watchConsole } from '../support/fixtures';

const PASSWORD = 'e2e-password-123';

async function signInWithPassword(browser: Browser, baseURL: string, username: string) {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  const errors: string[] = [];
  watchConsole(page, errors);
  await page.goto('/login');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  const app = new AppPage(page);
  await app.waitLive();
  return { context, app, errors };
}

test('roles: an operator starts and cancels but cannot approve; a viewer only watches; sign out', async ({
  api,
  browser,
  baseURL,
}) => {
  const suffix = Date.now().toString(36);
  for (const role of ['operator', 'viewer'] as const) {
    const res = await api.post('/v1/users', {
      data: { username: `${role}-${suffix}`, password: PASSWORD, role },
    });
    expect(res.status()).toBe(201);
  }

  const op = await signInWithPassword(browser, baseURL!, `operator-${suffix}`);
  await expect(op.app.page.getByTestId('current-user')).toContainText(`operator-${suffix}`);
  await op.app.sidebar.startWorkflow('deploy_application', { repository: 'demo/hello-app', ref: 'main' });
  await op.app.sidebar.expectStep('select_agent', 'awaiting_approval');
  const gate = op.app.sidebar.step('select_agent');
  await expect(gate.getByTestId('approve-button')).toBeDisabled();
  await expect(gate.getByTestId('reject-button')).toBeDisabled();
  await expect(gate).toContainText('Only approvers can decide this step.');
  await screenshot(op.app.page, 'operator-cannot-approve');
  const runId = await op.app.sidebar.runView.getAttribute('data-run-id');

  const viewer = await signInWithPassword(browser, baseURL!, `viewer-${suffix}`);
  await viewer.app.openRun(runId!);
  await expect(viewer.app.sidebar.runView.getByTestId('cancel-workflow')).toHaveCount(0);
  await viewer.app.sidebar.root.getByTestId('workflow-select').selectOption('health_check');
  await expect(viewer.app.sidebar.root.getByTestId('start-workflow')).toBeDisabled();
  await viewer.app.page.getByTestId('logout').click();
  await expect(viewer.app.page.getByTestId('login-form')).toBeVisible();
  await viewer.context.close();

  await op.app.sidebar.cancel('roles test done');
  await op.app.sidebar.expectRun('cancelled');
  await op.context.close();
  expect([...op.errors, ...viewer.errors]).toEqual([]);
});
