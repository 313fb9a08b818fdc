import type { WorkflowSummaryDto } from '@deploybot/shared';
import { useCallback, useEffect, useState } from 'react';
import { useCan } from '../auth/can';
import { errorMessage } from '../lib/api';
import { formatTime } from '../lib/format';
import { linkProps, workflowPath } from '../lib/router';
import { ImportPanel } from './import-panel';
import { downloadExport, loadLibrary } from './library-api';
import { runsDetail, successText } from './library-format';

/** `/workflows`: every workflow new runs may use, its latest version, who changed it, how its runs go. */
export function LibraryPage() {
  const isAdmin = useCan('admin');
  const [workflows, setWorkflows] = useState<WorkflowSummaryDto[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => {
    loadLibrary().then(
      (w) => {
        setWorkflows(w);
        setError(null);
      },
      (err) => setError(`Could not load the library: ${errorMessage(err)}`),
    );
  }, []);
  useEffect(refresh, [refresh]);

  const exportOne = (name: string) =>
    downloadExport(name).catch((err) => setError(`Could not export ${name}: ${errorMessage(err)}`));

  return (
    <div
      className="mx-auto flex w-full max-w-6xl flex-col gap-4 overflow-y-auto p-4"
      data-testid="library-page"
    >
      <section aria-labelledby="library-title" className="flex flex-wrap items-start gap-2">
        <div className="flex flex-1 flex-col gap-1">
          <h2 id="library-title" className="text-lg font-semibold">
            Workflow library
          </h2>
          <p className="text-sm text-slate-700 dark:text-slate-300">
            Every workflow you can start, with its latest version and how its runs went. Open one to see its
            steps, compare versions and start it.
          </p>
          {!isAdmin && (
            <p className="text-sm text-slate-700 dark:text-slate-300" data-testid="library-read-only">
              Only admins can create, import or edit workflows.
            </p>
          )}
        </div>
        {isAdmin && (
          <a className="btn btn-primary" {...linkProps(workflowPath(null, true))} data-testid="new-workflow">
            New workflow
          </a>
        )}
      </section>
      {isAdmin && <ImportPanel onSaved={refresh} />}
      {error && (
        <p role="alert" className="text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      {workflows === null && !error && <p>Loading…</p>}
      {workflows && (
        <table className="w-full text-left text-sm" data-testid="library-table">
          <caption className="sr-only">Workflows</caption>
          <thead className="border-b border-slate-300 dark:border-slate-600">
            <tr>
              <th scope="col" className="py-2 pr-2">
                Workflow
              </th>
              <th scope="col" className="py-2 pr-2">
                Latest version
              </th>
              <th scope="col" className="py-2 pr-2">
                Changed
              </th>
              <th scope="col" className="py-2 pr-2">
                Success rate
              </th>
              <th scope="col" className="py-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {workflows.map((w) => (
              <tr
                key={w.name}
                className="border-b border-slate-200 align-top dark:border-slate-700"
                data-testid={`library-row-${w.name}`}
              >
                <td className="py-2 pr-2">
                  <a className="font-medium underline" {...linkProps(workflowPath(w.name))}>
                    {w.title}
                  </a>{' '}
                  {w.builtIn && (
                    <span
                      className="rounded bg-slate-200 px-1 text-xs dark:bg-slate-700"
                      data-testid="built-in"
                    >
                      Built-in
                    </span>
                  )}
                  <div className="font-mono text-xs text-slate-700 dark:text-slate-300">{w.name}</div>
                  <p className="text-slate-700 dark:text-slate-300">{w.description}</p>
                </td>
                <td className="py-2 pr-2">
                  v{w.latestVersion}
                  <span className="block text-xs text-slate-700 dark:text-slate-300">
                    {w.versions} version{w.versions === 1 ? '' : 's'}, {w.steps} steps
                  </span>
                </td>
                <td className="py-2 pr-2">
                  {w.updatedBy}
                  <span className="block text-xs text-slate-700 dark:text-slate-300">
                    <time dateTime={w.updatedAt}>{formatTime(w.updatedAt)}</time>
                  </span>
                </td>
                <td className="py-2 pr-2" title={runsDetail(w.runs)}>
                  {successText(w.runs)}
                  <span className="block text-xs text-slate-700 dark:text-slate-300">
                    {w.runs.total} runs
                  </span>
                </td>
                <td className="py-2 text-right">
                  <button
                    type="button"
                    className="btn-secondary text-xs"
                    onClick={() => void exportOne(w.name)}
                    aria-label={`Export ${w.title} as YAML`}
                  >
                    Export
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
