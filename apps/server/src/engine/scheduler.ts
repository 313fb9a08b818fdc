import type { StepRecord, WorkflowRun } from '@deploybot/shared';
import { messageOf } from './attempt';
import { needsOf } from './run-state';
import type { ExpressionScope, WorkflowDefinition } from './types';

/**
 * What the driver does next with a run, decided from the definition and the run's state alone: a pure function,
 * so fan-out, fan-in, skips and failures are tested without a database, a clock or a server.
 */
export type Action =
  /** Its needs are met and its `if` held (or it has none): start it. */
  | { type: 'start'; stepId: string; condition: boolean | null }
  /** Its `if` was false: skip it, recording the expression and its value. */
  | { type: 'skip'; stepId: string; expression: string }
  /** Its `if` could not be evaluated: the step fails with the expression's error. */
  | { type: 'fail'; stepId: string; error: string }
  /** Nothing is left to do: the run ends. */
  | { type: 'finish'; status: 'completed' | 'failed'; error: string | null; stepId: string | null };

export const DEFAULT_MAX_PARALLEL = 10;

/** A need is met when the step completed, was skipped, or failed without failing the run (`continue_on_error`). */
function isMet(step: StepRecord | undefined): boolean {
  if (!step) return false;
  return (
    step.status === 'completed' ||
    step.status === 'skipped' ||
    (step.status === 'failed' && step.continueOnError === true)
  );
}

/** A step that failed and takes the run with it. */
function isFatal(step: StepRecord): boolean {
  return step.status === 'failed' && step.continueOnError !== true;
}

/**
 * The next actions for a running or waiting run. `scope` is asked for only when a condition must be evaluated.
 * Conditions are evaluated once: the value is recorded with the skip or start, and a step that already left
 * `pending` is never re-decided.
 */
export function nextActions(
  def: WorkflowDefinition,
  run: WorkflowRun,
  scope: () => ExpressionScope,
): Action[] {
  if (run.status !== 'running' && run.status !== 'waiting') return [];
  const records = new Map(run.steps.map((s) => [s.id, s]));
  const fatal = run.steps.find(isFatal);
  if (fatal) return [{ type: 'finish', status: 'failed', error: fatal.error, stepId: fatal.id }];

  const actions: Action[] = [];
  let active = run.steps.filter((s) => s.status === 'in_progress').length;
  const limit = def.maxParallel ?? DEFAULT_MAX_PARALLEL;
  let cachedScope: ExpressionScope | undefined;
  const scopeOnce = () => {
    cachedScope ??= scope();
    return cachedScope;
  };

  def.steps.forEach((stepDef, index) => {
    const record = records.get(stepDef.id);
    if (record?.status !== 'pending') return;
    const needs = record.needs ?? needsOf(def, index);
    if (!needs.every((id) => isMet(records.get(id)))) return;
    if (stepDef.condition) {
      let holds: boolean;
      try {
        holds = stepDef.condition.test(scopeOnce());
      } catch (err) {
        actions.push({ type: 'fail', stepId: stepDef.id, error: `if: ${messageOf(err)}` });
        return;
      }
      if (!holds) {
        actions.push({ type: 'skip', stepId: stepDef.id, expression: stepDef.condition.expression });
        return;
      }
    }
    if (active >= limit) return;
    active++;
    actions.push({ type: 'start', stepId: stepDef.id, condition: stepDef.condition ? true : null });
  });

  if (actions.length > 0) return actions;
  const anyActive = run.steps.some((s) => s.status === 'in_progress' || s.status.startsWith('awaiting_'));
  if (anyActive) return [];
  const blocked = run.steps.find((s) => s.status === 'pending');
  if (!blocked) return [{ type: 'finish', status: 'completed', error: null, stepId: null }];
  // Nothing runs and nothing can start (a need was cancelled or compensated): end it rather than leave it open.
  return [
    {
      type: 'finish',
      status: 'failed',
      error: `step "${blocked.id}" can never start: one of its needs did not finish`,
      stepId: blocked.id,
    },
  ];
}
