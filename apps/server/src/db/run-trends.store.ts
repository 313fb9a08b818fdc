import {
  type FailingStep,
  type RunTrends,
  type RunTrendsQuery,
  successRateOf,
  type TrendBucket,
  type TrendFigures,
  trendsRange,
} from '@deploybot/shared';
import type { Db } from './db';

/** A bucket's step in hours: exact, so a daylight-saving change in the session's time zone never moves a bucket. */
const STEP: Record<TrendBucket, string> = { day: '24 hours', week: '168 hours' };
/** How many of the most failing steps a response names. */
const FAILING_STEPS = 10;

/**
 * One statement, one pass over the workflow's runs in the range (by `workflow_runs_name_created`, migration 013):
 *
 * - `runs`: the runs started in the range, each with its bucket (`date_trunc` in UTC) and its failed steps, read
 *   once from the document and kept (MATERIALIZED) for every aggregate below.
 * - durations: start → the run's own `run.completed` / `run.failed` event. Not `updated_at`: a rollback marks the
 *   original run's steps `compensated` later and moves `updated_at`, which would stretch a run by however long
 *   the operator waited before rolling it back.
 * - gate waits: from the event log, `step.awaiting_approval` → the step's next decision or failure (approved,
 *   rejected, failed at its deadline) or else the end of the run (cancelled while it waited). Not from the steps'
 *   decisions: a step's record has no time for when its wait began (`startedAt` is before its plan ran), a wait
 *   ended by a deadline or a cancel has no decision, and a step that waited twice keeps one record. Waits still
 *   open are left out: their length is not known yet. Both come from one read of the runs'
 *   events through the partial index of migration 018 (window functions pair a wait with its end): one index
 *   probe per run, where a lookup per wait cost twice as much at 40,000 runs.
 * - per bucket and for the whole range (GROUPING SETS: the `()` row, bucket NULL, is the range), with
 *   `percentile_cont` for p50/p95; `series` adds the buckets that had no run.
 */
const TRENDS_SQL = `
WITH runs AS MATERIALIZED (
  SELECT id, status, created_at, date_trunc($4, created_at, 'UTC') AS bucket,
         jsonb_path_query_array(doc, '$.steps[*] ? (@.status == "failed")') AS failed_steps
    FROM workflow_runs
   WHERE name = $1 AND created_at >= $2::timestamptz AND created_at <= $3::timestamptz
),
-- The events trends need, of the runs above, from one partial index (migration 018): a gate's wait beginning,
-- what can end it, and the run's end, which the commits holding them list in their marks ([seq, type, step, at]).
-- A subquery per run (OFFSET 0 keeps the planner from flattening it into a join), so it is one index probe per
-- run: as a join, the planner guessed 100 marks per commit (its default for a set-returning function) and read
-- every commit of the table instead.
events AS MATERIALIZED (
  SELECT r.bucket, r.created_at, r.id AS run_id, (m.mark ->> 0)::int AS seq, m.mark ->> 1 AS type,
         m.mark ->> 2 AS step_id, to_timestamp((m.mark ->> 3)::float8 / 1000) AS at
    FROM runs r
   CROSS JOIN LATERAL (
     SELECT mark FROM workflow_commits c CROSS JOIN LATERAL jsonb_array_elements(c.marks) AS mark
      WHERE c.run_id = r.id AND c.marks IS NOT NULL OFFSET 0) AS m
),
durations AS (
  SELECT bucket, extract(epoch FROM at - created_at) * 1000 AS ms
    FROM events WHERE type IN ('run.completed', 'run.failed')
),
waits AS (
  SELECT bucket, extract(epoch FROM coalesce(step_next, run_end) - at) * 1000 AS ms
    FROM (SELECT type, bucket, at,
                 lead(at) OVER (PARTITION BY run_id, step_id ORDER BY seq) AS step_next,
                 max(at) FILTER (WHERE type IN ('run.completed', 'run.failed', 'run.cancelled'))
                   OVER (PARTITION BY run_id) AS run_end
            FROM events) w
   WHERE type = 'step.awaiting_approval' AND coalesce(step_next, run_end) IS NOT NULL
),
counts AS (
  SELECT bucket, count(*)::int AS runs,
         (count(*) FILTER (WHERE status = 'completed'))::int AS completed,
         (count(*) FILTER (WHERE status = 'failed'))::int AS failed,
         (count(*) FILTER (WHERE status = 'cancelled'))::int AS cancelled
    FROM runs GROUP BY GROUPING SETS ((bucket), ())
),
duration_stats AS (
  SELECT bucket,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95
    FROM durations GROUP BY GROUPING SETS ((bucket), ())
),
wait_stats AS (
  SELECT bucket, count(*)::int AS waits, sum(ms) AS total,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50
    FROM waits GROUP BY GROUPING SETS ((bucket), ())
),
series AS (
  SELECT generate_series(date_trunc($4, $2::timestamptz, 'UTC'), date_trunc($4, $3::timestamptz, 'UTC'),
                         $5::interval) AS bucket
  UNION ALL SELECT NULL
),
figures AS (
  SELECT s.bucket, coalesce(c.runs, 0) AS runs, coalesce(c.completed, 0) AS completed,
         coalesce(c.failed, 0) AS failed, coalesce(c.cancelled, 0) AS cancelled,
         d.p50 AS duration_p50, d.p95 AS duration_p95,
         coalesce(w.waits, 0) AS gate_waits, coalesce(w.total, 0) AS gate_wait_total, w.p50 AS gate_wait_p50
    FROM series s
    LEFT JOIN counts c ON c.bucket IS NOT DISTINCT FROM s.bucket
    LEFT JOIN duration_stats d ON d.bucket IS NOT DISTINCT FROM s.bucket
    LEFT JOIN wait_stats w ON w.bucket IS NOT DISTINCT FROM s.bucket
),
failing AS (
  SELECT step ->> 'id' AS step_id,
         (array_agg(step ->> 'title' ORDER BY r.created_at DESC))[1] AS title,
         count(DISTINCT r.id)::int AS failures
    FROM runs r CROSS JOIN LATERAL jsonb_array_elements(r.failed_steps) AS step
   GROUP BY step ->> 'id'
   ORDER BY failures DESC, step_id
   LIMIT ${FAILING_STEPS}
)
SELECT (SELECT json_agg(f ORDER BY f.bucket NULLS FIRST) FROM figures f) AS figures,
       (SELECT coalesce(json_agg(x ORDER BY x.failures DESC, x.step_id), '[]'::json) FROM failing x) AS failing`;

