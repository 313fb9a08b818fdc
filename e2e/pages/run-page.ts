import { expect, type Locator, type Page } from '@playwright/test';

/** A run's own page (`/runs/{id}`): header, steps with durations and decisions, the job's grouped log. */
export class RunPage {
  readonly root: Locator;
  constructor(readonly page: Page) {
    this.root = page.getByTestId('run-page');
  }

  async open(runId: string): Promise<void> {
    await this.page.goto(`/runs/${runId}`);
    await expect(this.root).toHaveAttribute('data-run-id', runId);
  }

  get title(): Locator {
    return this.root.getByTestId('run-page-title');
  }

  async expectStatus(status: string, timeout?: number): Promise<void> {
    await expect(this.root.getByTestId('run-page-status')).toHaveAttribute('data-status', status, {
      timeout,
    });
  }

  step(id: string): Locator {
    return this.root.getByTestId(`run-step-${id}`);
  }

  async approve(stepId: string, opts: { note?: string; choice?: { key: string; value: string } } = {}) {
    const step = this.step(stepId);
    await expect(step).toHaveAttribute('data-status', 'awaiting_approval', { timeout: 30_000 });
    if (opts.choice) await step.getByTestId(`field-${opts.choice.key}`).selectOption(opts.choice.value);
    if (opts.note) await step.getByTestId('approval-note').fill(opts.note);
    await step.getByTestId('approve-button').click();
    await expect(step).not.toHaveAttribute('data-status', 'awaiting_approval');
  }

  get log(): Locator {
    return this.root.getByTestId('job-log-panel');
  }

  logGroup(step: string): Locator {
    return this.log.locator(`[data-testid="log-group"][data-step="${step}"]`);
  }

  logLine(text: string): Locator {
    return this.log.getByTestId('log-line').filter({ hasText: text });
  }
}
