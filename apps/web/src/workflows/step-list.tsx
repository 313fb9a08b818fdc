import type { WorkflowRun } from '@deploybot/shared';
import { concurrentSteps, groupSteps, isActiveStep } from './step-groups';
import { StepItem } from './step-item';

/**
 * The run's steps in order, each with its status mark, summary, result and (when waiting) what to do. Steps that
 * start together (same depth in the `needs` graph) sit in one bracketed group, labelled in words; while several
 * steps are active at once, the list says which.
 */
export function StepList({
  run,
  canApprove,
  canOperate,
}: {
  run: WorkflowRun;
  canApprove: boolean;
  canOperate: boolean;
}) {
  const groups = groupSteps(run.steps);
  // Steps active at once across groups (e.g. a long branch beside a short one) are named above the list; when
  // they all sit in one group, its own label already says so.
  const concurrent = concurrentSteps(run);
  const oneGroup = groups.some(
    (g) => g.kind === 'parallel' && concurrent.every((c) => g.steps.some(({ step }) => step.id === c.id)),
  );
  return (
    <>
      {concurrent.length > 0 && !oneGroup && (
        <p className="text-sm text-blue-800 dark:text-blue-300" data-testid="running-together">
          <span aria-hidden="true">∥ </span>
          {concurrent.length} steps at the same time: {concurrent.map((s) => s.title).join(', ')}
        </p>
      )}
      <ol className="flex flex-col gap-2" aria-label="Steps" data-testid="step-list">
        {groups.map((group) => {
          const item = (step: (typeof run.steps)[number], index: number, inParallel: boolean) => (
            <StepItem
              key={step.id}
              run={run}
              step={step}
              index={index}
              canApprove={canApprove}
              canOperate={canOperate}
              inParallel={inParallel}
            />
          );
          if (group.kind === 'single') return item(group.step, group.index, false);
          const active = group.steps.filter(({ step }) => isActiveStep(step)).length;
          const labelId = `parallel-${run.id}-${group.id}`;
          return (
            <li
              key={`parallel-${group.id}`}
              className="rounded-lg border-l-4 border-indigo-400 pl-2 dark:border-indigo-500"
              data-testid={`parallel-group-${group.id}`}
              data-active={active}
            >
              <p id={labelId} className="mb-1 text-xs font-semibold text-indigo-800 dark:text-indigo-300">
                <span aria-hidden="true">∥ </span>
                {active > 1
                  ? `Running in parallel: ${active} of ${group.steps.length} steps at the same time`
                  : `In parallel: ${group.steps.length} steps`}
              </p>
              <ol className="flex flex-col gap-2" aria-labelledby={labelId}>
                {group.steps.map(({ step, index }) => item(step, index, active > 1 && isActiveStep(step)))}
              </ol>
            </li>
          );
        })}
      </ol>
    </>
  );
}
