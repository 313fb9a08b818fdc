import { expect, screenshot, test } from '../support/fixtures';

const assistantMessages = '[data-testid="chat-message"][data-role="assistant"]';

test.describe('the assistant drives workflows', () => {
  test('"Run a system health check": the sidebar runs it and the chat narrates it', async ({ app }) => {
    const { chat, page, sidebar } = app;
    await page.getByTestId('new-chat').click();
    await chat.send('Run a system health check');
    await page.locator(assistantMessages).getByRole('button', { name: 'Open run' }).first().click();
    await sidebar.expectRun('completed', 30_000);
    await expect(sidebar.progressText).toContainText('100%');
    // One narration message per step, then the final one.
    const messages = page.locator(assistantMessages);
    for (const title of ['Check all agents', 'Check running jobs', 'Analyse metrics', 'Generate report']) {
      await expect(messages.filter({ hasText: title }).filter({ hasText: '✓' })).toHaveCount(1);
    }
    await expect(messages.filter({ hasText: 'Check system health completed (4/4 steps)' })).toHaveCount(1);
    await screenshot(page, 'chat-health-check-narrated');
  });

  test('"Deploy demo/hello-app at main": both gates approved with a click in the chat, the run completes', async ({
    app,
  }) => {
    const { chat, page, sidebar } = app;
    await page.getByTestId('new-chat').click();
    await chat.send('Deploy demo/hello-app at main');
    await page.locator(assistantMessages).getByRole('button', { name: 'Open run' }).first().click();
    for (const gate of ['select_agent', 'create_job']) {
      await sidebar.expectStep(gate, 'awaiting_approval', 30_000);
      const approve = page
        .locator(assistantMessages)
        .getByTestId('quick-actions')
        .getByRole('button', { name: 'Approve' })
        .last();
      await expect(approve).toBeVisible({ timeout: 15_000 });
      await approve.click();
      await sidebar.expectStep(gate, 'completed');
    }
    await sidebar.expectRun('completed', 60_000);
    await expect(
      // The run's title names what went where.
      page
        .locator(assistantMessages)
        .filter({ hasText: /Deploy demo\/hello-app@main → [a-z0-9-]+ completed \(4\/4 steps\)/ }),
    ).toHaveCount(1);
    await screenshot(page, 'chat-deploy-completed');
  });

  test('hostile text in the chat is shown as text, never run as HTML', async ({ app }) => {
    const { chat, page } = app;
    await page.getByTestId('new-chat').click();
    const payload =
      '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>[link](javascript:alert(1))';
    await chat.send(payload);
    const mine = page.locator('[data-testid="chat-message"][data-role="user"]').last();
    await expect(mine).toContainText('<img src=x onerror=');
    await expect(mine.locator('img, script')).toHaveCount(0);
    await expect(page.locator(assistantMessages).last()).toHaveAttribute('data-status', 'complete', {
      timeout: 30_000,
    });
    await expect(page.locator('a[href^="javascript:"]')).toHaveCount(0);
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
  });
});
