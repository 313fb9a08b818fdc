import { useShallow } from 'zustand/react/shallow';
import { formatTime, shortId } from '../lib/format';
import { jobPath, linkProps } from '../lib/router';
import { useAppStore } from '../stores/store';
import { openJob } from './fleet-actions';
import { JobStatusBadge } from './job-status-badge';

/** Recent jobs with their live status; choosing one opens its live log. */
export function JobsTable() {
  const jobs = useAppStore(
    useShallow((s) =>
      Object.values(s.jobs)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, 100),
    ),
  );
  const selected = useAppStore((s) => s.selectedJobId);
  return (
    <section aria-labelledby="jobs-title" className="flex flex-col gap-2">
      <h2 id="jobs-title" className="text-base font-semibold">
        Jobs ({jobs.length})
      </h2>
      <div className="overflow-x-auto">
        <table className="w-full text-left text-sm" data-testid="jobs-table">
          <thead className="text-xs text-slate-600 uppercase dark:text-slate-400">
            <tr>
              <th scope="col" className="py-1 pr-3">
                Job
              </th>
              <th scope="col" className="py-1 pr-3">
                Repository
              </th>
              <th scope="col" className="py-1 pr-3">
                Agent
              </th>
              <th scope="col" className="py-1 pr-3">
                Status
              </th>
              <th scope="col" className="py-1 pr-3">
                Created
              </th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => (
              <tr
                key={j.id}
                className={`border-t border-slate-200 dark:border-slate-700 ${selected === j.id ? 'bg-slate-100 dark:bg-slate-800' : ''}`}
                data-testid={`job-row-${j.id}`}
              >
                <td className="py-1 pr-3">
                  <button
                    type="button"
                    className="font-mono text-blue-700 underline dark:text-blue-400"
                    aria-label={`Show log of job ${shortId(j.id)}`}
                    aria-pressed={selected === j.id}
                    onClick={() => openJob(selected === j.id ? null : j.id)}
                  >
                    {shortId(j.id)}
                  </button>{' '}
                  <a
                    {...linkProps(jobPath(j.id))}
                    className="text-xs text-blue-700 underline dark:text-blue-400"
                    data-testid="job-page-link"
                  >
                    page<span className="sr-only"> of job {shortId(j.id)}</span>
                  </a>
                </td>
                <td className="py-1 pr-3">
                  {j.repository}@{j.ref} <span className="font-mono text-xs">{j.sha.slice(0, 7)}</span>
                </td>
                <td className="py-1 pr-3">{j.agentHostname}</td>
                <td className="py-1 pr-3">
                  <JobStatusBadge status={j.status} />
                  {j.error && <span className="ml-2 text-xs text-red-700 dark:text-red-400">{j.error}</span>}
                </td>
                <td className="py-1 pr-3 tabular-nums">{formatTime(j.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {jobs.length === 0 && <p className="text-sm text-slate-600 dark:text-slate-400">No jobs yet.</p>}
      </div>
    </section>
  );
}
