import { expect, test } from '../support/fixtures';

const userMessages = '[data-testid="chat-message"][data-role="user"]';

test('the open conversation is in the address: a reload, and back/forward, return to it', async ({ app }) => {
  const { chat, page } = app;
  await page.getByTestId('new-chat').click();
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]{36}$/);
  const first = new URL(page.url()).pathname;
  await chat.send('What can you do?');
  await expect(page.locator(userMessages).last()).toContainText('What can you do?');

  await page.reload();
  await app.waitLive();
  await expect(page).toHaveURL(new RegExp(`${first}$`));
  await expect(page.locator(userMessages).last()).toContainText('What can you do?');
  await expect(page.getByTestId('conversation-item').locator('[aria-current="page"]')).toHaveCount(1);

  // A second conversation gets its own address; Back returns to the first one's.
  await page.getByTestId('new-chat').click();
  await expect(page).not.toHaveURL(new RegExp(`${first}$`));
  await expect(page.locator(userMessages)).toHaveCount(0);
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`${first}$`));
  await expect(page.locator(userMessages).last()).toContainText('What can you do?');

  // Leaving for the fleet and coming back through the tab keeps the conversation open.
  await page.getByTestId('nav-fleet').click();
  await expect(page).toHaveURL(/\/fleet$/);
  await page.getByTestId('nav-chat').click();
  await expect(page).toHaveURL(new RegExp(`${first}$`));
  await expect(page.locator(userMessages).last()).toContainText('What can you do?');
});
