import { RUN_STATUSES, type RunStatus } from '@deploybot/shared';

/** What the History page filters on, as the form and the address hold it (days as `YYYY-MM-DD`, local). */
export interface HistoryFilters {
  workflow: string;
  status: RunStatus[];
  startedBy: string;
  repository: string;
  agent: string;
  from: string;
  to: string;
  q: string;
}

export const NO_FILTERS: HistoryFilters = {
  workflow: '',
  status: [],
  startedBy: '',
  repository: '',
  agent: '',
  from: '',
  to: '',
  q: '',
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Address parameter of each text filter: the API's names, so a shared link reads like the API call. */
const TEXT_PARAMS = [
  ['workflow', 'workflow'],
  ['startedBy', 'started_by'],
  ['repository', 'repository'],
  ['agent', 'agent'],
  ['q', 'q'],
] as const;

/** The filters an address names (`/history?workflow=…&status=failed,cancelled`); anything unknown is dropped. */
export function filtersFromSearch(search: string): HistoryFilters {
  const params = new URLSearchParams(search);
  const filters = { ...NO_FILTERS };
  for (const [key, param] of TEXT_PARAMS) filters[key] = params.get(param)?.trim() ?? '';
  filters.status = (params.get('status') ?? '')
    .split(',')
    .filter((s): s is RunStatus => (RUN_STATUSES as readonly string[]).includes(s));
  for (const key of ['from', 'to'] as const) {
    const day = params.get(key) ?? '';
    filters[key] = DAY.test(day) ? day : '';
  }
  return filters;
}

/** The address query for `filters` (empty filters left out), with its leading `?` when not empty. */
export function searchOf(filters: HistoryFilters): string {
  const params = new URLSearchParams();
  for (const [key, param] of TEXT_PARAMS) if (filters[key].trim()) params.set(param, filters[key].trim());
  if (filters.status.length > 0) params.set('status', filters.status.join(','));
  if (filters.from) params.set('from', filters.from);
  if (filters.to) params.set('to', filters.to);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A local day's first and last instant, with the browser's offset, as the API takes them. */
function localDay(day: string, end: boolean): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const at = end ? new Date(y, m - 1, d + 1).getTime() - 1 : new Date(y, m - 1, d).getTime();
  return new Date(at).toISOString();
}

/** The API request for one page: the days become the local day's bounds, so "to today" includes this evening. */
export function historyApiPath(filters: HistoryFilters, cursor: string | null, limit = 50): string {
  const params = new URLSearchParams(searchOf(filters));
  if (filters.from) params.set('from', localDay(filters.from, false));
  if (filters.to) params.set('to', localDay(filters.to, true));
  params.set('limit', String(limit));
  if (cursor) params.set('cursor', cursor);
  return `/v1/ai/workflows/history?${params.toString()}`;
}
