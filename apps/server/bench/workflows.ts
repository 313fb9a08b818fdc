import { sleep } from '../src/engine/attempt';
import type { WorkflowDefinition } from '../src/engine/types';

export const CHAIN_WORKFLOW = 'bench_chain';
export const PARK_WORKFLOW = 'bench_park';
export const FANOUT_WORKFLOW = 'bench_fanout';
export const SLOW_WORKFLOW = 'bench_slow';
export const WIDE_WORKFLOW = 'bench_wide';
export const SLOW_STEP = 'slow';
export const FANOUT_ROOT = 'root';
export const FANOUT_JOIN = 'join';
export const fanoutBranchId = (i: number) => `branch_${i + 1}`;

/** `steps` automatic steps whose handlers return at once: what is measured is the engine and the store. */
export function chainWorkflow(steps: number): WorkflowDefinition {
  return {
    name: CHAIN_WORKFLOW,
    title: 'Benchmark chain',
    description: `${steps} automatic steps that return immediately`,
    version: 1,
    inputs: [],
    steps: Array.from({ length: steps }, (_, i) => ({
      id: `step_${i + 1}`,
      title: `Step ${i + 1}`,
      description: 'returns a small result immediately',
      kind: 'automatic' as const,
      // A small but realistic result: a summary line and some data that lands in the run's context.
      run: async () => ({ summary: `step ${i + 1} done`, data: { index: i + 1, ok: true, note: 'bench' } }),
    })),
  };
}

/**
 * One step, then `width` steps that each need only it (so all of them may start the moment it completes), then
 * one step that needs them all. `maxParallel` is the width: the engine's default bound (10) would otherwise
 * start them ten at a time, and what is measured is how quickly a whole fan-out gets under way.
 */
export function fanoutWorkflow(width: number): WorkflowDefinition {
  const branches = Array.from({ length: width }, (_, i) => fanoutBranchId(i));
  const instant = (summary: string, data: unknown) => async () => ({ summary, data });
  return {
    name: FANOUT_WORKFLOW,
    title: 'Benchmark fan-out',
    description: `1 step → ${width} parallel steps → 1 join, all returning immediately`,
    version: 1,
    inputs: [],
    maxParallel: width,
    steps: [
      {
        id: FANOUT_ROOT,
        title: 'Fan out',
        description: 'returns at once; every branch needs it',
        kind: 'automatic' as const,
        run: instant('fanned out', { branches: width }),
      },
      ...branches.map((id, i) => ({
        id,
        title: `Branch ${i + 1}`,
        description: 'returns a small result immediately',
        kind: 'automatic' as const,
        needs: [FANOUT_ROOT],
        run: instant(`branch ${i + 1} done`, { index: i + 1, ok: true, note: 'bench' }),
      })),
      {
        id: FANOUT_JOIN,
        title: 'Join',
        description: 'needs every branch',
        kind: 'automatic' as const,
        needs: branches,
        run: instant('joined', { branches: width }),
      },
    ],
  };
}

/**
 * A large run: one step, `width` parallel steps, a join, then `tail` steps one after another (50 + 48 + 2 = 100
 * steps by default), all returning at once. The run-size scenario compares what one transition costs in it with
 * what it costs in a 4-step chain: a transition should not get dearer as the run it belongs to grows.
 */
export function wideWorkflow(width: number, tail: number): WorkflowDefinition {
  const fanout = fanoutWorkflow(width);
  return {
    ...fanout,
    name: WIDE_WORKFLOW,
    title: 'Benchmark large run',
    description: `1 step → ${width} parallel steps → 1 join → ${tail} steps in a row, all returning immediately`,
    steps: [
      ...fanout.steps,
      // No `needs`: each waits for the step listed before it, the first for the join.
      ...Array.from({ length: tail }, (_, i) => ({
        id: `after_${i + 1}`,
        title: `After ${i + 1}`,
        description: 'returns a small result immediately',
        kind: 'automatic' as const,
        run: async () => ({
          summary: `after ${i + 1} done`,
          data: { index: i + 1, ok: true, note: 'bench' },
        }),
      })),
    ],
  };
}

/**
 * One gate whose plan returns at once, so every run parks `waiting` for an approval that never comes (or until
 * `deadlineMs`, when given: then the engine holds a timer for the earliest such deadline).
 */
export function parkWorkflow(opts: { deadlineMs?: number } = {}): WorkflowDefinition {
  return {
    name: PARK_WORKFLOW,
    title: 'Benchmark gate',
    description: 'parks at a gate',
    version: 1,
    inputs: [],
    steps: [
      {
        id: 'approve',
        title: 'Approve',
        description: 'waits for a person',
        kind: 'gate',
        plan: async () => ({ summary: 'would change 1 thing', data: { changes: 1 } }),
        apply: async () => ({ summary: 'applied' }),
        deadlineMs: opts.deadlineMs,
      },
    ],
  };
}

/**
 * One step that takes `ms` (honouring its abort signal, as a real step must), then one that returns at once: the
 * cluster scenario kills the owner while the slow steps are in flight and times how long they take to move again.
 */
export function slowWorkflow(ms: number): WorkflowDefinition {
  return {
    name: SLOW_WORKFLOW,
    title: 'Benchmark slow step',
    description: `a ${ms} ms step, then an instant one`,
    version: 1,
    inputs: [],
    steps: [
      {
        id: SLOW_STEP,
        title: 'Slow',
        description: `sleeps ${ms} ms`,
        kind: 'automatic' as const,
        run: async (ctx) => {
          await sleep(ms, ctx.signal);
          return { summary: `slept ${ms} ms`, data: { ms } };
        },
      },
      {
        id: 'after',
        title: 'After',
        description: 'returns a small result immediately',
        kind: 'automatic' as const,
        needs: [SLOW_STEP],
        run: async () => ({ summary: 'done', data: { ok: true } }),
      },
    ],
  };
}
