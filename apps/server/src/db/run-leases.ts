import { hostname } from 'node:os';
import type { WorkflowRun } from '@deploybot/shared';
import type { RunLeases } from '../engine/ports';
import type { Db } from './db';
import { RUN_COLUMNS, type RunRow, runOfRow } from './workflow-store';

/** The channel on which a controller tells a run's owner that its run changed (payload: `<owner> <runId>`). */
const WAKE_CHANNEL = 'deploybot_runs';

export interface RunLeasesOptions {
  controllerId: string;
  /** How long a lease lasts unless renewed: the time within which a dead controller's runs move again. */
  leaseMs: number;
}

/**
 * Run ownership in PostgreSQL: a `controllers` row whose lease this controller renews, an `owner` on each run,
 * claims with `FOR UPDATE SKIP LOCKED` (two controllers claiming at once take different runs), and NOTIFY to
 * wake a run's owner. Leases are compared against the database's clock, never a controller's.
 */
export class SqlRunLeases implements RunLeases {
  readonly controllerId: string;
  private readonly leaseMs: number;

  constructor(
    private readonly db: Db,
    options: RunLeasesOptions,
  ) {
    this.controllerId = options.controllerId;
    this.leaseMs = options.leaseMs;
  }

  /**
   * Registers this controller or renews its lease. `lapsed`: the lease had run out (or the row was gone) before
   * this renewal, so other controllers may have claimed some of its runs meanwhile.
   */
  async renew(): Promise<{ lapsed: boolean }> {
    const [row] = await this.db.query<{ existed: boolean; lapsed: boolean | null }>(
      `WITH before AS (SELECT lease_until FROM controllers WHERE id = $1)
       INSERT INTO controllers (id, host, pid, lease_until)
       VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
       ON CONFLICT (id) DO UPDATE SET lease_until = EXCLUDED.lease_until
       RETURNING EXISTS (SELECT 1 FROM before) AS existed, (SELECT lease_until < now() FROM before) AS lapsed`,
      [this.controllerId, hostname(), process.pid, this.leaseMs],
    );
    return { lapsed: row ? !row.existed || row.lapsed === true : true };
  }

  async claim(limit: number): Promise<{ run: WorkflowRun; takenFrom: string | null }[]> {
    // SKIP LOCKED: a run another controller is claiming (or committing to) right now is left to it.
    const rows = await this.db.query<RunRow & { previous: string | null }>(
      `WITH orphans AS (
         SELECT r.id, r.owner AS previous FROM workflow_runs r
          WHERE r.status IN ('queued', 'running', 'waiting')
            AND (r.owner IS NULL
                 OR r.owner IN (SELECT c.id FROM controllers c WHERE c.lease_until < now() AND c.id <> $1))
          ORDER BY r.created_at, r.id
          LIMIT $2
          FOR UPDATE OF r SKIP LOCKED)
       UPDATE workflow_runs r SET owner = $1 FROM orphans o WHERE r.id = o.id
       RETURNING ${RUN_COLUMNS}, o.previous`,
      [this.controllerId, limit],
    );
    return rows.map((r) => ({ run: runOfRow(r), takenFrom: r.previous }));
  }

  /** The unfinished runs this controller owns according to the database (after a lapsed lease). */
  async ownedRunIds(): Promise<Set<string>> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM workflow_runs WHERE owner = $1 AND status IN ('queued', 'running', 'waiting')`,
      [this.controllerId],
    );
    return new Set(rows.map((r) => r.id));
  }

  async notifyOwner(runId: string): Promise<void> {
    // The owner is read as the notification is sent: a run claimed meanwhile wakes its new owner.
    await this.db.query(
      `SELECT pg_notify($1, owner::text || ' ' || id::text) FROM workflow_runs WHERE id = $2 AND owner IS NOT NULL`,
      [WAKE_CHANNEL, runId],
    );
  }

  /** Calls `onWake` for every run of this controller another one changed; `onReconnect` after a lost channel. */
  listen(onWake: (runId: string) => void, onReconnect: () => void): Promise<() => Promise<void>> {
    return this.db.listen(
      WAKE_CHANNEL,
      (payload) => {
        const [owner, runId] = payload.split(' ');
        if (owner === this.controllerId && runId) onWake(runId);
      },
      onReconnect,
    );
  }

  /** Forgets controllers long dead whose runs have all been claimed (the table stays the size of the cluster). */
  async forgetDeadControllers(): Promise<void> {
    await this.db.query(
      `DELETE FROM controllers c
        WHERE c.lease_until < now() - interval '10 minutes'
          AND NOT EXISTS (SELECT 1 FROM workflow_runs r
                           WHERE r.owner = c.id AND r.status IN ('queued', 'running', 'waiting'))`,
    );
  }

  /**
   * A clean shutdown: this controller's unfinished runs belong to nobody, so the next controller to look claims
   * them at once instead of waiting for the lease to run out.
   */
  async release(): Promise<void> {
    await this.db.query(
      `UPDATE workflow_runs SET owner = NULL WHERE owner = $1 AND status IN ('queued', 'running', 'waiting')`,
      [this.controllerId],
    );
    await this.db.query('DELETE FROM controllers WHERE id = $1', [this.controllerId]);
  }
}
