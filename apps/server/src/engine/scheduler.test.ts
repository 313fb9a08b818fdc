import type { StepRecord, WorkflowRun } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { newRun, patchStep } from './run-state';
import { nextActions } from './scheduler';
import type { ExpressionScope, StepDef, WorkflowDefinition } from './types';

/** A step definition that never runs here: the scheduler only reads ids, needs and conditions. */
const step = (id: string, extra: Partial<StepDef> = {}): StepDef =>
  ({
    id,
    title: id,
    description: '',
    kind: 'automatic',
    run: async () => ({ summary: id }),
    ...extra,
  }) as StepDef;

const def = (steps: StepDef[], extra: Partial<WorkflowDefinition> = {}): WorkflowDefinition => ({
  name: 'graph',
  title: 'Graph',
  description: '',
  version: 1,
  inputs: [],
  steps,
  ...extra,
});

const AT = '2026-12-01T00:00:00.000Z';
const start = (d: WorkflowDefinition, inputs: Record<string, unknown> = {}) =>
  newRun(d, '00000000-0000-4000-8000-000000000001', inputs, 'alice', AT);
const set = (run: WorkflowRun, status: StepRecord['status'], ...ids: string[]) =>
  ids.reduce((r, id) => patchStep(r, id, { status }, AT), run);
const noScope = (): ExpressionScope => {
  throw new Error('scope asked for without a condition');
};
const scopeOf =
  (inputs: Record<string, unknown>): (() => ExpressionScope) =>
  () => ({ inputs, steps: {}, run: { id: 'r', started_by: 'alice' } });

describe('nextActions', () => {
  it('keeps a list without needs sequential: only the first step starts', () => {
    const d = def([step('a'), step('b'), step('c')]);
    expect(nextActions(d, start(d), noScope)).toEqual([{ type: 'start', stepId: 'a', condition: null }]);
    const afterA = set(start(d), 'completed', 'a');
    expect(nextActions(d, afterA, noScope)).toEqual([{ type: 'start', stepId: 'b', condition: null }]);
  });

  it('fans out to every step whose needs are met, bounded by max_parallel', () => {
    const d = def([
      step('root'),
      step('x', { needs: ['root'] }),
      step('y', { needs: ['root'] }),
      step('z', { needs: ['root'] }),
      step('join', { needs: ['x', 'y', 'z'] }),
    ]);
    const run = set(start(d), 'completed', 'root');
    expect(nextActions(d, run, noScope).map((a) => a.type === 'start' && a.stepId)).toEqual(['x', 'y', 'z']);
    const bounded = def(d.steps, { maxParallel: 2 });
    expect(nextActions(bounded, run, noScope)).toHaveLength(2);
    // One in progress counts against the bound too.
    expect(nextActions(bounded, set(run, 'in_progress', 'x'), noScope)).toEqual([
      { type: 'start', stepId: 'y', condition: null },
    ]);
  });

  it('joins only when every need is finished', () => {
    const d = def([step('x', { needs: [] }), step('y', { needs: [] }), step('join', { needs: ['x', 'y'] })]);
    const run = start(d);
    expect(nextActions(d, run, noScope).map((a) => a.type === 'start' && a.stepId)).toEqual(['x', 'y']);
    expect(nextActions(d, set(set(run, 'completed', 'x'), 'in_progress', 'y'), noScope)).toEqual([]);
    expect(nextActions(d, set(run, 'completed', 'x', 'y'), noScope)).toEqual([
      { type: 'start', stepId: 'join', condition: null },
    ]);
  });

  it('skips a step whose if is false, and a skipped need still lets the join run (if/else)', () => {
    const yes = { expression: "inputs.mode == 'a'", test: (s: ExpressionScope) => s.inputs.mode === 'a' };
    const no = { expression: "inputs.mode != 'a'", test: (s: ExpressionScope) => s.inputs.mode !== 'a' };
    const d = def([
      step('then', { needs: [], condition: yes }),
      step('else', { needs: [], condition: no }),
      step('join', { needs: ['then', 'else'] }),
    ]);
    const run = start(d, { mode: 'b' });
    expect(nextActions(d, run, scopeOf({ mode: 'b' }))).toEqual([
      { type: 'skip', stepId: 'then', expression: "inputs.mode == 'a'" },
      { type: 'start', stepId: 'else', condition: true },
    ]);
    const joined = set(set(run, 'skipped', 'then'), 'completed', 'else');
    expect(nextActions(d, joined, noScope)).toEqual([{ type: 'start', stepId: 'join', condition: null }]);
  });

  it('fails a step whose if cannot be evaluated', () => {
    const broken = {
      expression: 'steps.x.outputs.nope',
      test: () => {
        throw new Error('no such key: nope');
      },
    };
    const d = def([step('a', { condition: broken })]);
    expect(nextActions(d, start(d), scopeOf({}))).toEqual([
      { type: 'fail', stepId: 'a', error: 'if: no such key: nope' },
    ]);
  });

  it('a fatal failure ends the run; a failure with continue_on_error lets dependants run', () => {
    const d = def([step('a', { needs: [] }), step('b', { needs: [] }), step('c', { needs: ['a', 'b'] })]);
    const failed = patchStep(set(start(d), 'completed', 'b'), 'a', { status: 'failed', error: 'boom' }, AT);
    expect(nextActions(d, failed, noScope)).toEqual([
      { type: 'finish', status: 'failed', error: 'boom', stepId: 'a' },
    ]);
    const tolerated = patchStep(failed, 'a', { continueOnError: true }, AT);
    expect(nextActions(d, tolerated, noScope)).toEqual([{ type: 'start', stepId: 'c', condition: null }]);
  });

  it('completes when every step is finished, and waits while one is parked', () => {
    const d = def([step('a', { needs: [] }), step('b', { needs: [] })]);
    const parked = set(set(start(d), 'completed', 'a'), 'awaiting_approval', 'b');
    expect(nextActions(d, parked, noScope)).toEqual([]);
    expect(parked.status).toBe('waiting');
    expect(nextActions(d, set(parked, 'completed', 'b'), noScope)).toEqual([
      { type: 'finish', status: 'completed', error: null, stepId: null },
    ]);
  });

  it('several gates may wait at once while another branch runs', () => {
    const d = def([step('g1', { needs: [] }), step('g2', { needs: [] }), step('work', { needs: [] })]);
    const run = set(set(start(d), 'awaiting_approval', 'g1', 'g2'), 'in_progress', 'work');
    expect(run.status).toBe('running');
    expect(set(run, 'completed', 'work').status).toBe('waiting');
  });

  it('ends a run that can never finish (a need was cancelled) as failed', () => {
    const d = def([step('a'), step('b')]);
    const stuck = set(start(d), 'cancelled', 'a');
    expect(nextActions(d, stuck, noScope)).toMatchObject([{ type: 'finish', status: 'failed', stepId: 'b' }]);
  });

  it('does nothing for finished, queued or cancelled runs', () => {
    const d = def([step('a')]);
    for (const status of ['completed', 'failed', 'cancelled', 'queued'] as const)
      expect(nextActions(d, { ...start(d), status }, noScope)).toEqual([]);
  });
});
