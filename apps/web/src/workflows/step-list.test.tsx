// @vitest-environment happy-dom
import type { StepStatus } from '@deploybot/shared';
import { act, cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appStore, createAppStore } from '../stores/store';
import { makeRun, makeStep } from '../testing/fixtures';
import { StepList } from './step-list';

vi.mock('../lib/realtime', () => ({ followRun: vi.fn(), followJob: vi.fn(), followChat: vi.fn() }));

const ALL: [StepStatus, string, string, RegExp][] = [
  ['pending', '○', 'Pending', /text-slate-500/],
  ['in_progress', '◐', 'In progress', /text-blue-600/],
  ['completed', '✓', 'Completed', /text-green-700/],
  ['failed', '✗', 'Failed', /text-red-600/],
  ['awaiting_approval', '‖', 'Waiting for approval', /text-amber-700/],
  ['awaiting_input', '✎', 'Waiting for input', /text-violet-700/],
  ['skipped', '↷', 'Skipped', /text-slate-500/],
  ['cancelled', '⊘', 'Cancelled', /text-orange-700/],
];

const run = makeRun({
  status: 'waiting',
  steps: ALL.map(([status]) =>
    makeStep({
      id: status,
      title: `Step ${status}`,
      status,
      kind: status === 'awaiting_approval' ? 'gate' : status === 'awaiting_input' ? 'input' : 'automatic',
      needsApproval: status === 'awaiting_approval',
      plan:
        status === 'awaiting_approval' ? { summary: 'Deploy to web-01', data: { chosen: 'web-01' } } : null,
      input:
        status === 'awaiting_input'
          ? { key: 'hostname', label: 'Host name', type: 'hostname', required: true }
          : null,
    }),
  ),
});

describe('StepList', () => {
  beforeEach(() => {
    appStore.setState(createAppStore().getState(), true);
    appStore.setState({ runs: { [run.id]: run } });
  });
  afterEach(cleanup);

  it.each(ALL)('shows %s with its mark, colour and label', (status, icon, label, tone) => {
    render(<StepList run={run} canApprove canOperate />);
    const item = screen.getByTestId(`step-${status}`);
    expect(item.getAttribute('data-status')).toBe(status);
    const mark = within(item).getByTestId('status-icon');
    expect(mark.textContent).toBe(icon);
    expect(mark.getAttribute('aria-hidden')).toBe('true');
    expect(mark.parentElement?.className).toMatch(tone);
    // Screen readers hear the label, not the glyph.
    expect(within(item).getAllByText(label).length).toBeGreaterThan(0);
  });

  it('shows the plan and Approve / Reject only on the step waiting for approval', () => {
    render(<StepList run={run} canApprove canOperate />);
    const gate = screen.getByTestId('step-awaiting_approval');
    expect(within(gate).getByTestId('approval-plan').textContent).toBe('Deploy to web-01');
    expect(within(gate).getByTestId('approve-button')).toBeTruthy();
    expect(screen.getAllByTestId('approve-button')).toHaveLength(1);
    expect(within(screen.getByTestId('step-awaiting_input')).getByTestId('field-hostname')).toBeTruthy();
  });

  it('disables the decision for roles below approver', () => {
    render(<StepList run={run} canApprove={false} canOperate />);
    const gate = screen.getByTestId('step-awaiting_approval');
    expect((within(gate).getByTestId('approve-button') as HTMLButtonElement).disabled).toBe(true);
    expect((within(gate).getByTestId('reject-button') as HTMLButtonElement).disabled).toBe(true);
  });

  it('says "Approving…" while the request is in flight but keeps the step waiting', () => {
    render(<StepList run={run} canApprove canOperate />);
    act(() => appStore.setState({ pending: { [run.id]: { stepId: 'awaiting_approval', kind: 'approve' } } }));
    const gate = screen.getByTestId('step-awaiting_approval');
    expect(within(gate).getByTestId('approve-button').textContent).toBe('Approving… Step awaiting_approval');
    expect(gate.getAttribute('data-status')).toBe('awaiting_approval');
    expect(within(gate).queryByTestId('step-decisions')).toBeNull();
  });

  it('lists decisions with who, what and the note', () => {
    const decided = makeRun({
      steps: [
        makeStep({
          id: 'gate',
          status: 'completed',
          decisions: [{ by: 'bob', decision: 'approved', note: 'ship it', at: '2026-01-01T10:00:00Z' }],
        }),
      ],
    });
    render(<StepList run={decided} canApprove canOperate />);
    expect(screen.getByTestId('step-decisions').textContent).toMatch(/Approved by bob.*ship it/);
  });

  it("shows a failed step's error once: the log tail it carries is left to the job log below", () => {
    const failed = makeRun({
      status: 'failed',
      steps: [
        makeStep({
          id: 'monitor_job',
          status: 'failed',
          error: 'job failed at step "test": step test exited with code 1\nlast log lines:\nboom',
        }),
      ],
    });
    appStore.setState({ runs: { [failed.id]: failed } });
    render(<StepList run={failed} canApprove canOperate />);
    const error = within(screen.getByTestId('step-monitor_job')).getByTestId('step-error');
    expect(error.textContent).toBe('job failed at step "test": step test exited with code 1');
  });
});
