import type { APIRequestContext, Page } from '@playwright/test';
import { AppPage } from '../pages/app-page';
import { TriggersPage } from '../pages/triggers-page';
import { seriousViolations } from '../support/axe';
import { ADMIN_TOKEN } from '../support/env';
import { expect, screenshot, test, watchConsole } from '../support/fixtures';

const PASSWORD = 'e2e-password-123';
const suffix = Date.now().toString(36);

/**
 * The one console error these tests cause on purpose: the 400 the server answers to a bad cron expression (the
 * form shows it by its field). Anything else fails the test.
 */
function unexpected(errors: string[]): string[] {
  return errors.filter((e) => !(/status of 400/.test(e) && /\/v1\/triggers\)$/.test(e)));
}

async function signIn(page: Page, errors: string[]): Promise<AppPage> {
  watchConsole(page, errors);
  const app = new AppPage(page);
  await app.signIn(ADMIN_TOKEN);
  return app;
}

/** Whatever a failed test left behind must not keep firing into the other specs. */
async function deleteOurs(api: APIRequestContext): Promise<void> {
  const res = await api.get('/v1/triggers');
  const { triggers } = (await res.json()) as { triggers: { id: string; name: string }[] };
  for (const t of triggers.filter((t) => t.name.endsWith(suffix) || t.name.startsWith('health-check-cron')))
    await api.delete(`/v1/triggers/${t.id}`);
}

test.afterAll(async ({ api }) => {
  await deleteOurs(api);
});

test('triggers page: an admin creates cron and webhook triggers, sees firings with their runs, disables, enables, deletes', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  const app = await signIn(page, errors);
  const triggers = new TriggersPage(page);
  await triggers.open();
  expect(await seriousViolations(page)).toEqual([]);

  // A bad cron expression: the server's 400 is shown next to the field it names; fixed, it is created.
  const weekday = `weekday-health-${suffix}`;
  await triggers.fillCron({
    name: weekday,
    workflow: 'health_check',
    expression: '61 8 * * 1-5',
    timezone: 'Europe/Berlin',
  });
  await triggers.submit();
  await expect(triggers.fieldError('source.expression')).toBeVisible();
  await expect(triggers.form.getByLabel('Cron expression')).toHaveAttribute('aria-invalid', 'true');
  await expect(triggers.form.getByLabel('Cron expression')).toBeFocused();
  await triggers.form.getByLabel('Cron expression').fill('0 8 * * 1-5');
  await triggers.submit();
  const item = triggers.trigger(weekday);
  await expect(item).toBeVisible();
  await expect(triggers.fieldError('source.expression')).toHaveCount(0);
  await expect(item.getByTestId('trigger-source')).toContainText('cron 0 8 * * 1-5 (Europe/Berlin)');
  await expect(item.getByTestId('next-fire-times').locator('time')).toHaveCount(5);
  for (const text of await item.getByTestId('next-fire-times').locator('li').allTextContents())
    expect(text).toMatch(/^(Mon|Tue|Wed|Thu|Fri) \d{1,2} \w{3}, 08:00$/);

  // A webhook: its URL and secret, once.
  const hook = `push-deploy-${suffix}`;
  await triggers.createWebhook(hook, 'health_check');
  const secretBox = page.getByTestId('webhook-secret');
  await expect(secretBox).toBeVisible();
  await expect(secretBox.getByTestId('secret-once-notice')).toContainText('shown only once');
  const secret = (await secretBox.getByTestId('webhook-secret-value').textContent()) ?? '';
  expect(secret).toMatch(/^[0-9a-f]{64}$/);
  await expect(secretBox.getByTestId('webhook-url')).toContainText('/v1/hooks/');
  await expect(secretBox.getByRole('button', { name: 'Copy the webhook secret' })).toBeVisible();
  await screenshot(page, 'triggers-webhook-secret');
  await secretBox.getByTestId('dismiss-secret').click();
  await expect(secretBox).toHaveCount(0);
  await page.reload();
  await app.waitLive();
  await expect(triggers.trigger(hook)).toContainText('webhook');
  expect(await page.content()).not.toContain(secret);

  // Every two seconds: a firing with the run it started shows up; the run says who started it.
  const often = `often-${suffix}`;
  await triggers.fillCron({
    name: often,
    workflow: 'health_check',
    expression: '*/2 * * * * *',
    rateLimit: 60,
  });
  await triggers.submit();
  const firing = triggers.firingWithRun(often);
  await expect(firing).toBeVisible({ timeout: 30_000 });
  await expect(firing.getByTestId('firing-outcome')).toHaveText('Started');

  // Disable: no next fire times; enable again: they are back.
  await triggers.enabledSwitch(often).uncheck();
  await expect(triggers.trigger(often)).toHaveAttribute('data-enabled', 'false');
  await expect(triggers.trigger(often).getByTestId('next-fire-times')).toHaveCount(0);
  await triggers.enabledSwitch(often).check();
  await expect(triggers.trigger(often)).toHaveAttribute('data-enabled', 'true');
  await expect(triggers.trigger(often).getByTestId('next-fire-times').locator('time')).toHaveCount(5);
  await triggers.enabledSwitch(often).uncheck();
  await expect(triggers.trigger(often)).toHaveAttribute('data-enabled', 'false');
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'triggers-page');

  await triggers.firingWithRun(often).getByTestId('firing-run-link').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('run-started')).toContainText(`trigger:${often}`);

  await triggers.open();
  await triggers.delete(often);
  await triggers.delete(hook);
  expect(unexpected(errors)).toEqual([]);
});

