// @vitest-environment happy-dom
import type { FiringDto, TriggerDto, TriggerWithSecretDto, WorkflowDefinitionDto } from '@deploybot/shared';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../lib/api';
import { appStore, createAppStore } from '../stores/store';

const triggersApi = vi.hoisted(() => ({
  list: vi.fn(),
  firings: vi.fn(),
  create: vi.fn(),
  update: vi.fn(),
  remove: vi.fn(),
}));
vi.mock('./triggers-api', () => ({ triggersApi }));
const { TriggersPage } = await import('./triggers-page');
const { triggersStore } = await import('./triggers-store');

const user = (role: 'admin' | 'viewer') => ({
  user: { id: 'u', username: role === 'admin' ? 'ada' : 'vic', role, createdAt: '', disabled: false },
  csrfToken: 't',
});

const healthCheck: WorkflowDefinitionDto = {
  name: 'health_check',
  title: 'Check system health',
  description: '',
  version: 1,
  inputs: [{ key: 'stuck_after_minutes', label: 'Stuck after (minutes)', type: 'number', required: false }],
  steps: [],
};

const RUN_ID = '33333333-3333-4333-8333-333333333333';
const cron: TriggerDto = {
  id: '11111111-1111-4111-8111-111111111111',
  name: 'weekday-health',
  workflow: 'health_check',
  version: null,
  inputs: {},
  enabled: true,
  pausedReason: null,
  rateLimit: 10,
  source: { type: 'cron', expression: '0 8 * * 1-5', timezone: 'Europe/Berlin', missed: 'skip' },
  nextFireTimes: ['2026-12-02T07:00:00.000Z', '2026-12-03T07:00:00.000Z'],
  webhookPath: null,
  createdBy: 'ada',
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedBy: 'ada',
  updatedAt: '2026-12-01T10:00:00.000Z',
};
const firings: FiringDto[] = [
  {
    id: 'f1',
    triggerId: cron.id,
    key: `cron:${cron.id}:2026-12-01T07:00:00.000Z`,
    at: '2026-12-01T07:00:00.000Z',
    recordedAt: '2026-12-01T07:00:00.010Z',
    outcome: 'started',
    reason: null,
    runId: RUN_ID,
    eventType: 'cron',
    eventId: '2026-12-01T07:00:00.000Z',
  },
  {
    id: 'f2',
    triggerId: cron.id,
    key: `cron:${cron.id}:2026-11-30T07:00:00.000Z`,
    at: '2026-11-30T07:00:00.000Z',
    recordedAt: '2026-11-30T07:00:00.010Z',
    outcome: 'conflict',
    reason: 'a run with concurrency key health is active',
    runId: null,
    eventType: 'cron',
    eventId: '2026-11-30T07:00:00.000Z',
  },
];

beforeEach(() => {
  appStore.setState(createAppStore().getState(), true);
  appStore.setState({ definitions: [healthCheck] });
  triggersStore.setState({ triggers: null, firings: {}, error: null });
  for (const f of Object.values(triggersApi)) f.mockReset();
  triggersApi.list.mockResolvedValue([cron]);
  triggersApi.firings.mockResolvedValue(firings);
});
afterEach(cleanup);

