import type { AgentInfo } from '@deploybot/shared';
import type { Db, Queryable } from '../db/db';
import { updateById } from '../db/update-builder';

export interface AgentRow {
  id: string;
  hostname: string;
  environment: string;
  labels: Record<string, string>;
  draining: boolean;
  credential_hash: string | null;
  info: AgentInfo | null;
  address: string | null;
  last_heartbeat_at: Date | null;
  connected_at: Date | null;
  disconnected_at: Date | null;
  registered_by: string;
  run_id: string | null;
  created_at: Date;
  revoked_at: Date | null;
  /** The controller holding the agent's socket (agent_presence), when read with it; absent from RETURNING rows. */
  presence_controller_id?: string | null;
  /** When that controller last said it still holds it. */
  presence_seen_at?: Date | null;
}

/** An agent with where its socket is: the holding controller renews its rows, a dead one's rows go stale. */
const SELECT_AGENT = `SELECT a.*, p.controller_id AS presence_controller_id, p.seen_at AS presence_seen_at
  FROM agents a LEFT JOIN agent_presence p ON p.agent_id = a.id`;

export interface JoinTokenRow {
  id: string;
  hostname: string;
  run_id: string | null;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

export interface HeartbeatRow {
  at: Date;
  load: number;
  running_jobs: number;
}

/** SQL for agents, their join tokens and heartbeat history. */
export class AgentsStore {
  constructor(private readonly db: Db) {}

  async list(includeRevoked = false): Promise<AgentRow[]> {
    return this.db.query<AgentRow>(
      `${SELECT_AGENT} ${includeRevoked ? '' : 'WHERE a.revoked_at IS NULL'} ORDER BY a.hostname`,
    );
  }

  async get(id: string): Promise<AgentRow | null> {
    return (await this.db.query<AgentRow>(`${SELECT_AGENT} WHERE a.id = $1`, [id]))[0] ?? null;
  }

  async getByHostname(hostname: string): Promise<AgentRow | null> {
    return (
      (
        await this.db.query<AgentRow>(`${SELECT_AGENT} WHERE a.hostname = $1 AND a.revoked_at IS NULL`, [
          hostname,
        ])
      )[0] ?? null
    );
  }

  async getByCredentialHash(hash: string): Promise<AgentRow | null> {
    return (
      (
        await this.db.query<AgentRow>(
          `${SELECT_AGENT} WHERE a.credential_hash = $1 AND a.revoked_at IS NULL`,
          [hash],
        )
      )[0] ?? null
    );
  }

  async insert(
    tx: Queryable,
    a: {
      id: string;
      hostname: string;
      environment: string;
      labels: Record<string, string>;
      credentialHash: string;
      info: AgentInfo | null;
      address: string | null;
      registeredBy: string;
      runId: string | null;
      at: string;
    },
  ): Promise<AgentRow> {
    // A revoked agent keeps its row (history, jobs) but frees its hostname for a new registration.
    await tx.query(
      `UPDATE agents SET hostname = hostname || '~revoked~' || id WHERE hostname = $1 AND revoked_at IS NOT NULL`,
      [a.hostname],
    );
    const rows = await tx.query<AgentRow>(
      `INSERT INTO agents (id, hostname, environment, labels, credential_hash, info, address, registered_by, run_id,
                           created_at, connected_at, last_heartbeat_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10) RETURNING *`,
      [
        a.id,
        a.hostname,
        a.environment,
        JSON.stringify(a.labels),
        a.credentialHash,
        a.info && JSON.stringify(a.info),
        a.address,
        a.registeredBy,
        a.runId,
        a.at,
      ],
    );
    return rows[0]!;
  }

  async update(
    id: string,
    patch: Partial<{
      environment: string;
      labels: Record<string, string>;
      draining: boolean;
      info: AgentInfo;
      address: string;
    }>,
  ): Promise<AgentRow | null> {
    const update = updateById('agents', id, {
      environment: patch.environment,
      labels: patch.labels && JSON.stringify(patch.labels),
      draining: patch.draining,
      info: patch.info && JSON.stringify(patch.info),
      address: patch.address,
    });
    if (!update) return this.get(id);
    return (await this.db.query<AgentRow>(update.sql, update.params))[0] ?? null;
  }

  async markConnected(id: string, at: string, address: string | null, info: AgentInfo | null): Promise<void> {
    await this.db.query(
      `UPDATE agents SET connected_at = $2, last_heartbeat_at = $2, address = COALESCE($3, address),
              info = COALESCE($4, info) WHERE id = $1`,
      [id, at, address, info && JSON.stringify(info)],
    );
  }

  // ---- presence: which controller holds the agent's socket

  /** `controllerId` holds the agent's socket from `at` on (a newer connection elsewhere takes the row over). */
  async claimPresence(agentId: string, controllerId: string, at: string): Promise<void> {
    await this.db.query(
      `INSERT INTO agent_presence (agent_id, controller_id, connected_at, seen_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (agent_id) DO UPDATE SET controller_id = $2, connected_at = $3, seen_at = $3`,
      [agentId, controllerId, at],
    );
  }

