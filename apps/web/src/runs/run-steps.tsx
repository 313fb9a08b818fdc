import type { Decision, StepRecord, WorkflowRun } from '@deploybot/shared';
import { Markdown } from '../chat/markdown';
import { formatTime } from '../lib/format';
import { ApprovalPanel } from '../workflows/approval-panel';
import { JsonView } from '../workflows/json-view';
import { QueuedBehind } from '../workflows/queued-behind';
import { SkippedCondition } from '../workflows/skipped-condition';
import { StatusIcon } from '../workflows/status-icon';
import { groupSteps, isActiveStep, skippingCondition } from '../workflows/step-groups';
import { StepInputPanel } from '../workflows/step-input-panel';
import { STEP_STATUS_VIEW } from '../workflows/step-status';
import { Duration } from './duration';
import { errorHeadline } from './timing';

const DECISION_TEXT: Record<Decision['decision'], string> = {
  approved: '✓ Approved',
  rejected: '✗ Rejected',
  input: '✎ Input',
};

function Decisions({ decisions }: { decisions: Decision[] }) {
  if (decisions.length === 0) return null;
  return (
    <ul className="mt-1 space-y-0.5 text-sm" aria-label="Decisions">
      {decisions.map((d) => (
        <li key={`${d.at}-${d.decision}`} data-testid="decision" data-decision={d.decision}>
          <span className={d.decision === 'rejected' ? 'text-red-700 dark:text-red-400' : ''}>
            {DECISION_TEXT[d.decision]}
          </span>{' '}
          by <strong data-testid="decision-by">{d.by}</strong> at{' '}
          <time dateTime={d.at}>{formatTime(d.at)}</time>
          {d.note && (
            <span className="text-slate-700 dark:text-slate-300" data-testid="decision-note">
              : “{d.note}”
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

/** A step's result other than a log tail (the page shows the whole log): its report and its data. */
function Result({ step }: { step: StepRecord }) {
  if (step.data === null || step.data === undefined) return null;
  const data = step.data as { markdown?: unknown } | null;
  return (
    <div className="mt-1">
      {typeof data?.markdown === 'string' && (
        <section
          className="max-h-96 overflow-auto rounded border border-slate-200 p-2 text-sm dark:border-slate-700"
          aria-label={`${step.title} report`}
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable report must be reachable to scroll it by keyboard
          tabIndex={0}
        >
          <Markdown text={data.markdown} />
        </section>
      )}
      <JsonView label="Result data" value={step.data} />
    </div>
  );
}

function StepRow(props: {
  run: WorkflowRun;
  step: StepRecord;
  index: number;
  canApprove: boolean;
  canOperate: boolean;
  logShown: boolean;
  inParallel: boolean;
}) {
  const { run, step, index, canApprove, canOperate, logShown, inParallel } = props;
  const view = STEP_STATUS_VIEW[step.status];
  const skippedBy = skippingCondition(step);
  return (
    <li
      className="flex gap-3 border-t border-slate-200 py-2 first:border-t-0 dark:border-slate-700"
      data-testid={`run-step-${step.id}`}
      data-status={step.status}
    >
      <StatusIcon view={view} className={step.status === 'in_progress' ? 'motion-safe:animate-pulse' : ''} />
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-baseline gap-x-3">
          <h3 className="font-medium">
            <span className="sr-only">Step {index + 1}: </span>
            {step.title}
          </h3>
          <span className={`text-xs ${view.tone}`}>
            {view.label}
            {step.attempt > 1 && ` · attempt ${step.attempt}`}
            {inParallel && <span data-testid="parallel-mark"> · in parallel</span>}
          </span>
          <span className="ml-auto text-sm text-slate-600 dark:text-slate-400">
            <Duration from={step.startedAt} until={step.finishedAt} testId="step-duration" />
          </span>
        </div>
        {skippedBy !== null ? (
          <SkippedCondition expression={skippedBy} />
        ) : (
          step.summary && <p className="text-sm break-words">{step.summary}</p>
        )}
        {step.error && (
          <p
            className="mt-1 text-sm whitespace-pre-wrap break-words text-red-700 dark:text-red-400"
            data-testid="run-failure"
          >
            {logShown ? errorHeadline(step.error) : step.error}
          </p>
        )}
        <Decisions decisions={step.decisions} />
        {step.status === 'awaiting_approval' && (
          <ApprovalPanel run={run} step={step} canApprove={canApprove} />
        )}
        {step.status === 'awaiting_input' && <StepInputPanel run={run} step={step} canOperate={canOperate} />}
        <Result step={step} />
      </div>
    </li>
  );
}

/**
 * Every step with its status, duration (ticking while it runs), decisions (who, when, note) and failure. Steps
 * that start together sit in one labelled group; a queued run first says which run it waits for.
 */
export function RunSteps(props: {
  run: WorkflowRun;
  canApprove: boolean;
  canOperate: boolean;
  /** The run's job log is on the page: errors leave out the log tail they carry. */
  logShown: boolean;
}) {
  const { run } = props;
  return (
    <>
      <QueuedBehind run={run} />
      <ol className="flex flex-col" aria-label="Steps" data-testid="run-steps">
        {groupSteps(run.steps).map((group) => {
          if (group.kind === 'single')
            return (
              <StepRow
                key={group.step.id}
                {...props}
                step={group.step}
                index={group.index}
                inParallel={false}
              />
            );
          const active = group.steps.filter(({ step }) => isActiveStep(step)).length;
          const labelId = `run-parallel-${group.id}`;
          return (
            <li
              key={`parallel-${group.id}`}
              className="border-t border-slate-200 py-2 first:border-t-0 dark:border-slate-700"
              data-testid={`run-parallel-group-${group.id}`}
              data-active={active}
            >
              <p id={labelId} className="text-xs font-semibold text-indigo-800 dark:text-indigo-300">
                <span aria-hidden="true">∥ </span>
                {active > 1
                  ? `Running in parallel: ${active} of ${group.steps.length} steps at the same time`
                  : `In parallel: ${group.steps.length} steps`}
              </p>
              <ol
                className="mt-1 flex flex-col border-l-4 border-indigo-400 pl-3 dark:border-indigo-500"
                aria-labelledby={labelId}
              >
                {group.steps.map(({ step, index }) => (
                  <StepRow
                    key={step.id}
                    {...props}
                    step={step}
                    index={index}
                    inParallel={active > 1 && isActiveStep(step)}
                  />
                ))}
              </ol>
            </li>
          );
        })}
      </ol>
    </>
  );
}
