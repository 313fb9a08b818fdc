import { randomUUID } from 'node:crypto';
import type { AuditEntryDto } from '@deploybot/shared';
import type { Db } from '../db/db';
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

/** Append-only record of who did what; never holds secrets (callers pass ids and names, not values). */
export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async record(
    actor: string,
    action: AuditAction,
    target: string | null,
    detail: Record<string, unknown> | null = null,
  ): Promise<void> {
    await this.db.query(
      'INSERT INTO audit_log (id, at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        randomUUID(),
        this.clock.now().toISOString(),
        actor,
        action,
        target,
        detail === null ? null : JSON.stringify(detail),
      ],
    );
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
