import { expect, screenshot, test } from '../support/fixtures';

const userMessages = '[data-testid="chat-message"][data-role="user"]';
const assistantMessages = '[data-testid="chat-message"][data-role="assistant"]';

test.describe('with the assistant', () => {
  test('streams a markdown reply; a quick action sends; conversations rename, archive, delete', async ({
    app,
    api,
  }) => {
    const { chat, page } = app;
    const { provider } = (await (await api.get('/v1/ai/status')).json()) as { provider: string };
    await expect(chat.provider).toContainText(provider);
    await page.getByTestId('new-chat').click();
    await chat.send('What can you do?');
    await expect(page.locator(userMessages).last()).toContainText('What can you do?');
    const reply = page.locator(assistantMessages).last();
    await expect(reply).toHaveAttribute('data-status', 'complete', { timeout: 30_000 });
    await expect(reply.locator('li').first()).toBeVisible(); // markdown list, not raw text

    // A `send` quick action posts its message as the person's own.
    const before = await page.locator(userMessages).count();
    await reply.getByTestId('quick-actions').getByRole('button', { name: 'Show workflows' }).click();
    await expect(page.locator(userMessages)).toHaveCount(before + 1);
    await expect(page.locator(assistantMessages).last()).toHaveAttribute('data-status', 'complete', {
      timeout: 30_000,
    });
    await screenshot(page, 'chat-reply');

    // Conversations: rename, archive (hidden until "Show archived"), delete.
    const item = page.getByTestId('conversation-item').first();
    await item.getByRole('button', { name: /^Rename/ }).click();
    await page.getByLabel('New title').fill('E2E conversation');
    await page.getByLabel('New title').press('Enter');
    await expect(page.getByTestId('conversation-item').filter({ hasText: 'E2E conversation' })).toBeVisible();
    await page
      .getByTestId('conversation-item')
      .filter({ hasText: 'E2E conversation' })
      .getByRole('button', { name: /^Archive/ })
      .click();
    await expect(page.getByTestId('conversation-item').filter({ hasText: 'E2E conversation' })).toHaveCount(
      0,
    );
    await page.getByLabel('Show archived').check();
    const archived = page.getByTestId('conversation-item').filter({ hasText: 'E2E conversation' });
    await expect(archived).toContainText('(archived)');
    await archived.getByRole('button', { name: /^Delete/ }).click();
    await archived.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect(page.getByTestId('conversation-item').filter({ hasText: 'E2E conversation' })).toHaveCount(
      0,
    );
  });

  test('a deployment asked for in chat: open the run, approve from the chat, the sidebar follows', async ({
    app,
  }) => {
    const { chat, page, sidebar } = app;
    await page.getByTestId('new-chat').click();
    await chat.send('deploy demo/hello-app main to production');
    const openRun = page.locator(assistantMessages).getByRole('button', { name: 'Open run' }).first();
    await openRun.click();
    await sidebar.expectStep('select_agent', 'awaiting_approval');

    // The narration of the gate carries Approve / Reject; the decision shows once the server confirms it.
    const approve = page
      .locator(assistantMessages)
      .getByTestId('quick-actions')
      .getByRole('button', { name: 'Approve' })
      .last();
    await expect(approve).toBeVisible({ timeout: 15_000 });
    await screenshot(page, 'chat-gate-quick-actions');
    await approve.click();
    await sidebar.expectStep('select_agent', 'completed');
    await sidebar.expectStep('create_job', 'awaiting_approval');
    await sidebar.cancel('chat test done');
    await sidebar.expectRun('cancelled');
  });

  test('workflow cards: Start opens the form of a workflow that needs context', async ({ app }) => {
    const { page, sidebar } = app;
    await page.getByTestId('show-workflows').click();
    const cards = page.getByTestId('workflow-cards').last();
    // The four built-ins, marked; workflows other specs saved on this controller may be listed after them.
    const builtIns = cards.getByRole('listitem').filter({ hasText: 'Built-in' });
    await expect(builtIns).toHaveCount(4);
    for (const title of ['Register a deploy agent', 'Deploy an application'])
      await expect(builtIns.filter({ hasText: title })).toHaveCount(1);
    await screenshot(page, 'chat-workflow-cards');
    await cards.getByRole('button', { name: 'Start Register a deploy agent' }).click();
    await expect(sidebar.root.getByTestId('start-form')).toBeVisible();
    await expect(sidebar.root.getByTestId('workflow-select')).toHaveValue('register_agent');
  });
});
