import { type StepRecord, TERMINAL_RUN_STATUSES, type WorkflowRun } from '@deploybot/shared';
import { formatTime } from '../lib/format';
import { errorHeadline } from '../runs/timing';
import { ApprovalPanel } from './approval-panel';
import { EnrollCommand } from './enroll-command';
import { SkippedCondition } from './skipped-condition';
import { StatusIcon } from './status-icon';
import { skippingCondition } from './step-groups';
import { StepInputPanel } from './step-input-panel';
import { StepResult } from './step-result';
import { STEP_STATUS_VIEW } from './step-status';

interface Props {
  run: WorkflowRun;
  step: StepRecord;
  index: number;
  canApprove: boolean;
  canOperate: boolean;
  /** Active while other steps of its parallel group are: marked so in words. */
  inParallel?: boolean;
}

/** register_agent's first step carries the agent start command (and, when sealed, which secret it needs). */
function enrollmentOf(
  step: StepRecord,
): { command: string; secret: { key: string; placeholder: string } | null } | null {
  const data = step.data as { command?: unknown; secret?: unknown; placeholder?: unknown } | null;
  if (typeof data?.command !== 'string') return null;
  const sealed = typeof data.secret === 'string' && typeof data.placeholder === 'string';
  return {
    command: data.command,
    secret: sealed ? { key: data.secret as string, placeholder: data.placeholder as string } : null,
  };
}

export function StepItem({ run, step, index, canApprove, canOperate, inParallel = false }: Props) {
  const view = STEP_STATUS_VIEW[step.status];
  const skippedBy = skippingCondition(step);
  const enrollment = enrollmentOf(step);
  const current =
    step.status === 'awaiting_approval' ||
    step.status === 'awaiting_input' ||
    step.status === 'awaiting_event' ||
    step.status === 'in_progress';
  return (
    <li
      data-testid={`step-${step.id}`}
      data-status={step.status}
      aria-current={current ? 'step' : undefined}
      className={`rounded-lg border p-3 ${current ? 'border-blue-300 bg-blue-50/60 dark:border-blue-800 dark:bg-blue-950/30' : 'border-slate-200 dark:border-slate-700'}`}
    >
      <div className="flex items-start gap-2">
        <StatusIcon
          view={view}
          className={step.status === 'in_progress' ? 'motion-safe:animate-pulse' : ''}
        />
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-baseline justify-between gap-x-2">
            <h4 className="font-medium">
              <span className="sr-only">Step {index + 1}: </span>
              {step.title}
              {step.needsApproval && (
                <span className="ml-1 text-xs font-normal text-slate-600 dark:text-slate-400">(gate)</span>
              )}
            </h4>
            <span className={`text-xs ${view.tone}`} data-testid="step-status-label">
              {view.label}
              {step.attempt > 1 && ` · attempt ${step.attempt}`}
              {inParallel && <span data-testid="parallel-mark"> · in parallel</span>}
            </span>
          </div>
          {skippedBy !== null ? (
            <SkippedCondition expression={skippedBy} className="mt-1" />
          ) : step.summary ? (
            <p className="mt-1 text-sm break-words" data-testid="step-summary">
              {step.summary}
            </p>
          ) : (
            <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">{step.description}</p>
          )}
          {step.error && (
            <p
              className="mt-1 text-sm whitespace-pre-wrap break-words text-red-700 dark:text-red-400"
              data-testid="step-error"
            >
              {/* The job's log is shown below the steps: the error's own words only, each failure once. */}
              {errorHeadline(step.error)}
            </p>
          )}
          {enrollment && !TERMINAL_RUN_STATUSES.includes(run.status) && (
            <EnrollCommand runId={run.id} {...enrollment} />
          )}
          {step.status === 'awaiting_approval' && (
            <ApprovalPanel run={run} step={step} canApprove={canApprove} />
          )}
          {step.status === 'awaiting_input' && (
            <StepInputPanel run={run} step={step} canOperate={canOperate} />
          )}
          {step.decisions.length > 0 && (
            <ul
              className="mt-2 space-y-0.5 text-xs text-slate-600 dark:text-slate-400"
              data-testid="step-decisions"
            >
              {step.decisions.map((d) => (
                <li key={`${d.at}-${d.decision}`}>
                  {d.decision === 'approved'
                    ? '✓ Approved'
                    : d.decision === 'rejected'
                      ? '✗ Rejected'
                      : '✎ Input'}{' '}
                  by {d.by} at {formatTime(d.at)}
                  {d.note ? `: “${d.note}”` : ''}
                </li>
              ))}
            </ul>
          )}
          {step.data !== null && step.data !== undefined && <StepResult step={step} />}
        </div>
      </div>
    </li>
  );
}
