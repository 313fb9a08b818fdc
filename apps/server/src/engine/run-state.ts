import type { StepRecord, StepStatus, WorkflowRun } from '@deploybot/shared';
import type { ExpressionScope, RunContext, StepResult, WorkflowDefinition } from './types';

/** Pure functions from one run state to the next; the engine commits what they return. */

export function newRun(
  def: WorkflowDefinition,
  id: string,
  inputs: Record<string, unknown>,
  startedBy: string,
  at: string,
): WorkflowRun {
  const context = { ...inputs, steps: {} };
  const run: WorkflowRun = {
    id,
    name: def.name,
    title: def.title,
    version: def.version,
    status: 'running',
    progress: 0,
    context,
    inputs,
    definitionHash: def.hash ?? null,
    concurrencyKey: null,
    rollbackOf: null,
    parent: null,
    steps: def.steps.map((s, i) => ({
      id: s.id,
      title: s.title,
      description: s.description,
      kind: s.kind,
      status: 'pending',
      needsApproval: s.kind === 'gate',
      summary: null,
      data: null,
      plan: null,
      input: null,
      error: null,
      attempt: 0,
      startedAt: null,
      finishedAt: null,
      deadline: null,
      decisions: [],
      // Fields a step does not use are left out rather than stored as null (outputs and wait come when they
      // exist; readers treat absent and null alike): every transition rewrites the whole run, and the store's
      // time per commit grows with its size (`pnpm bench`).
      ...(s.uses !== undefined && { uses: s.uses }),
      needs: needsOf(def, i),
      ...(s.condition && { condition: { expression: s.condition.expression, value: null } }),
      ...(s.continueOnError && { continueOnError: true }),
    })),
    currentStep: def.steps[0]?.id ?? null,
    error: null,
    startedBy,
    createdAt: at,
    updatedAt: at,
    seq: 1,
  };
  return { ...run, title: runTitleOf(def, run) };
}

/** The steps a step waits for: its declared `needs`, else the step listed before it. */
export function needsOf(def: WorkflowDefinition, index: number): string[] {
  const step = def.steps[index]!;
  if (step.needs) return step.needs;
  return index > 0 ? [def.steps[index - 1]!.id] : [];
}

/** The start inputs of a run (runs from before `inputs` was recorded: the context without its steps). */
export function inputsOf(run: WorkflowRun): Record<string, unknown> {
  if (run.inputs) return run.inputs;
  const { steps: _steps, ...rest } = run.context;
  return rest;
}

/** What expressions see of a run. `open` turns sealed secrets into clear text (handlers) or leaves them. */
export function scopeOf(run: WorkflowRun, open: <T>(value: T) => T = (v) => v): ExpressionScope {
  const steps: Record<string, { outputs: Record<string, unknown>; status: string }> = {};
  for (const s of run.steps) steps[s.id] = { outputs: open(s.outputs ?? {}), status: s.status };
  return { inputs: open(inputsOf(run)), steps, run: { id: run.id, started_by: run.startedBy } };
}

/** The definition's title function applied to a run, or its title when it has none (or the function throws). */
export function runTitleOf(def: WorkflowDefinition, run: WorkflowRun): string {
  if (!def.runTitle) return def.title;
  try {
    return def.runTitle(run.context as RunContext, scopeOf(run)) || def.title;
  } catch {
    // A title is never worth failing a transition for.
    return def.title;
  }
}

const FINISHED: readonly StepStatus[] = ['completed', 'skipped', 'failed', 'cancelled', 'compensated'];
/** A step that holds the run open: running, or parked on a person or an event. */
export const ACTIVE_STEP_STATUSES: readonly StepStatus[] = [
  'in_progress',
  'awaiting_input',
  'awaiting_approval',
  'awaiting_event',
];
const PARKED: readonly StepStatus[] = ['awaiting_input', 'awaiting_approval', 'awaiting_event'];

export function isParked(step: StepRecord): boolean {
  return PARKED.includes(step.status);
}

export function isStepFinished(step: StepRecord): boolean {
  return FINISHED.includes(step.status);
}

