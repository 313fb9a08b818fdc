import type { WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgliteDb } from '../db/pglite-db';
import { createEngineHarness, isStatus } from '../testing/engine-harness';
import { createPgliteTestDb } from '../testing/test-db';
import { sleep } from './attempt';
import { EngineError } from './errors';
import type { StepDef, WorkflowDefinition } from './types';

let db: PgliteDb;
beforeAll(async () => {
  db = await createPgliteTestDb();
});
afterAll(async () => {
  await db.close();
});

let counter = 0;
/** Each test gets its own workflow names, so runs of one test never meet another's. */
const unique = (name: string) => `${name}_${++counter}`;
const def = (
  name: string,
  steps: StepDef[],
  extra: Partial<WorkflowDefinition> = {},
): WorkflowDefinition => ({
  name,
  title: name,
  description: '',
  version: 1,
  inputs: [],
  steps,
  ...extra,
});
const auto = (
  id: string,
  run: StepDef extends infer _ ? (ctx: never) => Promise<unknown> : never,
  extra = {},
) => ({ id, title: id, description: '', kind: 'automatic', run, ...extra }) as StepDef;
const gate = (id: string, extra: Partial<StepDef> = {}) =>
  ({
    id,
    title: id,
    description: '',
    kind: 'gate',
    plan: async () => ({ summary: `plan ${id}` }),
    apply: async () => ({ summary: `applied ${id}`, outputs: { [`${id}_done`]: true } }),
    ...extra,
  }) as StepDef;
const statuses = (run: WorkflowRun) => Object.fromEntries(run.steps.map((s) => [s.id, s.status]));
const stepOf = (run: WorkflowRun, id: string) => run.steps.find((s) => s.id === id)!;

