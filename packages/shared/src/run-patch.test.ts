import { describe, expect, it } from 'vitest';
import { applyRunPatch, diffRun, RunPatchMismatch, runPatchSchema } from './run-patch';
import { pendingStep } from './testing';
import type { StepRecord, WorkflowRun } from './workflow';

const step = pendingStep;

const base: WorkflowRun = {
  id: 'r1',
  name: 'deploy_application',
  title: 'Deploy',
  version: 1,
  status: 'running',
  progress: 0,
  context: { repository: 'demo', ref: 'main' },
  steps: [step('a'), step('b', { needs: ['a'] })],
  currentStep: null,
  error: null,
  startedBy: 'admin',
  createdAt: '2026-12-02T00:00:00.000Z',
  updatedAt: '2026-12-02T00:00:00.000Z',
  seq: 1,
};

/** The transition as the engine makes it: copies of what changes, the rest shared. */
function next(run: WorkflowRun, change: (r: WorkflowRun) => WorkflowRun): WorkflowRun {
  return { ...change(run), seq: run.seq + 1, updatedAt: '2026-12-02T00:00:01.000Z' };
}

const json = (v: unknown) => JSON.parse(JSON.stringify(v));

describe('run patches', () => {
  it('carry only what a step start changed, and rebuild the run from it', () => {
    const after = next(base, (r) => ({
      ...r,
      currentStep: 'a',
      steps: [{ ...r.steps[0]!, status: 'in_progress', attempt: 1, startedAt: 'x' }, r.steps[1]!],
    }));
    const patch = diffRun(base, after);
    expect(patch).toEqual({
      set: { currentStep: 'a' },
      steps: { a: { status: 'in_progress', attempt: 1, startedAt: 'x' } },
    });
    const rebuilt = applyRunPatch(base, { seq: 2, at: after.updatedAt }, json(patch));
    expect(rebuilt).toEqual(after);
    // Unchanged steps keep their identity: a UI re-renders only what changed.
    expect(rebuilt.steps[1]).toBe(base.steps[1]);
  });

  it('record removed fields, context keys and step fields, and new context keys', () => {
    const before: WorkflowRun = {
      ...base,
      rollbackOf: 'r0',
      steps: [step('a', { wait: { key: 'k', atDeadline: 'fail' } }), step('b')],
    };
    const after = next(before, (r) => {
      const { rollbackOf: _, ...rest } = r;
      const { wait: __, ...a } = r.steps[0]!;
      const { ref: ___, ...context } = r.context;
      return {
        ...rest,
        context: { ...context, agent_hostname: 'web-1' },
        steps: [a as StepRecord, r.steps[1]!],
      };
    });
    const patch = diffRun(before, after)!;
    expect(patch.unset).toEqual([['rollbackOf'], ['context', 'ref'], ['steps', 'a', 'wait']]);
    expect(patch.context).toEqual({ agent_hostname: 'web-1' });
    expect(applyRunPatch(before, { seq: 2, at: after.updatedAt }, json(patch))).toEqual(after);
  });

  it("send only the inner keys that changed of an object in the context (each step's data)", () => {
    const before: WorkflowRun = {
      ...base,
      context: { ...base.context, steps: { a: { n: 1 }, b: { n: 2 } } },
    };
    const after = next(before, (r) => {
      const { b: _, ...steps } = r.context.steps as Record<string, unknown>;
      return { ...r, context: { ...r.context, steps: { ...steps, c: { n: 3 } } } };
    });
    const patch = diffRun(before, after)!;
    expect(patch).toEqual({ contextMerge: { steps: { c: { n: 3 } } }, unset: [['context', 'steps', 'b']] });
    expect(applyRunPatch(before, { seq: 2, at: after.updatedAt }, json(patch))).toEqual(after);
  });

  it('send the whole step list when steps were added', () => {
    const after = next(base, (r) => ({ ...r, steps: [...r.steps, step('undo_a')] }));
    const patch = diffRun(base, after)!;
    expect(patch.set?.steps?.map((s) => s.id)).toEqual(['a', 'b', 'undo_a']);
    expect(applyRunPatch(base, { seq: 2, at: after.updatedAt }, json(patch))).toEqual(after);
  });

  it('see a rebuilt but equal value as unchanged', () => {
    const after = next(base, (r) => ({ ...r, context: { ...json(r.context) }, steps: json(r.steps) }));
    expect(diffRun(base, after)).toBeNull();
    expect(applyRunPatch(base, { seq: 2, at: after.updatedAt }, null)).toEqual(after);
  });

  it('refuse a patch that does not follow the run or names an unknown step', () => {
    expect(() => applyRunPatch(base, { seq: 3, at: base.updatedAt }, null)).toThrow(RunPatchMismatch);
    expect(() =>
      applyRunPatch(base, { seq: 2, at: base.updatedAt }, { steps: { nope: { status: 'in_progress' } } }),
    ).toThrow(RunPatchMismatch);
  });

  it('rebuild random sequences of transitions exactly', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let run = base;
    for (let i = 0; i < 500; i++) {
      const prev = run;
      const after = next(prev, (r) => {
        const steps = r.steps.map((s) =>
          rand(3) === 0
            ? { ...s, status: (['in_progress', 'completed', 'failed'] as const)[rand(3)]!, attempt: rand(5) }
            : s,
        );
        const context = rand(2)
          ? {
              ...r.context,
              [`k${rand(5)}`]: rand(2)
                ? { ...(r.context[`k${rand(5)}`] as object), [`m${rand(3)}`]: { x: rand(3) } }
                : rand(9),
            }
          : { ...r.context }; // a copy: the removals below must not touch the previous state
        if (rand(4) === 0) delete (context as Record<string, unknown>)[`k${rand(5)}`];
        const inner = context[`k${rand(5)}`];
        if (rand(4) === 0 && inner && typeof inner === 'object') {
          const copy = { ...(inner as Record<string, unknown>) };
          delete copy[`m${rand(3)}`];
          (context as Record<string, unknown>)[`k${rand(5)}`] = copy;
        }
        return { ...r, steps, context, progress: rand(100), error: rand(5) === 0 ? 'boom' : null };
      });
      const patch = diffRun(prev, after);
      if (patch) expect(runPatchSchema.safeParse(json(patch)).success).toBe(true);
      run = applyRunPatch(prev, { seq: after.seq, at: after.updatedAt }, json(patch));
      expect(json(run)).toEqual(json(after));
    }
  });
});
