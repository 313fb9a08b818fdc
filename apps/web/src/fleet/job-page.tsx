import type { JobDto } from '@deploybot/shared';
import { useEffect, useState } from 'react';
import { api, errorMessage } from '../lib/api';
import { formatTime, shortId } from '../lib/format';
import { linkProps, pathOf, runPath } from '../lib/router';
import { Duration } from '../runs/duration';
import { onJobStatus } from '../stores/handlers/job-status';
import { appStore, useAppStore } from '../stores/store';
import { JobLogPanel } from './job-log-panel';

/** A job the client may not hold yet (an old one, a link opened cold); later changes arrive as `job:status`. */
async function loadJob(jobId: string): Promise<void> {
  onJobStatus(appStore, await api<JobDto>('GET', `/v1/jobs/${jobId}`));
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs text-slate-600 uppercase dark:text-slate-400">{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** A job on a page of its own (`/jobs/{id}`): what it deploys where, who asked, how long it took, and its log. */
export function JobPage({ jobId }: { jobId: string }) {
  const job = useAppStore((s) => s.jobs[jobId]);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    setLoadError(null);
    loadJob(jobId).catch((err) => setLoadError(errorMessage(err)));
  }, [jobId]);

  if (!job) {
    return loadError ? (
      <p role="alert" className="p-4 text-red-700 dark:text-red-400">
        Cannot show job {shortId(jobId)}: {loadError}
      </p>
    ) : (
      <p className="p-4" role="status">
        Loading job {shortId(jobId)}…
      </p>
    );
  }
  return (
    <article
      className="mx-auto flex w-full max-w-6xl flex-col gap-4 overflow-y-auto p-4"
      aria-labelledby="job-page-title"
      data-testid="job-page"
      data-job-id={job.id}
    >
      <a
        {...linkProps(pathOf({ view: 'fleet' }))}
        className="text-sm text-blue-700 underline dark:text-blue-400"
      >
        ← Fleet
      </a>
      <header>
        <h2 id="job-page-title" className="text-xl font-semibold break-words">
          {job.repository}@{job.ref} → {job.agentHostname}
        </h2>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Job <span className="font-mono">{job.id}</span> · created by {job.createdBy} at{' '}
          {formatTime(job.createdAt)}
        </p>
      </header>
      <dl className="flex flex-wrap gap-x-8 gap-y-1 text-sm">
        <Field label="Commit">
          <span className="font-mono">{job.sha.slice(0, 12)}</span>
        </Field>
        <Field label="Duration">
          <Duration from={job.startedAt} until={job.finishedAt} testId="job-duration" />
        </Field>
        {job.step && <Field label="Step">{job.step}</Field>}
        {job.attempt > 1 && <Field label="Attempt">{job.attempt}</Field>}
        {job.runId && (
          <Field label="Run">
            <a
              {...linkProps(runPath(job.runId))}
              className="font-mono text-blue-700 underline dark:text-blue-400"
            >
              {shortId(job.runId)}
            </a>
          </Field>
        )}
        {job.retryOf && (
          <Field label="Retry of">
            <a
              {...linkProps(`/jobs/${job.retryOf}`)}
              className="font-mono text-blue-700 underline dark:text-blue-400"
            >
              {shortId(job.retryOf)}
            </a>
          </Field>
        )}
      </dl>
      {job.error && (
        <p className="text-sm whitespace-pre-wrap text-red-700 dark:text-red-400" data-testid="job-error">
          {job.error}
        </p>
      )}
      <JobLogPanel jobId={job.id} height={560} />
    </article>
  );
}
