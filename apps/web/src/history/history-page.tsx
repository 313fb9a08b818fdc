import type { RunSummary } from '@deploybot/shared';
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../lib/api';
import { useAppStore } from '../stores/store';
import { fetchHistoryPage } from './history-actions';
import { HistoryFilterForm } from './history-filter-form';
import { filtersFromSearch, type HistoryFilters, searchOf } from './history-filters';
import { HistoryTable } from './history-table';

const HISTORY_PATH = '/history';

/** The filters the address names, followed through back and forward. */
function useAddressFilters(): [HistoryFilters, (f: HistoryFilters) => void] {
  const [filters, setFilters] = useState(() => filtersFromSearch(window.location.search));
  useEffect(() => {
    const follow = () => {
      if (window.location.pathname === HISTORY_PATH) setFilters(filtersFromSearch(window.location.search));
    };
    window.addEventListener('popstate', follow);
    return () => window.removeEventListener('popstate', follow);
  }, []);
  const apply = useCallback((next: HistoryFilters) => {
    const url = `${HISTORY_PATH}${searchOf(next)}`;
    if (`${window.location.pathname}${window.location.search}` !== url)
      window.history.pushState(null, '', url);
    // A fresh object even when nothing changed: applying again reloads the list.
    setFilters({ ...next });
  }, []);
  return [filters, apply];
}

/**
 * Every run, newest first (`/history`): filters kept in the address so a reload or a shared link shows the same
 * list, pages fetched with the server's cursor ("Load more"), each run linking to its page.
 */
export function HistoryPage() {
  const [filters, apply] = useAddressFilters();
  const workflows = useAppStore((s) => s.definitions);
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  // Answers to an older request (filters changed meanwhile) are dropped.
  const request = useRef(0);

  const load = useCallback(async (f: HistoryFilters, cursor: string | null) => {
    const mine = ++request.current;
    setLoading(true);
    setError(null);
    try {
      const page = await fetchHistoryPage(f, cursor);
      if (mine !== request.current) return;
      setRuns((shown) => (cursor ? [...shown, ...page.runs] : page.runs));
      setNext(page.next);
    } catch (err) {
      if (mine === request.current) setError(errorMessage(err));
    } finally {
      if (mine === request.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    setRuns([]);
    setNext(null);
    void load(filters, null);
  }, [filters, load]);

  return (
    <section
      className="mx-auto flex w-full max-w-7xl flex-col gap-3 overflow-y-auto p-4"
      aria-labelledby="history-title"
      data-testid="history-page"
    >
      <h2 id="history-title" className="text-xl font-semibold">
        Run history
      </h2>
      <HistoryFilterForm applied={filters} workflows={workflows} onApply={apply} />
      <p role="status" className="text-sm text-slate-600 dark:text-slate-400" data-testid="history-status">
        {loading
          ? 'Loading runs…'
          : `${runs.length} run${runs.length === 1 ? '' : 's'} shown${next ? ', more below' : ''}`}
      </p>
      {error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400" data-testid="history-error">
          Could not load runs: {error}
        </p>
      )}
      {runs.length > 0 && <HistoryTable runs={runs} />}
      {!loading && !error && runs.length === 0 && (
        <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="history-empty">
          No run matches these filters.
        </p>
      )}
      {next && (
        <button
          type="button"
          className="btn-secondary self-start"
          disabled={loading}
          onClick={() => void load(filters, next)}
          data-testid="history-load-more"
        >
          Load more
        </button>
      )}
    </section>
  );
}
