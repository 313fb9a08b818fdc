// @vitest-environment happy-dom
import type { RunTrends, TrendFigures } from '@deploybot/shared';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trendsApiPath } from './trends-api';
import { TrendsSection } from './trends-section';

// happy-dom has no canvas: the charts are stood in for by their props; what they draw is the table's data.
vi.mock('./trend-charts', () => ({
  default: ({ trends }: { trends: RunTrends }) => (
    <div data-testid="trends-charts">{trends.buckets.length} points</div>
  ),
}));

const none: TrendFigures = {
  runs: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  successRate: null,
  durationP50Ms: null,
  durationP95Ms: null,
  gateWaits: 0,
  gateWaitTotalMs: 0,
  gateWaitP50Ms: null,
};

const TRENDS: RunTrends = {
  workflow: 'deploy_application',
  bucket: 'day',
  from: '2026-11-01T00:00:00.000Z',
  to: '2026-11-02T23:59:59.999Z',
  buckets: [
    {
      start: '2026-11-01T00:00:00.000Z',
      runs: 3,
      completed: 2,
      failed: 1,
      cancelled: 0,
      successRate: 2 / 3,
      durationP50Ms: 200_000,
      durationP95Ms: 380_000,
      gateWaits: 3,
      gateWaitTotalMs: 390_000,
      gateWaitP50Ms: 60_000,
    },
    { start: '2026-11-02T00:00:00.000Z', ...none },
  ],
  totals: {
    runs: 4,
    completed: 2,
    failed: 1,
    cancelled: 1,
    successRate: 2 / 3,
    durationP50Ms: 200_000,
    durationP95Ms: 380_000,
    gateWaits: 3,
    gateWaitTotalMs: 390_000,
    gateWaitP50Ms: 60_000,
  },
  failingSteps: [{ stepId: 'monitor_job', title: 'Monitor deployment', failures: 1, share: 0.25 }],
};

describe('TrendsSection', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  const answer = (body: unknown) =>
    new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });

  beforeEach(() => {
    fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('shows the range as text: summary, the steps that fail most, the figures per day, and the charts', async () => {
    fetchMock.mockResolvedValueOnce(answer(TRENDS));
    render(<TrendsSection workflow="deploy_application" />);
    expect((screen.getByLabelText('Last 30 days') as HTMLInputElement).checked).toBe(true);
    const summary = await screen.findByTestId('trends-summary');
    expect(summary.textContent).toContain('4 runs: 2 completed, 1 failed, 1 cancelled.');
    expect(summary.textContent).toContain('Success rate: 67% (2 of 3 completed or failed).');
    expect(summary.textContent).toContain('Duration: p50 3 m 20 s, p95 6 m 20 s.');
    expect(summary.textContent).toContain('Waiting at gates: 6 m 30 s in all over 3 waits, median 1 m 00 s.');

    const failing = screen.getByRole('table', { name: 'Steps that fail most, most failures first' });
    expect(within(failing).getByRole('rowheader').textContent).toBe('Monitor deployment (monitor_job)');
    expect(
      within(failing)
        .getAllByRole('cell')
        .map((c) => c.textContent),
    ).toEqual(['1 run', '25%']);

    const perDay = screen.getByRole('table', { name: /Figures per day/, hidden: true });
    const rows = within(perDay).getAllByRole('row', { hidden: true }).slice(1);
    expect(rows.map((r) => [...r.children].map((c) => c.textContent))).toEqual([
      ['1 Nov', '3', '2', '1', '0', '67%', '3 m 20 s', '6 m 20 s', '6 m 30 s (3)', '1 m 00 s'],
      ['2 Nov', '0', '0', '0', '0', '—', '—', '—', '—', '—'],
    ]);
    expect((await screen.findByTestId('trends-charts')).textContent).toBe('2 points');
    const asked = new URL(String(fetchMock.mock.calls[0]![0]), 'http://x').searchParams;
    expect(asked.get('workflow')).toBe('deploy_application');
    expect(asked.get('bucket')).toBe('day');
  });

  it('a range change asks again: 7 days per day, 90 days per week', async () => {
    fetchMock.mockImplementation(async () => answer(TRENDS));
    render(<TrendsSection workflow="deploy_application" />);
    await screen.findByTestId('trends-summary');
    fireEvent.click(screen.getByLabelText('Last 90 days'));
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(2));
    expect(String(fetchMock.mock.calls[1]![0])).toContain('bucket=week');
    fireEvent.click(screen.getByLabelText('Last 7 days'));
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(3));
    expect(String(fetchMock.mock.calls[2]![0])).toContain('bucket=day');
    expect((screen.getByLabelText('Last 7 days') as HTMLInputElement).checked).toBe(true);
    await screen.findByTestId('trends-summary');
  });

  it('no runs: says so, draws no chart; an error is shown as an alert', async () => {
    fetchMock.mockResolvedValueOnce(answer({ ...TRENDS, buckets: [], totals: none, failingSteps: [] }));
    render(<TrendsSection workflow="deploy_application" />);
    expect((await screen.findByTestId('trends-summary')).textContent).toBe('No runs in this range.');
    expect(screen.queryByTestId('trends-charts')).toBeNull();
    expect(screen.getByText('No step failed in this range.')).toBeTruthy();
    cleanup();
    fetchMock.mockResolvedValueOnce(
      new Response(JSON.stringify({ error: { code: 'validation_failed', message: 'invalid query' } }), {
        status: 400,
        headers: { 'content-type': 'application/json' },
      }),
    );
    render(<TrendsSection workflow="deploy_application" />);
    expect((await screen.findByRole('alert')).textContent).toContain('invalid query');
  });
});

describe('trendsApiPath', () => {
  it('asks for the last N UTC days, today included', () => {
    const now = Date.parse('2026-12-01T22:00:00Z');
    const params = new URL(trendsApiPath('health_check', 7, now), 'http://x').searchParams;
    expect(Object.fromEntries(params)).toEqual({
      workflow: 'health_check',
      from: '2026-11-25',
      to: '2026-12-01',
      bucket: 'day',
    });
  });
});