test('triggers page: someone who is not an admin sees the list read-only', async ({
  api,
  browser,
  baseURL,
}) => {
  const username = `viewer-trig-${suffix}`;
  const res = await api.post('/v1/users', { data: { username, password: PASSWORD, role: 'viewer' } });
  expect(res.status()).toBe(201);
  const made = await api.post('/v1/triggers', {
    data: {
      name: `viewer-sees-${suffix}`,
      workflow: 'health_check',
      source: { type: 'cron', expression: '0 3 * * *', timezone: 'UTC' },
    },
  });
  expect(made.status()).toBe(201);
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  const errors: string[] = [];
  watchConsole(page, errors);
  await page.goto('/login');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await new AppPage(page).waitLive();
  const triggers = new TriggersPage(page);
  await triggers.open();
  await expect(page.getByTestId('triggers-read-only')).toContainText('Only admins');
  await expect(triggers.form).toHaveCount(0);
  const weekday = triggers.trigger(`viewer-sees-${suffix}`);
  await expect(weekday).toBeVisible();
  await expect(weekday.getByTestId('trigger-state')).toHaveText('Enabled');
  await expect(weekday.getByTestId('trigger-enabled-toggle')).toHaveCount(0);
  await expect(weekday.getByRole('button', { name: /^Delete/ })).toHaveCount(0);
  expect(await seriousViolations(page)).toEqual([]);
  await context.close();
  expect(errors).toEqual([]);
});

test('chat: "run a health check every weekday at 8:00 Berlin time" proposes a trigger; a click creates it', async ({
  page,
}) => {
  const errors: string[] = [];
  const app = await signIn(page, errors);
  await page.getByTestId('new-chat').click();
  await app.chat.send('run a health check every weekday at 8:00 Berlin time');
  const reply = page.locator('[data-testid="chat-message"][data-role="assistant"]').last();
  await expect(reply).toHaveAttribute('data-status', 'complete', { timeout: 30_000 });
  const card = reply.getByTestId('trigger-proposal');
  await expect(card).toHaveAttribute('data-state', 'proposed');
  await expect(card.getByTestId('proposal-source')).toHaveText('cron 0 8 * * 1-5 (Europe/Berlin)');
  await expect(card.getByTestId('proposal-next-fire-times').locator('time')).toHaveCount(5);
  const name = (await card.getAttribute('data-trigger-name'))!;
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'chat-trigger-proposal');

  await card.getByRole('button', { name: 'Create trigger' }).click();
  await expect(card).toHaveAttribute('data-state', 'created');
  await card.getByTestId('open-triggers-page').click();
  await expect(page).toHaveURL(/\/triggers$/);
  const created = new TriggersPage(page).trigger(name);
  await expect(created).toBeVisible();
  await expect(created.getByTestId('trigger-source')).toContainText('cron 0 8 * * 1-5 (Europe/Berlin)');
  await new TriggersPage(page).delete(name);
  expect(unexpected(errors)).toEqual([]);
});