  /**
   * Ends `controllerId`'s hold on the agent; false when it no longer held it (the agent has already said hello
   * to another controller, whose row must stay).
   */
  async releasePresence(agentId: string, controllerId: string): Promise<boolean> {
    const rows = await this.db.query(
      'DELETE FROM agent_presence WHERE agent_id = $1 AND controller_id = $2 RETURNING agent_id',
      [agentId, controllerId],
    );
    return rows.length === 1;
  }

  /**
   * `controllerId` still holds these agents' sockets. A row another controller dropped as stale (this one was too
   * slow to renew it) comes back; a row another controller took over stays its own.
   */
  async renewPresence(controllerId: string, agentIds: string[], at: string): Promise<void> {
    if (agentIds.length === 0) return;
    await this.db.query(
      `INSERT INTO agent_presence (agent_id, controller_id, connected_at, seen_at)
       SELECT id, $1, $3, $3 FROM unnest($2::uuid[]) AS id
       ON CONFLICT (agent_id) DO UPDATE SET seen_at = EXCLUDED.seen_at
       WHERE agent_presence.controller_id = EXCLUDED.controller_id`,
      [controllerId, agentIds, at],
    );
  }

  /** `controllerId` stops: it holds no socket any more. */
  async releaseAllPresence(controllerId: string): Promise<void> {
    await this.db.query('DELETE FROM agent_presence WHERE controller_id = $1', [controllerId]);
  }

  /** Rows not renewed since `before`: their controller died (or lost the database) with the sockets. */
  async dropStalePresence(before: string): Promise<void> {
    await this.db.query('DELETE FROM agent_presence WHERE seen_at < $1', [before]);
  }

  async markDisconnected(id: string, at: string): Promise<void> {
    await this.db.query('UPDATE agents SET disconnected_at = $2 WHERE id = $1', [id, at]);
  }

  async recordHeartbeat(id: string, at: string, load: number, runningJobs: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('UPDATE agents SET last_heartbeat_at = $2 WHERE id = $1', [id, at]);
      await tx.query(
        'INSERT INTO agent_heartbeats (agent_id, at, load, running_jobs) VALUES ($1, $2, $3, $4)',
        [id, at, load, runningJobs],
      );
    });
  }

  async heartbeats(id: string, limit: number): Promise<HeartbeatRow[]> {
    return this.db.query<HeartbeatRow>(
      'SELECT at, load, running_jobs FROM agent_heartbeats WHERE agent_id = $1 ORDER BY at DESC LIMIT $2',
      [id, limit],
    );
  }

  /**
   * Heartbeat history is for diagnosis, not an archive: keep a bounded window. Deletes at most `limit` rows
   * older than `before`, so a long backlog goes in short statements; returns how many went.
   */
  async pruneHeartbeats(before: string, limit: number): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM agent_heartbeats WHERE ctid IN (SELECT ctid FROM agent_heartbeats WHERE at < $1 LIMIT $2)
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [before, limit],
    );
    return row?.n ?? 0;
  }

  async revoke(id: string, at: string): Promise<AgentRow | null> {
    return (
      (
        await this.db.query<AgentRow>(
          'UPDATE agents SET revoked_at = $2, credential_hash = NULL WHERE id = $1 AND revoked_at IS NULL RETURNING *',
          [id, at],
        )
      )[0] ?? null
    );
  }

  // ---- join tokens

  async insertJoinToken(t: {
    id: string;
    hash: string;
    hostname: string;
    runId: string | null;
    by: string;
    at: string;
    expiresAt: string;
  }): Promise<void> {
    await this.db.transaction(async (tx) => {
      // A run re-issuing a token (after a restart) retires the one it issued before.
      if (t.runId) {
        await tx.query(
          'UPDATE join_tokens SET revoked_at = $2 WHERE run_id = $1 AND used_at IS NULL AND revoked_at IS NULL',
          [t.runId, t.at],
        );
      }
      await tx.query(
        `INSERT INTO join_tokens (id, token_hash, hostname, run_id, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [t.id, t.hash, t.hostname, t.runId, t.by, t.at, t.expiresAt],
      );
    });
  }

  /** A join token that can still be used: not expired, not used, not revoked. */
  async usableJoinToken(hash: string, now: string): Promise<JoinTokenRow | null> {
    return (
      (
        await this.db.query<JoinTokenRow>(
          `SELECT id, hostname, run_id, expires_at, used_at, revoked_at FROM join_tokens
          WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2`,
          [hash, now],
        )
      )[0] ?? null
    );
  }

  /** Retires an unused join token (an enrollment an admin rejected). */
  async revokeJoinToken(id: string, at: string): Promise<void> {
    await this.db.query(
      'UPDATE join_tokens SET revoked_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL',
      [id, at],
    );
  }

  /** Marks a join token used; false if someone else used it first (one-time, even under a race). */
  async useJoinToken(tx: Queryable, id: string, at: string): Promise<boolean> {
    const rows = await tx.query(
      'UPDATE join_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL RETURNING id',
      [id, at],
    );
    return rows.length === 1;
  }
}
