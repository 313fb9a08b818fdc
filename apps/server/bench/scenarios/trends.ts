import { runTrendsQuerySchema } from '@deploybot/shared';
import { MARKED_EVENT_TYPES } from '../../src/db/commit-row';
import type { Db } from '../../src/db/db';
import { RunTrendsStore } from '../../src/db/run-trends.store';
import type { BenchConfig } from '../config';
import type { TrendsQueryResult, TrendsResult } from '../results';
import { percentiles } from '../stats';

const BATCH = 5_000;
/** As in the history scenario: one run every ~78 s over 90 days, 2026-09-01 to 2026-11-30. */
const SPACING_MS = 77_760;
const EPOCH = '2026-09-01T00:00:00Z';
/** The last day holding runs: "the last N days" are counted back from it. */
const LAST_DAY = '2026-11-29';

/**
 * (8): a workflow's trends at `trendsRuns` runs, each with its event log (7 or 10 events: about 950,000 at
 * 100,000 runs). Runs and events are written by SQL in batches, shaped as a deploy's: validate → a gate
 * (select_agent) → monitor; 5 workflows as in the history scenario, 5 % failed (at monitor_job or
 * smoke_test), 5 % rejected at the gate, gate waits of 5 s to 30 min, work of 20 s to 5 min. Each range is read
 * through RunTrendsStore, the code the API runs, `trendsSamples` times after one warm-up read.
 */
