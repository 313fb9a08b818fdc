import type { Db } from '../../src/db/db';
import type { BenchConfig } from '../config';
import type { FloorResult } from '../results';
import { inPool } from '../run-tracker';
import { percentiles } from '../stats';
import { startWalMeter } from '../wal';

/**
 * The fastest durable step a hand-written program can make: the throughput scenario's runs × steps with as many
 * runs in flight, through the same driver (the pg pool of 10, PgliteDb), each step ONE statement that records its
 * completion (the run's row moves on, its event is inserted). No engine: what the engine is compared with.
 * The tables are its own, in the scenario's fresh database; a run's row is inserted first (one statement more).
 */
export async function floor(db: Db, cfg: BenchConfig): Promise<FloorResult> {
  await db.exec(`
    CREATE TABLE floor_runs (
      id bigint PRIMARY KEY,
      status text NOT NULL,
      current_step int NOT NULL,
      seq int NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE floor_events (
      run_id bigint NOT NULL REFERENCES floor_runs (id),
      seq int NOT NULL,
      type text NOT NULL,
      data jsonb NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run_id, seq)
    );`);
  const statementMs: number[] = [];
  const timed = async (sql: string, params: unknown[]) => {
    const started = performance.now();
    await db.query(sql, params);
    statementMs.push(performance.now() - started);
  };
  let nextId = 0;
  const oneRun = async () => {
    const id = ++nextId;
    await timed(`INSERT INTO floor_runs (id, status, current_step, seq) VALUES ($1, 'running', 0, 0)`, [id]);
    for (let step = 1; step <= cfg.steps; step++) {
      // The same small result the engine's chain steps return.
      const result = { summary: `step ${step} done`, data: { index: step, ok: true, note: 'bench' } };
      await timed(
        `WITH r AS (
           UPDATE floor_runs SET current_step = $2::int, seq = seq + 1, updated_at = now(),
                  status = CASE WHEN $2::int = $3::int THEN 'completed' ELSE 'running' END
            WHERE id = $1::bigint RETURNING id, seq)
         INSERT INTO floor_events (run_id, seq, type, data) SELECT id, seq, 'step.completed', $4::jsonb FROM r`,
        [id, step, cfg.steps, JSON.stringify(result)],
      );
    }
  };

  await inPool(cfg.warmupRuns, cfg.inFlight, oneRun);
  statementMs.length = 0;
  const firstMeasured = nextId;

  const wal = await startWalMeter(db);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await inPool(cfg.runs, cfg.inFlight, oneRun);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const walBytes = await wal.stop();
  const [done] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM floor_runs WHERE id > $1 AND status = 'completed'`,
    [firstMeasured],
  );
  return {
    scenario: 'floor',
    runs: cfg.runs,
    steps: cfg.steps,
    inFlight: cfg.inFlight,
    statements: statementMs.length,
    seconds,
    stepsPerSec: (cfg.runs * cfg.steps) / seconds,
    statementMs: percentiles(statementMs),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    wal: walBytes,
    completedRuns: done?.n ?? 0,
  };
}
