import { randomUUID } from 'node:crypto';
import type { FiringDto, FiringOutcome, TriggerSource } from '@deploybot/shared';
import type { Db } from '../db/db';

/** A trigger as stored: inputs with secret literals sealed, the webhook secret sealed. */
export interface StoredTrigger {
  id: string;
  name: string;
  workflow: string;
  version: number | null;
  inputs: Record<string, unknown>;
  source: TriggerSource;
  /** The sealed webhook secret (`v1:iv:tag:body`), or null. */
  secret: string | null;
  enabled: boolean;
  pausedReason: string | null;
  rateLimit: number;
  /** ISO: cron slots before this are not the trigger's. */
  activeSince: string;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
}

export interface NewFiring {
  triggerId: string;
  key: string;
  at: string;
  outcome: FiringOutcome;
  reason: string | null;
  runId: string | null;
  eventType: string;
  eventId: string;
}

interface TriggerRow {
  id: string;
  name: string;
  workflow: string;
  version: number | null;
  inputs: Record<string, unknown>;
  source: TriggerSource;
  secret: string | null;
  enabled: boolean;
  paused_reason: string | null;
  rate_limit: number;
  active_since: Date | string;
  created_by: string;
  created_at: Date | string;
  updated_by: string;
  updated_at: Date | string;
}

interface FiringRow {
  id: string;
  trigger_id: string;
  key: string;
  at: Date | string;
  recorded_at: Date | string;
  outcome: FiringOutcome;
  reason: string | null;
  run_id: string | null;
  event_type: string;
  event_id: string;
}

const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

function toTrigger(r: TriggerRow): StoredTrigger {
  return {
    id: r.id,
    name: r.name,
    workflow: r.workflow,
    version: r.version,
    inputs: r.inputs,
    source: r.source,
    secret: r.secret,
    enabled: r.enabled,
    pausedReason: r.paused_reason,
    rateLimit: r.rate_limit,
    activeSince: iso(r.active_since),
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    updatedBy: r.updated_by,
    updatedAt: iso(r.updated_at),
  };
}

function toFiring(r: FiringRow): FiringDto {
  return {
    id: r.id,
    triggerId: r.trigger_id,
    key: r.key,
    at: iso(r.at),
    recordedAt: iso(r.recorded_at),
    outcome: r.outcome,
    reason: r.reason,
    runId: r.run_id,
    eventType: r.event_type,
    eventId: r.event_id,
  };
}

/** Outcomes that tried to start a run: what a trigger's rate limit counts. */
const ATTEMPTS: FiringOutcome[] = ['started', 'queued', 'conflict', 'failed'];

/** A unique violation of the trigger name. */
export function isNameTaken(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string };
  return (
    e?.code === '23505' &&
    (e.constraint === 'triggers_name_key' || String(e.message).includes('triggers_name_key'))
  );
}

/** Triggers and their firings, in the SQL both PGlite and PostgreSQL speak. */
export class TriggersStore {
  constructor(private readonly db: Db) {}

  async insert(t: StoredTrigger): Promise<void> {
    await this.db.query(
      `INSERT INTO triggers (id, name, workflow, version, inputs, source, secret, enabled, paused_reason, rate_limit,
                             active_since, created_by, created_at, updated_by, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
        t.id,
        t.name,
        t.workflow,
        t.version,
        JSON.stringify(t.inputs),
        JSON.stringify(t.source),
        t.secret,
        t.enabled,
        t.pausedReason,
        t.rateLimit,
        t.activeSince,
        t.createdBy,
        t.createdAt,
        t.updatedBy,
        t.updatedAt,
      ],
    );
  }

  /** Writes every field but the id and creation; only if nobody changed it since `expectedUpdatedAt`. */
  async update(t: StoredTrigger, expectedUpdatedAt: string): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE triggers SET name = $2, workflow = $3, version = $4, inputs = $5, source = $6, secret = $7,
              enabled = $8, paused_reason = $9, rate_limit = $10, active_since = $11, updated_by = $12,
              updated_at = $13
        WHERE id = $1 AND updated_at = $14
       RETURNING id`,
      [
        t.id,
        t.name,
        t.workflow,
        t.version,
        JSON.stringify(t.inputs),
        JSON.stringify(t.source),
        t.secret,
        t.enabled,
        t.pausedReason,
        t.rateLimit,
        t.activeSince,
        t.updatedBy,
        t.updatedAt,
        expectedUpdatedAt,
      ],
    );
    return rows.length === 1;
  }

