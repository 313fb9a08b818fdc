import type { StepKindDto } from '@deploybot/shared';
import { lazy, Suspense, useEffect, useState } from 'react';
import { useCan } from '../auth/can';
import { errorMessage } from '../lib/api';
import { formatTime } from '../lib/format';
import { linkProps, navigate, runPath, workflowPath } from '../lib/router';
import { StartForm } from '../workflows/start-form';
import { downloadExport, loadStepKinds, loadWorkflow, type StoredWorkflow } from './library-api';
import { VersionCompare } from './version-compare';

const WorkflowGraph = lazy(() => import('./workflow-graph'));
// Trends (and the chart library behind them) load only when a workflow's page is open.
const TrendsSection = lazy(() => import('./trends/trends-section'));

/**
 * `/workflows/{name}`: one workflow, a version of it at a time (the latest first): its steps as a graph, every
 * version with a diff between any two, Export, Start (operators) and Edit (admins; built-ins are not edited).
 */
export function WorkflowPage({ name }: { name: string }) {
  const isAdmin = useCan('admin');
  const canStart = useCan('operator');
  const [version, setVersion] = useState<number | undefined>(undefined);
  const [shown, setShown] = useState<StoredWorkflow | null>(null);
  const [kinds, setKinds] = useState<StepKindDto[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setError(null);
    loadWorkflow(name, version).then(
      (w) => live && setShown(w),
      (err) => live && setError(errorMessage(err)),
    );
    return () => {
      live = false;
    };
  }, [name, version]);
  useEffect(() => {
    loadStepKinds().then(setKinds, () => setKinds([]));
  }, []);

  if (error) {
    return (
      <div className="p-4">
        <p role="alert" className="text-red-700 dark:text-red-400">
          Could not load {name}: {error}
        </p>
        <a className="underline" {...linkProps(workflowPath(null))}>
          Back to the library
        </a>
      </div>
    );
  }
  if (!shown || shown.definition.name !== name) return <p className="p-4">Loading…</p>;

  const { definition, document, versions, workflow } = shown;
  const latest = versions.at(-1)?.version ?? definition.version;
  return (
    <div
      className="mx-auto flex w-full max-w-6xl flex-col gap-5 overflow-y-auto p-4"
      data-testid="workflow-page"
    >
      <nav aria-label="Breadcrumb" className="text-sm">
        <a className="underline" {...linkProps(workflowPath(null))}>
          Library
        </a>
        {' / '}
        {name}
      </nav>
      <section aria-labelledby="workflow-title" className="flex flex-wrap items-start gap-3">
        <div className="flex flex-1 flex-col gap-1">
          <h2 id="workflow-title" className="text-lg font-semibold">
            {document.title}{' '}
            {definition.builtIn && (
              <span className="rounded bg-slate-200 px-1 text-xs font-normal dark:bg-slate-700">
                Built-in
              </span>
            )}
          </h2>
          <p className="font-mono text-xs">{name}</p>
          <p className="text-sm text-slate-700 dark:text-slate-300">{document.description}</p>
          <p className="text-sm" data-testid="workflow-version">
            Version {definition.version}
            {definition.version === latest ? ' (latest)' : ` of ${latest}`}, saved by {definition.createdBy}{' '}
            <time dateTime={definition.createdAt}>{formatTime(definition.createdAt)}</time>
            {definition.deletedAt && ' — deleted: no new runs'}
          </p>
        </div>
        <div className="flex gap-2">
          <button
            type="button"
            className="btn-secondary"
            onClick={() =>
              void downloadExport(name, definition.version).catch((err) => setError(errorMessage(err)))
            }
            data-testid="workflow-export"
          >
            Export YAML
          </button>
          {isAdmin && !definition.builtIn && (
            <a
              className="btn btn-primary"
              {...linkProps(workflowPath(name, true))}
              data-testid="workflow-edit"
            >
              Edit
            </a>
          )}
        </div>
      </section>

      <section aria-labelledby="steps-title" className="flex flex-col gap-2">
        <h3 id="steps-title" className="font-semibold">
          Steps (version {definition.version})
        </h3>
        <Suspense fallback={<p>Loading the graph…</p>}>
          <WorkflowGraph steps={document.steps} kinds={kinds} label={`Steps of ${document.title}`} />
        </Suspense>
      </section>

      <div className="grid gap-5 lg:grid-cols-2">
        <section aria-labelledby="start-title" className="flex flex-col gap-2">
          <h3 id="start-title" className="font-semibold">
            Start version {definition.version}
          </h3>
          {workflow && !definition.deletedAt ? (
            <StartForm
              definition={workflow}
              version={definition.version}
              disabled={!canStart}
              onStarted={(run) => navigate(runPath(run.id))}
            />
          ) : (
            <p className="text-sm">This version cannot be started.</p>
          )}
        </section>
        <section aria-labelledby="versions-title" className="flex flex-col gap-2">
          <h3 id="versions-title" className="font-semibold">
            Versions
          </h3>
          <ul className="flex flex-col gap-1 text-sm" data-testid="workflow-versions">
            {[...versions].reverse().map((v) => (
              <li key={v.version} className="flex flex-wrap items-center gap-2">
                <button
                  type="button"
                  className="btn-secondary text-xs aria-pressed:bg-slate-200 aria-pressed:font-semibold dark:aria-pressed:bg-slate-700"
                  aria-pressed={v.version === definition.version}
                  onClick={() => setVersion(v.version)}
                >
                  v{v.version}
                </button>
                <span>
                  by {v.createdBy}, <time dateTime={v.createdAt}>{formatTime(v.createdAt)}</time>
                </span>
              </li>
            ))}
          </ul>
          {versions.length > 1 ? (
            <VersionCompare name={name} versions={versions} />
          ) : (
            <p className="text-sm text-slate-700 dark:text-slate-300">One version: nothing to compare yet.</p>
          )}
        </section>
      </div>

      <Suspense fallback={<p>Loading the trends…</p>}>
        <TrendsSection workflow={name} />
      </Suspense>
    </div>
  );
}
