import type { StepRecord, StepStatus, WorkflowRun } from '@deploybot/shared';
import type { RunContext, StepResult, WorkflowDefinition } from './types';

/** Pure functions from one run state to the next; the engine commits what they return. */

export function newRun(
  def: WorkflowDefinition,
  id: string,
  inputs: Record<string, unknown>,
  startedBy: string,
  at: string,
): WorkflowRun {
  const context = { ...inputs, steps: {} };
  return {
    id,
    name: def.name,
    title: runTitleOf(def, context),
    version: def.version,
    status: 'running',
    progress: 0,
    context,
    steps: def.steps.map((s) => ({
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
    })),
    currentStep: def.steps[0]?.id ?? null,
    error: null,
    startedBy,
    createdAt: at,
    updatedAt: at,
    seq: 1,
  };
}

/** The definition's title function applied to a context, or its title when it has none (or the function throws). */
export function runTitleOf(def: WorkflowDefinition, context: Record<string, unknown>): string {
  if (!def.runTitle) return def.title;
  try {
    return def.runTitle(context as RunContext) || def.title;
  } catch {
    // A title is never worth failing a transition for.
    return def.title;
  }
}

const FINISHED: readonly StepStatus[] = ['completed', 'skipped', 'failed', 'cancelled'];

export function isStepFinished(step: StepRecord): boolean {
  return FINISHED.includes(step.status);
}

export function progressOf(steps: readonly StepRecord[]): number {
  if (steps.length === 0) return 100;
  const done = steps.filter((s) => s.status === 'completed' || s.status === 'skipped').length;
  return Math.round((done / steps.length) * 100);
}

/** The step the run is on: the first that is not finished. */
export function currentStepOf(run: WorkflowRun): StepRecord | undefined {
  return run.steps.find((s) => !isStepFinished(s));
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

function withDerived(run: WorkflowRun): WorkflowRun {
  return {
    ...run,
    progress: run.status === 'completed' ? 100 : progressOf(run.steps),
    currentStep: run.steps.find((s) => !isStepFinished(s))?.id ?? null,
  };
}

/** Records a step's result: its data under `context.steps[id]`, its outputs promoted to the top level. */
export function completeStep(run: WorkflowRun, stepId: string, result: StepResult, at: string): WorkflowRun {
  const data = result.data ?? null;
  const prevSteps = (run.context.steps ?? {}) as Record<string, unknown>;
  const context = { ...run.context, ...(result.outputs ?? {}), steps: { ...prevSteps, [stepId]: data } };
  return patchStep(
    { ...run, context },
    stepId,
    { status: 'completed', summary: result.summary, data, error: null, finishedAt: at, deadline: null },
    at,
  );
}

/** Ends the run: the step at fault takes `stepStatus`, later unfinished steps `restStatus`. */
export function finishRun(
  run: WorkflowRun,
  status: 'completed' | 'failed' | 'cancelled',
  opts: { error?: string | null; stepId?: string; stepStatus?: StepStatus; restStatus?: StepStatus },
  at: string,
): WorkflowRun {
  const steps = run.steps.map((s) => {
    if (isStepFinished(s)) return s;
    const isAtFault = s.id === opts.stepId || (opts.stepId === undefined && s.status !== 'pending');
    const next: StepStatus = isAtFault ? (opts.stepStatus ?? 'cancelled') : (opts.restStatus ?? 'cancelled');
    return {
      ...s,
      status: next,
      error: isAtFault && opts.error ? opts.error : s.error,
      finishedAt: next === 'pending' ? s.finishedAt : at,
      deadline: null,
    };
  });
  return withDerived({ ...run, steps, status, error: opts.error ?? null, updatedAt: at });
}

export function contextOf(run: WorkflowRun): RunContext {
  return run.context as RunContext;
}
