import type { Db } from '../../src/db/db';
import { SqlWorkflowStore } from '../../src/db/workflow-store';
import { WorkflowEngine } from '../../src/engine/engine';
import type { BenchConfig } from '../config';
import { CountingDb } from '../counting-db';
import { failFast } from '../fail-fast';
import type { ParkedResult } from '../results';
import { inPool, RunTracker } from '../run-tracker';
import { collectGarbage, memorySample } from '../stats';
import { PARK_WORKFLOW, parkWorkflow } from '../workflows';

/**
 * (3): memory with `parked` runs waiting at a gate. The baseline is taken with the database open and the engine
 * built but before any run, so the delta is what the parked runs (and the writes that parked them) cost.
 * Then, with every run parked and its gate's deadline far off, counts what the engine asks of the database
 * for `parkedQuietS` seconds: waiting runs should cost no queries (one timer for the earliest deadline, no poll).
 */
export async function parked(db: Db, cfg: BenchConfig): Promise<ParkedResult> {
  const tracker = new RunTracker((run) => run.status !== 'running');
  const { onError, failed } = failFast();
  const counted = new CountingDb(db);
  const engine = new WorkflowEngine({
    store: new SqlWorkflowStore(counted),
    definitions: [parkWorkflow({ deadlineMs: cfg.parkedDeadlineS * 1000 })],
    onEvent: (event) => tracker.observe(event),
    onError,
  });

  try {
    await collectGarbage();
    const before = memorySample();
    const started = performance.now();
    await Promise.race([
      inPool(cfg.parked, cfg.inFlight, async () => {
        const run = await engine.start(PARK_WORKFLOW, {}, 'bench');
        await tracker.wait(run.id);
      }),
      failed,
    ]);
    await engine.idle();
    const seconds = (performance.now() - started) / 1000;
    // The benchmark's own bookkeeping must not count as memory the parked runs hold.
    tracker.clear();
    const waitingInDb = await countWaiting(db);
    const withDeadlineInDb = await countWithDeadline(db);
    const parkingStatements = counted.statements;
    const gcForced = await collectGarbage();
    const after = memorySample();

    // The benchmark's own queries go to `db`, not through the counter: only the engine's are counted.
    const quietFrom = counted.snapshot();
    await new Promise((resolve) => setTimeout(resolve, cfg.parkedQuietS * 1000));
    const quietTo = counted.snapshot();
    return {
      scenario: 'parked',
      runs: cfg.parked,
      waitingInDb,
      seconds,
      gcForced,
      before,
      after,
      deadlineS: cfg.parkedDeadlineS,
      quietSeconds: cfg.parkedQuietS,
      quietStatements: quietTo.statements - quietFrom.statements,
      quietTransactions: quietTo.transactions - quietFrom.transactions,
      parkingStatements,
      withDeadlineInDb,
    };
  } finally {
    await engine.stop();
  }
}

async function countWaiting(db: Db): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM workflow_runs WHERE status = 'waiting'`,
  );
  return rows[0]?.n ?? 0;
}

/** Waiting runs with a deadline recorded: the engine's deadline timer has something to wait for. */
async function countWithDeadline(db: Db): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM workflow_runs WHERE status = 'waiting' AND deadline_at IS NOT NULL`,
  );
  return rows[0]?.n ?? 0;
}
