import type { Locator, Page } from '@playwright/test';

/** The fleet view: agents, jobs, one job's live log. */
export class FleetPage {
  constructor(private readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.getByTestId('nav-fleet').click();
    await this.page.getByTestId('fleet-view').waitFor();
  }

  agentRow(hostname: string): Locator {
    return this.page.getByTestId(`agent-row-${hostname}`);
  }

  jobRow(jobId: string): Locator {
    return this.page.getByTestId(`job-row-${jobId}`);
  }

  async openJobLog(jobId: string): Promise<Locator> {
    await this.jobRow(jobId).getByRole('button').click();
    return this.page.getByTestId('fleet-view').getByTestId('log-viewer');
  }
}
