import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/db';
import { PostgresDb } from '../db/postgres-db';
import { RunCancelledError } from '../engine/errors';
import type { StepContext, WorkflowDefinition } from '../engine/types';
import { createEngineHarness, isStatus } from '../testing/engine-harness';
import { createPostgresTestDb, TEST_DATABASE_URL } from '../testing/test-db';
import { LeaseKeeper } from './lease-keeper';

/**
 * Two engines on one PostgreSQL, as two controllers: ownership, fencing, and commands given to the controller
 * that does not own the run. Each engine has its own connection pool, as separate processes would.
 */

let first: Db;
let second: Db;
const keepers: LeaseKeeper[] = [];
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  first = await createPostgresTestDb();
  const [row] = await first.query<{ schema: string }>('SELECT current_schema() AS schema');
  second = await PostgresDb.open(TEST_DATABASE_URL, { schema: row!.schema, max: 4 });
});

afterAll(async () => {
  for (const k of keepers) await k.stop().catch(() => {});
  await second?.close();
  await first?.close();
});

function def(name: string, steps: WorkflowDefinition['steps']): WorkflowDefinition {
  return { name, title: name, description: `${name} test workflow`, version: 1, inputs: [], steps };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Two controllers: the same workflows, each with its own handlers (so a test sees which one ran a step). */
async function twoControllers(workflows: (who: 'A' | 'B') => WorkflowDefinition[], keep = false) {
  const a = createEngineHarness(first, workflows('A'), { leaseMs: 5_000 });
  const b = createEngineHarness(second, workflows('B'), { leaseMs: 5_000 });
  for (const h of [a, b]) {
    await h.leases!.renew();
    if (!keep) continue;
    const keeper = new LeaseKeeper(h.leases!, h.engine, { leaseMs: 5_000, logger: silent });
    keepers.push(keeper);
    await keeper.start();
  }
  return { a, b };
}

const typesOf = async (runId: string) =>
  (
    await first.query<{ type: string; step_id: string | null }>(
      'SELECT type, step_id FROM workflow_events WHERE run_id = $1 ORDER BY seq',
      [runId],
    )
  ).map((e) => `${e.type}${e.step_id ? `:${e.step_id}` : ''}`);

describe('run ownership across controllers', () => {
  it('a controller whose lease was taken over cannot commit: the step is applied once, by the new owner', async () => {
    const calls: string[] = [];
    const release = { A: deferred(), B: deferred() };
    const { a, b } = await twoControllers((who) => [
      def('held', [
        {
          id: 'hold',
          title: 'Hold',
          description: 'waits until the test lets it go',
          kind: 'automatic',
          run: async (ctx: StepContext) => {
            calls.push(`${who}:${ctx.attempt}`);
            await release[who].promise;
            return { summary: `done by ${who}` };
          },
        },
      ]),
    ]);
    const run = await a.engine.start('held', {}, 'alice');
    await until(() => calls.includes('A:1'), 'A to run the step');

    // A's lease runs out (paused, cut off): B claims its run and runs the step again.
    await first.query(`UPDATE controllers SET lease_until = now() - interval '1 second' WHERE id = $1`, [
      a.leases!.controllerId,
    ]);
    expect(await b.engine.claimOrphans()).toMatchObject({ claimed: 1, takenOver: 1, running: 1 });
    await until(() => calls.includes('B:1'), 'B to run the step again');

    // A comes back and finishes its (stale) attempt: fenced, nothing of it is written.
    release.A.resolve();
    await a.engine.idle();
    expect(await typesOf(run.id)).toEqual(['run.started', 'step.started:hold']);
    expect(a.engine.ownedCount()).toBe(0);

    release.B.resolve();
    const done = await b.waitFor(run.id, isStatus('completed'));
    expect(done.steps[0]!.summary).toBe('done by B');
    expect(await typesOf(run.id)).toEqual([
      'run.started',
      'step.started:hold',
      'step.completed:hold',
      'run.completed',
    ]);
    expect(calls).toEqual(['A:1', 'B:1']);
    expect(a.eventsOf(run.id).map((e) => e.seq)).toEqual([1, 2]); // A announced only what it committed
  });

  it('an approval given to B is driven by A, the owner, which announces every event in seq order', async () => {
    const ran: string[] = [];
    const { a, b } = await twoControllers(
      (who) => [
        def('gated', [
          {
            id: 'review',
            title: 'Review',
            description: 'a person approves',
            kind: 'gate',
            plan: async () => ({ summary: 'the plan' }),
            apply: async () => {
              ran.push(`apply:${who}`);
              return { summary: 'applied' };
            },
          },
          {
            id: 'after',
            title: 'After',
            description: 'runs after the approval',
            kind: 'automatic',
            run: async () => {
              ran.push(`after:${who}`);
              return { summary: 'after' };
            },
          },
        ]),
      ],
      true,
    );
    const run = await a.engine.start('gated', {}, 'alice');
    await a.waitFor(run.id, isStatus('waiting'));
    await b.engine.decide(run.id, { approved: true, by: 'bob' });
    const done = await a.waitFor(run.id, isStatus('completed'), 20_000);
    expect(ran).toEqual(['apply:A', 'after:A']);
    const seqs = a.eventsOf(run.id).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: done.seq }, (_, i) => i + 1));
    expect(a.eventsOf(run.id).find((e) => e.type === 'step.approved')?.stepId).toBe('review');
    expect(b.eventsOf(run.id)).toEqual([]);
  });

  it('a cancel given to B aborts the step in flight on A', async () => {
    const aborted: unknown[] = [];
    const started: string[] = [];
    const { a, b } = await twoControllers(
      (who) => [
        def('long', [
          {
            id: 'work',
            title: 'Work',
            description: 'runs until cancelled',
            kind: 'automatic',
            run: (ctx: StepContext) =>
              new Promise((_, reject) => {
                started.push(who);
                ctx.signal.addEventListener('abort', () => {
                  aborted.push(ctx.signal.reason);
                  reject(ctx.signal.reason);
                });
              }),
          },
        ]),
      ],
      true,
    );
    const run = await a.engine.start('long', {}, 'alice');
    await until(() => started.length === 1, 'the step to start on A');
    const cancelled = await b.engine.cancel(run.id, { by: 'bob', reason: 'wrong branch' });
    expect(cancelled.status).toBe('cancelled');
    await until(() => aborted.length === 1, 'the step on A to be aborted');
    expect(aborted[0]).toBeInstanceOf(RunCancelledError);
    expect(started).toEqual(['A']);
    await a.engine.idle();
    expect(await typesOf(run.id)).toEqual(['run.started', 'step.started:work', 'run.cancelled:work']);
    // The owner relays the cancel to its clients.
    await until(() => a.eventsOf(run.id).some((e) => e.type === 'run.cancelled'), 'A to announce it');
  });

  it('the end of a durable wait recorded on B wakes the step where it is owned', async () => {
    const resumed: string[] = [];
    const { a, b } = await twoControllers(
      (who) => [
        def('waits', [
          {
            id: 'wait_thing',
            title: 'Wait',
            description: 'waits for an outside event',
            kind: 'automatic',
            run: async (ctx: StepContext) => ({
              wait: { key: `thing:${ctx.runId}`, summary: 'waiting', atDeadline: 'fail' as const },
            }),
            resume: async (_ctx: StepContext, payload: unknown) => {
              resumed.push(who);
              return { summary: `got ${(payload as { value: string }).value}` };
            },
          },
        ]),
      ],
      true,
    );
    const run = await a.engine.start('waits', {}, 'alice');
    await a.waitFor(run.id, isStatus('waiting'));
    expect(await b.engine.resolveWait(`thing:${run.id}`, { value: 'it' })).toBe(1);
    const done = await a.waitFor(run.id, isStatus('completed'), 20_000);
    expect(done.steps[0]!.summary).toBe('got it');
    expect(resumed).toEqual(['A']);
  });

  it('a controller that stops cleanly gives its runs up: another claims them at once', async () => {
    const { a, b } = await twoControllers((who) => [
      def('parked', [
        {
          id: 'review',
          title: 'Review',
          description: 'a person approves',
          kind: 'gate',
          plan: async () => ({ summary: 'the plan' }),
          apply: async () => ({ summary: `applied by ${who}` }),
        },
      ]),
    ]);
    const keeperA = new LeaseKeeper(a.leases!, a.engine, { leaseMs: 60_000, logger: silent });
    await keeperA.start();
    const run = await a.engine.start('parked', {}, 'alice');
    await a.waitFor(run.id, isStatus('waiting'));
    await a.engine.stop();
    await keeperA.stop();
    // Well within A's 60 s lease: it was released, not expired.
    const claimed = await b.engine.claimOrphans();
    expect(claimed.claimed).toBeGreaterThanOrEqual(1);
    await b.engine.decide(run.id, { approved: true, by: 'bob' });
    const done = await b.waitFor(run.id, isStatus('completed'), 20_000);
    expect(done.steps[0]!.summary).toBe('applied by B');
  });
});
