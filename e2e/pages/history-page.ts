import { expect, type Locator, type Page } from '@playwright/test';

/** The run history (`/history`): filters by their visible labels, the table of runs, Load more. */
export class HistoryPage {
  readonly root: Locator;
  readonly filters: Locator;
  constructor(readonly page: Page) {
    this.root = page.getByTestId('history-page');
    this.filters = page.getByRole('form', { name: 'Filter runs' });
  }

  /** Through the header's tab, as a person gets there. */
  async openFromNav(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'History' }).click();
    await expect(this.page).toHaveURL(/\/history(\?|$)/);
    await this.expectLoaded();
  }

  async expectLoaded(): Promise<void> {
    await expect(this.root.getByTestId('history-status')).not.toHaveText('Loading runs…');
  }

  async filter(opts: {
    workflow?: string;
    statuses?: string[];
    startedBy?: string;
    search?: string;
  }): Promise<void> {
    if (opts.workflow !== undefined) await this.filters.getByLabel('Workflow').selectOption(opts.workflow);
    for (const status of opts.statuses ?? []) await this.filters.getByLabel(status, { exact: true }).check();
    if (opts.startedBy !== undefined) await this.filters.getByLabel('Started by').fill(opts.startedBy);
    if (opts.search !== undefined) await this.filters.getByLabel('Search').fill(opts.search);
    await this.filters.getByRole('button', { name: 'Apply filters' }).click();
    await this.expectLoaded();
  }

  get rows(): Locator {
    return this.root.getByTestId('history-row');
  }

  row(runId: string): Locator {
    return this.root.locator(`[data-testid="history-row"][data-run-id="${runId}"]`);
  }
}
