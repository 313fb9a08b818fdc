import { diffRun, type StepRecord, type WorkflowRun } from '@deploybot/shared';
import { pendingStep } from '@deploybot/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyConflict, type EventRecord, StaleRunError } from '../engine/ports';
import { TEST_DATABASES } from '../testing/test-db';
import type { Db } from './db';
import { SqlWorkflowStore } from './workflow-store';

function sampleRun(id: string, overrides: Partial<WorkflowRun> = {}): WorkflowRun {
  const at = new Date().toISOString();
  return {
    id,
    name: 'sample',
    title: 'Sample',
    version: 1,
    status: 'running',
    progress: 0,
    context: { hostname: 'web-01', steps: {} },
    steps: [],
    currentStep: null,
    error: null,
    startedBy: 'tester',
    createdAt: at,
    updatedAt: at,
    seq: 1,
    ...overrides,
  };
}

const started = (run: WorkflowRun) => ({
  runId: run.id,
  seq: 1,
  type: 'run.started' as const,
  stepId: null,
  at: run.createdAt,
  detail: null,
});

describe.each(TEST_DATABASES)('SqlWorkflowStore on $name', ({ create }) => {
  let db: Db;
  let store: SqlWorkflowStore;
  beforeAll(async () => {
    db = await create();
    store = new SqlWorkflowStore(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('inserts a run with its first event and reads it back', async () => {
    const run = sampleRun(crypto.randomUUID());
    await store.insertRun(run, started(run));
    expect(await store.getRun(run.id)).toEqual(run);
    const events = await store.eventsAfter(run.id, 0);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      runId: run.id,
      seq: 1,
      type: 'run.started',
      stepId: null,
      detail: null,
    });
  });

  it('commits transitions with gap-free seq and refuses a stale writer', async () => {
    const run = sampleRun(crypto.randomUUID());
    await store.insertRun(run, started(run));
    const next = { ...run, seq: 2, status: 'completed' as const };
    const at = new Date().toISOString();
    await store.commit(next, [
      {
        runId: run.id,
        seq: 2,
        type: 'run.completed',
        stepId: null,
        at,
        detail: { a: 1 },
      },
    ]);
    // A second writer that also read seq 1 loses, and nothing of its write lands.
    const stale = { ...run, seq: 2, status: 'cancelled' as const };
    await expect(
      store.commit(stale, [{ runId: run.id, seq: 2, type: 'run.cancelled', stepId: null, at, detail: null }]),
    ).rejects.toBeInstanceOf(StaleRunError);
    expect((await store.getRun(run.id))?.status).toBe('completed');
    const events = await store.eventsAfter(run.id, 0);
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'run.started'],
      [2, 'run.completed'],
    ]);
    expect(events[1]?.detail).toEqual({ a: 1 });
    expect(await store.eventsAfter(run.id, 1)).toHaveLength(1);
  });

  it('commits many runs asked for in one turn together, refusing only the stale one', async () => {
    const runs = Array.from({ length: 5 }, () => sampleRun(crypto.randomUUID()));
    for (const r of runs) await store.insertRun(r, started(r));
    const at = new Date().toISOString();
    const commits = runs.map((r, i) =>
      store.commit({ ...r, seq: i === 2 ? 5 : 2, status: 'waiting', currentStep: `step-${i}` }, [
        {
          runId: r.id,
          seq: i === 2 ? 5 : 2,
          type: 'step.awaiting_approval',
          stepId: `step-${i}`,
          at,
          detail: null,
        },
      ]),
    );
    const settled = await Promise.allSettled(commits);
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(StaleRunError);
    // The four that landed are one batch row: their commits point into it, each at its own place.
    const located = await db.query<{ batch_id: string; pos: number }>(
      'SELECT batch_id, pos FROM workflow_commits WHERE run_id = ANY($1::uuid[]) AND seq = 2 ORDER BY pos',
      [runs.map((r) => r.id)],
    );
    expect(new Set(located.map((c) => c.batch_id)).size).toBe(1);
    expect(located.map((c) => c.pos)).toEqual([0, 1, 2, 3]);
    for (const [i, r] of runs.entries()) {
      const stored = await store.getRun(r.id);
      const events = await store.eventsAfter(r.id, 0);
      if (i === 2) {
        expect(stored?.seq).toBe(1);
        expect(events).toHaveLength(1);
      } else {
        expect(stored).toMatchObject({ seq: 2, status: 'waiting', currentStep: `step-${i}` });
        expect(events.map((e) => [e.seq, e.type, e.stepId])).toEqual([
          [1, 'run.started', null],
          [2, 'step.awaiting_approval', `step-${i}`],
        ]);
      }
    }
  });

  it('commits several transitions of one run in one write, all or none', async () => {
    const [a, b] = [sampleRun(crypto.randomUUID()), sampleRun(crypto.randomUUID())];
    for (const r of [a, b]) await store.insertRun(r, started(r));
    const at = new Date().toISOString();
    const event = (runId: string, seq: number, type: EventRecord['type'], stepId: string | null) => ({
      runId,
      seq,
      type,
      stepId,
      at,
      detail: stepId ? { step: stepId } : null,
    });
    // Two runs in one turn: each lands with all its events; a stale one (b read at seq 0) lands with none.
    const settled = await Promise.allSettled([
      store.commit({ ...a, seq: 4, status: 'completed' }, [
        event(a.id, 2, 'step.completed', 'one'),
        event(a.id, 3, 'step.started', 'two'),
        event(a.id, 4, 'run.completed', null),
      ]),
      store.commit({ ...b, seq: 3 }, [
        event(b.id, 1, 'step.started', 'one'),
        event(b.id, 2, 'step.started', 'two'),
      ]),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
    expect(await store.getRun(a.id)).toMatchObject({ seq: 4, status: 'completed' });
    expect((await store.eventsAfter(a.id, 0)).map((e) => [e.seq, e.type, e.stepId, e.detail])).toEqual([
      [1, 'run.started', null, null],
      [2, 'step.completed', 'one', { step: 'one' }],
      [3, 'step.started', 'two', { step: 'two' }],
      [4, 'run.completed', null, null],
    ]);
    // One row for the commit (its last seq), the trends' event in its marks; read from inside it, the rest of it.
    expect(
      await db.query('SELECT seq, marks FROM workflow_commits WHERE run_id = $1 ORDER BY seq', [a.id]),
    ).toEqual([
      { seq: 1, marks: null },
      { seq: 4, marks: [[4, 'run.completed', null, Date.parse(at)]] },
    ]);
    expect((await store.eventsAfter(a.id, 2)).map((e) => e.seq)).toEqual([3, 4]);
    // The workflow_events view still shows one event per row, for people querying the database.
    expect(
      await db.query(
        'SELECT seq, type, step_id, at, detail FROM workflow_events WHERE run_id = $1 ORDER BY seq',
        [a.id],
      ),
    ).toEqual([
      { seq: 1, type: 'run.started', step_id: null, at: new Date(a.createdAt), detail: null },
      { seq: 2, type: 'step.completed', step_id: 'one', at: new Date(at), detail: { step: 'one' } },
      { seq: 3, type: 'step.started', step_id: 'two', at: new Date(at), detail: { step: 'two' } },
      { seq: 4, type: 'run.completed', step_id: null, at: new Date(at), detail: null },
    ]);
    expect(await store.getRun(b.id)).toMatchObject({ seq: 1 });
    expect(await store.eventsAfter(b.id, 0)).toHaveLength(1);
    await expect(store.commit(b, [])).rejects.toThrow(/without an event/);
  });

  it('lists active, past and by name, newest first', async () => {
    const name = `list_${Math.random().toString(36).slice(2, 8)}`;
    const base = Date.now();
    const runs = [
      sampleRun(crypto.randomUUID(), { name, status: 'running', createdAt: new Date(base).toISOString() }),
      sampleRun(crypto.randomUUID(), {
        name,
        status: 'waiting',
        createdAt: new Date(base + 1).toISOString(),
      }),
      sampleRun(crypto.randomUUID(), { name, status: 'failed', createdAt: new Date(base + 2).toISOString() }),
    ];
    for (const r of runs) await store.insertRun(r, started(r));
    const active = await store.listRuns({ state: 'active', name, limit: 10 });
    expect(active.map((r) => r.id)).toEqual([runs[1]!.id, runs[0]!.id]);
    const past = await store.listRuns({ state: 'past', name, limit: 10 });
    expect(past.map((r) => r.id)).toEqual([runs[2]!.id]);
    expect(await store.listRuns({ state: 'all', name, limit: 2 })).toHaveLength(2);
    // Waiting runs are looked at again after a restart too (a parked step's wait may have ended meanwhile).
    const unfinished = (await store.listUnfinished()).map((r) => r.id);
    expect(unfinished).toContain(runs[0]!.id);
    expect(unfinished).toContain(runs[1]!.id);
    expect(unfinished).not.toContain(runs[2]!.id);
  });

  it('finds waiting runs whose deadline has passed, by the waiting step', async () => {
    const past = new Date(Date.now() - 1000).toISOString();
    const future = new Date(Date.now() + 60_000).toISOString();
    const step = (deadline: string) => ({
      id: 'gate',
      title: 'Gate',
      description: '',
      kind: 'gate' as const,
      status: 'awaiting_approval' as const,
      needsApproval: true,
      summary: null,
      data: null,
      plan: null,
      input: null,
      error: null,
      attempt: 1,
      startedAt: null,
      finishedAt: null,
      deadline,
      decisions: [],
    });
    const expired = sampleRun(crypto.randomUUID(), { status: 'waiting', steps: [step(past)] });
    const notYet = sampleRun(crypto.randomUUID(), { status: 'waiting', steps: [step(future)] });
    for (const r of [expired, notYet]) await store.insertRun(r, started(r));
    const ids = await store.listExpired(new Date().toISOString());
    expect(ids).toContain(expired.id);
    expect(ids).not.toContain(notYet.id);
  });

  it('reads the runs asked for in one turn with one statement, each caller with its own run', async () => {
    const runs = [sampleRun(crypto.randomUUID()), sampleRun(crypto.randomUUID())];
    for (const run of runs) await store.insertRun(run, started(run));
    let reads = 0;
    const counting = Object.assign(Object.create(db), {
      query: (sql: string, params?: unknown[]) => {
        if (sql.includes('FROM workflow_runs r WHERE')) reads += 1;
        return db.query(sql, params);
      },
    });
    const reader = new SqlWorkflowStore(counting);
    const [a, b, again, missing, upper] = await Promise.all([
      reader.getRun(runs[0]!.id),
      reader.getRun(runs[1]!.id),
      reader.getRun(runs[0]!.id),
      reader.getRun(crypto.randomUUID()),
      reader.getRun(runs[1]!.id.toUpperCase()),
    ]);
    expect(reads).toBe(1);
    expect([a, b, again, missing, upper]).toEqual([runs[0], runs[1], runs[0], null, runs[1]]);
    expect(again).not.toBe(a);
    expect(upper).not.toBe(b);
  });

  it('inserts runs started together in one group commit; a taken id or concurrency key refuses only that run', async () => {
    const statements: string[] = [];
    const counted: Db = Object.assign(Object.create(db) as Db, {
      query: (sql: string, params?: unknown[]) => {
        statements.push(sql);
        return db.query(sql, params);
      },
    });
    const on = new SqlWorkflowStore(counted);
    const runs = Array.from({ length: 3 }, () => sampleRun(crypto.randomUUID()));
    const order: string[] = [];
    await Promise.all(
      runs.map((r, i) =>
        on
          .insertRun(r, started(r), { onDurable: () => order.push(`durable ${i}`) })
          .then(() => order.push(`resumed ${i}`)),
      ),
    );
    expect(statements).toHaveLength(1);
    // Announced with the rest of the group commit, before any of its callers goes on.
    expect(order).toEqual(['durable 0', 'durable 1', 'durable 2', 'resumed 0', 'resumed 1', 'resumed 2']);
    for (const r of runs) expect(await on.getRun(r.id)).toEqual(r);

    const fresh = sampleRun(crypto.randomUUID());
    const [again, alongside] = await Promise.allSettled([
      on.insertRun(runs[0]!, started(runs[0]!)),
      on.insertRun(fresh, started(fresh)),
    ]);
    expect(again).toMatchObject({
      status: 'rejected',
      reason: { message: `run ${runs[0]!.id} already exists` },
    });
    expect(alongside).toMatchObject({ status: 'fulfilled' });
    expect(await on.getRun(fresh.id)).toEqual(fresh);

    const key = `shop-${crypto.randomUUID()}`;
    const holder = sampleRun(crypto.randomUUID(), { concurrencyKey: key });
    const second = sampleRun(crypto.randomUUID(), { concurrencyKey: key });
    await on.insertRun(holder, started(holder));
    const refused = await on.insertRun(second, started(second)).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ConcurrencyConflict);
    expect(refused).toMatchObject({ concurrencyKey: key, activeRunId: holder.id });
    expect(await on.getRun(second.id)).toBeNull();
  });

  it('sends one group commit at a time: what arrives while one is out goes together in the next', async () => {
    // The real database, with the first group commit held back until the others have been asked for.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const batches: number[] = [];
    const gated: Db = Object.assign(Object.create(db) as Db, {
      query: async (sql: string, params?: unknown[]) => {
        if (sql.includes('INSERT INTO workflow_batches') && sql.includes('jsonb_to_recordset')) {
          batches.push((JSON.parse(String(params?.[0])) as unknown[]).length);
          if (batches.length === 1) await held;
        }
        return db.query(sql, params);
      },
    });
    const on = new SqlWorkflowStore(gated);
    const runs = Array.from({ length: 4 }, () => sampleRun(crypto.randomUUID()));
    for (const r of runs) await store.insertRun(r, started(r));
    const commitOf = (r: WorkflowRun) =>
      on.commit({ ...r, seq: 2 }, [
        { runId: r.id, seq: 2, type: 'step.started', stepId: 'a', at: r.createdAt, detail: null },
      ]);
    const first = commitOf(runs[0]!);
    while (batches.length === 0) await new Promise((resolve) => setImmediate(resolve));
    // Asked for in three later turns, while the first statement is out.
    const rest: Promise<void>[] = [];
    for (const r of runs.slice(1)) {
      rest.push(commitOf(r));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(batches).toEqual([1]);
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([1, 3]);
    for (const r of runs) expect(await store.getRun(r.id)).toMatchObject({ seq: 2 });
  });

  it("calls each durable commit's onDurable, then lets their I/O go, before any caller of its group commit resumes", async () => {
    const [a, b] = [sampleRun(crypto.randomUUID()), sampleRun(crypto.randomUUID())];
    for (const run of [a, b]) await store.insertRun(run, started(run));
    const order: string[] = [];
    const completing = (run: WorkflowRun, onDurable: () => void) => {
      const at = new Date().toISOString();
      return store
        .commit(
          { ...run, seq: 2, status: 'completed', updatedAt: at },
          [{ runId: run.id, seq: 2, type: 'run.completed', stepId: null, at, detail: null }],
          { onDurable },
        )
        .then(() => order.push(`resumed ${run.id === a.id ? 'a' : 'b'}`));
    };
    const settled = await Promise.allSettled([
      completing(a, () => {
        order.push('durable a');
        // What a socket write's callback does (socket.io sends a client's next frames there): before the callers.
        process.nextTick(() => order.push('written a'));
      }),
      completing(b, () => {
        order.push('durable b');
        throw new Error('announcing failed');
      }),
    ]);
    expect(order).toEqual(['durable a', 'durable b', 'written a', 'resumed a']);
    // The callback's failure is its caller's; the write stands.
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { message: 'announcing failed' } });
    expect(await store.getRun(b.id)).toMatchObject({ seq: 2, status: 'completed' });
  });

  describe('patches instead of whole runs', () => {
    const step = (id: string) => pendingStep(id);

    /** Commits `change` as the journal does: the next seq, a later time, and what changed. */
    async function commitChange(
      on: SqlWorkflowStore,
      run: WorkflowRun,
      change: (r: WorkflowRun) => WorkflowRun,
    ): Promise<WorkflowRun> {
      const at = new Date(Date.parse(run.updatedAt) + 1000).toISOString();
      const next = { ...change(run), seq: run.seq + 1, updatedAt: at };
      await on.commit(next, [
        {
          runId: run.id,
          seq: next.seq,
          type: 'step.completed',
          stepId: null,
          at,
          detail: null,
          patch: diffRun(run, next),
        },
      ]);
      return next;
    }

    const stored = async (id: string) => {
      const [row] = await db.query<{ doc_lag: number; doc_seq: number; title: string; agent: string | null }>(
        `SELECT seq - doc_seq AS doc_lag, doc_seq, title, agent FROM workflow_runs
          WHERE id = $1 AND doc_seq = (doc->>'seq')::int`,
        [id],
      );
      return row!;
    };

    const markStep = (i: number, status: StepRecord['status']) => (r: WorkflowRun) => ({
      ...r,
      steps: r.steps.map((s, j) => (j === i ? { ...s, status, attempt: s.attempt + 1 } : s)),
    });

    it('write what changed, and every reader rebuilds the run from the document and the patches after it', async () => {
      let run = sampleRun(crypto.randomUUID(), {
        steps: Array.from({ length: 40 }, (_, i) => step(`s${i}`)),
      });
      await store.insertRun(run, started(run));
      for (let i = 0; i < 3; i++) run = await commitChange(store, run, markStep(i, 'completed'));
      // The document is the one inserted at seq 1: three transitions wrote their patches only.
      expect(await stored(run.id)).toMatchObject({ doc_lag: 3, doc_seq: 1 });
      expect(await store.getRun(run.id)).toEqual(run);
      expect((await store.listUnfinished()).find((r) => r.id === run.id)).toEqual(run);
      expect(
        (await store.listRuns({ state: 'all', name: 'sample', limit: 500 })).find((r) => r.id === run.id),
      ).toEqual(run);
      expect((await store.eventsAfter(run.id, 1)).map((e) => e.patch)).toEqual([
        { steps: { s0: { status: 'completed', attempt: 1 } } },
        { steps: { s1: { status: 'completed', attempt: 1 } } },
        { steps: { s2: { status: 'completed', attempt: 1 } } },
      ]);
    });

    it('rewrite the document once the patches since outweigh it, so a read applies a bounded tail', async () => {
      let run = sampleRun(crypto.randomUUID(), { steps: [step('a')] });
      await store.insertRun(run, started(run));
      let rewrites = 0;
      for (let i = 0; i < 200; i++) {
        run = await commitChange(store, run, (r) => ({
          ...r,
          context: { ...r.context, [`k${i}`]: 'x'.repeat(40) },
        }));
        if ((await stored(run.id)).doc_lag === 0) rewrites += 1;
      }
      // About 60 bytes a patch against a document growing from 0.3 to 12 KB: a handful of rewrites, not 200.
      expect(rewrites).toBeGreaterThan(0);
      expect(rewrites).toBeLessThan(20);
      const { doc_lag } = await stored(run.id);
      expect(doc_lag).toBeLessThan(200);
      expect(await store.getRun(run.id)).toEqual(run);
    });

    it('rewrite the document when a column the history reads from it changes', async () => {
      let run = sampleRun(crypto.randomUUID(), { steps: [step('a')], context: { steps: {} } });
      await store.insertRun(run, started(run));
      run = await commitChange(store, run, markStep(0, 'in_progress'));
      expect(await stored(run.id)).toMatchObject({ doc_lag: 1, agent: null });
      run = await commitChange(store, run, (r) => ({
        ...r,
        title: 'Deploy to web-07',
        context: { ...r.context, hostname: 'web-07' },
      }));
      expect(await stored(run.id)).toMatchObject({ doc_lag: 0, title: 'Deploy to web-07', agent: 'web-07' });
      run = await commitChange(store, run, markStep(0, 'failed'));
      expect(await stored(run.id)).toMatchObject({ doc_lag: 0 });
    });

    it('rewrite the document when the run is left waiting, so the decision that reads it next applies no patch', async () => {
      let run = sampleRun(crypto.randomUUID(), { steps: [step('a'), step('b')] });
      await store.insertRun(run, started(run));
      run = await commitChange(store, run, markStep(0, 'in_progress'));
      expect(await stored(run.id)).toMatchObject({ doc_lag: 1 });
      run = await commitChange(store, run, (r) => ({
        ...markStep(0, 'awaiting_approval')(r),
        status: 'waiting',
      }));
      expect(await stored(run.id)).toMatchObject({ doc_lag: 0, doc_seq: 3 });
      run = await commitChange(store, run, (r) => ({ ...markStep(0, 'in_progress')(r), status: 'running' }));
      expect(await stored(run.id)).toMatchObject({ doc_lag: 1, doc_seq: 3 });
      // Ended two commits after its document: the short tail stays, and readers still get the whole run.
      run = await commitChange(store, run, (r) => ({ ...markStep(0, 'completed')(r), status: 'completed' }));
      expect(await stored(run.id)).toMatchObject({ doc_lag: 2, doc_seq: 3 });
      expect(await store.getRun(run.id)).toEqual(run);
      expect(
        (await store.listRuns({ state: 'past', name: 'sample', limit: 500 })).find((r) => r.id === run.id),
      ).toEqual(run);
    });

    it('rewrite the document of a run that ends more than four commits after it, so its readers open few batches', async () => {
      let run = sampleRun(crypto.randomUUID(), { steps: [step('a'), step('b'), step('c')] });
      await store.insertRun(run, started(run));
      for (const i of [0, 1, 2]) run = await commitChange(store, run, markStep(i, 'in_progress'));
      run = await commitChange(store, run, markStep(0, 'completed'));
      expect(await stored(run.id)).toMatchObject({ doc_lag: 4, doc_seq: 1 });
      run = await commitChange(store, run, (r) => ({ ...markStep(1, 'completed')(r), status: 'completed' }));
      expect(await stored(run.id)).toMatchObject({ doc_lag: 0, doc_seq: 6 });
      expect(await store.getRun(run.id)).toEqual(run);
    });

    it('rewrite the document on the first commit of a run another store (controller) wrote', async () => {
      let run = sampleRun(crypto.randomUUID(), { steps: [step('a'), step('b')] });
      await store.insertRun(run, started(run));
      run = await commitChange(store, run, markStep(0, 'in_progress'));
      const other = new SqlWorkflowStore(db);
      run = await commitChange(other, run, markStep(0, 'completed'));
      expect(await stored(run.id)).toMatchObject({ doc_lag: 0, doc_seq: 3 });
      run = await commitChange(other, run, markStep(1, 'in_progress'));
      expect(await stored(run.id)).toMatchObject({ doc_lag: 1 });
      expect(await store.getRun(run.id)).toEqual(run);
    });

    it('remember a bounded number of documents: a forgotten one is rewritten at its next commit', async () => {
      const small = new SqlWorkflowStore(db, { rememberedDocs: 2 });
      const runs = [0, 1, 2].map(() => sampleRun(crypto.randomUUID(), { steps: [step('a')] }));
      for (const run of runs) await small.insertRun(run, started(run));
      const first = await commitChange(small, runs[0]!, markStep(0, 'in_progress'));
      expect(await stored(first.id)).toMatchObject({ doc_lag: 0 }); // forgotten when the third came: rewritten
      const third = await commitChange(small, runs[2]!, markStep(0, 'in_progress'));
      expect(await stored(third.id)).toMatchObject({ doc_lag: 1 });
      expect(await small.getRun(first.id)).toEqual(first);
      expect(await small.getRun(third.id)).toEqual(third);
    });

    it('store a transition without a patch whole', async () => {
      const run = sampleRun(crypto.randomUUID(), { steps: [step('a')] });
      await store.insertRun(run, started(run));
      const at = new Date(Date.parse(run.updatedAt) + 1000).toISOString();
      const next = { ...markStep(0, 'completed')(run), seq: 2, updatedAt: at };
      await store.commit(next, [
        { runId: run.id, seq: 2, type: 'step.completed', stepId: 'a', at, detail: null },
      ]);
      expect(await stored(run.id)).toMatchObject({ doc_lag: 0, doc_seq: 2 });
      expect(await store.getRun(run.id)).toEqual(next);
    });
  });
});
