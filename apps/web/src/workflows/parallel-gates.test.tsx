// @vitest-environment happy-dom
import type { StepRecord } from '@deploybot/shared';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunSteps } from '../runs/run-steps';
import { appStore, createAppStore } from '../stores/store';
import { makeRun, makeStep } from '../testing/fixtures';
import { queueOf } from './queued-behind';
import { RunView } from './run-view';
import { groupSteps, progressOf, progressWords, skippingCondition } from './step-groups';
import { StepList } from './step-list';

// The socket is not under test; requests go through the real api client to a recorded fetch.
vi.mock('../lib/realtime', () => ({ followRun: vi.fn(), followJob: vi.fn(), followChat: vi.fn() }));

const gate = (id: string, title: string, over: Partial<StepRecord> = {}) =>
  makeStep({
    id,
    title,
    kind: 'gate',
    needsApproval: true,
    uses: 'approval@1',
    needs: ['build_a', 'build_b'],
    status: 'awaiting_approval',
    plan: { summary: `${title}?`, data: null },
    ...over,
  });

/** Two branches, then two gates that wait at once, then a step whose `if` was false. */
const fanOut = makeRun({
  id: '22222222-2222-4222-8222-222222222222',
  status: 'waiting',
  steps: [
    makeStep({ id: 'build_a', title: 'Build A', needs: [], status: 'completed', summary: 'Waited 2s' }),
    makeStep({ id: 'build_b', title: 'Build B', needs: [], status: 'completed', summary: 'Waited 2s' }),
    gate('approve_qa', 'QA sign-off'),
    gate('approve_ops', 'Ops sign-off'),
    makeStep({
      id: 'announce',
      title: 'Announce in prod',
      needs: ['approve_qa', 'approve_ops'],
      status: 'pending',
    }),
  ],
});

const sent: { url: string; body: unknown }[] = [];

beforeEach(() => {
  appStore.setState(createAppStore().getState(), true);
  appStore.setState({ runs: { [fanOut.id]: fanOut } });
  sent.length = 0;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      sent.push({ url, body: JSON.parse(String(init.body)) });
      return new Response(JSON.stringify({ ...fanOut, seq: 2 }), { status: 200 });
    }),
  );
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('groupSteps', () => {
  it('gathers neighbours at the same depth of the needs graph; a sequential list stays single', () => {
    const groups = groupSteps(fanOut.steps);
    expect(groups.map((g) => (g.kind === 'single' ? g.step.id : g.steps.map((s) => s.step.id)))).toEqual([
      ['build_a', 'build_b'],
      ['approve_qa', 'approve_ops'],
      'announce',
    ]);
    // Runs without `needs` (TypeScript definitions, older runs): each step waits for the one before it.
    const legacy = [makeStep({ id: 'a' }), makeStep({ id: 'b' }), makeStep({ id: 'c' })];
    expect(groupSteps(legacy).map((g) => g.kind)).toEqual(['single', 'single', 'single']);
    // The original index is kept, so "Step 3" is still the third step.
    const second = groupSteps(fanOut.steps)[1];
    expect(second?.kind === 'parallel' && second.steps.map((s) => s.index)).toEqual([2, 3]);
  });
});