interface FiguresRow {
  bucket: string | null;
  runs: number;
  completed: number;
  failed: number;
  cancelled: number;
  duration_p50: number | null;
  duration_p95: number | null;
  gate_waits: number;
  gate_wait_total: number;
  gate_wait_p50: number | null;
}

interface FailingRow {
  step_id: string;
  title: string | null;
  failures: number;
}

/** Trends of one workflow's runs over a range, computed by the database; read-only. */
export class RunTrendsStore {
  constructor(private readonly db: Db) {}

  async trends(query: RunTrendsQuery): Promise<RunTrends> {
    const { from, to } = trendsRange(query);
    const [row] = await this.db.transaction(async (tx) => {
      // The planner's cost for the per-run event lookups passes jit_above_cost at a few thousand runs, and
      // PostgreSQL then spent 50-80 ms compiling a statement that is index probes and in-memory sorts.
      await tx.query('SET LOCAL jit = off');
      return tx.query<{ figures: FiguresRow[] | string; failing: FailingRow[] | string }>(TRENDS_SQL, [
        query.workflow,
        from,
        to,
        query.bucket,
        STEP[query.bucket],
      ]);
    });
    const figures = json<FiguresRow[]>(row?.figures ?? []);
    const total = figures.find((f) => f.bucket === null);
    const totals = figuresOf(total);
    return {
      workflow: query.workflow,
      bucket: query.bucket,
      from,
      to,
      buckets: figures
        .filter((f): f is FiguresRow & { bucket: string } => f.bucket !== null)
        .map((f) => ({ start: new Date(f.bucket).toISOString(), ...figuresOf(f) })),
      totals,
      failingSteps: json<FailingRow[]>(row?.failing ?? []).map(
        (s): FailingStep => ({
          stepId: s.step_id,
          title: s.title ?? s.step_id,
          failures: s.failures,
          share: totals.runs === 0 ? 0 : s.failures / totals.runs,
        }),
      ),
    };
  }
}

/** pg parses json columns; PGlite may hand back text. */
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/** Milliseconds rounded to whole ones: sub-millisecond precision of an interpolated percentile means nothing. */
const msOf = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(Number(v)));

function figuresOf(f: FiguresRow | undefined): TrendFigures {
  const completed = f?.completed ?? 0;
  const failed = f?.failed ?? 0;
  return {
    runs: f?.runs ?? 0,
    completed,
    failed,
    cancelled: f?.cancelled ?? 0,
    successRate: successRateOf(completed, failed),
    durationP50Ms: msOf(f?.duration_p50),
    durationP95Ms: msOf(f?.duration_p95),
    gateWaits: f?.gate_waits ?? 0,
    gateWaitTotalMs: msOf(f?.gate_wait_total) ?? 0,
    gateWaitP50Ms: msOf(f?.gate_wait_p50),
  };
}
