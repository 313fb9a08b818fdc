import { seriousViolations } from '../support/axe';
import { expect, screenshot, test } from '../support/fixtures';

test('no serious or critical axe violations: app with a waiting gate, dark theme, fleet, login', async ({
  app,
  browser,
  baseURL,
}) => {
  const { sidebar, page } = app;
  await sidebar.startWorkflow('deploy_application', { repository: 'demo/hello-app', ref: 'main' });
  await sidebar.expectStep('select_agent', 'awaiting_approval');
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'main-light');

  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveClass(/dark/);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'main-dark');
  await page.getByTestId('theme-toggle').click();

  await app.fleet.open();
  expect(await seriousViolations(page)).toEqual([]);

  const signedOut = await browser.newContext({ baseURL });
  const anonymous = await signedOut.newPage();
  await anonymous.goto('/login');
  await expect(anonymous.getByTestId('login-form')).toBeVisible();
  await expect(anonymous.getByTestId('login-submit')).toBeEnabled();
  expect(await seriousViolations(anonymous)).toEqual([]);
  await screenshot(anonymous, 'login');
  await signedOut.close();

  await page.getByTestId('nav-chat').click();
  await sidebar.cancel('a11y done');
  await sidebar.expectRun('cancelled');
});

test('keyboard: tab reaches the selector with a visible focus ring; panes collapse; phone width', async ({
  app,
}) => {
  const { page, sidebar } = app;
  const select = sidebar.root.getByTestId('workflow-select');
  for (let i = 0; i < 40 && !(await select.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await expect(select).toBeFocused();
  const outline = await select.evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(outline).not.toBe('none');

  // "/" focuses the composer (disabled while the assistant is not configured, so only when enabled).
  await page.getByTestId('toggle-left').click();
  await expect(page.getByTestId('conversations')).toHaveCount(0);
  await page.getByTestId('toggle-right').click();
  await expect(sidebar.root).toHaveCount(0);
  await screenshot(page, 'panes-collapsed');
  await page.getByTestId('toggle-left').click();
  await page.getByTestId('toggle-right').click();

  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await app.waitLive().catch(() => {});
  await expect(page.getByTestId('chat-pane')).toBeVisible();
  await expect(sidebar.root).toHaveCount(0); // collapsed by default on a phone
  await page.getByTestId('toggle-right').click();
  await expect(sidebar.root).toBeVisible();
  await screenshot(page, 'phone-sidebar');
});
