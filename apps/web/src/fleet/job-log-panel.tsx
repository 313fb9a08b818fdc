import { useEffect } from 'react';
import { followJob, loadOlderJobLines } from '../lib/realtime';
import { jobPath, linkProps } from '../lib/router';
import { useAppStore } from '../stores/store';
import { downloadJobLog } from './download-log';
import { JobStatusBadge } from './job-status-badge';
import { LogViewer } from './log-viewer';

const EMPTY: never[] = [];

/** A job's status and live log (grouped by step), followed while this panel is shown. */
export function JobLogPanel({
  jobId,
  height = 240,
  title = 'Job log',
}: {
  jobId: string;
  height?: number;
  title?: string;
}) {
  const job = useAppStore((s) => s.jobs[jobId]);
  const lines = useAppStore((s) => s.logs[jobId]?.lines ?? EMPTY);
  const hasOlder = useAppStore((s) => (s.logs[jobId]?.before ?? null) !== null);
  const loadingOlder = useAppStore((s) => s.logs[jobId]?.loadingOlder ?? false);
  useEffect(() => {
    followJob(jobId);
    return () => followJob(null);
  }, [jobId]);
  const live = job ? job.status === 'pending' || job.status === 'running' : false;
  return (
    <section aria-label="Deployment log" className="flex flex-col gap-1" data-testid="job-log-panel">
      <div className="flex items-center justify-between gap-2 text-sm">
        <h4 className="font-medium">
          {title}{' '}
          <a
            {...linkProps(jobPath(jobId))}
            className="font-mono text-xs font-normal text-blue-700 underline dark:text-blue-400"
            data-testid="job-link"
          >
            {jobId.slice(0, 8)}
          </a>
        </h4>
        {job && <JobStatusBadge status={job.status} />}
      </div>
      <LogViewer
        lines={lines}
        height={height}
        label={`Log of job ${jobId}`}
        live={live}
        download={() => downloadJobLog(jobId)}
        older={hasOlder ? { loading: loadingOlder, load: () => loadOlderJobLines(jobId) } : undefined}
      />
    </section>
  );
}
