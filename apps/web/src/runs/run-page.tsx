import { TERMINAL_RUN_STATUSES } from '@deploybot/shared';
import { useEffect, useState } from 'react';
import { useCan } from '../auth/can';
import { JobLogPanel } from '../fleet/job-log-panel';
import { errorMessage } from '../lib/api';
import { formatAgo, formatTime, shortId } from '../lib/format';
import { chatPath, jobPath, linkProps } from '../lib/router';
import { useNow } from '../lib/use-now';
import { useAppStore } from '../stores/store';
import { CancelRun } from '../workflows/cancel-run';
import { StatusIcon } from '../workflows/status-icon';
import { RUN_STATUS_VIEW } from '../workflows/step-status';
import { Duration } from './duration';
import { ExportRunButton } from './export-run-button';
import { RerunButton } from './rerun-button';
import { RollbackButton } from './rollback-button';
import { loadRun } from './run-actions';
import { RunSteps } from './run-steps';
import { RunTimeline } from './run-timeline';
import { jobsOf, runEnd, runOwnError } from './timing';

function Started({ by, at }: { by: string; at: string }) {
  const now = useNow(10_000);
  return (
    <span data-testid="run-started">
      Started by <strong>{by}</strong> at <time dateTime={at}>{formatTime(at)}</time> ({formatAgo(at, now)})
    </span>
  );
}

/**
 * A run on a page of its own (`/runs/{id}`): title, who started it and when, how long it and each step took,
 * the decisions, the failure (once), the job's log grouped by step, and Re-run / Cancel.
 */
export function RunPage({ runId }: { runId: string }) {
  const run = useAppStore((s) => s.runs[runId]);
  const activeSessionId = useAppStore((s) => s.activeSessionId);
  const canApprove = useCan('approver');
  const canOperate = useCan('operator');
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    setLoadError(null);
    loadRun(runId).catch((err) => setLoadError(errorMessage(err)));
  }, [runId]);

  if (!run) {
    return loadError ? (
      <p role="alert" className="p-4 text-red-700 dark:text-red-400">
        Cannot show run {shortId(runId)}: {loadError}
      </p>
    ) : (
      <p className="p-4" role="status">
        Loading run {shortId(runId)}…
      </p>
    );
  }
  const finished = TERMINAL_RUN_STATUSES.includes(run.status);
  const view = RUN_STATUS_VIEW[run.status];
  const jobs = jobsOf(run);
  const logJob = jobs.find((j) => j.key !== 'target_job_id');
  const ownError = runOwnError(run);

  return (
    <article
      className="mx-auto flex w-full max-w-6xl flex-col gap-4 overflow-y-auto p-4"
      aria-labelledby="run-page-title"
      data-testid="run-page"
      data-run-id={run.id}
    >
      <a
        {...linkProps(chatPath(activeSessionId))}
        className="text-sm text-blue-700 underline dark:text-blue-400"
      >
        ← Back to chat
      </a>
      <header className="flex flex-wrap items-start gap-3">
        <div className="min-w-0 flex-1">
          <h2 id="run-page-title" className="text-xl font-semibold break-words" data-testid="run-page-title">
            {run.title}
          </h2>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {run.name} · run <span className="font-mono">{shortId(run.id)}</span> ·{' '}
            <Started by={run.startedBy} at={run.createdAt} />
          </p>
        </div>
        <div className="flex items-center gap-2">
          <ExportRunButton runId={run.id} />
          {canOperate &&
            (run.status === 'completed' || run.status === 'failed') &&
            run.name !== 'rollback' && <RollbackButton runId={run.id} />}
          {canOperate && finished && <RerunButton runId={run.id} />}
          {canOperate && !finished && <CancelRun runId={run.id} />}
        </div>
      </header>
      <dl className="flex flex-wrap gap-x-8 gap-y-1 text-sm">
        <div>
          <dt className="text-xs text-slate-600 uppercase dark:text-slate-400">Status</dt>
          <dd
            className={`flex items-center gap-1 font-medium ${view.tone}`}
            data-testid="run-page-status"
            data-status={run.status}
          >
            <StatusIcon view={view} />
            {view.label}
          </dd>
        </div>
        <div>
          <dt className="text-xs text-slate-600 uppercase dark:text-slate-400">Duration</dt>
          <dd className="font-medium">
            <Duration from={run.createdAt} until={runEnd(run)} testId="run-duration" />
          </dd>
        </div>
        {jobs.map((j) => (
          <div key={j.key}>
            <dt className="text-xs text-slate-600 uppercase dark:text-slate-400">{j.label}</dt>
            <dd>
              <a
                {...linkProps(jobPath(j.jobId))}
                className="font-mono text-blue-700 underline dark:text-blue-400"
              >
                {shortId(j.jobId)}
              </a>
            </dd>
          </div>
        ))}
      </dl>
      {ownError && (
        <p
          className="rounded-md bg-red-50 p-2 text-sm whitespace-pre-wrap text-red-800 dark:bg-red-950/40 dark:text-red-300"
          data-testid="run-failure"
        >
          {ownError}
        </p>
      )}
      <section aria-label="Steps" className="rounded-lg border border-slate-200 px-3 dark:border-slate-700">
        <RunSteps run={run} canApprove={canApprove} canOperate={canOperate} logShown={logJob !== undefined} />
      </section>
      <RunTimeline runId={run.id} seq={run.seq} />
      {logJob && <JobLogPanel key={logJob.jobId} jobId={logJob.jobId} height={480} title={logJob.label} />}
    </article>
  );
}
