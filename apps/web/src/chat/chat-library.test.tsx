// @vitest-environment happy-dom
import type { QuickAction, WorkflowCard } from '@deploybot/shared';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appStore, createAppStore } from '../stores/store';
import { makeRun, makeStep } from '../testing/fixtures';
import { QuickActions } from './quick-actions';
import { WorkflowCards } from './workflow-cards';

// The socket is not under test; actions go through the real api client to a recorded fetch.
vi.mock('../lib/realtime', () => ({
  followRun: vi.fn(),
  followJob: vi.fn(),
  followChat: vi.fn(),
  liveSocket: vi.fn(() => null),
}));

const user = (role: 'admin' | 'operator' | 'viewer' | 'approver') => ({
  user: { id: 'u', username: 'ann', role, createdAt: '', disabled: false },
  csrfToken: 't',
});

const deploy = makeRun({ status: 'completed', steps: [makeStep({ id: 'deploy', status: 'completed' })] });
const rollback = makeRun({
  id: '99999999-8888-4777-8666-555555555555',
  name: 'rollback',
  status: 'waiting',
  steps: [makeStep({ id: 'confirm', title: 'Confirm the rollback', status: 'awaiting_approval' })],
});
const parallel = makeRun({
  id: '22222222-3333-4444-8555-666666666666',
  name: 'dual_signoff',
  status: 'waiting',
  steps: [
    makeStep({ id: 'qa', title: 'QA sign-off', status: 'awaiting_approval' }),
    makeStep({ id: 'ops', title: 'Ops sign-off', status: 'awaiting_approval' }),
  ],
});

const sent: { method: string; url: string; body: unknown }[] = [];
let answer: { status: number; body: unknown } = { status: 201, body: rollback };
const slow = { timeout: 60_000 };

describe('chat buttons for the workflow library', { timeout: 90_000 }, () => {
  beforeEach(() => {
    appStore.setState(createAppStore().getState(), true);
    appStore.setState({
      session: user('operator'),
      authStatus: 'signed-in',
      runs: { [deploy.id]: deploy, [parallel.id]: parallel },
    });
    sent.length = 0;
    answer = { status: 201, body: rollback };
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init: RequestInit) => {
        sent.push({
          method: init.method ?? 'GET',
          url,
          body: init.body ? JSON.parse(String(init.body)) : null,
        });
        return new Response(JSON.stringify(answer.body), { status: answer.status });
      }),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  const proposal: QuickAction[] = [
    { kind: 'start_rollback', label: 'Start rollback', runId: deploy.id },
    { kind: 'open_run', label: 'Open run', runId: deploy.id },
  ];

  it('Start rollback posts the rollback once, shows the rollback run in the sidebar, and is then spent', async () => {
    render(<QuickActions actions={proposal} disabled={false} />);
    const start = screen.getByRole('button', { name: 'Start rollback' });
    // Nothing is started before the click.
    expect(sent).toEqual([]);
    await act(async () => {
      fireEvent.click(start);
    });
    await waitFor(() => expect(screen.getByRole('button', { name: 'Rollback started' })).toBeTruthy(), slow);
    expect(sent).toEqual([{ method: 'POST', url: `/v1/ai/workflows/${deploy.id}/rollback`, body: {} }]);
    expect((screen.getByRole('button', { name: 'Rollback started' }) as HTMLButtonElement).disabled).toBe(
      true,
    );
    const state = appStore.getState();
    expect(state.selectedRunId).toBe(rollback.id);
    expect(state.rightOpen).toBe(true);
    expect(state.runs[rollback.id]?.steps[0]?.status).toBe('awaiting_approval');
  });

  it('shows the server’s refusal and keeps the button usable', async () => {
    answer = {
      status: 409,
      body: {
        error: {
          code: 'conflict',
          message: 'run is running: only a completed or failed run can be rolled back',
        },
      },
    };
    render(<QuickActions actions={proposal} disabled={false} />);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Start rollback' }));
    });
    await waitFor(
      () => expect(appStore.getState().chatError).toMatch(/only a completed or failed run/),
      slow,
    );
    expect((screen.getByRole('button', { name: 'Start rollback' }) as HTMLButtonElement).disabled).toBe(
      false,
    );
  });

  it('a viewer sees Start rollback disabled', () => {
    appStore.setState({ session: user('viewer') });
    render(<QuickActions actions={proposal} disabled={false} />);
    expect((screen.getByRole('button', { name: 'Start rollback' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Open run' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('two gates waiting at once: each button pair decides its own step', async () => {
    appStore.setState({ session: user('approver') });
    answer = { status: 200, body: parallel };
    const gates: QuickAction[] = [
      { kind: 'approve', label: 'Approve “QA sign-off”', runId: parallel.id, stepId: 'qa' },
      { kind: 'reject', label: 'Reject “QA sign-off”', runId: parallel.id, stepId: 'qa' },
      { kind: 'approve', label: 'Approve “Ops sign-off”', runId: parallel.id, stepId: 'ops' },
      { kind: 'reject', label: 'Reject “Ops sign-off”', runId: parallel.id, stepId: 'ops' },
    ];
    render(<QuickActions actions={gates} disabled={false} />);
    const actions = within(screen.getByTestId('quick-actions'));
    await act(async () => {
      fireEvent.click(actions.getByRole('button', { name: 'Approve “Ops sign-off”' }));
    });
    await waitFor(() => expect(sent).toHaveLength(1), slow);
    expect(sent[0]).toEqual({
      method: 'POST',
      url: `/v1/ai/workflows/${parallel.id}/approve`,
      body: { approved: true, step_id: 'ops' },
    });
    fireEvent.click(actions.getByRole('button', { name: 'Reject “QA sign-off”…' }));
    expect(screen.getByText('Why reject “QA sign-off”?', { exact: false })).toBeTruthy();
  });

  it('marks built-in workflows on their cards, not operators’ own', () => {
    const cards: WorkflowCard[] = [
      {
        name: 'health_check',
        title: 'Check system health',
        description: 'Agents and jobs.',
        steps: 4,
        builtIn: true,
      },
      {
        name: 'cache_warmup',
        title: 'Nightly cache warm-up',
        description: 'Warms the CDN.',
        steps: 1,
        builtIn: false,
      },
    ];
    render(<WorkflowCards cards={cards} />);
    const [builtIn, own] = screen.getAllByRole('listitem');
    expect(within(builtIn!).getByRole('heading').textContent).toBe('Check system healthBuilt-in');
    expect(within(own!).getByRole('heading').textContent).toBe('Nightly cache warm-up');
    expect(within(own!).getByRole('button', { name: 'Start Nightly cache warm-up' })).toBeTruthy();
  });
});
