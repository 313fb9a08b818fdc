// @vitest-environment happy-dom
import type { RollbackPlan } from '@deploybot/shared';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appStore, createAppStore } from '../stores/store';
import { makeRun } from '../testing/fixtures';
import { RollbackButton } from './rollback-button';

const RUN = '11111111-1111-4111-8111-111111111111';
const rollbackRun = makeRun({ id: '22222222-2222-4222-8222-222222222222', name: 'rollback', seq: 2 });
const plan: RollbackPlan = {
  runId: RUN,
  possible: true,
  reason: null,
  items: [
    {
      stepId: 'create_job',
      title: 'Create deployment job',
      undo: 'Activate the release before job 0bc4c711',
    },
    { stepId: 'select_agent', title: 'Select target agent', undo: null },
  ],
};
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

describe('RollbackButton', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    appStore.setState(createAppStore().getState(), true);
    window.history.replaceState(null, '', `/runs/${RUN}`);
    fetchMock = vi.fn(async (_url: string, init?: RequestInit) =>
      init?.method === 'POST' ? json(rollbackRun, 201) : json(plan),
    );
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('shows the plan first and starts nothing until asked', async () => {
    render(<RollbackButton runId={RUN} />);
    const button = screen.getByRole('button', { name: '↺ Roll back…' });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    const panel = await screen.findByRole('region', { name: 'Rollback plan' });
    await waitFor(() => expect(within(panel).getAllByRole('listitem')).toHaveLength(2));
    const [first, second] = within(panel).getAllByRole('listitem');
    expect(first!.textContent).toBe('Create deployment job: Activate the release before job 0bc4c711');
    expect(second!.textContent).toBe('Select target agent: nothing to undo');
    expect(panel.textContent).toContain('Undo 1 step, most recent first.');
    expect(fetchMock.mock.calls.map(([url, init]) => `${init?.method ?? 'GET'} ${url}`)).toEqual([
      `GET /v1/ai/workflows/${RUN}/rollback-plan`,
    ]);
  });

  it('Start rollback starts the rollback run and opens its page', async () => {
    render(<RollbackButton runId={RUN} />);
    fireEvent.click(screen.getByRole('button', { name: '↺ Roll back…' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Start rollback' }));
    await waitFor(() => expect(window.location.pathname).toBe(`/runs/${rollbackRun.id}`));
    expect(fetchMock.mock.calls[1]![0]).toBe(`/v1/ai/workflows/${RUN}/rollback`);
    expect(fetchMock.mock.calls[1]![1]?.method).toBe('POST');
    expect(appStore.getState().runs[rollbackRun.id]?.name).toBe('rollback');
  });

  it('says why a run cannot be rolled back, with nothing to start', async () => {
    fetchMock.mockImplementation(async () =>
      json({
        runId: RUN,
        possible: false,
        reason: 'run is cancelled: only a completed or failed run can be rolled back',
        items: [],
      }),
    );
    render(<RollbackButton runId={RUN} />);
    fireEvent.click(screen.getByRole('button', { name: '↺ Roll back…' }));
    expect((await screen.findByTestId('rollback-impossible')).textContent).toContain('run is cancelled');
    expect(screen.queryByRole('button', { name: 'Start rollback' })).toBeNull();
  });
});
