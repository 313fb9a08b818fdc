import { type RunSummary, TERMINAL_RUN_STATUSES } from '@deploybot/shared';
import { formatDuration } from '../fleet/log-groups';
import { formatTime, shortId } from '../lib/format';
import { runPath } from '../lib/router';
import { StatusIcon } from '../workflows/status-icon';
import { RUN_STATUS_VIEW } from '../workflows/step-status';
import { openPage } from './open-page';

const th = 'py-1 pr-3 font-medium';

/** One page or more of runs; each title opens the run's page. */
export function HistoryTable({ runs }: { runs: RunSummary[] }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="history-table">
        <caption className="sr-only">Runs, newest first</caption>
        <thead className="text-xs text-slate-600 uppercase dark:text-slate-400">
          <tr>
            <th scope="col" className={th}>
              Status
            </th>
            <th scope="col" className={th}>
              Run
            </th>
            <th scope="col" className={th}>
              Workflow
            </th>
            <th scope="col" className={th}>
              Started by
            </th>
            <th scope="col" className={th}>
              Repository
            </th>
            <th scope="col" className={th}>
              Agent
            </th>
            <th scope="col" className={th}>
              Started
            </th>
            <th scope="col" className={th}>
              Took
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => {
            const view = RUN_STATUS_VIEW[r.status];
            const done = TERMINAL_RUN_STATUSES.includes(r.status);
            return (
              <tr
                key={r.id}
                className="border-t border-slate-200 align-top dark:border-slate-700"
                data-testid="history-row"
                data-run-id={r.id}
                data-status={r.status}
              >
                <td className="py-1 pr-3">
                  <span className={`flex items-center gap-1 ${view.tone}`}>
                    <StatusIcon view={view} />
                  </span>
                </td>
                <td className="py-1 pr-3">
                  <a
                    href={runPath(r.id)}
                    onClick={(e) => openPage(e, runPath(r.id))}
                    className="text-blue-700 underline dark:text-blue-400"
                    data-testid="history-run-link"
                  >
                    {r.title}
                  </a>{' '}
                  <span className="font-mono text-xs text-slate-600 dark:text-slate-400">
                    {shortId(r.id)}
                  </span>
                  {r.error && (
                    <span className="block text-xs break-words text-red-700 dark:text-red-400">
                      {r.error}
                    </span>
                  )}
                </td>
                <td className="py-1 pr-3 font-mono text-xs">{r.name}</td>
                <td className="py-1 pr-3">{r.startedBy}</td>
                <td className="py-1 pr-3">{r.repository ?? '—'}</td>
                <td className="py-1 pr-3">{r.agent ?? '—'}</td>
                <td className="py-1 pr-3 whitespace-nowrap tabular-nums">
                  <time dateTime={r.createdAt}>{formatTime(r.createdAt)}</time>
                </td>
                <td className="py-1 pr-3 whitespace-nowrap tabular-nums">
                  {done ? formatDuration(Date.parse(r.updatedAt) - Date.parse(r.createdAt)) : 'still going'}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
