import type { WorkflowRun } from '@deploybot/shared';
import type { RollbackItem } from './engine';
import type { WorkflowDefinition } from './types';

/** What the rollback workflow needs from the engine that runs it. */
export interface RollbackPort {
  load(runId: string): Promise<WorkflowRun>;
  plan(run: WorkflowRun): RollbackItem[];
  /**
   * Undoes one step of `runId` and marks it compensated; null when there was nothing to do. `undoing` is the
   * rollback run's attempt at it: the same attempt (after a restart) finds what it started, another one (a
   * second rollback after a failed one) starts afresh.
   */
  compensate(
    runId: string,
    stepId: string,
    by: string,
    signal: AbortSignal,
    undoing: { runId: string; attempt: number },
  ): Promise<string | null>;
}

function describePlan(run: WorkflowRun, items: RollbackItem[]): string {
  const undo = items.filter((i) => i.undo !== null);
  const lines = items.map((i, n) => `${n + 1}. ${i.title}: ${i.undo ?? 'nothing to undo'}`);
  const head =
    undo.length === 0
      ? `Nothing to undo in run ${run.id.slice(0, 8)} (${run.title}).`
      : `Undo ${undo.length} step${undo.length === 1 ? '' : 's'} of run ${run.id.slice(0, 8)} (${run.title}), most recent first:`;
  return [head, ...lines].join('\n');
}

/**
 * The engine's own workflow that undoes a run: a gate shows the plan (every completed step, most recent first,
 * with its compensation or "nothing to undo"), then each compensation runs in that order. Each original step is
 * marked `compensated` as soon as its undo is done, so a restart continues where it stopped. An automatic
 * rollback (`on_failure: rollback`) skips the gate.
 */
export function rollbackWorkflow(port: RollbackPort): WorkflowDefinition {
  return {
    name: 'rollback',
    title: 'Roll back a run',
    description: 'Undo what a completed or failed run did, in reverse order, after approval of the plan.',
    version: 1,
    builtIn: true,
    inputs: [
      { key: 'run_id', label: 'Run to roll back', type: 'text', required: true, pattern: '^[0-9a-f-]{36}$' },
      {
        key: 'automatic',
        label: 'Without approval',
        type: 'choice',
        choices: ['yes', 'no'],
        required: false,
      },
    ],
    runTitle: (c) => `Roll back run ${String(c.run_id).slice(0, 8)}`,
    steps: [
      {
        id: 'review_plan',
        title: 'Review rollback plan',
        description: 'Which completed steps will be undone, in reverse order, and how.',
        kind: 'gate',
        condition: {
          expression: "inputs.automatic != 'yes'",
          test: (scope) => scope.inputs.automatic !== 'yes',
        },
        plan: async (ctx) => {
          const target = await port.load(ctx.context.run_id as string);
          const items = port.plan(target);
          return { summary: describePlan(target, items), data: { runId: target.id, items } };
        },
        apply: async (_ctx, plan, decision) => ({
          summary: `Rollback approved by ${decision.by}.`,
          data: plan.data,
        }),
      },
      {
        id: 'undo',
        title: 'Undo steps',
        description: 'Run each compensation, most recent step first.',
        kind: 'automatic',
        run: async (ctx) => {
          const target = await port.load(ctx.context.run_id as string);
          const items = port.plan(target);
          const done: Array<{ stepId: string; result: string | null }> = [];
          for (const item of items) {
            if (item.undo === null) continue;
            const result = await port.compensate(target.id, item.stepId, ctx.startedBy, ctx.signal, {
              runId: ctx.runId,
              attempt: ctx.attempt,
            });
            done.push({ stepId: item.stepId, result });
          }
          const undone = done.filter((d) => d.result !== null);
          return {
            summary:
              undone.length === 0
                ? 'Nothing to undo.'
                : `Undid ${undone.map((d) => `${d.stepId} (${d.result})`).join('; ')}.`,
            data: { runId: target.id, undone },
          };
        },
      },
    ],
  };
}
