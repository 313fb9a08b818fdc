import { randomUUID } from 'node:crypto';
import type { AuditEntryDto } from '@deploybot/shared';
import type { Db } from '../db/db';
import { TurnBatch } from '../db/turn-batch';
import type { Clock } from '../engine/ports';

export type AuditAction =
  | 'auth.login'
  | 'auth.login_failed'
  | 'auth.logout'
  | 'user.create'
  | 'user.update'
  | 'user.delete'
  | 'token.create'
  | 'token.revoke'
  | 'workflow.start'
  | 'workflow.cancel'
  | 'workflow.approve'
  | 'workflow.reject'
  | 'workflow.input'
  | 'workflow.reveal'
  | 'workflow.rerun'
  | 'workflow.rollback'
  | 'workflow.definition.save'
  | 'workflow.definition.delete'
  | 'agent.join_token'
  | 'agent.enroll'
  | 'agent.enroll_reject'
  | 'agent.update'
  | 'agent.revoke'
  | 'repository.create'
  | 'repository.update'
  | 'repository.delete'
  | 'job.create'
  | 'job.cancel'
  | 'job.retry'
  | 'trigger.create'
  | 'trigger.update'
  | 'trigger.delete'
  | 'trigger.pause';

interface AuditRow {
  id: string;
  at: string;
  actor: string;
  action: AuditAction;
  target: string | null;
  detail: Record<string, unknown> | null;
}

/** Append-only record of who did what; never holds secrets (callers pass ids and names, not values). */
export class AuditLog {
  /**
   * The records asked for in one event-loop turn are written by one statement (many approvals at once). A batch
   * the database refuses is written again record by record, so one bad record fails only its own caller.
   */
  private readonly writes = new TurnBatch<AuditRow, unknown>(async (rows) => {
    try {
      await this.insert(rows);
      return rows.map(() => null);
    } catch (err) {
      if (rows.length === 1) return [err];
      return Promise.all(
        rows.map((row) =>
          this.insert([row]).then(
            () => null,
            (e: unknown) => e,
          ),
        ),
      );
    }
  });

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  private async insert(rows: readonly AuditRow[]): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_log (id, at, actor, action, target, detail)
       SELECT id, at, actor, action, target, detail FROM jsonb_to_recordset($1::jsonb)
         AS t(id uuid, at timestamptz, actor text, action text, target text, detail jsonb)`,
      [JSON.stringify(rows)],
    );
  }

  /** Resolves once the record is written. */
  async record(
    actor: string,
    action: AuditAction,
    target: string | null,
    detail: Record<string, unknown> | null = null,
  ): Promise<void> {
    const failed = await this.writes.submit({
      id: randomUUID(),
      at: this.clock.now().toISOString(),
      actor,
      action,
      target,
      detail,
    });
    if (failed) throw failed;
  }

  async list(q: { action?: string; actor?: string; limit: number }): Promise<AuditEntryDto[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.action) {
      params.push(q.action);
      where.push(`action = $${params.length}`);
    }
    if (q.actor) {
      params.push(q.actor);
      where.push(`actor = $${params.length}`);
    }
    params.push(q.limit);
    const rows = await this.db.query<{
      id: string;
      at: Date;
      actor: string;
      action: string;
      target: string | null;
      detail: unknown;
    }>(
      `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
  }
}