describe('StepList: parallel steps', () => {
  it('marks steps active at the same time as running in parallel, in words', () => {
    const running = makeRun({
      ...fanOut,
      status: 'running',
      steps: [
        { ...fanOut.steps[0]!, status: 'in_progress', summary: null },
        { ...fanOut.steps[1]!, status: 'awaiting_event', summary: 'Waiting 2s' },
        ...fanOut.steps.slice(2).map((s) => ({ ...s, status: 'pending' as const, plan: null })),
      ],
    });
    render(<StepList run={running} canApprove canOperate />);
    const group = screen.getByTestId('parallel-group-build_a');
    expect(group.getAttribute('data-active')).toBe('2');
    const list = within(group).getByRole('list', {
      name: /Running in parallel: 2 of 2 steps at the same time/,
    });
    expect(
      within(list)
        .getAllByRole('listitem')
        .map((li) => li.getAttribute('data-testid')),
    ).toEqual(['step-build_a', 'step-build_b']);
    expect(within(screen.getByTestId('step-build_a')).getByTestId('parallel-mark').textContent).toBe(
      ' · in parallel',
    );
    // The group's label says it already: no second line above the list.
    expect(screen.queryByTestId('running-together')).toBeNull();
    // The gates' group is not active yet: a plain label, no marks.
    expect(
      within(screen.getByTestId('parallel-group-approve_qa')).getByText('In parallel: 2 steps'),
    ).toBeTruthy();
    expect(within(screen.getByTestId('step-approve_qa')).queryByTestId('parallel-mark')).toBeNull();
  });
  it('names the steps active at once when they are in different groups (a long branch beside a short one)', () => {
    const run = makeRun({
      status: 'running',
      steps: [
        makeStep({ id: 'long', title: 'Long branch', needs: [], status: 'awaiting_event' }),
        makeStep({ id: 'short', title: 'Short branch', needs: [], status: 'completed' }),
        makeStep({
          id: 'after_short',
          title: 'After the short one',
          needs: ['short'],
          status: 'in_progress',
        }),
      ],
    });
    render(<StepList run={run} canApprove canOperate />);
    expect(screen.getByTestId('running-together').textContent).toBe(
      '∥ 2 steps at the same time: Long branch, After the short one',
    );
  });
});

describe('several gates waiting at once', () => {
  it('gives each gate its own panel and buttons named after it, and sends its step_id', async () => {
    render(<StepList run={fanOut} canApprove canOperate />);
    expect(screen.getAllByTestId('approval-panel')).toHaveLength(2);
    expect(screen.getByRole('region', { name: 'Approval for QA sign-off' })).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Approval for Ops sign-off' })).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: '✓ Approve Ops sign-off' }));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toEqual({
      url: `/v1/ai/workflows/${fanOut.id}/approve`,
      body: { approved: true, step_id: 'approve_ops' },
    });

    fireEvent.click(screen.getByRole('button', { name: 'Reject… QA sign-off' }));
    const form = screen.getByRole('form', { name: 'Reject QA sign-off' });
    fireEvent.change(within(form).getByTestId('reject-reason'), { target: { value: 'not tested' } });
    fireEvent.click(within(form).getByTestId('confirm-reject'));
    await waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1]?.body).toEqual({ approved: false, step_id: 'approve_qa', note: 'not tested' });
  });

  it('shows a refusal only at the gate it was about', () => {
    render(<StepList run={fanOut} canApprove canOperate />);
    act(() =>
      appStore.setState({
        actionErrors: { [fanOut.id]: 'approve_qa is not waiting' },
        actionErrorSteps: { [fanOut.id]: 'approve_qa' },
      }),
    );
    expect(within(screen.getByTestId('step-approve_qa')).getByTestId('action-error').textContent).toBe(
      'approve_qa is not waiting',
    );
    expect(within(screen.getByTestId('step-approve_ops')).queryByTestId('action-error')).toBeNull();
  });
});

