import { runHistoryQuerySchema } from '@deploybot/shared';
import type { Db } from '../../src/db/db';
import { encodeCursor } from '../../src/db/run-history.query';
import { RunHistoryStore } from '../../src/db/run-history.store';
import type { BenchConfig } from '../config';
import type { HistoryQueryResult, HistoryResult } from '../results';
import { percentiles } from '../stats';

const BATCH = 10_000;
/** Runs one every ~78 s over 90 days, so a day holds ~1,100 of them. */
const SPACING_MS = 77_760;
const EPOCH = '2026-09-01T00:00:00Z';

/**
 * (7): the run history at `historyRuns` finished runs. The runs are written by SQL in batches (the engine's own
 * speed is sections 1-2; here only the reads matter), shaped as the built-ins' runs are: deploys carry a
 * repository and an agent, registrations a host name, 5 workflows, 20 starters, 50 repositories, 30 agents,
 * 5 % failed, 5 % cancelled. Each page is read through RunHistoryStore, the code the API runs, `samples` times.
 */
export async function history(db: Db, cfg: BenchConfig): Promise<HistoryResult> {
  const started = performance.now();
  for (let from = 0; from < cfg.historyRuns; from += BATCH) {
    await db.query(INSERT_RUNS, [from, Math.min(cfg.historyRuns, from + BATCH) - 1, EPOCH, SPACING_MS]);
  }
  await db.query('ANALYZE workflow_runs');
  const insertSeconds = (performance.now() - started) / 1000;

  const store = new RunHistoryStore(db);
  // A cursor as deep as a person paging 100 times would reach (page 101 of 50), with and without filters.
  const deep = async (where: string, params: unknown[]) => {
    const rows = await db.query<{ created_at: Date | string; id: string }>(
      `SELECT created_at, id FROM workflow_runs ${where} ORDER BY created_at DESC, id DESC OFFSET 4999 LIMIT 1`,
      params,
    );
    const row = rows[0];
    if (!row) throw new Error(`no row 5,000 for ${where}`);
    return encodeCursor({ createdAt: new Date(row.created_at).toISOString(), id: row.id });
  };
  const deepAll = await deep('', []);
  const deepDeploysFailed = await deep(`WHERE name = $1 AND status = ANY($2::text[])`, [
    'deploy_application',
    ['completed', 'failed'],
  ]);

  const cases: [string, Record<string, unknown>][] = [
    ['first page, no filter', {}],
    ['first page: workflow + status', { workflow: 'deploy_application', status: 'failed' }],
    ['first page: repository + agent', { repository: 'demo/app-5', agent: 'web-15' }],
    ['first page: started by + date range', { started_by: 'user-3', from: '2026-10-01', to: '2026-10-07' }],
    ['first page: search a title word', { q: 'app-41' }],
    ['search with no match (whole scan)', { q: 'no-such-title' }],
    ['page 101, no filter', { cursor: deepAll }],
    [
      'page 101: workflow + 2 statuses',
      { workflow: 'deploy_application', status: 'completed,failed', cursor: deepDeploysFailed },
    ],
  ];
  const queries: HistoryQueryResult[] = [];
  for (const [label, raw] of cases) {
    const query = runHistoryQuerySchema.parse({ limit: 50, ...raw });
    await store.page(query); // warm: plan cache and buffers, as a controller that has served a page before
    const samples: number[] = [];
    let rows = 0;
    for (let i = 0; i < cfg.historySamples; i++) {
      const t0 = performance.now();
      rows = (await store.page(query)).runs.length;
      samples.push(performance.now() - t0);
    }
    queries.push({ label, rows, ms: percentiles(samples) });
  }
  return { scenario: 'history', runs: cfg.historyRuns, insertSeconds, queries };
}

/** Runs $1..$2 (inclusive), numbered g; everything follows from g, so every benchmark sees the same data. */
const INSERT_RUNS = `
  INSERT INTO workflow_runs (id, name, version, status, current_step, started_by, created_at, updated_at, seq, doc)
  SELECT id, name, 1, status, NULL, started_by, created_at, created_at + interval '40 seconds', 9,
         jsonb_build_object(
           'id', id, 'name', name, 'title', title, 'version', 1, 'status', status, 'progress', 100,
           'context', context, 'currentStep', NULL, 'error', CASE WHEN status = 'failed' THEN 'job failed' END,
           'startedBy', started_by, 'createdAt', created_at, 'updatedAt', created_at + interval '40 seconds',
           'seq', 9,
           'steps', jsonb_build_array(
             jsonb_build_object('id', 'validate_repository', 'title', 'Validate repository', 'kind', 'automatic',
                                'status', 'completed', 'summary', 'main → 4f1c2ab', 'attempt', 1, 'decisions', '[]'::jsonb),
             jsonb_build_object('id', 'select_agent', 'title', 'Select target agent', 'kind', 'gate',
                                'status', 'completed', 'summary', 'web-07 (score 0.92)', 'attempt', 1,
                                'decisions', jsonb_build_array(jsonb_build_object(
                                  'by', 'approver', 'decision', 'approved', 'note', null, 'at', created_at))),
             jsonb_build_object('id', 'create_job', 'title', 'Create deployment job', 'kind', 'gate',
                                'status', 'completed', 'summary', 'job queued', 'attempt', 1, 'decisions', '[]'::jsonb),
             jsonb_build_object('id', 'monitor_job', 'title', 'Monitor deployment', 'kind', 'automatic',
                                'status', status, 'summary', 'exit 0 after 12.1 s', 'attempt', 1, 'decisions', '[]'::jsonb)))
    FROM generate_series($1::int, $2::int) AS g
   CROSS JOIN LATERAL (
     SELECT gen_random_uuid() AS id,
            (ARRAY['deploy_application', 'deploy_application', 'health_check', 'troubleshoot_failure',
                   'register_agent'])[1 + g % 5] AS name,
            CASE WHEN g % 20 = 0 THEN 'failed' WHEN g % 20 = 1 THEN 'cancelled' ELSE 'completed' END AS status,
            'user-' || (g % 20) AS started_by,
            'demo/app-' || (g % 50) AS repo,
            'web-' || lpad((g % 30)::text, 2, '0') AS agent,
            $3::timestamptz + (g::bigint * $4::bigint + g % 997) * interval '1 millisecond' AS created_at) v
   CROSS JOIN LATERAL (
     SELECT CASE name
              WHEN 'deploy_application' THEN 'Deploy ' || repo || '@main → ' || agent
              WHEN 'register_agent' THEN 'Register ' || agent
              ELSE initcap(replace(name, '_', ' ')) END AS title,
            CASE name
              WHEN 'deploy_application' THEN jsonb_build_object('repository', repo, 'ref', 'main', 'agent_hostname', agent)
              WHEN 'register_agent' THEN jsonb_build_object('hostname', agent)
              ELSE '{}'::jsonb END AS context) d`;
