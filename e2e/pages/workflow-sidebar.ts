import { expect, type Locator, type Page } from '@playwright/test';

export type StepStatus =
  | 'pending'
  | 'in_progress'
  | 'awaiting_input'
  | 'awaiting_approval'
  | 'awaiting_event'
  | 'completed'
  | 'failed'
  | 'skipped'
  | 'cancelled'
  | 'compensated';

/** The workflow sidebar: selector and start form, the selected run, its steps, gates and Cancel. */
export class WorkflowSidebar {
  readonly root: Locator;
  constructor(page: Page) {
    this.root = page.getByTestId('workflow-sidebar');
  }

  async startWorkflow(name: string, values: Record<string, string>): Promise<string> {
    await this.root.getByTestId('workflow-select').selectOption(name);
    for (const [key, value] of Object.entries(values)) await this.field(key).fill(value);
    await this.root.getByTestId('start-workflow').click();
    await expect(this.runView).toBeVisible();
    const runId = await this.runView.getAttribute('data-run-id');
    if (!runId) throw new Error('no run id on the run view');
    return runId;
  }

  field(key: string): Locator {
    return this.root.getByTestId(`field-${key}`);
  }

  fieldError(key: string): Locator {
    return this.root.getByTestId(`field-error-${key}`);
  }

  get runView(): Locator {
    return this.root.getByTestId('run-view');
  }

  step(id: string): Locator {
    return this.runView.getByTestId(`step-${id}`);
  }

  stepIcon(id: string): Locator {
    return this.step(id).getByTestId('status-icon').first();
  }

  async expectStep(id: string, status: StepStatus, timeout?: number): Promise<void> {
    await expect(this.step(id)).toHaveAttribute('data-status', status, { timeout });
  }

  async expectRun(
    status: 'queued' | 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled',
    timeout?: number,
  ): Promise<void> {
    await expect(this.runView.getByTestId('run-status')).toHaveAttribute('data-status', status, { timeout });
  }

  /** Steps that start together: the group is named by its first step's id and labelled in words. */
  parallelGroup(firstStepId: string): Locator {
    return this.runView.getByTestId(`parallel-group-${firstStepId}`);
  }

  /** A queued run's note: the run holding its concurrency key (a link) and the key. */
  get queuedBehind(): Locator {
    return this.runView.getByTestId('queued-behind');
  }

  /** A gate's own Approve, by its accessible name ("✓ Approve <step title>"): several may wait at once. */
  approveButton(stepTitle: string): Locator {
    return this.runView.getByRole('button', { name: `Approve ${stepTitle}` });
  }

  get progressText(): Locator {
    return this.runView.getByTestId('progress-text');
  }

  /** The agent start command, with its join token revealed (the server keeps it sealed until asked). */
  async enrollCommand(): Promise<string> {
    const box = this.step('validate_hostname').getByTestId('enroll-command');
    const reveal = this.step('validate_hostname').getByTestId('reveal-token');
    if (await reveal.isVisible()) await reveal.click();
    await expect(box).toHaveAttribute('data-revealed', 'true');
    const command = await box.textContent();
    if (!command) throw new Error('no enroll command shown');
    return command.trim();
  }

  async approve(
    stepId: string,
    opts: { note?: string; choice?: { key: string; value: string } } = {},
  ): Promise<void> {
    const step = this.step(stepId);
    await expect(step).toHaveAttribute('data-status', 'awaiting_approval');
    if (opts.choice) await step.getByTestId(`field-${opts.choice.key}`).selectOption(opts.choice.value);
    if (opts.note) await step.getByTestId('approval-note').fill(opts.note);
    await step.getByTestId('approve-button').click();
  }

  /** Reject asks why first: the reason field opens (focused), and its text becomes the decision's note. */
  async reject(stepId: string, reason: string): Promise<void> {
    const step = this.step(stepId);
    await expect(step).toHaveAttribute('data-status', 'awaiting_approval');
    await step.getByTestId('reject-button').click();
    await expect(step.getByTestId('reject-reason')).toBeFocused();
    await step.getByTestId('reject-reason').fill(reason);
    await step.getByTestId('confirm-reject').click();
  }

  async cancel(reason: string): Promise<void> {
    await this.runView.getByTestId('cancel-workflow').click();
    await this.runView.getByTestId('cancel-reason').fill(reason);
    await this.runView.getByTestId('confirm-cancel').click();
  }

  get runError(): Locator {
    return this.runView.getByTestId('run-error');
  }

  get jobLog(): Locator {
    return this.runView.getByTestId('job-log-panel');
  }
}
