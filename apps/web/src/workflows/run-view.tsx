import { TERMINAL_RUN_STATUSES } from '@deploybot/shared';
import { useCan } from '../auth/can';
import { JobLogPanel } from '../fleet/job-log-panel';
import { formatTime, shortId } from '../lib/format';
import { linkProps, runPath } from '../lib/router';
import { runOwnError } from '../runs/timing';
import { useAppStore } from '../stores/store';
import { CancelRun } from './cancel-run';
import { ProgressBar } from './progress-bar';
import { QueuedBehind } from './queued-behind';
import { StatusIcon } from './status-icon';
import { progressOf, progressWords } from './step-groups';
import { StepList } from './step-list';
import { RUN_STATUS_VIEW } from './step-status';

/** The selected run: status, progress, steps, the deployment's live log and Cancel. */
export function RunView({ runId }: { runId: string }) {
  const run = useAppStore((s) => s.runs[runId]);
  const error = useAppStore((s) => s.actionErrors[runId]);
  const errorStep = useAppStore((s) => s.actionErrorSteps[runId]);
  const canApprove = useCan('approver');
  const canOperate = useCan('operator');
  if (!run) return <p className="p-3 text-sm">Loading run {shortId(runId)}…</p>;
  const finished = TERMINAL_RUN_STATUSES.includes(run.status);
  const view = RUN_STATUS_VIEW[run.status];
  const ownError = runOwnError(run);
  const jobId = typeof run.context.job_id === 'string' ? run.context.job_id : null;
  return (
    <section
      className="flex flex-col gap-3"
      aria-labelledby="run-title"
      data-testid="run-view"
      data-run-id={run.id}
    >
      <div>
        <h3 id="run-title" className="font-semibold">
          {run.title}
        </h3>
        <p className="text-xs text-slate-600 dark:text-slate-400">
          Run {shortId(run.id)} · started by {run.startedBy} at {formatTime(run.createdAt)} ·{' '}
          <a
            {...linkProps(runPath(run.id))}
            className="text-blue-700 underline dark:text-blue-400"
            data-testid="open-run-page"
          >
            Open run page
          </a>
        </p>
        <p
          className={`mt-1 flex items-center gap-1 text-sm font-medium ${view.tone}`}
          data-testid="run-status"
          data-status={run.status}
        >
          <StatusIcon view={view} />
          {view.label}
        </p>
      </div>
      <QueuedBehind run={run} />
      <ProgressBar value={progressOf(run)} label={`${run.title} progress`} detail={progressWords(run)} />
      {ownError && (
        <p
          className="rounded-md bg-red-50 p-2 text-sm whitespace-pre-wrap text-red-800 dark:bg-red-950/40 dark:text-red-300"
          data-testid="run-error"
        >
          {ownError}
        </p>
      )}
      <StepList run={run} canApprove={canApprove} canOperate={canOperate} />
      {jobId && <JobLogPanel jobId={jobId} />}
      {!finished && canOperate && <CancelRun runId={run.id} />}
      {/* An error about a step that still waits shows at that step's panel; anything else shows here. */}
      {error &&
        !run.steps.some(
          (s) => s.id === errorStep && (s.status === 'awaiting_approval' || s.status === 'awaiting_input'),
        ) && (
          <p role="alert" className="text-sm text-red-700 dark:text-red-400">
            {error}
          </p>
        )}
    </section>
  );
}
