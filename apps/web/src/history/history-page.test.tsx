// @vitest-environment happy-dom
import type { RunHistoryPage, RunSummary } from '@deploybot/shared';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appStore, createAppStore } from '../stores/store';
import { filtersFromSearch, historyApiPath, NO_FILTERS, searchOf } from './history-filters';
import { HistoryPage } from './history-page';

const summary = (i: number, over: Partial<RunSummary> = {}): RunSummary => ({
  id: `00000000-0000-4000-8000-00000000000${i}`,
  name: 'deploy_application',
  title: `Deploy demo/app@main → web-0${i}`,
  version: 1,
  status: 'completed',
  startedBy: 'ann',
  createdAt: '2026-12-01T09:00:00.000Z',
  updatedAt: '2026-12-01T09:01:05.000Z',
  repository: 'demo/app',
  agent: `web-0${i}`,
  error: null,
  ...over,
});

describe('history filters in the address', () => {
  it('round-trip through the query string, dropping what is not a filter', () => {
    const filters = {
      ...NO_FILTERS,
      workflow: 'deploy_application',
      status: ['failed' as const, 'cancelled' as const],
      startedBy: 'ann',
      repository: 'demo/app',
      agent: 'web-01',
      from: '2026-11-01',
      to: '2026-11-30',
      q: 'hello app',
    };
    const search = searchOf(filters);
    expect(search).toBe(
      '?workflow=deploy_application&started_by=ann&repository=demo%2Fapp&agent=web-01&q=hello+app&status=failed%2Ccancelled&from=2026-11-01&to=2026-11-30',
    );
    expect(filtersFromSearch(search)).toEqual(filters);
    expect(filtersFromSearch('?status=done,failed&from=last-week&run=x')).toEqual({
      ...NO_FILTERS,
      status: ['failed'],
    });
    expect(searchOf(NO_FILTERS)).toBe('');
  });

  it('the API gets the local days’ first and last instants, the page size and the cursor', () => {
    const path = historyApiPath({ ...NO_FILTERS, from: '2026-11-01', to: '2026-11-01' }, 'abc', 20);
    const params = new URL(path, 'http://x').searchParams;
    expect(new Date(params.get('from')!).getTime()).toBe(new Date(2026, 10, 1).getTime());
    expect(new Date(params.get('to')!).getTime()).toBe(new Date(2026, 10, 2).getTime() - 1);
    expect(params.get('limit')).toBe('20');
    expect(params.get('cursor')).toBe('abc');
  });
});

describe('HistoryPage', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  const answer = (page: RunHistoryPage) =>
    new Response(JSON.stringify(page), { status: 200, headers: { 'content-type': 'application/json' } });

  beforeEach(() => {
    appStore.setState(createAppStore().getState(), true);
    appStore.setState({
      definitions: [
        {
          name: 'deploy_application',
          title: 'Deploy an application',
          description: '',
          version: 1,
          inputs: [],
          steps: [],
        },
        { name: 'health_check', title: 'Health check', description: '', version: 1, inputs: [], steps: [] },
      ],
    });
    window.history.replaceState(null, '', '/history?workflow=health_check&status=failed');
    fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('starts from the filters in the address, labelled so a person (and a test) finds each one', async () => {
    fetchMock.mockResolvedValueOnce(
      answer({ runs: [summary(1, { status: 'failed', name: 'health_check' })], next: null }),
    );
    render(<HistoryPage />);
    expect((screen.getByLabelText('Workflow') as HTMLSelectElement).value).toBe('health_check');
    expect((screen.getByLabelText('Failed') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('Completed') as HTMLInputElement).checked).toBe(false);
    for (const label of ['Search', 'Started by', 'Repository', 'Agent', 'From', 'To'])
      expect(screen.getByLabelText(label)).toBeTruthy();
    await waitFor(() => expect(screen.getAllByTestId('history-row')).toHaveLength(1));
    const url = new URL(String(fetchMock.mock.calls[0]![0]), 'http://x');
    expect(url.searchParams.get('workflow')).toBe('health_check');
    expect(url.searchParams.get('status')).toBe('failed');
  });

  it('applying filters puts them in the address and asks for the first page again', async () => {
    fetchMock.mockResolvedValueOnce(answer({ runs: [], next: null }));
    render(<HistoryPage />);
    await screen.findByTestId('history-empty');
    fetchMock.mockResolvedValueOnce(answer({ runs: [summary(2)], next: null }));
    fireEvent.change(screen.getByLabelText('Workflow'), { target: { value: 'deploy_application' } });
    fireEvent.click(screen.getByLabelText('Failed'));
    fireEvent.click(screen.getByLabelText('Completed'));
    fireEvent.change(screen.getByLabelText('Repository'), { target: { value: 'demo/app' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() => expect(screen.getAllByTestId('history-row')).toHaveLength(1));
    expect(window.location.pathname + window.location.search).toBe(
      '/history?workflow=deploy_application&repository=demo%2Fapp&status=completed',
    );
    const url = new URL(String(fetchMock.mock.calls[1]![0]), 'http://x');
    expect(url.searchParams.get('repository')).toBe('demo/app');
    expect(url.searchParams.get('status')).toBe('completed');
  });

  it('Load more fetches the next page with the cursor and appends it; each row links to its run', async () => {
    fetchMock.mockResolvedValueOnce(answer({ runs: [summary(1), summary(2)], next: 'CURSOR1' }));
    render(<HistoryPage />);
    const more = await screen.findByRole('button', { name: 'Load more' });
    fetchMock.mockResolvedValueOnce(answer({ runs: [summary(3)], next: null }));
    fireEvent.click(more);
    await waitFor(() => expect(screen.getAllByTestId('history-row')).toHaveLength(3));
    expect(new URL(String(fetchMock.mock.calls[1]![0]), 'http://x').searchParams.get('cursor')).toBe(
      'CURSOR1',
    );
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
    const row = screen.getAllByTestId('history-row')[2]!;
    const link = within(row).getByRole('link', { name: 'Deploy demo/app@main → web-03' });
    expect(link.getAttribute('href')).toBe('/runs/00000000-0000-4000-8000-000000000003');
  });

  it('shows the server’s refusal in words', async () => {
    fetchMock.mockResolvedValueOnce(
      new Response(
        JSON.stringify({ error: { code: 'validation_failed', message: 'invalid query: from: bad' } }),
        {
          status: 400,
        },
      ),
    );
    render(<HistoryPage />);
    expect((await screen.findByRole('alert')).textContent).toContain('invalid query: from: bad');
  });
});