describe('TriggersPage', () => {
  it('lists a trigger with its source in words, next fire times in its zone, and firings with run and why', async () => {
    appStore.setState({ session: user('admin'), authStatus: 'signed-in' });
    render(<TriggersPage />);
    const item = await screen.findByTestId('trigger-weekday-health');
    expect(within(item).getByTestId('trigger-source').textContent).toContain(
      'cron 0 8 * * 1-5 (Europe/Berlin)',
    );
    expect(within(item).getByText('Check system health')).toBeTruthy();
    expect(within(item).getByText('Next fire times (Europe/Berlin)')).toBeTruthy();
    const next = within(item).getByTestId('next-fire-times');
    expect(next.textContent).toContain('08:00');
    expect(next.querySelector('time')?.getAttribute('datetime')).toBe('2026-12-02T07:00:00.000Z');
    const rows = within(item).getAllByTestId('firing-row');
    expect(rows.map((r) => r.getAttribute('data-outcome'))).toEqual(['started', 'conflict']);
    expect(within(rows[0]!).getByTestId('firing-run-link').getAttribute('href')).toBe(`/runs/${RUN_ID}`);
    expect(within(rows[1]!).getByTestId('firing-outcome').textContent).toBe('Skipped: conflict');
    expect(within(rows[1]!).getByTestId('firing-reason').textContent).toBe(
      'a run with concurrency key health is active',
    );
  });

  it('shows a viewer the list read-only: no form, no switch, no delete', async () => {
    appStore.setState({ session: user('viewer'), authStatus: 'signed-in' });
    render(<TriggersPage />);
    const item = await screen.findByTestId('trigger-weekday-health');
    expect(screen.getByTestId('triggers-read-only').textContent).toMatch(/Only admins/);
    expect(screen.queryByTestId('trigger-form')).toBeNull();
    expect(within(item).queryByTestId('trigger-enabled-toggle')).toBeNull();
    expect(within(item).queryByTestId('delete-trigger')).toBeNull();
    expect(within(item).getByTestId('trigger-state').textContent).toBe('Enabled');
  });

  it('disables with the switch and deletes only after the confirmation, listing again after each', async () => {
    appStore.setState({ session: user('admin'), authStatus: 'signed-in' });
    triggersApi.update.mockResolvedValue({ ...cron, enabled: false });
    triggersApi.remove.mockResolvedValue(null);
    render(<TriggersPage />);
    const item = await screen.findByTestId('trigger-weekday-health');
    const calls = triggersApi.list.mock.calls.length;
    fireEvent.click(within(item).getByLabelText('Enabled'));
    await waitFor(() => expect(triggersApi.update).toHaveBeenCalledWith(cron.id, { enabled: false }));
    await waitFor(() => expect(triggersApi.list.mock.calls.length).toBeGreaterThan(calls));

    fireEvent.click(within(item).getByRole('button', { name: 'Delete trigger weekday-health' }));
    expect(triggersApi.remove).not.toHaveBeenCalled();
    const confirm = within(item).getByTestId('confirm-delete-trigger');
    expect(document.activeElement).toBe(confirm);
    fireEvent.click(confirm);
    await waitFor(() => expect(triggersApi.remove).toHaveBeenCalledWith(cron.id));
  });

  it("shows the server's 400 next to the field it names, then the webhook secret once after a create", async () => {
    appStore.setState({ session: user('admin'), authStatus: 'signed-in' });
    triggersApi.list.mockResolvedValue([]);
    render(<TriggersPage />);
    await screen.findByTestId('no-triggers');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'nightly' } });
    fireEvent.change(screen.getByLabelText('Workflow'), { target: { value: 'health_check' } });
    fireEvent.change(screen.getByLabelText('Cron expression'), { target: { value: '61 * * * *' } });
    triggersApi.create.mockRejectedValueOnce(
      new ApiError(400, 'validation_failed', 'invalid trigger: source.expression: bad minute', [
        { path: 'source.expression', message: 'Invalid value for minute: 61' },
      ]),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Create trigger' }));
    const error = await screen.findByTestId('trigger-error-source.expression');
    expect(error.textContent).toBe('Invalid value for minute: 61');
    expect(screen.getByLabelText('Cron expression').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByLabelText('Cron expression').getAttribute('aria-describedby')).toContain(error.id);

    fireEvent.change(screen.getByLabelText('Starts on'), { target: { value: 'webhook' } });
    const hook: TriggerWithSecretDto = {
      ...cron,
      name: 'nightly',
      source: { type: 'webhook' },
      nextFireTimes: [],
      webhookPath: `/v1/hooks/${cron.id}`,
      secret: 'ab'.repeat(32),
    };
    triggersApi.create.mockResolvedValueOnce(hook);
    fireEvent.click(screen.getByRole('button', { name: 'Create trigger' }));
    const secret = await screen.findByTestId('webhook-secret');
    expect(triggersApi.create).toHaveBeenLastCalledWith({
      name: 'nightly',
      workflow: 'health_check',
      inputs: {},
      enabled: true,
      rate_limit: 10,
      source: { type: 'webhook' },
    });
    expect(within(secret).getByTestId('webhook-secret-value').textContent).toBe('ab'.repeat(32));
    expect(within(secret).getByTestId('webhook-url').textContent).toMatch(
      new RegExp(`/v1/hooks/${cron.id}$`),
    );
    expect(within(secret).getByTestId('secret-once-notice').textContent).toMatch(/shown only once/);
    expect(within(secret).getByRole('button', { name: 'Copy the webhook secret' })).toBeTruthy();
    fireEvent.click(within(secret).getByTestId('dismiss-secret'));
    expect(screen.queryByTestId('webhook-secret')).toBeNull();
    expect(screen.queryByText('ab'.repeat(32))).toBeNull();
  });
});
