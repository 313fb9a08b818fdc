// @vitest-environment happy-dom
import type { RunTimeline as Timeline } from '@deploybot/shared';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeRun, makeStep } from '../testing/fixtures';
import { RunTimeline } from './run-timeline';

const t = (s: number) => new Date(Date.UTC(2026, 11, 1, 9, 0, s)).toISOString();
const run = makeRun({
  status: 'completed',
  createdAt: t(0),
  updatedAt: t(40),
  steps: [
    makeStep({ id: 'build', title: 'Build', status: 'completed' }),
    makeStep({ id: 'lint', title: 'Lint', status: 'completed' }),
    makeStep({ id: 'ship', title: 'Ship', kind: 'gate', status: 'completed' }),
  ],
});

const timeline: Timeline = {
  run,
  start: t(0),
  end: t(40),
  entries: [
    {
      seq: 1,
      type: 'run.started',
      at: t(0),
      stepId: null,
      stepTitle: null,
      by: 'ann',
      text: 'Started by ann',
      note: null,
      detail: null,
    },
    {
      seq: 2,
      type: 'step.started',
      at: t(0),
      stepId: 'build',
      stepTitle: 'Build',
      by: null,
      text: 'Build: started',
      note: null,
      detail: null,
    },
    {
      seq: 6,
      type: 'step.approved',
      at: t(30),
      stepId: 'ship',
      stepTitle: 'Ship',
      by: 'bob',
      text: 'Ship: approved by bob',
      note: 'go',
      input: { colour: 'green' },
      detail: { note: 'go' },
    },
  ],
  spans: [
    { stepId: 'build', kind: 'running', from: t(0), to: t(10), open: false, attempt: 1 },
    { stepId: 'lint', kind: 'running', from: t(0), to: t(6), open: false, attempt: 1 },
    { stepId: 'ship', kind: 'running', from: t(10), to: t(12), open: false, attempt: 1 },
    { stepId: 'ship', kind: 'gate', from: t(12), to: t(30), open: false, attempt: 1 },
    { stepId: 'ship', kind: 'running', from: t(30), to: t(40), open: false, attempt: 1 },
  ],
  steps: [
    {
      id: 'ship',
      title: 'Ship',
      uses: 'fleet.deploy_job@1',
      status: 'completed',
      attempts: 1,
      with: { sha: '${{ steps.build.outputs.sha }}' },
      condition: null,
      decisions: [{ by: 'bob', decision: 'approved', note: 'go', input: { colour: 'green' }, at: t(30) }],
      summary: 'Shipped',
      outputs: { job_id: 'j-1' },
      data: null,
      error: null,
      startedAt: t(10),
      finishedAt: t(40),
    },
  ],
};

describe('RunTimeline', () => {
  beforeEach(() => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify(timeline), { status: 200 })),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('draws parallel steps as overlapping bars and the gate wait as a bar of its own kind', async () => {
    render(<RunTimeline runId={run.id} seq={run.seq} />);
    await screen.findByTestId('time-axis');
    const bars = screen.getAllByTestId('time-axis-bar');
    const left = (el: HTMLElement) => Number.parseFloat(el.style.left);
    const width = (el: HTMLElement) => Number.parseFloat(el.style.width);
    const [build, lint] = bars.filter((b) => b.dataset.kind === 'running').slice(0, 2) as [
      HTMLElement,
      HTMLElement,
    ];
    // Build and Lint both start at 0: they overlap on the axis (25 % and 15 % of 40 s).
    expect([left(build), width(build)]).toEqual([0, 25]);
    expect([left(lint), width(lint)]).toEqual([0, 15]);
    const gate = bars.find((b) => b.dataset.kind === 'gate')!;
    expect([left(gate), width(gate)]).toEqual([30, 45]);
    expect(gate.getAttribute('aria-label')).toMatch(/^Ship: waiting for approval, 18\.0 s, from/);
    expect(within(screen.getByTestId('time-axis-legend')).getByText('waiting for approval')).toBeTruthy();
    expect(screen.getAllByTestId('time-axis-row').map((r) => r.dataset.step)).toEqual([
      'build',
      'lint',
      'ship',
    ]);
  });

  it('lists each transition with who and when, a decision with its note and input', async () => {
    render(<RunTimeline runId={run.id} seq={run.seq} />);
    const entries = await screen.findAllByTestId('timeline-entry');
    expect(entries.map((e) => e.dataset.type)).toEqual(['run.started', 'step.started', 'step.approved']);
    expect(within(entries[0]!).getByTestId('timeline-by').textContent).toBe('by ann');
    expect(within(entries[1]!).getByTestId('timeline-by').textContent).toBe('by DeployBot');
    const decision = entries[2]!;
    expect(within(decision).getByTestId('timeline-text').textContent).toBe('Ship: approved by bob');
    expect(within(decision).getByTestId('timeline-note').textContent).toBe('Note: “go”');
    expect(decision.querySelector('time')?.getAttribute('datetime')).toBe(t(30));
    expect(within(decision).getByText(/"colour": "green"/)).toBeTruthy();
  });

  it('shows what a step received and returned', async () => {
    render(<RunTimeline runId={run.id} seq={run.seq} />);
    const io = await screen.findByTestId('step-io-item');
    expect(io.textContent).toContain('fleet.deploy_job@1');
    expect(within(io).getByText(/steps\.build\.outputs\.sha/)).toBeTruthy();
    expect(within(io).getByText(/"job_id": "j-1"/)).toBeTruthy();
    expect(io.textContent).toContain('Shipped');
  });

  it('reads the timeline again when the run moves', async () => {
    const { rerender } = render(<RunTimeline runId={run.id} seq={5} />);
    await screen.findByTestId('time-axis');
    rerender(<RunTimeline runId={run.id} seq={6} />);
    await waitFor(() => expect(vi.mocked(fetch)).toHaveBeenCalledTimes(2));
    expect(String(vi.mocked(fetch).mock.calls[1]![0])).toBe(`/v1/ai/workflows/${run.id}/timeline`);
  });
});
