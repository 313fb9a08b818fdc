import type { FiringDto } from '@deploybot/shared';
import { formatAgo, formatTime, shortId } from '../lib/format';
import { linkProps, runPath } from '../lib/router';
import { OUTCOME_TEXT, outcomeClass } from './format';

/** A trigger's latest firings: when, what became of it (and why, when it started nothing), and its run. */
export function FiringsTable({ name, firings, now }: { name: string; firings: FiringDto[]; now: number }) {
  if (firings.length === 0)
    return (
      <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="no-firings">
        It has not fired yet.
      </p>
    );
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="firings-table">
        <caption className="sr-only">Latest firings of {name}</caption>
        <thead className="text-xs text-slate-600 uppercase dark:text-slate-400">
          <tr>
            <th scope="col" className="py-1 pr-3">
              When
            </th>
            <th scope="col" className="py-1 pr-3">
              Outcome
            </th>
            <th scope="col" className="py-1 pr-3">
              Run
            </th>
            <th scope="col" className="py-1 pr-3">
              Why
            </th>
          </tr>
        </thead>
        <tbody>
          {firings.map((f) => (
            <tr
              key={f.id}
              className="border-t border-slate-200 dark:border-slate-700"
              data-testid="firing-row"
              data-outcome={f.outcome}
            >
              <td className="py-1 pr-3 tabular-nums">
                <time dateTime={f.at} title={f.key}>
                  {formatTime(f.at)}
                </time>{' '}
                <span className="text-xs text-slate-600 dark:text-slate-400">({formatAgo(f.at, now)})</span>
              </td>
              <td className={`py-1 pr-3 font-medium ${outcomeClass(f.outcome)}`} data-testid="firing-outcome">
                {OUTCOME_TEXT[f.outcome]}
              </td>
              <td className="py-1 pr-3">
                {f.runId ? (
                  <a
                    {...linkProps(runPath(f.runId))}
                    className="font-mono text-xs underline"
                    data-testid="firing-run-link"
                  >
                    <span className="sr-only">Run </span>
                    {shortId(f.runId)}
                  </a>
                ) : (
                  '—'
                )}
              </td>
              <td
                className="py-1 pr-3 break-words text-slate-700 dark:text-slate-300"
                data-testid="firing-reason"
              >
                {f.reason ?? ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
