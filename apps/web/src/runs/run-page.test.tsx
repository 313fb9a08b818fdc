// @vitest-environment happy-dom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appStore, createAppStore } from '../stores/store';
import { makeRun, makeStep } from '../testing/fixtures';
import { RunPage } from './run-page';

const operator = {
  user: { id: 'u', username: 'olga', role: 'operator' as const, createdAt: '', disabled: false },
  csrfToken: 't',
};
const viewer = { ...operator, user: { ...operator.user, role: 'viewer' as const } };

const failure =
  'job failed at step "test": step test exited with code 1\nlast log lines:\nboom\nexit code 1 after 0.7s';

const failed = makeRun({
  title: 'Deploy demo/hello-app@main → web-01',
  status: 'failed',
  error: failure,
  context: { job_id: '22222222-2222-4222-8222-222222222222' },
  createdAt: '2026-01-01T10:00:00.000Z',
  updatedAt: '2026-01-01T10:01:05.000Z',
  steps: [
    makeStep({
      id: 'choose',
      title: 'Choose the target',
      kind: 'gate',
      status: 'completed',
      startedAt: '2026-01-01T10:00:00.000Z',
      finishedAt: '2026-01-01T10:00:42.000Z',
      decisions: [{ by: 'ann', decision: 'approved', note: 'go ahead', at: '2026-01-01T10:00:42.000Z' }],
    }),
    makeStep({
      id: 'monitor_job',
      title: 'Monitor deployment',
      status: 'failed',
      error: failure,
      startedAt: '2026-01-01T10:00:42.000Z',
      finishedAt: '2026-01-01T10:01:05.000Z',
    }),
  ],
});

describe('RunPage', () => {
  beforeEach(() => {
    appStore.setState(createAppStore().getState(), true);
    appStore.setState({ session: operator, authStatus: 'signed-in', runs: { [failed.id]: failed } });
    // The timeline section asks the server; its own tests answer it (run-timeline.test.tsx).
    vi.stubGlobal(
      'fetch',
      vi.fn(
        async () =>
          new Response(JSON.stringify({ error: { code: 'not_found', message: 'not here' } }), {
            status: 404,
          }),
      ),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('offers the run as a JSON file to everyone who can see it, and a timeline section', async () => {
    appStore.setState({ session: viewer });
    render(<RunPage runId={failed.id} />);
    const link = screen.getByRole('link', { name: 'Export JSON' });
    expect(link.getAttribute('href')).toBe(`/v1/ai/workflows/${failed.id}/export`);
    expect(link.getAttribute('download')).toBe(`run-${failed.id}.json`);
    expect(screen.getByRole('heading', { name: 'Timeline' })).toBeTruthy();
    expect((await screen.findByRole('alert')).textContent).toContain('Could not load the timeline: not here');
  });

  it('shows the title, who started it, each step’s duration and the run’s', () => {
    render(<RunPage runId={failed.id} />);
    expect(screen.getByTestId('run-page-title').textContent).toBe('Deploy demo/hello-app@main → web-01');
    expect(screen.getByTestId('run-started').textContent).toContain('Started by alice');
    expect(screen.getByTestId('run-duration').textContent).toBe('1 m 05 s');
    const durations = screen.getAllByTestId('step-duration').map((d) => d.textContent);
    expect(durations).toEqual(['42.0 s', '23.0 s']);
  });

  it('shows decisions with who, when and the note', () => {
    render(<RunPage runId={failed.id} />);
    const decision = within(screen.getByTestId('run-step-choose')).getByTestId('decision');
    expect(within(decision).getByTestId('decision-by').textContent).toBe('ann');
    expect(within(decision).getByTestId('decision-note').textContent).toBe(': “go ahead”');
    expect(decision.querySelector('time')?.getAttribute('datetime')).toBe('2026-01-01T10:00:42.000Z');
  });

  it('shows the failure once, without the log tail the log below already holds', () => {
    render(<RunPage runId={failed.id} />);
    const shown = screen.getAllByTestId('run-failure');
    expect(shown).toHaveLength(1);
    expect(shown[0]!.textContent).toBe('job failed at step "test": step test exited with code 1');
    expect(screen.getByTestId('job-log-panel')).toBeTruthy();
    expect(screen.getByTestId('job-link').getAttribute('href')).toBe(
      '/jobs/22222222-2222-4222-8222-222222222222',
    );
  });

  it('offers Re-run to an operator once the run is finished, not to a viewer', () => {
    render(<RunPage runId={failed.id} />);
    expect(screen.getByTestId('rerun')).toBeTruthy();
    cleanup();
    appStore.setState({ session: viewer });
    render(<RunPage runId={failed.id} />);
    expect(screen.queryByTestId('rerun')).toBeNull();
  });

  it('ticks the duration of a step still running', () => {
    const running = makeRun({
      status: 'running',
      steps: [makeStep({ status: 'in_progress', startedAt: new Date(Date.now() - 5000).toISOString() })],
    });
    appStore.setState({ runs: { [running.id]: running } });
    render(<RunPage runId={running.id} />);
    expect(screen.getByTestId('step-duration').getAttribute('data-live')).toBe('true');
    expect(screen.getByTestId('run-duration').getAttribute('data-live')).toBe('true');
    expect(screen.queryByTestId('rerun')).toBeNull();
  });
});