describe('parallel steps', () => {
  it('runs steps whose needs are met at the same time, then joins', async () => {
    const name = unique('fan');
    const slow = (id: string) =>
      auto(
        id,
        async (ctx: { signal: AbortSignal }) => {
          await sleep(300, ctx.signal);
          return { summary: id };
        },
        { needs: ['root'] },
      );
    const h = createEngineHarness(db, [
      def(name, [
        auto('root', async () => ({ summary: 'root' })),
        slow('left'),
        slow('right'),
        auto('join', async () => ({ summary: 'join' }), { needs: ['left', 'right'] }),
      ]),
    ]);
    const run = await h.engine.start(name, {}, 'alice');
    const done = await h.waitFor(run.id, isStatus('completed', 'failed'));
    expect(statuses(done)).toEqual({
      root: 'completed',
      left: 'completed',
      right: 'completed',
      join: 'completed',
    });
    const left = stepOf(done, 'left');
    const right = stepOf(done, 'right');
    // Overlap: each started before the other finished.
    expect(Date.parse(left.startedAt!)).toBeLessThan(Date.parse(right.finishedAt!));
    expect(Date.parse(right.startedAt!)).toBeLessThan(Date.parse(left.finishedAt!));
    expect(Date.parse(stepOf(done, 'join').startedAt!)).toBeGreaterThanOrEqual(
      Math.max(Date.parse(left.finishedAt!), Date.parse(right.finishedAt!)),
    );
    expect(stepOf(done, 'join').needs).toEqual(['left', 'right']);
  });

  it('a completion and the starts it allows are one write, with gap-free events', async () => {
    const name = unique('fan_write');
    const branches = ['b1', 'b2', 'b3', 'b4', 'b5'];
    const h = createEngineHarness(db, [
      def(name, [
        auto('root', async () => ({ summary: 'root' })),
        ...branches.map((id) => auto(id, async () => ({ summary: id }), { needs: ['root'] })),
        auto('join', async () => ({ summary: 'join' }), { needs: branches }),
      ]),
    ]);
    const writes: string[][] = [];
    const commit = h.store.commit.bind(h.store);
    h.store.commit = (run, events) => {
      if (run.name === name) writes.push(events.map((e) => `${e.type}${e.stepId ? `:${e.stepId}` : ''}`));
      return commit(run, events);
    };
    const run = await h.engine.start(name, {}, 'alice');
    const done = await h.waitFor(run.id, isStatus('completed', 'failed'));
    expect(done.status).toBe('completed');
    // The first write starts root; root's completion carries all five starts; the join's completion ends the run.
    expect(writes[0]).toEqual(['step.started:root']);
    expect(writes[1]).toEqual(['step.completed:root', ...branches.map((b) => `step.started:${b}`)]);
    expect(writes.at(-1)).toEqual(['step.completed:join', 'run.completed']);
    const stored = await h.store.eventsAfter(run.id, 0);
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1));
    expect(h.eventsOf(run.id).map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
  });

  it('a failure stops the run and aborts the sibling in flight; continue_on_error does not', async () => {
    const name = unique('failfast');
    let siblingAborted = false;
    const h = createEngineHarness(db, [
      def(name, [
        auto(
          'boom',
          async () => {
            await sleep(50, new AbortController().signal);
            throw new Error('boom');
          },
          { needs: [] },
        ),
        auto(
          'long',
          async (ctx: { signal: AbortSignal }) => {
            try {
              await sleep(10_000, ctx.signal);
            } catch (err) {
              siblingAborted = true;
              throw err;
            }
            return { summary: 'never' };
          },
          { needs: [] },
        ),
        auto('after', async () => ({ summary: 'after' }), { needs: ['boom', 'long'] }),
      ]),
    ]);
    const run = await h.engine.start(name, {}, 'alice');
    const failed = await h.waitFor(run.id, isStatus('failed'));
    expect(statuses(failed)).toEqual({ boom: 'failed', long: 'cancelled', after: 'pending' });
    expect(failed.error).toBe('boom');
    await h.engine.idle();
    expect(siblingAborted).toBe(true);

    const tolerant = unique('tolerant');
    const h2 = createEngineHarness(db, [
      def(tolerant, [
        auto(
          'flaky',
          async () => {
            throw new Error('flaky failed');
          },
          { needs: [], continueOnError: true },
        ),
        auto('other', async () => ({ summary: 'other' }), { needs: [] }),
        auto('after', async () => ({ summary: 'after' }), { needs: ['flaky', 'other'] }),
      ]),
    ]);
    const run2 = await h2.engine.start(tolerant, {}, 'alice');
    const done = await h2.waitFor(run2.id, isStatus('completed', 'failed'));
    expect(done.status).toBe('completed');
    expect(statuses(done)).toEqual({ flaky: 'failed', other: 'completed', after: 'completed' });
    expect(stepOf(done, 'flaky').error).toBe('flaky failed');
  });

  it('several gates wait at once: step_id picks one, and without it the approval is refused', async () => {
    const name = unique('gates');
    const h = createEngineHarness(db, [
      def(name, [
        gate('east', { needs: [] }),
        gate('west', { needs: [] }),
        auto('done', async () => ({ summary: 'ok' }), { needs: ['east', 'west'] }),
      ]),
    ]);
    const run = await h.engine.start(name, {}, 'alice');
    await h.waitFor(run.id, (r) => r.steps.filter((s) => s.status === 'awaiting_approval').length === 2);
    const err = await h.engine.decide(run.id, { approved: true, by: 'bob' }).catch((e) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err.code).toBe('conflict');
    expect(err.message).toMatch(/"east", "west".*step_id/);
    await h.engine.decide(run.id, { approved: true, by: 'bob', stepId: 'west' });
    const half = await h.waitFor(run.id, (r) => stepOf(r, 'west').status === 'completed');
    expect(stepOf(half, 'east').status).toBe('awaiting_approval');
    expect(half.status).toBe('waiting');
    // With one left, step_id may be omitted again.
    await h.engine.decide(run.id, { approved: true, by: 'carol' });
    const done = await h.waitFor(run.id, isStatus('completed', 'failed'));
    expect(statuses(done)).toEqual({ east: 'completed', west: 'completed', done: 'completed' });
  });
});

