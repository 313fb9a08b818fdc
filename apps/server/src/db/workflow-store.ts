import type { WorkflowRun } from '@deploybot/shared';
import { type EventRecord, type RunFilter, StaleRunError, type WorkflowStore } from '../engine/ports';
import type { Db } from './db';

interface RunRow {
  doc: WorkflowRun;
}

interface EventRow {
  run_id: string;
  seq: number;
  type: EventRecord['type'];
  step_id: string | null;
  at: Date | string;
  detail: Record<string, unknown> | null;
}

/** The waiting step's deadline is kept in a column so expired runs are found by an index, not a scan. */
function deadlineOf(run: WorkflowRun): string | null {
  if (run.status !== 'waiting') return null;
  return (
    run.steps.find((s) => s.status === 'awaiting_approval' || s.status === 'awaiting_input')?.deadline ?? null
  );
}

/** Workflow runs and their append-only events, in the SQL both PGlite and PostgreSQL speak. */
export class SqlWorkflowStore implements WorkflowStore {
  constructor(private readonly db: Db) {}

  async insertRun(run: WorkflowRun, event: EventRecord): Promise<void> {
    // One statement: the run and its first event land together or not at all.
    await this.db.query(
      `WITH ins AS (
         INSERT INTO workflow_runs (id, name, version, status, current_step, started_by, created_at, updated_at,
                                    deadline_at, seq, doc)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10)
         RETURNING id)
       INSERT INTO workflow_events (run_id, seq, type, step_id, at, detail)
       SELECT id, $9, $11, $12, $7, $13 FROM ins`,
      [
        run.id,
        run.name,
        run.version,
        run.status,
        run.currentStep,
        run.startedBy,
        run.createdAt,
        deadlineOf(run),
        event.seq,
        JSON.stringify(run),
        event.type,
        event.stepId,
        event.detail === null ? null : JSON.stringify(event.detail),
      ],
    );
  }

  async commit(run: WorkflowRun, event: EventRecord): Promise<void> {
    // Optimistic concurrency: the update only matches if nobody committed since we read seq - 1.
    const rows = await this.db.query(
      `WITH upd AS (
         UPDATE workflow_runs
            SET status = $2, current_step = $3, updated_at = $4, deadline_at = $5, seq = $6, doc = $7
          WHERE id = $1 AND seq = $6 - 1
         RETURNING id)
       INSERT INTO workflow_events (run_id, seq, type, step_id, at, detail)
       SELECT id, $6, $8, $9, $4, $10 FROM upd
       RETURNING seq`,
      [
        run.id,
        run.status,
        run.currentStep,
        event.at,
        deadlineOf(run),
        event.seq,
        JSON.stringify(run),
        event.type,
        event.stepId,
        event.detail === null ? null : JSON.stringify(event.detail),
      ],
    );
    if (rows.length === 0) throw new StaleRunError(run.id);
  }

  async getRun(id: string): Promise<WorkflowRun | null> {
    const rows = await this.db.query<RunRow>('SELECT doc FROM workflow_runs WHERE id = $1', [id]);
    return rows[0]?.doc ?? null;
  }

  async listRuns(filter: RunFilter): Promise<WorkflowRun[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state === 'active') where.push(`status IN ('running', 'waiting')`);
    if (filter.state === 'past') where.push(`status IN ('completed', 'failed', 'cancelled')`);
    if (filter.name) {
      params.push(filter.name);
      where.push(`name = $${params.length}`);
    }
    params.push(filter.limit);
    const rows = await this.db.query<RunRow>(
      `SELECT doc FROM workflow_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => r.doc);
  }

  async listRunning(): Promise<WorkflowRun[]> {
    const rows = await this.db.query<RunRow>(
      `SELECT doc FROM workflow_runs WHERE status = 'running' ORDER BY created_at`,
    );
    return rows.map((r) => r.doc);
  }

  async listExpired(now: string): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM workflow_runs WHERE status = 'waiting' AND deadline_at <= $1 ORDER BY deadline_at`,
      [now],
    );
    return rows.map((r) => r.id);
  }

  async eventsAfter(runId: string, seq: number): Promise<EventRecord[]> {
    const rows = await this.db.query<EventRow>(
      `SELECT run_id, seq, type, step_id, at, detail FROM workflow_events
        WHERE run_id = $1 AND seq > $2 ORDER BY seq`,
      [runId, seq],
    );
    return rows.map((r) => ({
      runId: r.run_id,
      seq: r.seq,
      type: r.type,
      stepId: r.step_id,
      at: r.at instanceof Date ? r.at.toISOString() : r.at,
      detail: r.detail,
    }));
  }
}
