// @vitest-environment happy-dom
import type { TriggerDto, TriggerProposal } from '@deploybot/shared';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appStore, createAppStore } from '../stores/store';

const triggersApi = vi.hoisted(() => ({
  list: vi.fn(),
  firings: vi.fn(),
  create: vi.fn(),
  update: vi.fn(),
  remove: vi.fn(),
}));
vi.mock('./triggers-api', () => ({ triggersApi }));
const { TriggerProposalCard } = await import('./trigger-proposal-card');
const { proposalsOf } = await import('./proposals');
const { triggersStore } = await import('./triggers-store');

const proposal: TriggerProposal = {
  kind: 'trigger_proposal',
  trigger: {
    name: 'health-check-cron',
    workflow: 'health_check',
    inputs: {},
    enabled: true,
    rate_limit: 10,
    source: { type: 'cron', expression: '0 8 * * 1-5', timezone: 'Europe/Berlin', missed: 'skip' },
  },
  workflowTitle: 'Check system health',
  source: 'cron 0 8 * * 1-5 (Europe/Berlin)',
  nextFireTimes: ['2026-12-02T07:00:00.000Z', '2026-12-03T07:00:00.000Z'],
  note: 'Nothing was created',
};
const PROPOSED_AT = '2026-12-01T10:00:00.000Z';

const created: TriggerDto = {
  id: '11111111-1111-4111-8111-111111111111',
  name: 'health-check-cron',
  workflow: 'health_check',
  version: null,
  inputs: {},
  enabled: true,
  pausedReason: null,
  rateLimit: 10,
  source: proposal.trigger.source,
  nextFireTimes: proposal.nextFireTimes,
  webhookPath: null,
  createdBy: 'ada',
  createdAt: '2026-12-01T10:00:05.000Z',
  updatedBy: 'ada',
  updatedAt: '2026-12-01T10:00:05.000Z',
};

const session = (role: 'admin' | 'approver') => ({
  user: { id: 'u', username: 'ada', role, createdAt: '', disabled: false },
  csrfToken: 't',
});

beforeEach(() => {
  appStore.setState(createAppStore().getState(), true);
  triggersStore.setState({ triggers: [], firings: {}, error: null });
  for (const f of Object.values(triggersApi)) f.mockReset();
  triggersApi.list.mockResolvedValue([]);
});
afterEach(cleanup);

describe('TriggerProposalCard', () => {
  it('shows what it would create; an admin’s click creates it and the card links to the Triggers page', async () => {
    appStore.setState({ session: session('admin'), authStatus: 'signed-in' });
    triggersApi.create.mockResolvedValue(created);
    render(<TriggerProposalCard proposal={proposal} proposedAt={PROPOSED_AT} />);
    const card = screen.getByTestId('trigger-proposal');
    expect(card.getAttribute('data-state')).toBe('proposed');
    expect(screen.getByTestId('proposal-source').textContent).toBe('cron 0 8 * * 1-5 (Europe/Berlin)');
    expect(screen.getByTestId('proposal-next-fire-times').textContent).toContain('08:00');
    expect(triggersApi.create).not.toHaveBeenCalled();
    triggersApi.list.mockResolvedValue([created]);
    fireEvent.click(screen.getByRole('button', { name: 'Create trigger' }));
    await waitFor(() => expect(card.getAttribute('data-state')).toBe('created'));
    expect(triggersApi.create).toHaveBeenCalledWith(proposal.trigger);
    expect(screen.getByTestId('open-triggers-page').getAttribute('href')).toBe('/triggers');
    expect(screen.queryByRole('button', { name: 'Create trigger' })).toBeNull();
  });

  it('tells someone who is not an admin why they cannot create it', () => {
    appStore.setState({ session: session('approver'), authStatus: 'signed-in' });
    render(<TriggerProposalCard proposal={proposal} proposedAt={PROPOSED_AT} />);
    const button = screen.getByRole('button', { name: 'Create trigger' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    const why = screen.getByTestId('proposal-not-admin');
    expect(button.getAttribute('aria-describedby')).toBe(why.id);
    expect(why.textContent).toMatch(/Only an admin can create triggers/);
  });

  it('shows the server’s refusal, and a trigger of that name made before the proposal as a clash', async () => {
    appStore.setState({ session: session('admin'), authStatus: 'signed-in' });
    const { ApiError } = await import('../lib/api');
    triggersApi.create.mockRejectedValue(
      new ApiError(400, 'validation_failed', 'invalid trigger', [
        { path: 'inputs.x', message: 'workflow health_check has no input "x"' },
      ]),
    );
    render(<TriggerProposalCard proposal={proposal} proposedAt={PROPOSED_AT} />);
    fireEvent.click(screen.getByRole('button', { name: 'Create trigger' }));
    expect((await screen.findByTestId('proposal-error')).textContent).toBe(
      'invalid trigger (inputs.x: workflow health_check has no input "x")',
    );
    cleanup();
    triggersStore.setState({ triggers: [{ ...created, createdAt: '2026-11-01T00:00:00.000Z' }] });
    render(<TriggerProposalCard proposal={proposal} proposedAt={PROPOSED_AT} />);
    expect(screen.getByTestId('trigger-proposal').textContent).toMatch(/exists already/);
    expect(screen.queryByRole('button', { name: 'Create trigger' })).toBeNull();
  });
});

describe('proposalsOf', () => {
  it('takes the checked results of propose_trigger calls that succeeded, nothing else', () => {
    const call = (name: string, result: unknown, error: string | null = null) => ({
      id: name,
      name,
      arguments: {},
      result,
      error,
    });
    expect(
      proposalsOf({
        toolCalls: [
          call('list_triggers', { count: 0 }),
          call('propose_trigger', proposal),
          call('propose_trigger', null, 'invalid trigger'),
          call('propose_trigger', { kind: 'something else' }),
        ],
      }),
    ).toEqual([proposal]);
  });
});
