import type { RunHistoryPage, RunHistoryQuery, RunStatus, RunSummary } from '@deploybot/shared';
import type { Db } from './db';
import { decodeCursor, encodeCursor, historyQuery } from './run-history.query';

interface SummaryRow {
  id: string;
  name: string;
  title: string | null;
  version: number;
  status: RunStatus;
  started_by: string;
  created_at: Date | string;
  updated_at: Date | string;
  repository: string | null;
  agent: string | null;
  error: string | null;
}

/** Who did something to a run, as the audit log recorded it. */
export interface RunAuditEntry {
  actor: string;
  action: string;
  at: string;
}

/** A cursor that is not one this server gave out. */
export class BadCursorError extends Error {
  constructor() {
    super('cursor is not the `next` of a previous page; start again without it');
  }
}

const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

/** Run history pages and what a run's timeline needs besides its events; read-only. */
export class RunHistoryStore {
  constructor(private readonly db: Db) {}

  async page(query: RunHistoryQuery): Promise<RunHistoryPage> {
    const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
    if (query.cursor !== undefined && cursor === null) throw new BadCursorError();
    const { sql, params } = historyQuery(query, cursor);
    const rows = await this.db.query<SummaryRow>(sql, params);
    const page = rows.slice(0, query.limit).map(summaryOf);
    const last = page.at(-1);
    return {
      runs: page,
      next:
        rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    };
  }

  /** The audit log's entries about one run (who started, decided, cancelled it), oldest first. */
  async auditOf(runId: string): Promise<RunAuditEntry[]> {
    const rows = await this.db.query<{ actor: string; action: string; at: Date | string }>(
      `SELECT actor, action, at FROM audit_log WHERE target = $1 AND action LIKE 'workflow.%' ORDER BY at`,
      [runId],
    );
    return rows.map((r) => ({ actor: r.actor, action: r.action, at: iso(r.at) }));
  }
}

function summaryOf(r: SummaryRow): RunSummary {
  return {
    id: r.id,
    name: r.name,
    title: r.title ?? r.name,
    version: r.version,
    status: r.status,
    startedBy: r.started_by,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    repository: r.repository,
    agent: r.agent,
    error: r.error,
  };
}