  /** Disables an enabled trigger with a reason; false when it was already disabled. Not a person's change: `updated_by` stays. */
  async pause(id: string, reason: string, at: string): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE triggers SET enabled = false, paused_reason = $2, updated_at = $3
        WHERE id = $1 AND enabled RETURNING id`,
      [id, reason, at],
    );
    return rows.length === 1;
  }

  async delete(id: string): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>('DELETE FROM triggers WHERE id = $1 RETURNING id', [id]);
    return rows.length === 1;
  }

  async get(id: string): Promise<StoredTrigger | null> {
    const rows = await this.db.query<TriggerRow>('SELECT * FROM triggers WHERE id = $1', [id]);
    return rows[0] ? toTrigger(rows[0]) : null;
  }

  async list(): Promise<StoredTrigger[]> {
    const rows = await this.db.query<TriggerRow>('SELECT * FROM triggers ORDER BY name');
    return rows.map(toTrigger);
  }

  /** Enabled triggers a controller watches itself: schedules and events (webhooks come to it). */
  async listWatched(): Promise<StoredTrigger[]> {
    const rows = await this.db.query<TriggerRow>(
      `SELECT * FROM triggers WHERE enabled AND source->>'type' IN ('cron', 'event') ORDER BY name`,
    );
    return rows.map(toTrigger);
  }

  // ---------------------------------------------------------------- firings

  /** The firing that decided `key` (anything but a later sighting), if any. */
  async decisionOf(key: string): Promise<FiringDto | null> {
    const rows = await this.db.query<FiringRow>(
      `SELECT * FROM trigger_firings WHERE key = $1 AND outcome <> 'deduplicated'`,
      [key],
    );
    return rows[0] ? toFiring(rows[0]) : null;
  }

  /** Records the decision on a key unless one is there already; null when another got there first. */
  async decide(f: NewFiring, recordedAt: string): Promise<FiringDto | null> {
    const rows = await this.db.query<FiringRow>(
      `INSERT INTO trigger_firings (id, trigger_id, key, at, recorded_at, outcome, reason, run_id, event_type, event_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (key) WHERE outcome <> 'deduplicated' DO NOTHING
       RETURNING *`,
      this.params(f, recordedAt),
    );
    return rows[0] ? toFiring(rows[0]) : null;
  }

  /**
   * Records that a run was started for a key. The run is the truth: it replaces whatever another controller
   * decided for the key meanwhile (a conflict it saw a moment earlier, a slot it thought missed).
   */
  async recordStart(f: NewFiring, recordedAt: string): Promise<FiringDto> {
    const rows = await this.db.query<FiringRow>(
      `INSERT INTO trigger_firings (id, trigger_id, key, at, recorded_at, outcome, reason, run_id, event_type, event_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (key) WHERE outcome <> 'deduplicated'
       DO UPDATE SET outcome = EXCLUDED.outcome, reason = EXCLUDED.reason, run_id = EXCLUDED.run_id,
                     recorded_at = EXCLUDED.recorded_at
       RETURNING *`,
      this.params(f, recordedAt),
    );
    return toFiring(rows[0]!);
  }

  /** A later sighting of a decided key: a row of its own, never a second decision. */
  async recordDuplicate(f: NewFiring, recordedAt: string): Promise<FiringDto> {
    const rows = await this.db.query<FiringRow>(
      `INSERT INTO trigger_firings (id, trigger_id, key, at, recorded_at, outcome, reason, run_id, event_type, event_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      this.params({ ...f, outcome: 'deduplicated' }, recordedAt),
    );
    return toFiring(rows[0]!);
  }

  private params(f: NewFiring, recordedAt: string): unknown[] {
    return [
      randomUUID(),
      f.triggerId,
      f.key,
      f.at,
      recordedAt,
      f.outcome,
      f.reason,
      f.runId,
      f.eventType,
      f.eventId,
    ];
  }

  /** How many firings of the trigger tried to start a run since `since` (its rate limit counts these). */
  async attemptsSince(triggerId: string, since: string): Promise<number> {
    const rows = await this.db.query<{ n: number | string }>(
      `SELECT count(*) AS n FROM trigger_firings
        WHERE trigger_id = $1 AND recorded_at > $2 AND outcome = ANY($3::text[])`,
      [triggerId, since, ATTEMPTS],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** The latest slot decided for a cron trigger at or after `since` (ISO), or null. */
  async latestSlot(triggerId: string, since: string): Promise<Date | null> {
    const rows = await this.db.query<{ at: Date | string | null }>(
      `SELECT max(at) AS at FROM trigger_firings
        WHERE trigger_id = $1 AND at >= $2 AND outcome <> 'deduplicated' AND key LIKE 'cron:%'`,
      [triggerId, since],
    );
    const at = rows[0]?.at;
    return at ? new Date(iso(at)) : null;
  }

  async firings(triggerId: string, q: { outcome?: FiringOutcome; limit: number }): Promise<FiringDto[]> {
    const params: unknown[] = [triggerId];
    let where = 'trigger_id = $1';
    if (q.outcome) {
      params.push(q.outcome);
      where += ` AND outcome = $${params.length}`;
    }
    params.push(q.limit);
    const rows = await this.db.query<FiringRow>(
      `SELECT * FROM trigger_firings WHERE ${where} ORDER BY recorded_at DESC, at DESC, id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toFiring);
  }

  /**
   * Runs a trigger started whose firing was never recorded (the controller stopped between starting the run and
   * recording it), created since `since`: the run exists, so the firing is recorded as started.
   */
  async unrecordedRuns(
    since: string,
  ): Promise<{ runId: string; status: string; createdAt: string; trigger: { id: string; key: string } }[]> {
    const rows = await this.db.query<{
      id: string;
      status: string;
      created_at: Date | string;
      trigger: { id: string; key: string };
    }>(
      `SELECT r.id, r.status, r.created_at, r.doc->'trigger' AS trigger FROM workflow_runs r
        WHERE r.created_at >= $1 AND r.started_by LIKE 'trigger:%' AND r.doc->'trigger' IS NOT NULL
          AND EXISTS (SELECT 1 FROM triggers t WHERE t.id::text = r.doc->'trigger'->>'id')
          AND NOT EXISTS (SELECT 1 FROM trigger_firings f WHERE f.run_id = r.id)`,
      [since],
    );
    return rows.map((r) => ({
      runId: r.id,
      status: r.status,
      createdAt: iso(r.created_at),
      trigger: r.trigger,
    }));
  }

  /** The status of run `id`, or null when there is no such run. */
  async runStatus(id: string): Promise<string | null> {
    const rows = await this.db.query<{ status: string }>('SELECT status FROM workflow_runs WHERE id = $1', [
      id,
    ]);
    return rows[0]?.status ?? null;
  }

  /** Drops firings recorded before `before` (ISO); the latest decided slot of each cron trigger stays. */
  async prune(before: string): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `DELETE FROM trigger_firings f WHERE f.recorded_at < $1
          AND f.at < (SELECT max(g.at) FROM trigger_firings g WHERE g.trigger_id = f.trigger_id)
       RETURNING f.id`,
      [before],
    );
    return rows.length;
  }
}
