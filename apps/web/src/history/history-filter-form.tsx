import { RUN_STATUSES, type RunStatus } from '@deploybot/shared';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { RUN_STATUS_VIEW } from '../workflows/step-status';
import { type HistoryFilters, NO_FILTERS } from './history-filters';

const control =
  'w-full rounded-md border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100';
const labelClass = 'flex flex-col gap-0.5 text-xs font-medium text-slate-700 dark:text-slate-300';

interface Props {
  /** What the page shows now: the form starts from it and follows it (back and forward). */
  applied: HistoryFilters;
  /** Workflow names for the selector. */
  workflows: { name: string; title: string }[];
  onApply: (filters: HistoryFilters) => void;
}

/** The History filters: edited here, applied together (Enter or the button), cleared at once. */
export function HistoryFilterForm({ applied, workflows, onApply }: Props) {
  const [draft, setDraft] = useState(applied);
  const id = useId();
  useEffect(() => setDraft(applied), [applied]);
  const set = <K extends keyof HistoryFilters>(key: K, value: HistoryFilters[K]) =>
    setDraft((d) => ({ ...d, [key]: value }));
  const toggleStatus = (status: RunStatus, on: boolean) =>
    set('status', on ? [...draft.status, status] : draft.status.filter((s) => s !== status));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(draft);
  };
  const text = (key: 'startedBy' | 'repository' | 'agent' | 'q', label: string, placeholder: string) => (
    <label className={labelClass}>
      {label}
      <input
        type={key === 'q' ? 'search' : 'text'}
        className={control}
        value={draft[key]}
        placeholder={placeholder}
        onChange={(e) => set(key, e.target.value)}
        data-testid={`history-filter-${key}`}
      />
    </label>
  );

  return (
    <form
      onSubmit={submit}
      aria-label="Filter runs"
      className="flex flex-col gap-3 rounded-lg border border-slate-200 p-3 dark:border-slate-700"
      data-testid="history-filters"
    >
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        {text('q', 'Search', 'Title words or run id')}
        <label className={labelClass}>
          Workflow
          <select
            className={control}
            value={draft.workflow}
            onChange={(e) => set('workflow', e.target.value)}
            data-testid="history-filter-workflow"
          >
            <option value="">All workflows</option>
            {workflows.map((w) => (
              <option key={w.name} value={w.name}>
                {w.title} ({w.name})
              </option>
            ))}
          </select>
        </label>
        {text('startedBy', 'Started by', 'user name')}
        {text('repository', 'Repository', 'org/app')}
        {text('agent', 'Agent', 'host name')}
        <label className={labelClass}>
          From
          <input
            type="date"
            className={control}
            value={draft.from}
            max={draft.to || undefined}
            onChange={(e) => set('from', e.target.value)}
            data-testid="history-filter-from"
          />
        </label>
        <label className={labelClass}>
          To
          <input
            type="date"
            className={control}
            value={draft.to}
            min={draft.from || undefined}
            onChange={(e) => set('to', e.target.value)}
            data-testid="history-filter-to"
          />
        </label>
      </div>
      <fieldset
        className="flex flex-wrap items-center gap-x-4 gap-y-1"
        aria-describedby={`${id}-status-hint`}
      >
        <legend className="text-xs font-medium text-slate-700 dark:text-slate-300">Status</legend>
        {RUN_STATUSES.map((status) => (
          <label key={status} className="flex items-center gap-1 text-sm">
            <input
              type="checkbox"
              checked={draft.status.includes(status)}
              onChange={(e) => toggleStatus(status, e.target.checked)}
              data-testid={`history-filter-status-${status}`}
            />
            {RUN_STATUS_VIEW[status].label}
          </label>
        ))}
        <span id={`${id}-status-hint`} className="text-xs text-slate-600 dark:text-slate-400">
          none checked: any status
        </span>
      </fieldset>
      <div className="flex gap-2">
        <button type="submit" className="btn btn-primary" data-testid="history-apply">
          Apply filters
        </button>
        <button
          type="button"
          className="btn-secondary"
          onClick={() => onApply(NO_FILTERS)}
          data-testid="history-clear"
        >
          Clear
        </button>
      </div>
    </form>
  );
}
