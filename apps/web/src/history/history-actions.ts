import type { RunHistoryPage } from '@deploybot/shared';
import { api } from '../lib/api';
import { type HistoryFilters, historyApiPath } from './history-filters';

/** One page of the run history, newest first; `cursor` is the previous page's `next`. */
export function fetchHistoryPage(filters: HistoryFilters, cursor: string | null): Promise<RunHistoryPage> {
  return api<RunHistoryPage>('GET', historyApiPath(filters, cursor));
}
