import type { Db } from '../../../src/db/db';

/** The tables whose row counts must not move when a request is refused. */
export const GUARDED_TABLES = [
  'workflow_runs',
  'workflow_commits',
  'agents',
  'join_tokens',
  'repositories',
  'jobs',
  'job_logs',
  'users',
  'user_sessions',
  'api_tokens',
  'chat_sessions',
  'chat_messages',
] as const;

export type Snapshot = Record<string, number>;

/** Every table of the current schema (whatever migrations added since this was written). */
export async function tablesOf(db: Db): Promise<string[]> {
  const rows = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

/** Row counts of the guarded tables that exist, plus the audit log split by action. */
export async function snapshot(db: Db): Promise<{ counts: Snapshot; audit: Snapshot }> {
  const existing = new Set(await tablesOf(db));
  const counts: Snapshot = {};
  for (const table of GUARDED_TABLES) {
    if (!existing.has(table)) continue;
    counts[table] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;
  }
  const audit: Snapshot = {};
  for (const row of await db.query<{ action: string; n: number }>(
    'SELECT action, count(*)::int AS n FROM audit_log GROUP BY action ORDER BY action',
  )) {
    audit[row.action] = row.n;
  }
  return { counts, audit };
}

/** Asserts-ready diff: the tables whose count moved, and audit actions other than login failures that grew. */
export function changesBetween(
  before: { counts: Snapshot; audit: Snapshot },
  after: { counts: Snapshot; audit: Snapshot },
): { tables: Record<string, [number, number]>; audit: Record<string, [number, number]> } {
  const tables: Record<string, [number, number]> = {};
  for (const [table, n] of Object.entries(after.counts)) {
    if (before.counts[table] !== n) tables[table] = [before.counts[table] ?? 0, n];
  }
  const audit: Record<string, [number, number]> = {};
  for (const [action, n] of Object.entries(after.audit)) {
    if (action === 'auth.login_failed') continue;
    if ((before.audit[action] ?? 0) !== n) audit[action] = [before.audit[action] ?? 0, n];
  }
  return { tables, audit };
}

/** Every row of every table of the current schema, as JSON text, table by table. */
export async function dumpDatabase(db: Db): Promise<Record<string, string[]>> {
  const dump: Record<string, string[]> = {};
  for (const table of await tablesOf(db)) {
    const rows = await db.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${table}" t`);
    dump[table] = rows.map((r) => r.row);
  }
  return dump;
}