export function progressOf(steps: readonly StepRecord[]): number {
  if (steps.length === 0) return 100;
  const done = steps.filter((s) => s.status === 'completed' || s.status === 'skipped').length;
  return Math.round((done / steps.length) * 100);
}

/** The step the run is on: the first active one, else the first that is not finished. */
export function currentStepOf(run: WorkflowRun): StepRecord | undefined {
  return (
    run.steps.find((s) => ACTIVE_STEP_STATUSES.includes(s.status)) ??
    run.steps.find((s) => !isStepFinished(s))
  );
}

export function findStep(run: WorkflowRun, stepId: string): StepRecord {
  const step = run.steps.find((s) => s.id === stepId);
  if (!step) throw new Error(`run ${run.id} has no step ${stepId}`);
  return step;
}

/** Returns the run with one step patched and the derived fields (progress, current step) recomputed. */
export function patchStep(
  run: WorkflowRun,
  stepId: string,
  patch: Partial<StepRecord>,
  at: string,
): WorkflowRun {
  const steps = run.steps.map((s) => (s.id === stepId ? { ...s, ...patch } : s));
  return withDerived({ ...run, steps, updatedAt: at });
}

/**
 * Progress, current step and status follow from the steps: a run with a step in progress is `running`; one whose
 * active steps are all parked is `waiting`; finished and queued runs keep their status.
 */
function withDerived(run: WorkflowRun): WorkflowRun {
  let status = run.status;
  if (status === 'running' || status === 'waiting') {
    const inProgress = run.steps.some((s) => s.status === 'in_progress');
    status = !inProgress && run.steps.some(isParked) ? 'waiting' : 'running';
  }
  return {
    ...run,
    status,
    progress: run.status === 'completed' ? 100 : progressOf(run.steps),
    currentStep: currentStepOf(run)?.id ?? null,
  };
}

/**
 * Records a step's result: its outputs under the step (`steps.<id>.outputs`), its data under
 * `context.steps[id]`, and, for TypeScript definitions (`promote`), its outputs at the top of the context too.
 */
export function completeStep(
  run: WorkflowRun,
  stepId: string,
  result: StepResult,
  at: string,
  promote = true,
): WorkflowRun {
  const data = result.data ?? null;
  const prevSteps = (run.context.steps ?? {}) as Record<string, unknown>;
  const context = {
    ...run.context,
    ...(promote ? (result.outputs ?? {}) : {}),
    steps: { ...prevSteps, [stepId]: data },
  };
  return patchStep(
    { ...run, context },
    stepId,
    {
      status: 'completed',
      summary: result.summary,
      data,
      outputs: result.outputs ?? {},
      error: null,
      finishedAt: at,
      deadline: null,
      ...(run.steps.find((s) => s.id === stepId)?.wait != null && { wait: null }),
    },
    at,
  );
}

/**
 * Ends the run: the step at fault takes `stepStatus`; other active steps (siblings running or parked) are
 * cancelled; steps that never started take `restStatus`.
 */
export function finishRun(
  run: WorkflowRun,
  status: 'completed' | 'failed' | 'cancelled',
  opts: { error?: string | null; stepId?: string; stepStatus?: StepStatus; restStatus?: StepStatus },
  at: string,
): WorkflowRun {
  const steps = run.steps.map((s) => {
    if (isStepFinished(s)) return s;
    const isAtFault = s.id === opts.stepId || (opts.stepId === undefined && s.status !== 'pending');
    const next: StepStatus = isAtFault
      ? (opts.stepStatus ?? 'cancelled')
      : s.status === 'pending'
        ? (opts.restStatus ?? 'cancelled')
        : 'cancelled';
    return {
      ...s,
      status: next,
      error: isAtFault && opts.error ? opts.error : s.error,
      finishedAt: next === 'pending' ? s.finishedAt : at,
      deadline: null,
      ...(s.wait != null && { wait: null }),
    };
  });
  return withDerived({ ...run, steps, status, error: opts.error ?? null, updatedAt: at });
}

export function contextOf(run: WorkflowRun): RunContext {
  return run.context as RunContext;
}
