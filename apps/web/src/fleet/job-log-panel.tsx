import { useEffect } from 'react';
import { followJob, loadOlderJobLines } from '../lib/realtime';
import { useAppStore } from '../stores/store';
import { JobStatusBadge } from './job-status-badge';
import { LogViewer } from './log-viewer';

const EMPTY: never[] = [];

/** A job's status and live log, followed while this panel is shown. */
export function JobLogPanel({ jobId, height = 240 }: { jobId: string; height?: number }) {
  const job = useAppStore((s) => s.jobs[jobId]);
  const lines = useAppStore((s) => s.logs[jobId]?.lines ?? EMPTY);
  const hasOlder = useAppStore((s) => (s.logs[jobId]?.before ?? null) !== null);
  const loadingOlder = useAppStore((s) => s.logs[jobId]?.loadingOlder ?? false);
  useEffect(() => {
    followJob(jobId);
    return () => followJob(null);
  }, [jobId]);
  return (
    <section aria-label="Deployment log" className="flex flex-col gap-1" data-testid="job-log-panel">
      <div className="flex items-center justify-between text-sm">
        <h4 className="font-medium">Job log</h4>
        {job && <JobStatusBadge status={job.status} />}
      </div>
      <LogViewer
        lines={lines}
        height={height}
        label={`Log of job ${jobId}`}
        older={hasOlder ? { loading: loadingOlder, load: () => loadOlderJobLines(jobId) } : undefined}
      />
    </section>
  );
}
