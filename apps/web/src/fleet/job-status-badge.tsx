import type { AgentStatus, JobStatus } from '@deploybot/shared';

const JOB_TONE: Record<JobStatus, string> = {
  pending: 'bg-slate-200 text-slate-800 dark:bg-slate-700 dark:text-slate-100',
  running: 'bg-blue-100 text-blue-800 dark:bg-blue-900 dark:text-blue-100',
  success: 'bg-green-100 text-green-800 dark:bg-green-900 dark:text-green-100',
  failed: 'bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-100',
  cancelled: 'bg-orange-100 text-orange-800 dark:bg-orange-900 dark:text-orange-100',
};

const AGENT_TONE: Record<AgentStatus, string> = {
  enrolling: 'bg-violet-100 text-violet-800 dark:bg-violet-900 dark:text-violet-100',
  online: 'bg-green-100 text-green-800 dark:bg-green-900 dark:text-green-100',
  offline: 'bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-100',
  draining: 'bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100',
};

const badge = 'inline-block rounded-full px-2 py-0.5 text-xs font-medium';

export function JobStatusBadge({ status }: { status: JobStatus }) {
  return (
    <span className={`${badge} ${JOB_TONE[status]}`} data-testid="job-status" data-status={status}>
      {status}
    </span>
  );
}

export function AgentStatusBadge({ status }: { status: AgentStatus }) {
  return (
    <span className={`${badge} ${AGENT_TONE[status]}`} data-testid="agent-status" data-status={status}>
      {status}
    </span>
  );
}
