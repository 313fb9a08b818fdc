import type { StepRecord, WorkflowRun } from '@deploybot/shared';
import { StepItem } from './step-item';

/** The run's steps in order, each with its status mark, summary, result and (when waiting) what to do. */
export function StepList({
  run,
  canApprove,
  canOperate,
}: {
  run: WorkflowRun;
  canApprove: boolean;
  canOperate: boolean;
}) {
  return (
    <ol className="flex flex-col gap-2" aria-label="Steps" data-testid="step-list">
      {run.steps.map((step: StepRecord, i) => (
        <StepItem
          key={step.id}
          run={run}
          step={step}
          index={i}
          canApprove={canApprove}
          canOperate={canOperate}
        />
      ))}
    </ol>
  );
}
