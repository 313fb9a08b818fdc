import { seriousViolations } from '../support/axe';
import { expect, screenshot, test } from '../support/fixtures';

test('health_check: the report renders as markdown, the raw data expands as JSON', async ({ app }) => {
  const { sidebar, page } = app;
  await sidebar.startWorkflow('health_check', {});
  await sidebar.expectRun('completed', 30_000);
  await expect(sidebar.progressText).toHaveText('100%');
  const report = sidebar.step('generate_report').getByTestId('step-result');
  await expect(report.locator('.markdown h1, .markdown h2').first()).toBeVisible();
  await report.getByText('Result data').click();
  await expect(report.locator('pre').last()).toContainText('"markdown"');
  await screenshot(page, 'health-check-report');
  expect(await seriousViolations(page)).toEqual([]);
});