describe('durable waits', () => {
  const waiting = (key: string) =>
    auto('wait_thing', async () => ({ wait: { key, summary: `Waiting for ${key}`, atDeadline: 'fail' } }), {
      resume: async (_ctx: unknown, payload: { colour: string }) => ({
        summary: `got ${payload.colour}`,
        outputs: { colour: payload.colour },
      }),
      recheck: async () => null,
    });

  it('parks without holding the step in memory, and the event completes it even after a restart', async () => {
    const name = unique('waits');
    const key = `thing:${name}`;
    const definitions = [def(name, [waiting(key), auto('after', async () => ({ summary: 'after' }))])];
    const first = createEngineHarness(db, definitions);
    const run = await first.engine.start(name, {}, 'alice');
    const parked = await first.waitFor(run.id, isStatus('waiting'));
    expect(stepOf(parked, 'wait_thing')).toMatchObject({ status: 'awaiting_event', wait: { key } });
    await first.engine.idle(); // nothing in flight: the driver left
    await first.engine.stop();

    const second = createEngineHarness(db, definitions);
    await second.engine.recover();
    expect(await second.engine.resolveWait(key, { colour: 'green' })).toBe(1);
    const done = await second.waitFor(run.id, isStatus('completed', 'failed'));
    expect(done.status).toBe('completed');
    expect(stepOf(done, 'wait_thing')).toMatchObject({ summary: 'got green', outputs: { colour: 'green' } });
    expect(second.eventsOf(run.id).map((e) => e.type)).toEqual([
      'step.event_received',
      'step.completed',
      'step.started',
      'step.completed',
      'run.completed',
    ]);
    // A second event for the same key finds nothing parked.
    expect(await second.engine.resolveWait(key, { colour: 'red' })).toBe(0);
    await second.engine.stop();
  });

  it('recheck completes a wait that ended before anyone listened', async () => {
    const name = unique('recheck');
    const h = createEngineHarness(db, [
      def(name, [
        auto(
          'wait_thing',
          async () => ({ wait: { key: `done:${name}`, summary: 'waiting', atDeadline: 'fail' } }),
          {
            resume: async (_ctx: unknown, payload: { n: number }) => ({ summary: `n=${payload.n}` }),
            recheck: async () => ({ payload: { n: 7 } }),
          },
        ),
      ]),
    ]);
    const run = await h.engine.start(name, {}, 'alice');
    const done = await h.waitFor(run.id, isStatus('completed', 'failed'));
    expect(stepOf(done, 'wait_thing').summary).toBe('n=7');
  });

  it('a timer completes at its deadline; a wait with atDeadline fail fails with its error', async () => {
    const name = unique('timer');
    const h = createEngineHarness(db, [
      def(name, [
        auto(
          'nap',
          async () => ({
            wait: { key: `timer:${name}`, summary: 'napping', deadlineMs: 150, atDeadline: 'complete' },
          }),
          {
            resume: async () => ({ summary: 'rested' }),
          },
        ),
        auto(
          'watch',
          async () => ({
            wait: {
              key: `never:${name}`,
              summary: 'watching',
              deadlineMs: 150,
              atDeadline: 'fail',
              deadlineError: 'nothing happened in time',
            },
          }),
          { resume: async () => ({ summary: 'seen' }) },
        ),
      ]),
    ]);
    const run = await h.engine.start(name, {}, 'alice');
    const failed = await h.waitFor(run.id, isStatus('completed', 'failed'));
    expect(statuses(failed)).toEqual({ nap: 'completed', watch: 'failed' });
    expect(failed.error).toBe('nothing happened in time');
  });
});

describe('versions', () => {
  it('a run executes the version it started with, also after a restart with a changed definition', async () => {
    const name = unique('pinned');
    const v1 = def(name, [gate('approve', { apply: async () => ({ summary: 'v1 applied' }) })], {
      hash: `${name}-h1`,
    });
    const v2 = def(name, [gate('approve', { apply: async () => ({ summary: 'v2 applied' }) })], {
      version: 2,
      hash: `${name}-h2`,
    });
    const first = createEngineHarness(db, [v1]);
    const run = await first.engine.start(name, {}, 'alice');
    await first.waitFor(run.id, isStatus('waiting'));
    await first.engine.stop();

    // The controller was upgraded: v2 is the latest, v1 stays known for the runs that use it.
    const second = createEngineHarness(db, [v2]);
    second.engine.register(v1, { latest: false });
    await second.engine.recover();
    await second.engine.decide(run.id, { approved: true, by: 'bob' });
    const done = await second.waitFor(run.id, isStatus('completed', 'failed'));
    expect(done).toMatchObject({ version: 1, definitionHash: `${name}-h1` });
    expect(stepOf(done, 'approve').summary).toBe('v1 applied');
    const fresh = await second.engine.start(name, {}, 'alice');
    expect(fresh).toMatchObject({ version: 2, definitionHash: `${name}-h2` });
    await expect(second.engine.start(name, {}, 'alice', { version: 9 })).rejects.toThrow(/no version 9/);
    await second.engine.cancel(fresh.id, { by: 'alice' });
    await second.engine.stop();
  });
});

