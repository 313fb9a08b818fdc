import type { WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgliteDb } from '../db/pglite-db';
import { createEngineHarness, isStatus } from '../testing/engine-harness';
import { createPgliteTestDb } from '../testing/test-db';
import { EngineError, RunCancelledError } from './errors';
import type { StepContext, WorkflowDefinition } from './types';

let db: PgliteDb;
beforeAll(async () => {
  db = await createPgliteTestDb();
});
afterAll(async () => {
  await db.close();
});

function def(
  name: string,
  steps: WorkflowDefinition['steps'],
  inputs: WorkflowDefinition['inputs'] = [],
): WorkflowDefinition {
  return { name, title: name, description: `${name} test workflow`, version: 1, inputs, steps };
}

const stepStatuses = (run: WorkflowRun) => Object.fromEntries(run.steps.map((s) => [s.id, s.status]));
const expectEngineError = async (p: Promise<unknown>, code: string, message?: RegExp) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EngineError);
  expect((err as EngineError).code).toBe(code);
  if (message) expect((err as EngineError).message).toMatch(message);
  return err as EngineError;
};

describe('automatic steps', () => {
  it('runs steps in order, chains context, promotes outputs and reaches 100%', async () => {
    const seen: unknown[] = [];
    const h = createEngineHarness(db, [
      def(
        'chain',
        [
          {
            id: 'first',
            title: 'First',
            description: 'makes a number',
            kind: 'automatic',
            run: async (ctx) => ({
              summary: `got ${ctx.context.who}`,
              data: { n: 41 },
              outputs: { agent_id: 'a-1' },
            }),
          },
          {
            id: 'second',
            title: 'Second',
            description: 'reads it',
            kind: 'automatic',
            run: async (ctx) => {
              seen.push(
                ctx.context.steps.first,
                ctx.context.agent_id,
                ctx.idempotencyKey === `${ctx.runId}:second`,
              );
              return { summary: 'added one', data: { n: (ctx.context.steps.first as { n: number }).n + 1 } };
            },
          },
        ],
        [{ key: 'who', label: 'Who', type: 'text', required: true }],
      ),
    ]);
    const started = await h.engine.start('chain', { who: 'ops' }, 'alice');
    expect(started).toMatchObject({ status: 'running', progress: 0, startedBy: 'alice', seq: 1 });
    const done = await h.waitFor(started.id, isStatus('completed'));
    expect(done.progress).toBe(100);
    expect(done.context).toMatchObject({
      who: 'ops',
      agent_id: 'a-1',
      steps: { first: { n: 41 }, second: { n: 42 } },
    });
    expect(done.steps.map((s) => [s.id, s.status, s.summary])).toEqual([
      ['first', 'completed', 'got ops'],
      ['second', 'completed', 'added one'],
    ]);
    expect(seen).toEqual([{ n: 41 }, 'a-1', true]);
    const events = h.eventsOf(started.id);
    expect(events.map((e) => e.type)).toEqual([
      'run.started',
      'step.started',
      'step.completed',
      'step.started',
      'step.completed',
      'run.completed',
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    // Every event is durable: what was emitted is exactly what the events table holds.
    const stored = await h.store.eventsAfter(started.id, 0);
    expect(stored.map((e) => [e.seq, e.type])).toEqual(events.map((e) => [e.seq, e.type]));
    expect(await h.store.getRun(started.id)).toEqual(done);
  });

  it('skips a step whose `when` is false and still completes', async () => {
    const h = createEngineHarness(db, [
      def(
        'skippy',
        [
          { id: 'a', title: 'A', description: '', kind: 'automatic', run: async () => ({ summary: 'a' }) },
          {
            id: 'b',
            title: 'B',
            description: '',
            kind: 'automatic',
            condition: { expression: "inputs.flag == 'yes'", test: (scope) => scope.inputs.flag === 'yes' },
            run: async () => ({ summary: 'b ran' }),
          },
        ],
        [{ key: 'flag', label: 'Flag', type: 'choice', choices: ['yes', 'no'], required: true }],
      ),
    ]);
    const run = await h.engine.start('skippy', { flag: 'no' }, 'bob');
    const done = await h.waitFor(run.id, isStatus('completed'));
    expect(stepStatuses(done)).toEqual({ a: 'completed', b: 'skipped' });
    expect(done.progress).toBe(100);
    expect(h.eventsOf(run.id).map((e) => e.type)).toContain('step.skipped');
  });

  it('fails the run with the validation message and skips the rest', async () => {
    let ran = false;
    const h = createEngineHarness(db, [
      def('guarded', [
        {
          id: 'check',
          title: 'Check',
          description: '',
          kind: 'automatic',
          validate: () => 'hostname web-01 is already registered',
          run: async () => {
            ran = true;
            return { summary: 'never' };
          },
        },
        {
          id: 'later',
          title: 'Later',
          description: '',
          kind: 'automatic',
          run: async () => ({ summary: 'later' }),
        },
      ]),
    ]);
    const run = await h.engine.start('guarded', {}, 'bob');
    const failed = await h.waitFor(run.id, isStatus('failed'));
    expect(ran).toBe(false);
    expect(failed.error).toBe('hostname web-01 is already registered');
    expect(failed.steps[0]).toMatchObject({
      status: 'failed',
      error: 'hostname web-01 is already registered',
    });
    expect(failed.steps[1]?.status).toBe('pending'); // never ran
    expect(failed.progress).toBe(0);
  });

  it('fails the run with the handler error message', async () => {
    const h = createEngineHarness(db, [
      def('boom', [
        {
          id: 'x',
          title: 'X',
          description: '',
          kind: 'automatic',
          run: async () => {
            throw new Error('repository myorg/nope not found');
          },
        },
      ]),
    ]);
    const run = await h.engine.start('boom', {}, 'bob');
    const failed = await h.waitFor(run.id, isStatus('failed'));
    expect(failed.error).toBe('repository myorg/nope not found');
    expect(h.eventsOf(run.id).at(-1)).toMatchObject({ type: 'step.failed', stepId: 'x' });
  });

  it('times out a step that takes too long, aborting its signal', async () => {
    let signal: AbortSignal | undefined;
    const h = createEngineHarness(db, [
      def('slow', [
        {
          id: 'wait',
          title: 'Wait',
          description: '',
          kind: 'automatic',
          timeoutMs: 50,
          run: (ctx) => {
            signal = ctx.signal;
            return new Promise(() => {}); // never settles: the timeout must win anyway
          },
        },
      ]),
    ]);
    const run = await h.engine.start('slow', {}, 'bob');
    const failed = await h.waitFor(run.id, isStatus('failed'));
    expect(failed.error).toBe('step timed out after 50ms');
    expect(signal?.aborted).toBe(true);
  });

  it('retries with backoff, recording each attempt, then succeeds', async () => {
    const attempts: number[] = [];
    const times: number[] = [];
    const h = createEngineHarness(db, [
      def('flaky', [
        {
          id: 'try',
          title: 'Try',
          description: '',
          kind: 'automatic',
          retry: { attempts: 3, backoffMs: 40, factor: 2 },
          run: async (ctx) => {
            attempts.push(ctx.attempt);
            times.push(Date.now());
            if (ctx.attempt < 3) throw new Error(`flake ${ctx.attempt}`);
            return { summary: 'third time lucky' };
          },
        },
      ]),
    ]);
    const run = await h.engine.start('flaky', {}, 'bob');
    const done = await h.waitFor(run.id, isStatus('completed'));
    expect(attempts).toEqual([1, 2, 3]);
    expect(done.steps[0]).toMatchObject({ status: 'completed', attempt: 3, error: null });
    const retries = h.eventsOf(run.id).filter((e) => e.type === 'step.retrying');
    expect(retries.map((e) => e.run.steps[0]?.error)).toEqual(['flake 1', 'flake 2']);
    // Backoff doubles: ≥40 ms before the second attempt, ≥80 ms before the third.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(35);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(75);
  });

  it('fails after the last retry with the last error', async () => {
    const h = createEngineHarness(db, [
      def('hopeless', [
        {
          id: 'try',
          title: 'Try',
          description: '',
          kind: 'automatic',
          retry: { attempts: 2, backoffMs: 1 },
          run: async (ctx) => {
            throw new Error(`nope ${ctx.attempt}`);
          },
        },
      ]),
    ]);
    const run = await h.engine.start('hopeless', {}, 'bob');
    const failed = await h.waitFor(run.id, isStatus('failed'));
    expect(failed.error).toBe('nope 2');
    expect(failed.steps[0]?.attempt).toBe(2);
  });
});

describe('gates', () => {
  const applied: unknown[] = [];
  const gated = def(
    'gated',
    [
      {
        id: 'review',
        title: 'Review target',
        description: 'shows the plan',
        kind: 'gate',
        plan: async (ctx) => ({
          summary: `will deploy to ${ctx.context.host}`,
          data: { host: ctx.context.host },
        }),
        input: () => ({
          key: 'agent',
          label: 'Another agent',
          type: 'choice',
          choices: ['web-02', 'web-03'],
          required: false,
        }),
        apply: async (_ctx, plan, decision) => {
          applied.push({ plan, decision });
          return {
            summary: `deploying to ${decision.input ?? (plan.data as { host: string }).host}`,
            outputs: { target: decision.input ?? 'web-01' },
          };
        },
      },
      {
        id: 'after',
        title: 'After',
        description: '',
        kind: 'automatic',
        run: async (ctx) => ({ summary: `target ${ctx.context.target}` }),
      },
    ],
    [{ key: 'host', label: 'Host', type: 'hostname', required: true }],
  );

  it('waits at the gate with its plan, then applies the approval with note and input', async () => {
    const h = createEngineHarness(db, [gated]);
    const run = await h.engine.start('gated', { host: 'web-01' }, 'alice');
    const waiting = await h.waitFor(run.id, isStatus('waiting'));
    expect(waiting.currentStep).toBe('review');
    expect(waiting.steps[0]).toMatchObject({
      status: 'awaiting_approval',
      needsApproval: true,
      plan: { summary: 'will deploy to web-01', data: { host: 'web-01' } },
      input: { key: 'agent', type: 'choice' },
    });
    expect(applied).toHaveLength(0);

    // A bad input is refused and changes nothing.
    await expectEngineError(
      h.engine.decide(run.id, { approved: true, by: 'carol', input: 'web-99' }),
      'validation_failed',
    );
    expect((await h.engine.get(run.id)).seq).toBe(waiting.seq);

    const approved = await h.engine.decide(run.id, {
      approved: true,
      by: 'carol',
      note: 'looks right',
      input: 'web-03',
    });
    expect(approved.status).toBe('running');
    const done = await h.waitFor(run.id, isStatus('completed'));
    expect(done.steps[0]?.decisions).toEqual([
      { by: 'carol', decision: 'approved', note: 'looks right', input: 'web-03', at: expect.any(String) },
    ]);
    expect(done.steps[0]?.summary).toBe('deploying to web-03');
    expect(done.steps[1]?.summary).toBe('target web-03');
    expect(applied).toEqual([
      {
        plan: { summary: 'will deploy to web-01', data: { host: 'web-01' } },
        decision: { by: 'carol', note: 'looks right', input: 'web-03' },
      },
    ]);
  });

  it('rejecting ends the run cancelled with the reason, and nothing is applied', async () => {
    applied.length = 0;
    const h = createEngineHarness(db, [gated]);
    const run = await h.engine.start('gated', { host: 'web-01' }, 'alice');
    await h.waitFor(run.id, isStatus('waiting'));
    const rejected = await h.engine.decide(run.id, { approved: false, by: 'dave', note: 'wrong window' });
    expect(rejected.status).toBe('cancelled');
    expect(rejected.error).toBe('Rejected by dave at step "Review target": wrong window');
    expect(stepStatuses(rejected)).toEqual({ review: 'cancelled', after: 'cancelled' });
    expect(rejected.steps[0]?.decisions[0]).toMatchObject({
      by: 'dave',
      decision: 'rejected',
      note: 'wrong window',
    });
    await h.engine.idle();
    expect(applied).toHaveLength(0);
    expect(h.eventsOf(run.id).at(-1)?.type).toBe('step.rejected');
  });

  it('refuses decisions on unknown runs, runs not waiting, and the wrong step', async () => {
    const h = createEngineHarness(db, [gated]);
    await expectEngineError(h.engine.decide(crypto.randomUUID(), { approved: true, by: 'x' }), 'not_found');
    const run = await h.engine.start('gated', { host: 'web-01' }, 'alice');
    const waiting = await h.waitFor(run.id, isStatus('waiting'));
    await expectEngineError(
      h.engine.decide(run.id, { approved: true, by: 'x', stepId: 'after' }),
      'conflict',
      /"review" is/,
    );
    await expectEngineError(
      h.engine.submitInput(run.id, { value: 'x', by: 'x' }),
      'conflict',
      /waiting for an approval/,
    );
    expect((await h.engine.get(run.id)).seq).toBe(waiting.seq);
    await h.engine.decide(run.id, { approved: false, by: 'x' });
    await expectEngineError(h.engine.decide(run.id, { approved: true, by: 'x' }), 'conflict', /is cancelled/);
  });

  it('fails the run with "approval expired" when the deadline passes, never approving', async () => {
    applied.length = 0;
    const h = createEngineHarness(db, [
      def('deadline', [
        {
          id: 'g',
          title: 'G',
          description: '',
          kind: 'gate',
          deadlineMs: 400,
          plan: async () => ({ summary: 'plan' }),
          apply: async () => {
            applied.push('applied');
            return { summary: 'applied' };
          },
        },
      ]),
    ]);
    const run = await h.engine.start('deadline', {}, 'alice');
    const waiting = await h.waitFor(run.id, isStatus('waiting'));
    expect(Date.parse(waiting.steps[0]!.deadline!)).toBeGreaterThan(Date.parse(waiting.createdAt));
    expect(await h.engine.expireDeadlines()).toBe(0); // not yet
    // The engine wakes itself at the deadline (no sweeper runs in this harness).
    const failed = await h.waitFor(run.id, isStatus('failed'));
    expect(failed).toMatchObject({ status: 'failed', error: 'approval expired' });
    expect(failed.steps[0]).toMatchObject({ status: 'failed', error: 'approval expired', deadline: null });
    expect(applied).toHaveLength(0);
  });

  it('wakes for every deadline, a later one set while an earlier one is pending too, without a sweeper', async () => {
    const gate = (id: string, deadlineMs: number): WorkflowDefinition['steps'][number] => ({
      id,
      title: id,
      description: '',
      kind: 'gate',
      deadlineMs,
      needs: [],
      continueOnError: true,
      plan: async () => ({ summary: 'plan' }),
      apply: async () => ({ summary: 'applied' }),
    });
    const h = createEngineHarness(db, [def('two_deadlines', [gate('soon', 300), gate('later', 900)])]);
    const run = await h.engine.start('two_deadlines', {}, 'alice');
    const done = await h.waitFor(run.id, (r) => r.steps.every((s) => s.status === 'failed'), 10_000);
    expect(done.steps.map((s) => [s.id, s.error])).toEqual([
      ['soon', 'approval expired'],
      ['later', 'approval expired'],
    ]);
  });
});

describe('input steps', () => {
  it('waits for a typed value, validates it, and promotes it', async () => {
    const h = createEngineHarness(db, [
      def('ask', [
        {
          id: 'pick',
          title: 'Pick a host',
          description: '',
          kind: 'input',
          input: () => ({ key: 'hostname', label: 'Host name', type: 'hostname', required: true }),
        },
        {
          id: 'use',
          title: 'Use',
          description: '',
          kind: 'automatic',
          run: async (ctx) => ({ summary: `using ${ctx.context.hostname}` }),
        },
      ]),
    ]);
    const run = await h.engine.start('ask', {}, 'alice');
    const waiting = await h.waitFor(run.id, isStatus('waiting'));
    expect(waiting.steps[0]).toMatchObject({
      status: 'awaiting_input',
      input: { key: 'hostname', type: 'hostname' },
    });
    await expectEngineError(
      h.engine.decide(run.id, { approved: true, by: 'x' }),
      'conflict',
      /waiting for an input value/,
    );
    const bad = await expectEngineError(
      h.engine.submitInput(run.id, { value: 'bad host; rm -rf /', by: 'x' }),
      'validation_failed',
    );
    expect(bad.details).toEqual([{ path: 'value', message: expect.stringMatching(/RFC 1123/) }]);
    await h.engine.submitInput(run.id, { value: 'prod-server-03', by: 'erin' });
    const done = await h.waitFor(run.id, isStatus('completed'));
    expect(done.context.hostname).toBe('prod-server-03');
    expect(done.steps[0]).toMatchObject({ status: 'completed', summary: 'Host name: prod-server-03' });
    expect(done.steps[0]?.decisions[0]).toMatchObject({ by: 'erin', decision: 'input' });
    expect(done.steps[1]?.summary).toBe('using prod-server-03');
  });
});

describe('cancel', () => {
  it('aborts the step in flight and discards its late result', async () => {
    let release: (() => void) | undefined;
    let signal: AbortSignal | undefined;
    let afterRan = false;
    const h = createEngineHarness(db, [
      def('long', [
        {
          id: 'work',
          title: 'Work',
          description: '',
          kind: 'automatic',
          // Ignores its signal on purpose: the engine must still drop the result.
          run: (ctx: StepContext) =>
            new Promise((resolve) => {
              signal = ctx.signal;
              release = () => resolve({ summary: 'finished late' });
            }),
        },
        {
          id: 'after',
          title: 'After',
          description: '',
          kind: 'automatic',
          run: async () => {
            afterRan = true;
            return { summary: 'after' };
          },
        },
      ]),
    ]);
    const run = await h.engine.start('long', {}, 'alice');
    await h.waitFor(run.id, (r) => r.steps[0]?.status === 'in_progress');
    const cancelled = await h.engine.cancel(run.id, { by: 'bob', reason: 'wrong branch' });
    expect(cancelled).toMatchObject({ status: 'cancelled', error: 'Cancelled by bob: wrong branch' });
    expect(stepStatuses(cancelled)).toEqual({ work: 'cancelled', after: 'cancelled' });
    expect(signal?.aborted).toBe(true);
    // Who and why reach the step, so whatever it started outside can be stopped in their name.
    expect(signal?.reason).toBeInstanceOf(RunCancelledError);
    expect(signal?.reason).toMatchObject({ by: 'bob', reason: 'wrong branch' });
    release?.();
    await h.engine.idle();
    const final = await h.engine.get(run.id);
    expect(final.seq).toBe(cancelled.seq);
    expect(final.steps[0]?.summary).toBeNull();
    expect(afterRan).toBe(false);
    await expectEngineError(h.engine.cancel(run.id, { by: 'bob' }), 'conflict', /already cancelled/);
  });

  it('cancels a run waiting at a gate', async () => {
    const h = createEngineHarness(db, [
      def('parked', [
        {
          id: 'g',
          title: 'G',
          description: '',
          kind: 'gate',
          plan: async () => ({ summary: 'p' }),
          apply: async () => ({ summary: 'a' }),
        },
      ]),
    ]);
    const run = await h.engine.start('parked', {}, 'alice');
    await h.waitFor(run.id, isStatus('waiting'));
    const cancelled = await h.engine.cancel(run.id, { by: 'bob' });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.error).toBe('Cancelled by bob');
  });
});

describe('starting', () => {
  const d = def(
    'typed',
    [{ id: 's', title: 'S', description: '', kind: 'automatic', run: async () => ({ summary: 's' }) }],
    [
      { key: 'hostname', label: 'Host name', type: 'hostname', required: true },
      { key: 'count', label: 'Count', type: 'number', required: false },
    ],
  );

  it('refuses unknown workflows, missing and bad fields and unknown fields, storing nothing', async () => {
    const h = createEngineHarness(db, [d]);
    await expectEngineError(
      h.engine.start('nope', {}, 'x'),
      'not_found',
      /unknown workflow "nope"; known: typed/,
    );
    const err = await expectEngineError(
      h.engine.start('typed', { count: 'many', extra: 1 }, 'x'),
      'validation_failed',
    );
    expect(err.details).toEqual([
      { path: 'extra', message: 'unknown field "extra" for workflow typed' },
      { path: 'hostname', message: 'Host name is required' },
      { path: 'count', message: 'Count must be a number' },
    ]);
    expect(h.events).toHaveLength(0);
    const run = await h.engine.start('typed', { hostname: 'web-01', count: '3' }, 'x');
    expect(run.context).toMatchObject({ hostname: 'web-01', count: 3 });
  });

  it('refuses a start its definition checks against the world, naming the field, storing nothing', async () => {
    const checked: WorkflowDefinition = {
      ...d,
      name: 'checked',
      checkStart: async (inputs) =>
        inputs.hostname === 'taken'
          ? [{ path: 'hostname', message: 'an agent named taken is already registered' }]
          : [],
    };
    const h = createEngineHarness(db, [checked]);
    const err = await expectEngineError(
      h.engine.start('checked', { hostname: 'taken' }, 'x'),
      'validation_failed',
      /^cannot start checked: an agent named taken is already registered$/,
    );
    expect(err.details).toEqual([
      { path: 'hostname', message: 'an agent named taken is already registered' },
    ]);
    expect(h.events).toHaveLength(0);
    expect((await h.engine.start('checked', { hostname: 'free' }, 'x')).status).toBe('running');
  });

  it('titles a run from its context, recomputed and stored with each transition', async () => {
    const titled: WorkflowDefinition = {
      ...def(
        'titled',
        [
          {
            id: 'choose',
            title: 'Choose',
            description: '',
            kind: 'gate',
            plan: async () => ({ summary: 'web-1' }),
            apply: async () => ({ summary: 'chose', outputs: { agent: 'web-1' } }),
          },
        ],
        [{ key: 'repository', label: 'Repository', type: 'text', required: true }],
      ),
      runTitle: (c) => `Deploy ${String(c.repository)}${c.agent ? ` → ${String(c.agent)}` : ''}`,
    };
    const h = createEngineHarness(db, [titled]);
    const run = await h.engine.start('titled', { repository: 'org/app' }, 'alice');
    expect(run.title).toBe('Deploy org/app');
    await h.waitFor(run.id, isStatus('waiting'));
    await h.engine.decide(run.id, { approved: true, by: 'bob' });
    const done = await h.waitFor(run.id, isStatus('completed'));
    expect(done.title).toBe('Deploy org/app → web-1');
    // Every announced state carries the title of that state.
    expect(h.events.filter((e) => e.runId === run.id).map((e) => e.run.title)).toEqual([
      'Deploy org/app',
      'Deploy org/app',
      'Deploy org/app',
      'Deploy org/app',
      'Deploy org/app → web-1',
      'Deploy org/app → web-1',
    ]);
    expect((await h.engine.list({ state: 'past', name: 'titled', limit: 5 }))[0]?.title).toBe(
      'Deploy org/app → web-1',
    );
  });

  it('refuses duplicate definitions and step ids', () => {
    expect(() => createEngineHarness(db, [d, d])).toThrow(/duplicate workflow/);
    const dup = def('dup', [
      { id: 's', title: 'S', description: '', kind: 'automatic', run: async () => ({ summary: '' }) },
      { id: 's', title: 'S', description: '', kind: 'automatic', run: async () => ({ summary: '' }) },
    ]);
    expect(() => createEngineHarness(db, [dup])).toThrow(/duplicate step ids/);
  });
});

describe('recovery', () => {
  it('re-runs a step left in progress and keeps waiting runs waiting', async () => {
    const keys: string[] = [];
    let hang = true;
    const defs = [
      def('resumable', [
        {
          id: 'side_effect',
          title: 'Side effect',
          description: '',
          kind: 'automatic',
          run: (ctx) => {
            keys.push(ctx.idempotencyKey);
            return hang ? new Promise(() => {}) : Promise.resolve({ summary: 'done on second process' });
          },
        },
      ]),
      def('parked2', [
        {
          id: 'g',
          title: 'G',
          description: '',
          kind: 'gate',
          plan: async () => ({ summary: 'p' }),
          apply: async () => ({ summary: 'applied' }),
        },
      ]),
    ];
    const first = createEngineHarness(db, defs);
    const run = await first.engine.start('resumable', {}, 'alice');
    const parked = await first.engine.start('parked2', {}, 'alice');
    await first.waitFor(run.id, (r) => r.steps[0]?.status === 'in_progress');
    await first.waitFor(parked.id, isStatus('waiting'));
    await first.engine.stop(); // like a crash: the run stays `running` with its step in progress

    hang = false;
    const second = createEngineHarness(db, defs);
    const recovered = await second.engine.recover();
    expect(recovered).toBeGreaterThanOrEqual(1);
    const done = await second.waitFor(run.id, isStatus('completed'));
    expect(done.steps[0]?.summary).toBe('done on second process');
    expect(keys).toEqual([`${run.id}:side_effect`, `${run.id}:side_effect`]);
    expect((await second.engine.get(parked.id)).status).toBe('waiting');
    await second.engine.decide(parked.id, { approved: true, by: 'carol' });
    await second.waitFor(parked.id, isStatus('completed'));
    const seqs = (await second.store.eventsAfter(run.id, 0)).map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });
});

describe('secret inputs', () => {
  it('are sealed at rest, redacted everywhere callers look, and clear only to handlers', async () => {
    const seen: unknown[] = [];
    const h = createEngineHarness(db, [
      def(
        'with_secret',
        [
          {
            id: 'use',
            title: 'Use',
            description: '',
            kind: 'automatic',
            run: async (ctx) => {
              seen.push(ctx.context.password);
              return { summary: 'used the password' };
            },
          },
          {
            id: 'again',
            title: 'Again',
            description: '',
            kind: 'input',
            input: () => ({ key: 'pin', label: 'PIN', type: 'secret', required: true }),
          },
          {
            id: 'check',
            title: 'Check',
            description: '',
            kind: 'automatic',
            run: async (ctx) => {
              seen.push(ctx.context.pin, (ctx.context.steps.again as { pin: string }).pin);
              return { summary: 'checked' };
            },
          },
        ],
        [{ key: 'password', label: 'Password', type: 'secret', required: true }],
      ),
    ]);
    const password = 'hunter2-very-secret';
    const pin = 'pin-4242-secret';
    const started = await h.engine.start('with_secret', { password }, 'alice');
    expect(started.context.password).toBe('••••••');
    await h.waitFor(started.id, isStatus('waiting'));
    const afterInput = await h.engine.submitInput(started.id, { value: pin, by: 'bob' });
    expect(afterInput.steps[1]?.decisions[0]?.input).toBe('••••••');
    const done = await h.waitFor(started.id, isStatus('completed'));
    expect(seen).toEqual([password, pin, pin]);
    expect(done.context.pin).toBe('••••••');

    const everything = JSON.stringify([
      await db.query('SELECT * FROM workflow_runs WHERE id = $1', [started.id]),
      await db.query('SELECT * FROM workflow_commits WHERE run_id = $1', [started.id]),
      h.eventsOf(started.id),
      await h.engine.get(started.id),
      await h.engine.list({ state: 'all', limit: 50 }),
    ]);
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(pin);
    expect(everything).toContain('••••••');
  });

  it('masks a secret a run takes mid-way in every event after it, though the run held none before', async () => {
    const h = createEngineHarness(db, [
      def('late_secret', [
        {
          id: 'first',
          title: 'First',
          description: '',
          kind: 'automatic',
          run: async () => ({ summary: 'ok' }),
        },
        {
          id: 'ask',
          title: 'Ask',
          description: '',
          kind: 'input',
          input: () => ({ key: 'token', label: 'Token', type: 'secret', required: true }),
        },
        {
          id: 'last',
          title: 'Last',
          description: '',
          kind: 'automatic',
          run: async () => ({ summary: 'ok' }),
        },
      ]),
    ]);
    const token = 'tok-late-secret-9876';
    const started = await h.engine.start('late_secret', {}, 'alice');
    await h.waitFor(started.id, isStatus('waiting'));
    await h.engine.submitInput(started.id, { value: token, by: 'bob' });
    await h.waitFor(started.id, isStatus('completed'));
    const events = h.eventsOf(started.id);
    // Several events after the secret came in, each showing it masked, in the run and in the patch.
    const after = events.filter((e) => e.seq >= events.find((x) => x.type === 'step.input_received')!.seq);
    expect(after.length).toBeGreaterThan(2);
    for (const e of after) expect(JSON.stringify(e.run.steps[1]?.decisions)).toContain('••••••');
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it('drives a run from start to end without reading it back from the database', async () => {
    const h = createEngineHarness(db, [
      def('no_reads', [
        { id: 'a', title: 'A', description: '', kind: 'automatic', run: async () => ({ summary: 'a' }) },
        { id: 'b', title: 'B', description: '', kind: 'automatic', run: async () => ({ summary: 'b' }) },
      ]),
    ]);
    let reads = 0;
    const getRun = h.store.getRun.bind(h.store);
    h.store.getRun = (id) => {
      reads += 1;
      return getRun(id);
    };
    const run = await h.engine.start('no_reads', {}, 'alice');
    await h.waitFor(run.id, isStatus('completed'));
    await h.engine.idle();
    // Each turn of the driver, the last one that sees the run ended included, uses the state it committed.
    expect(reads).toBe(0);
    expect(await h.engine.get(run.id)).toMatchObject({ status: 'completed', seq: run.seq + 5 });
  });
});
