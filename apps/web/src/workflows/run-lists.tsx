import { TERMINAL_RUN_STATUSES, type WorkflowRun } from '@deploybot/shared';
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { errorMessage } from '../lib/api';
import { shortId } from '../lib/format';
import { useAppStore } from '../stores/store';
import { StatusIcon } from './status-icon';
import { progressOf } from './step-groups';
import { RUN_STATUS_VIEW } from './step-status';
import { loadPastRuns, selectRun } from './workflow-actions';

function RunButton({ run, selected }: { run: WorkflowRun; selected: boolean }) {
  return (
    <li>
      <button
        type="button"
        aria-current={selected ? 'true' : undefined}
        onClick={() => selectRun(run.id)}
        className={`flex w-full items-center gap-2 rounded px-2 py-1 text-left text-sm hover:bg-slate-100 dark:hover:bg-slate-800 ${selected ? 'bg-slate-100 font-medium dark:bg-slate-800' : ''}`}
        data-testid={`run-item-${run.id}`}
      >
        <StatusIcon view={RUN_STATUS_VIEW[run.status]} />
        <span className="min-w-0 flex-1 truncate">{run.title}</span>
        <span className="text-xs text-slate-600 tabular-nums dark:text-slate-400">
          {progressOf(run)}% · {shortId(run.id)}
        </span>
      </button>
    </li>
  );
}

const byNewest = (a: WorkflowRun, b: WorkflowRun) => b.createdAt.localeCompare(a.createdAt);

/** Active runs to switch between (live), and past runs (fetched when opened). */
export function RunLists() {
  const selected = useAppStore((s) => s.selectedRunId);
  const active = useAppStore(
    useShallow((s) =>
      Object.values(s.runs)
        .filter((r) => !TERMINAL_RUN_STATUSES.includes(r.status))
        .sort(byNewest),
    ),
  );
  const past = useAppStore(
    useShallow((s) => {
      const ids = new Set(s.pastRunIds);
      const finished = Object.values(s.runs).filter((r) => TERMINAL_RUN_STATUSES.includes(r.status));
      return finished.filter((r) => ids.has(r.id) || r.updatedAt >= sessionStart).sort(byNewest);
    }),
  );
  const [pastError, setPastError] = useState<string | null>(null);
  return (
    <div className="flex flex-col gap-2">
      <div>
        <h3 className="text-xs font-semibold tracking-wide text-slate-600 uppercase dark:text-slate-400">
          Active runs ({active.length})
        </h3>
        {active.length === 0 ? (
          <p className="px-2 text-sm text-slate-600 dark:text-slate-400">No run in progress.</p>
        ) : (
          <ul data-testid="active-runs">
            {active.map((r) => (
              <RunButton key={r.id} run={r} selected={r.id === selected} />
            ))}
          </ul>
        )}
      </div>
      <details
        onToggle={(e) => {
          if ((e.target as HTMLDetailsElement).open)
            loadPastRuns().catch((err) => setPastError(errorMessage(err)));
        }}
      >
        <summary className="cursor-pointer text-xs font-semibold tracking-wide text-slate-600 uppercase dark:text-slate-400">
          Past runs
        </summary>
        {pastError && <p className="text-sm text-red-700">{pastError}</p>}
        <ul data-testid="past-runs">
          {past.map((r) => (
            <RunButton key={r.id} run={r} selected={r.id === selected} />
          ))}
        </ul>
        {past.length === 0 && <p className="px-2 text-sm text-slate-600 dark:text-slate-400">None yet.</p>}
      </details>
    </div>
  );
}

/** Runs that finish while the page is open join the past list without a refetch. */
const sessionStart = new Date().toISOString();
