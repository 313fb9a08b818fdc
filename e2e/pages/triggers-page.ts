import { expect, type Locator, type Page } from '@playwright/test';

export interface CronTrigger {
  name: string;
  workflow: string;
  expression: string;
  timezone?: string;
  rateLimit?: number;
}

/** The Triggers page (`/triggers`): the create form (admins) and the list of triggers with their firings. */
export class TriggersPage {
  readonly root: Locator;
  readonly form: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('triggers-view');
    this.form = page.getByTestId('trigger-form');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('nav-triggers').click();
    await expect(this.root).toBeVisible();
    await expect(this.root.getByText('Loading…')).toHaveCount(0);
  }

  trigger(name: string): Locator {
    return this.page.getByTestId(`trigger-${name}`);
  }

  fieldError(path: string): Locator {
    return this.form.getByTestId(`trigger-error-${path}`);
  }

  /** Fills the form for a cron trigger (without sending it). */
  async fillCron(t: CronTrigger): Promise<void> {
    await this.form.getByLabel('Name').fill(t.name);
    await this.form.getByLabel('Workflow').selectOption(t.workflow);
    await this.form.getByLabel('Starts on').selectOption('cron');
    await this.form.getByLabel('Cron expression').fill(t.expression);
    await this.form.getByLabel('Time zone').fill(t.timezone ?? 'UTC');
    if (t.rateLimit !== undefined)
      await this.form.getByLabel('Rate limit (firings per minute)').fill(String(t.rateLimit));
  }

  async submit(): Promise<void> {
    await this.form.getByRole('button', { name: 'Create trigger' }).click();
  }

  async createWebhook(name: string, workflow: string): Promise<void> {
    await this.form.getByLabel('Name').fill(name);
    await this.form.getByLabel('Workflow').selectOption(workflow);
    await this.form.getByLabel('Starts on').selectOption('webhook');
    await this.submit();
  }

  enabledSwitch(name: string): Locator {
    return this.trigger(name).getByLabel('Enabled');
  }

  /** A firing that started a run: the row with a link to it (outcomes, never transient states). */
  firingWithRun(name: string): Locator {
    return this.trigger(name)
      .getByTestId('firing-row')
      .filter({ has: this.page.getByTestId('firing-run-link') })
      .first();
  }

  async delete(name: string): Promise<void> {
    await this.trigger(name)
      .getByRole('button', { name: `Delete trigger ${name}` })
      .click();
    await this.trigger(name).getByTestId('confirm-delete-trigger').click();
    await expect(this.trigger(name)).toHaveCount(0);
  }
}
