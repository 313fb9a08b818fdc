import type { WorkflowDefinition } from '../src/engine/types';

export const CHAIN_WORKFLOW = 'bench_chain';
export const PARK_WORKFLOW = 'bench_park';

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

/** One gate whose plan returns at once, so every run parks `waiting` for an approval that never comes. */
export function parkWorkflow(): WorkflowDefinition {
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
      },
    ],
  };
}