describe('skipped steps', () => {
  const skipped = makeStep({
    id: 'announce',
    title: 'Announce in prod',
    status: 'skipped',
    summary: 'Skipped: inputs.env == "prod" was false',
    condition: { expression: 'inputs.env == "prod"', value: false },
  });
  const run = makeRun({ ...fanOut, status: 'completed', steps: [skipped] });

  it('shows the condition that skipped the step, in the sidebar and on the run page', () => {
    render(<StepList run={run} canApprove canOperate />);
    const text = within(screen.getByTestId('step-announce')).getByTestId('skipped-condition');
    expect(text.textContent).toBe('Skipped: inputs.env == "prod" was false');
    expect(text.querySelector('code')?.textContent).toBe('inputs.env == "prod"');
    cleanup();
    render(<RunSteps run={run} canApprove canOperate logShown={false} />);
    expect(within(screen.getByTestId('run-step-announce')).getByTestId('skipped-condition').textContent).toBe(
      'Skipped: inputs.env == "prod" was false',
    );
  });

  it('has no condition to show for a step skipped for another reason', () => {
    expect(
      skippingCondition(makeStep({ status: 'skipped', summary: 'Skipped: a step it needs failed' })),
    ).toBeNull();
    expect(
      skippingCondition({ ...skipped, status: 'completed', condition: { expression: 'x', value: true } }),
    ).toBeNull();
  });
});

describe('progress', () => {
  it('counts completed, skipped and undone steps, and a failure the run carries on past', () => {
    const run = makeRun({
      status: 'running',
      steps: [
        makeStep({ id: 'a', status: 'completed' }),
        makeStep({ id: 'b', status: 'skipped' }),
        makeStep({ id: 'c', status: 'compensated' }),
        makeStep({ id: 'd', status: 'failed', continueOnError: true }),
        makeStep({ id: 'e', status: 'in_progress' }),
      ],
    });
    expect(progressOf(run)).toBe(80);
    expect(progressWords(run)).toBe('4 of 5 steps done · 1 skipped · 1 undone');
    expect(progressOf({ ...run, status: 'completed' })).toBe(100);
  });
});

describe('queued runs', () => {
  const holder = makeRun({
    id: '33333333-3333-4333-8333-333333333333',
    title: 'Release myorg/app',
    status: 'waiting',
    concurrencyKey: 'myorg/app',
    createdAt: '2026-01-01T00:00:00.000Z',
  });
  const queued = makeRun({
    id: '44444444-4444-4444-8444-444444444444',
    title: 'Release myorg/app again',
    status: 'queued',
    concurrencyKey: 'myorg/app',
    createdAt: '2026-01-01T00:01:00.000Z',
  });
  const later = makeRun({
    ...queued,
    id: '55555555-5555-4555-8555-555555555555',
    createdAt: '2026-01-01T00:02:00.000Z',
  });
  const other = makeRun({
    id: '66666666-6666-4666-8666-666666666666',
    status: 'running',
    concurrencyKey: 'other',
  });

  it('finds the active run holding the key and the queued runs ahead', () => {
    const runs = Object.fromEntries([holder, queued, later, other].map((r) => [r.id, r]));
    expect(queueOf(runs, queued)).toEqual({ holder, ahead: 0 });
    expect(queueOf(runs, later)).toEqual({ holder, ahead: 1 });
    expect(queueOf(runs, holder)).toEqual({ holder: null, ahead: 0 });
  });

  it('shows which run it waits for, with a link to it, and its concurrency key', () => {
    appStore.setState({ runs: { [holder.id]: holder, [queued.id]: queued, [later.id]: later } });
    render(<RunView runId={later.id} />);
    const note = screen.getByTestId('queued-behind');
    expect(note.textContent).toContain('Queued behind Release myorg/app (run 33333333)');
    const link = within(note).getByRole('link', { name: 'Release myorg/app (run 33333333)' });
    expect(link.getAttribute('href')).toBe(`/runs/${holder.id}`);
    expect(within(note).getByTestId('queued-key').textContent).toBe('myorg/app');
    expect(note.textContent).toContain('1 queued run ahead of it');
    expect(screen.getByTestId('run-status').textContent).toContain('Queued');
  });

  it('says so in words when the holder is not known to the page', () => {
    appStore.setState({ runs: { [queued.id]: queued } });
    render(<RunView runId={queued.id} />);
    expect(screen.getByTestId('queued-behind').textContent).toContain(
      'Queued behind another run with the same concurrency key',
    );
  });
});
