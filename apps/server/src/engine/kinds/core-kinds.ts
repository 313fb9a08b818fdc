import { createHash } from 'node:crypto';
import { DURATION_RE, inputSpecSchema, parseDuration, type WorkflowRun } from '@deploybot/shared';
import { z } from 'zod';
import type { AnyStepKind, StepKind } from '../step-kind';

/** What the `workflow` kind needs from the engine that runs it. */
export interface ChildRuns {
  start(
    name: string,
    version: number | undefined,
    inputs: Record<string, unknown>,
    startedBy: string,
    opts: { id: string; parent: { runId: string; stepId: string } },
  ): Promise<WorkflowRun>;
  get(runId: string): Promise<WorkflowRun | null>;
  cancel(runId: string, by: string, reason: string | null): Promise<void>;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** How a child run ended, as the parent's step receives it (also from `recheck`). */
interface ChildEnd {
  runId: string;
  status: string;
  error: string | null;
  outputs: Record<string, unknown>;
}

/**
 * A child's id follows from its parent's run and step, so a parent step re-run after a crash finds the child it
 * already started instead of starting a second one.
 */
export function childRunId(runId: string, stepId: string): string {
  const h = createHash('sha256').update(`child:${runId}:${stepId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const waitKind: StepKind<{ duration: string }> = {
  name: 'wait',
  version: 1,
  title: 'Wait',
  description: 'A durable timer: the step parks in the database and completes when the duration has passed.',
  params: z.strictObject({
    duration: z.string().regex(DURATION_RE, 'duration must look like 30s, 5m or 1h30m'),
  }),
  outputs: z.object({ waited_ms: z.number() }),
  run: async (ctx, { duration }) => ({
    wait: {
      key: `timer:${ctx.runId}:${ctx.stepId}`,
      summary: `Waiting ${duration}`,
      deadlineMs: parseDuration(duration),
      atDeadline: 'complete',
    },
  }),
  resume: async (_ctx, { duration }) => ({
    summary: `Waited ${duration}`,
    outputs: { waited_ms: parseDuration(duration) ?? 0 },
  }),
};

const approvalKind: StepKind<{ message: string }> = {
  name: 'approval',
  version: 1,
  title: 'Approval',
  description:
    'A step that is only a gate: it shows its message and waits for a person to approve or reject.',
  gate: 'always',
  params: z.strictObject({ message: z.string().min(1).max(2000) }),
  outputs: z.object({ approved_by: z.string(), note: z.string().nullable() }),
  plan: async (_ctx, { message }) => ({ summary: message }),
  run: async (_ctx, _params, approval) => ({
    summary: `Approved by ${approval?.by ?? 'nobody'}${approval?.note ? `: ${approval.note}` : ''}.`,
    outputs: { approved_by: approval?.by ?? '', note: approval?.note ?? null },
  }),
};

const inputParams = inputSpecSchema
  .omit({ required: true })
  .extend({ required: z.boolean().default(true) })
  .strict();

const inputKind: StepKind<z.infer<typeof inputParams>> = {
  name: 'input',
  version: 1,
  title: 'Input',
  description:
    'Asks a person for a typed value (the start form’s eight types); the value is validated on the server and becomes the output `value`.',
  params: inputParams,
  outputs: z.object({ value: z.unknown() }),
  ask: (_ctx, spec) => ({ ...spec, required: spec.required ?? true }),
  // An input step never runs: the engine parks it until the value arrives.
  run: async () => {
    throw new Error('an input step is answered by a person, not run');
  },
};

const setKind: StepKind<Record<string, unknown>> = {
  name: 'set',
  version: 1,
  title: 'Set values',
  description:
    'Outputs its arguments, evaluated: name intermediate values once (`${{ }}` expressions keep their type).',
  params: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/), z.unknown()),
  // Its outputs are whatever its `with` names: the compiler checks references against those keys.
  outputs: z.object({}).catchall(z.unknown()),
  outputsFromParams: true,
  run: async (_ctx, values) => ({
    summary: `Set ${Object.keys(values).join(', ') || 'nothing'}.`,
    outputs: values,
  }),
};

const workflowParams = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'name must be a workflow name'),
  version: z.number().int().min(1).optional(),
  inputs: z.record(z.string(), z.unknown()).default({}),
});

function workflowKind(children: ChildRuns): StepKind<z.infer<typeof workflowParams>> {
  const endOf = (run: WorkflowRun): ChildEnd => ({
    runId: run.id,
    status: run.status,
    error: run.error,
    outputs: run.context,
  });
  return {
    name: 'workflow',
    version: 1,
    title: 'Run a workflow',
    description:
      'Starts another workflow (its gates wait for people as usual) and waits, durably, until it ends; fails when it does not complete.',
    params: workflowParams,
    outputs: z.object({ run_id: z.string(), status: z.string(), outputs: z.record(z.string(), z.unknown()) }),
    run: async (ctx, { name, version, inputs }) => {
      const id = childRunId(ctx.runId, ctx.stepId);
      const child =
        (await children.get(id)) ??
        (await children.start(name, version, inputs, ctx.startedBy, {
          id,
          parent: { runId: ctx.runId, stepId: ctx.stepId },
        }));
      return {
        wait: {
          key: `run:${child.id}`,
          summary: `Waiting for run ${child.id.slice(0, 8)} (${child.title})`,
          data: { runId: child.id },
          atDeadline: 'fail',
        },
      };
    },
    resume: async (_ctx, { name }, payload) => {
      const end = payload as ChildEnd;
      if (end.status !== 'completed') {
        throw Object.assign(
          new Error(`${name} run ${end.runId.slice(0, 8)} ${end.status}${end.error ? `: ${end.error}` : ''}`),
          { retryable: false },
        );
      }
      return {
        summary: `${name} run ${end.runId.slice(0, 8)} completed.`,
        data: { runId: end.runId },
        outputs: { run_id: end.runId, status: end.status, outputs: end.outputs },
      };
    },
    recheck: async (_ctx, _params, key) => {
      const child = await children.get(key.slice('run:'.length));
      return child && TERMINAL.has(child.status) ? { payload: endOf(child) } : null;
    },
    cancelWait: async (ctx, _params, key, cancelled) => {
      await children.cancel(
        key.slice('run:'.length),
        cancelled.by,
        cancelled.reason ?? `parent run ${ctx.runId.slice(0, 8)} cancelled`,
      );
    },
  };
}

/** The engine's own kinds: timers, approvals, inputs, named values, child workflows. */
export function coreStepKinds(children: ChildRuns): AnyStepKind[] {
  return [waitKind, approvalKind, inputKind, setKind, workflowKind(children)];
}