describe('conflict guard', () => {
  const guarded = (name: string, onConflict: 'refuse' | 'queue') =>
    def(name, [gate('hold')], {
      inputs: [{ key: 'app', label: 'App', type: 'text', required: true }],
      concurrency: { expression: 'inputs.app', key: (i) => String(i.app), onConflict },
    });

  it('refuse: a second run with the same key gets a conflict naming the active run', async () => {
    const name = unique('refuse');
    const h = createEngineHarness(db, [guarded(name, 'refuse')]);
    const first = await h.engine.start(name, { app: 'shop' }, 'alice');
    const err = await h.engine.start(name, { app: 'shop' }, 'bob').catch((e) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err.code).toBe('conflict');
    expect(err.message).toContain(first.id);
    expect(err.details).toMatchObject({ activeRunId: first.id });
    // Another key is free, and the key is free again once the first run ends.
    const other = await h.engine.start(name, { app: 'blog' }, 'bob');
    await h.engine.cancel(first.id, { by: 'alice' });
    const again = await h.engine.start(name, { app: 'shop' }, 'bob');
    expect(again.status).toBe('running');
    await h.engine.cancel(other.id, { by: 'bob' });
    await h.engine.cancel(again.id, { by: 'bob' });
  });

  it('queue: a second run waits as queued and starts when the key is free', async () => {
    const name = unique('queue');
    const h = createEngineHarness(db, [guarded(name, 'queue')]);
    const first = await h.engine.start(name, { app: 'shop' }, 'alice');
    const second = await h.engine.start(name, { app: 'shop' }, 'bob');
    expect(second.status).toBe('queued');
    expect(h.eventsOf(second.id)[0]).toMatchObject({ type: 'run.queued' });
    await h.waitFor(first.id, isStatus('waiting'));
    await h.engine.decide(first.id, { approved: true, by: 'carol' });
    await h.waitFor(first.id, isStatus('completed'));
    const moved = await h.waitFor(second.id, isStatus('waiting'));
    expect(h.eventsOf(second.id).map((e) => e.type)).toContain('run.dequeued');
    await h.engine.cancel(moved.id, { by: 'bob' });
  });
});

describe('rollback', () => {
  it('undoes completed steps in reverse order behind a gate that shows the plan', async () => {
    const name = unique('undoable');
    const undone: string[] = [];
    const compensable = (id: string) =>
      auto(id, async () => ({ summary: `did ${id}`, outputs: { thing: id } }), {
        compensation: {
          describe: (_ctx: unknown, rec: { outputs: Record<string, unknown> }) =>
            `undo ${String(rec.outputs.thing)}`,
          run: async (_ctx: unknown, rec: { outputs: Record<string, unknown> }) => {
            undone.push(String(rec.outputs.thing));
            return { summary: `undid ${String(rec.outputs.thing)}` };
          },
        },
      });
    const h = createEngineHarness(db, [
      def(name, [
        compensable('first'),
        auto('middle', async () => ({ summary: 'nothing to undo here' })),
        compensable('last'),
      ]),
    ]);
    const run = await h.engine.start(name, {}, 'alice');
    await h.waitFor(run.id, isStatus('completed'));
    await expect(
      h.engine.rollback(run.id, 'bob').then((r) => h.engine.rollback(r.id, 'bob')),
    ).rejects.toThrow(/cannot be rolled back|only a completed or failed/);
    const rollbacks = await h.engine.list({ state: 'active', name: 'rollback', limit: 10 });
    const rb = rollbacks.find((r) => r.rollbackOf === run.id)!;
    const waiting = await h.waitFor(rb.id, isStatus('waiting'));
    const plan = stepOf(waiting, 'review_plan').plan!;
    expect(plan.summary).toMatch(/1\. last: undo last\n2\. middle: nothing to undo\n3\. first: undo first/);
    expect(undone).toEqual([]); // nothing happens before approval
    await h.engine.decide(rb.id, { approved: true, by: 'carol' });
    const done = await h.waitFor(rb.id, isStatus('completed', 'failed'));
    expect(done.status).toBe('completed');
    expect(undone).toEqual(['last', 'first']);
    const original = await h.engine.get(run.id);
    expect(statuses(original)).toEqual({ first: 'compensated', middle: 'completed', last: 'compensated' });
    await expect(h.engine.start('rollback', { run_id: run.id }, 'mallory')).rejects.toThrow(
      /unknown workflow/,
    );
  });

  it('on_failure: rollback undoes what a failed run completed, without a gate', async () => {
    const name = unique('autoundo');
    const undone: string[] = [];
    const h = createEngineHarness(db, [
      def(
        name,
        [
          auto('made', async () => ({ summary: 'made', outputs: { id: 'm1' } }), {
            compensation: {
              describe: () => 'remove m1',
              run: async () => {
                undone.push('m1');
                return { summary: 'removed m1' };
              },
            },
          }),
          auto('breaks', async () => {
            throw new Error('broken');
          }),
        ],
        { onFailure: 'rollback' },
      ),
    ]);
    const run = await h.engine.start(name, {}, 'alice');
    await h.waitFor(run.id, isStatus('failed'));
    const compensated = await h.waitFor(run.id, (r) => stepOf(r, 'made').status === 'compensated');
    expect(compensated.status).toBe('failed');
    expect(undone).toEqual(['m1']);
  });
});