export async function trends(db: Db, cfg: BenchConfig): Promise<TrendsResult> {
  const started = performance.now();
  for (let from = 0; from < cfg.trendsRuns; from += BATCH) {
    await db.query(INSERT_RUNS_AND_EVENTS, [
      from,
      Math.min(cfg.trendsRuns, from + BATCH) - 1,
      EPOCH,
      SPACING_MS,
      [...MARKED_EVENT_TYPES],
    ]);
  }
  await db.query('ANALYZE workflow_runs');
  await db.query('ANALYZE workflow_commits');
  const insertSeconds = (performance.now() - started) / 1000;
  const [{ events } = { events: 0 }] = await db.query<{ events: number }>(
    'SELECT count(*)::int AS events FROM workflow_events',
  );

  const store = new RunTrendsStore(db);
  const back = (days: number) =>
    new Date(Date.parse(`${LAST_DAY}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const cases: [string, Record<string, unknown>][] = [
    ['deploy_application, 7 days by day', { workflow: 'deploy_application', from: back(7), bucket: 'day' }],
    ['deploy_application, 30 days by day', { workflow: 'deploy_application', from: back(30), bucket: 'day' }],
    [
      'deploy_application, 90 days by week',
      { workflow: 'deploy_application', from: back(90), bucket: 'week' },
    ],
    ['health_check, 90 days by week', { workflow: 'health_check', from: back(90), bucket: 'week' }],
    ['a workflow with no runs, 90 days', { workflow: 'never_run', from: back(90), bucket: 'week' }],
  ];
  const queries: TrendsQueryResult[] = [];
  for (const [label, raw] of cases) {
    const query = runTrendsQuerySchema.parse({ to: LAST_DAY, ...raw });
    await store.trends(query); // warm: plan cache and buffers, as a controller that has served it before
    const samples: number[] = [];
    let runs = 0;
    for (let i = 0; i < cfg.trendsSamples; i++) {
      const t0 = performance.now();
      runs = (await store.trends(query)).totals.runs;
      samples.push(performance.now() - t0);
    }
    queries.push({ label, runs, ms: percentiles(samples) });
  }
  return { scenario: 'trends', runs: cfg.trendsRuns, events, insertSeconds, queries };
}

/**
 * Runs $1..$2 (inclusive), numbered g, and their events in one statement; everything follows from g, so every
 * benchmark sees the same data.
 */
const INSERT_RUNS_AND_EVENTS = `
WITH v AS (
  SELECT g, gen_random_uuid() AS id,
         (ARRAY['deploy_application', 'deploy_application', 'health_check', 'troubleshoot_failure',
                'register_agent'])[1 + g % 5] AS name,
         CASE WHEN g % 20 = 0 THEN 'failed' WHEN g % 20 = 1 THEN 'cancelled' ELSE 'completed' END AS status,
         CASE WHEN g % 40 = 20 THEN 'smoke_test' ELSE 'monitor_job' END AS last_step,
         'user-' || (g % 20) AS started_by,
         $3::timestamptz + (g::bigint * $4::bigint + g % 997) * interval '1 millisecond' AS created_at,
         5000 + (g::bigint * 104729) % 1795000 AS wait_ms,
         20000 + (g::bigint * 7919) % 280000 AS work_ms
    FROM generate_series($1::int, $2::int) AS g
),
runs AS (
  INSERT INTO workflow_runs (id, name, version, status, current_step, started_by, created_at, updated_at, seq, doc)
  SELECT id, name, 1, status, NULL, started_by, created_at,
         created_at + (3000 + wait_ms + CASE WHEN status = 'cancelled' THEN 0 ELSE work_ms END) * interval '1 ms',
         CASE WHEN status = 'cancelled' THEN 7 ELSE 10 END,
         jsonb_build_object(
           'id', id, 'name', name, 'title', initcap(replace(name, '_', ' ')), 'version', 1, 'status', status,
           'progress', 100, 'context', jsonb_build_object('repository', 'demo/app-' || (g % 50), 'ref', 'main'),
           'currentStep', NULL, 'error', CASE WHEN status = 'failed' THEN 'job failed' END,
           'startedBy', started_by, 'createdAt', created_at, 'seq', 10,
           'steps', jsonb_build_array(
             jsonb_build_object('id', 'validate_repository', 'title', 'Validate repository', 'kind', 'automatic',
                                'status', 'completed', 'summary', 'main → 4f1c2ab', 'attempt', 1, 'decisions', '[]'::jsonb),
             jsonb_build_object('id', 'select_agent', 'title', 'Select target agent', 'kind', 'gate',
                                'status', CASE WHEN status = 'cancelled' THEN 'cancelled' ELSE 'completed' END,
                                'summary', 'web-07 (score 0.92)', 'attempt', 1,
                                'decisions', jsonb_build_array(jsonb_build_object(
                                  'by', 'approver', 'note', null,
                                  'decision', CASE WHEN status = 'cancelled' THEN 'rejected' ELSE 'approved' END,
                                  'at', created_at + (3000 + wait_ms) * interval '1 ms'))),
             jsonb_build_object('id', last_step, 'title', initcap(replace(last_step, '_', ' ')), 'kind', 'automatic',
                                'status', CASE status WHEN 'cancelled' THEN 'pending' ELSE status END,
                                'summary', 'exit 0 after 12.1 s', 'attempt', 1, 'decisions', '[]'::jsonb)))
    FROM v
  RETURNING id
),
events AS (
  SELECT v.id, e.seq, e.type, e.step_id, e.commit_seq,
         (extract(epoch FROM v.created_at) * 1000)::bigint + e.after_ms AS at_ms
    FROM v
   CROSS JOIN LATERAL (VALUES
     (1, 'run.started', NULL, 0::bigint, 1),
     (2, 'step.started', 'validate_repository', 0, 2),
     (3, 'step.completed', 'validate_repository', 2000, 4),
     (4, 'step.started', 'select_agent', 2000, 4),
     (5, 'step.awaiting_approval', 'select_agent', 3000, 5),
     (6, CASE WHEN v.status = 'cancelled' THEN 'step.rejected' ELSE 'step.approved' END, 'select_agent', 3000 + v.wait_ms, 6),
     (7, CASE WHEN v.status = 'cancelled' THEN 'run.cancelled' ELSE 'step.completed' END, 'select_agent', 3000 + v.wait_ms,
         CASE WHEN v.status = 'cancelled' THEN 7 ELSE 8 END),
     (8, 'step.started', v.last_step, 3000 + v.wait_ms, 8),
     (9, CASE WHEN v.status = 'failed' THEN 'step.failed' ELSE 'step.completed' END, v.last_step,
         3000 + v.wait_ms + v.work_ms, 10),
     (10, CASE WHEN v.status = 'failed' THEN 'run.failed' ELSE 'run.completed' END,
          CASE WHEN v.status = 'failed' THEN v.last_step END, 3000 + v.wait_ms + v.work_ms, 10)
   ) AS e(seq, type, step_id, after_ms, commit_seq)
   WHERE e.seq <= CASE WHEN v.status = 'cancelled' THEN 7 ELSE 10 END
),
-- Grouped into commits as the engine makes them: a completion with the start or end it allows; each run's commits
-- in a batch of their own (migration 018; trends read only the commits' marks).
commits AS (
  SELECT id AS run_id, commit_seq AS seq,
         (dense_rank() OVER (PARTITION BY id ORDER BY commit_seq) - 1)::int AS pos,
         jsonb_agg(jsonb_build_array(seq, type, step_id, at_ms, NULL, NULL) ORDER BY seq) AS events,
         jsonb_agg(jsonb_build_array(seq, type, step_id, at_ms) ORDER BY seq)
           FILTER (WHERE type = ANY($5::text[])) AS marks
    FROM events
   GROUP BY id, commit_seq
),
batch_ids AS MATERIALIZED (
  SELECT id AS run_id, nextval(pg_get_serial_sequence('workflow_batches', 'id')) AS batch_id FROM v
),
batches AS (
  INSERT INTO workflow_batches (id, commits)
  SELECT b.batch_id, jsonb_agg(c.events ORDER BY c.pos)
    FROM commits c JOIN batch_ids b USING (run_id)
   GROUP BY b.batch_id
)
INSERT INTO workflow_commits (run_id, seq, batch_id, pos, marks)
SELECT c.run_id, c.seq, b.batch_id, c.pos, c.marks FROM commits c JOIN batch_ids b USING (run_id)`;
