import type { StepRecord, StepStatus, WorkflowRun } from '@deploybot/shared';

/** A step that holds the run open right now: running, or parked on a person or an event (as the engine counts). */
const ACTIVE: readonly StepStatus[] = [
  'in_progress',
  'awaiting_approval',
  'awaiting_input',
  'awaiting_event',
];

export function isActiveStep(step: StepRecord): boolean {
  return ACTIVE.includes(step.status);
}

/** One row of the step list: a step alone, or steps that can run at the same time (a fan-out). */
export type StepGroup =
  | { kind: 'single'; step: StepRecord; index: number }
  | { kind: 'parallel'; id: string; steps: { step: StepRecord; index: number }[] };

/**
 * A step's depth in the `needs` graph: 0 without needs, else one more than its deepest need. Runs of TypeScript
 * definitions (and runs from before parallel steps) carry no `needs`: each step then waits for the one before
 * it, as the engine runs them.
 */
function depths(steps: readonly StepRecord[]): Map<string, number> {
  const indexOf = new Map(steps.map((s, i) => [s.id, i]));
  const depth = new Map<string, number>();
  const visit = (step: StepRecord, i: number, seen: Set<string>): number => {
    const known = depth.get(step.id);
    if (known !== undefined) return known;
    // A cycle cannot compile; if one arrives anyway, cut it rather than loop.
    if (seen.has(step.id)) return 0;
    seen.add(step.id);
    const needs = step.needs ?? (i > 0 ? [steps[i - 1]!.id] : []);
    let d = 0;
    for (const need of needs) {
      const at = indexOf.get(need);
      if (at !== undefined) d = Math.max(d, visit(steps[at]!, at, seen) + 1);
    }
    depth.set(step.id, d);
    return d;
  };
  for (const [i, s] of steps.entries()) visit(s, i, new Set());
  return depth;
}

/**
 * The steps in their document order, neighbours at the same depth of the `needs` graph gathered in one parallel
 * group: they start together once what they need is done, so they are shown together. A lone step stays single.
 */
export function groupSteps(steps: readonly StepRecord[]): StepGroup[] {
  const depth = depths(steps);
  const groups: StepGroup[] = [];
  let bucket: { step: StepRecord; index: number }[] = [];
  const flush = () => {
    if (bucket.length === 1) groups.push({ kind: 'single', ...bucket[0]! });
    else if (bucket.length > 1) groups.push({ kind: 'parallel', id: bucket[0]!.step.id, steps: bucket });
    bucket = [];
  };
  steps.forEach((step, index) => {
    const prev = bucket[0];
    if (prev && depth.get(prev.step.id) !== depth.get(step.id)) flush();
    bucket.push({ step, index });
  });
  flush();
  return groups;
}

/** The steps active at this moment, when there are several of them: they are running at the same time. */
export function concurrentSteps(run: WorkflowRun): StepRecord[] {
  const active = run.steps.filter(isActiveStep);
  return active.length > 1 ? active : [];
}

const DONE: readonly StepStatus[] = ['completed', 'skipped', 'compensated'];

/**
 * The run's progress from its steps: a completed, skipped or undone step is one that no longer needs doing, and
 * so is a failure the run carries on past (`continue_on_error`). A completed run is 100%.
 */
export function progressOf(run: WorkflowRun): number {
  if (run.status === 'completed' || run.steps.length === 0) return 100;
  const done = run.steps.filter(
    (s) => DONE.includes(s.status) || (s.status === 'failed' && s.continueOnError === true),
  ).length;
  return Math.round((done / run.steps.length) * 100);
}

/** "3 of 5 steps done · 1 skipped · 1 undone": the counts behind the bar, in words. */
export function progressWords(run: WorkflowRun): string {
  const count = (status: StepStatus) => run.steps.filter((s) => s.status === status).length;
  const skipped = count('skipped');
  const undone = count('compensated');
  const done = run.steps.filter(
    (s) => DONE.includes(s.status) || (s.status === 'failed' && s.continueOnError === true),
  ).length;
  const parts = [`${done} of ${run.steps.length} steps done`];
  if (skipped > 0) parts.push(`${skipped} skipped`);
  if (undone > 0) parts.push(`${undone} undone`);
  return parts.join(' · ');
}

/** The `if` that skipped a step: its expression, when the step was skipped because it was false. */
export function skippingCondition(step: StepRecord): string | null {
  if (step.status !== 'skipped' || !step.condition || step.condition.value !== false) return null;
  return step.condition.expression;
}
