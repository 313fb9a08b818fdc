import { randomUUID } from 'node:crypto';
import type { AgentDto, AgentStatus, ConfigureResult, EnrollmentDto, ErrorCode } from '@deploybot/shared';
import type { AuditLog } from '../auth/audit-log';
import type { Db } from '../db/db';
import type { Clock } from '../engine/ports';
import { DeployBotError } from '../errors/deploybot-error';
import { type AgentGateway, AgentUnavailableError, type Enrollment } from './agent-gateway';
import type { AgentRow, AgentsStore } from './agents.store';
import type { FleetEvents } from './fleet-events';
import type { JobsStore } from './jobs.store';
import { iso } from './time';
import { AGENT_CREDENTIAL_PREFIX, hashToken, JOIN_TOKEN_PREFIX, newToken } from './tokens';

export interface AgentsServiceOptions {
  /** An agent whose last heartbeat is older than this is offline. */
  offlineAfterMs: number;
  /** How long a join token stays usable. */
  joinTokenTtlMs: number;
  /** After the controller starts, how long agents connected before are awaited. Default 60 s. */
  reconnectGraceMs?: number;
}

const DEFAULT_RECONNECT_GRACE_MS = 60_000;

/** A fleet request refused (unknown agent, one already registered…); the code says how, as for every error. */
export class FleetError extends DeployBotError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

/** Agent registry: enrollment, registration, status derived from heartbeat freshness, draining, revocation. */
export class AgentsService {
  private gateway!: AgentGateway;
  /** Last status announced per agent, so freshness expiry is announced once. */
  private readonly announced = new Map<string, AgentStatus>();
  /** When this controller started: agents whose last heartbeat is older were connected to its predecessor. */
  private readonly startedAt: number;

  constructor(
    private readonly db: Db,
    private readonly store: AgentsStore,
    private readonly jobs: JobsStore,
    private readonly events: FleetEvents,
    private readonly clock: Clock,
    private readonly opts: AgentsServiceOptions,
    private readonly audit: AuditLog,
  ) {
    this.startedAt = clock.now().getTime();
  }

  attachGateway(gateway: AgentGateway): void {
    this.gateway = gateway;
  }

  statusOf(row: AgentRow): AgentStatus {
    if (row.draining) return 'draining';
    const last = row.last_heartbeat_at?.getTime() ?? 0;
    const fresh = this.clock.now().getTime() - last <= this.opts.offlineAfterMs;
    const cleanlyGone = row.disconnected_at !== null && row.disconnected_at.getTime() >= last;
    return fresh && !cleanlyGone && this.socketHeld(row) ? 'online' : 'offline';
  }

  /** Some controller holds the agent's socket: this one, or another that renewed its presence lately. */
  private socketHeld(row: AgentRow): boolean {
    if (this.gateway.isConnected(row.id)) return true;
    const seen = row.presence_seen_at?.getTime();
    return seen !== undefined && this.clock.now().getTime() - seen <= this.opts.offlineAfterMs;
  }

  toDto(row: AgentRow, runningJobs: number): AgentDto {
    return {
      id: row.id,
      hostname: row.hostname,
      environment: row.environment,
      labels: row.labels,
      status: this.statusOf(row),
      draining: row.draining,
      version: row.info?.version ?? null,
      gitVersion: row.info?.gitVersion ?? null,
      workdirWritable: row.info?.workdirWritable ?? null,
      address: row.address,
      lastHeartbeatAt: iso(row.last_heartbeat_at),
      connectedAt: iso(row.connected_at),
      disconnectedAt: iso(row.disconnected_at),
      runningJobs,
      createdAt: iso(row.created_at)!,
      registeredBy: row.registered_by,
    };
  }

  async list(): Promise<AgentDto[]> {
    const [rows, counts] = await Promise.all([this.store.list(), this.jobs.countRunningByAgent()]);
    return rows.map((r) => this.toDto(r, counts.get(r.id) ?? 0));
  }

  /** By id or hostname. */
  async get(idOrHostname: string): Promise<AgentDto> {
    const row = await this.row(idOrHostname);
    return this.toDto(row, await this.jobs.countUnfinished(row.id));
  }

  async row(idOrHostname: string): Promise<AgentRow> {
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrHostname);
    const row = isUuid ? await this.store.get(idOrHostname) : await this.store.getByHostname(idOrHostname);
    if (!row || row.revoked_at) throw new FleetError('not_found', `no agent ${idOrHostname}`);
    return row;
  }

  async update(
    idOrHostname: string,
    patch: { draining?: boolean; environment?: string; labels?: Record<string, string> },
    by: string,
  ): Promise<AgentDto> {
    const row = await this.row(idOrHostname);
    await this.store.update(row.id, patch);
    await this.audit.record(by, 'agent.update', row.hostname, patch);
    await this.publish(row.id);
    return this.get(row.id);
  }

  /** Revokes the credential and disconnects the agent at once. */
  async revoke(idOrHostname: string, by: string): Promise<AgentDto> {
    const row = await this.row(idOrHostname);
    const revoked = await this.store.revoke(row.id, this.clock.now().toISOString());
    if (!revoked) throw new FleetError('not_found', `no agent ${idOrHostname}`);
    this.gateway.disconnect(row.id);
    await this.audit.record(by, 'agent.revoke', row.hostname);
    return this.toDto(revoked, 0);
  }

  heartbeats(agentId: string, limit = 20) {
    return this.store.heartbeats(agentId, limit);
  }

  /** Announces the agent's current state to listeners (sockets, waiting steps). */
  async publish(agentId: string): Promise<void> {
    const row = await this.store.get(agentId);
    if (row) this.announce(this.toDto(row, await this.jobs.countUnfinished(agentId)));
  }

  /** Announces the agents of `agents` (from `list()`) whose status changed by the passage of time alone. */
  announceChanged(agents: AgentDto[]): void {
    for (const agent of agents) if (this.announced.get(agent.id) !== agent.status) this.announce(agent);
  }

  private announce(agent: AgentDto): void {
    this.announced.set(agent.id, agent.status);
    this.events.emit('agent', agent);
  }

  // ---------------------------------------------------------------- after a restart

  /**
   * The agents of `agents` still expected to reconnect after this controller started: offline, not draining,
   * not marked gone before (a clean disconnect stamps disconnected_at; a controller stopping does not), last
   * heard of before the start. Empty once the reconnect grace after the start is over.
   */
  awaitedAfterRestart(agents: AgentDto[]): AgentDto[] {
    const graceMs = this.opts.reconnectGraceMs ?? DEFAULT_RECONNECT_GRACE_MS;
    if (this.clock.now().getTime() - this.startedAt >= graceMs) return [];
    return agents.filter((a) => {
      if (a.status !== 'offline' || a.lastHeartbeatAt === null) return false;
      const last = Date.parse(a.lastHeartbeatAt);
      const leftCleanly = a.disconnectedAt !== null && Date.parse(a.disconnectedAt) >= last;
      return last < this.startedAt && !leftCleanly;
    });
  }

  /**
   * The agent list, once every agent awaited after a restart is back or the reconnect grace is over; at once
   * otherwise. A step re-run after another restart waits again, measured from that start.
   */
  async listAfterReconnects(signal: AbortSignal): Promise<AgentDto[]> {
    for (;;) {
      const agents = await this.list();
      const awaited = new Set(this.awaitedAfterRestart(agents).map((a) => a.id));
      if (awaited.size === 0) return agents;
      const graceMs = this.opts.reconnectGraceMs ?? DEFAULT_RECONNECT_GRACE_MS;
      const graceLeft = this.startedAt + graceMs - this.clock.now().getTime();
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          this.events.off('agent', onAgent);
          signal.removeEventListener('abort', onAbort);
        };
        const onAgent = (agent: AgentDto) => {
          if (!awaited.has(agent.id) || agent.status === 'offline') return;
          done();
          resolve();
        };
        const onAbort = () => {
          done();
          reject(signal.reason);
        };
        const timer = setTimeout(
          () => {
            done();
            resolve();
          },
          Math.max(0, graceLeft),
        );
        if (signal.aborted) return onAbort();
        this.events.on('agent', onAgent);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  // ---------------------------------------------------------------- enrollment

  async assertHostnameFree(hostname: string): Promise<void> {
    if (await this.store.getByHostname(hostname)) {
      throw new FleetError('conflict', `an agent named ${hostname} is already registered`);
    }
  }

  /** Issues a one-time join token for `hostname`; only its hash is stored. */
  async issueJoinToken(
    hostname: string,
    by: string,
    runId: string | null,
  ): Promise<{ token: string; expiresAt: string }> {
    const token = newToken(JOIN_TOKEN_PREFIX);
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.opts.joinTokenTtlMs).toISOString();
    await this.store.insertJoinToken({
      id: randomUUID(),
      hash: hashToken(token),
      hostname,
      runId,
      by,
      at: now.toISOString(),
      expiresAt,
    });
    await this.audit.record(by, 'agent.join_token', hostname, { runId, expiresAt });
    return { token, expiresAt };
  }

  /** The join token's id, if the token is still usable (for a workflow that holds the token in its context). */
  async joinTokenId(token: string): Promise<string | null> {
    return (await this.store.usableJoinToken(hashToken(token), this.clock.now().toISOString()))?.id ?? null;
  }

  /**
   * Stores the agent from its enrollment, uses up the join token, and switches the agent to a new credential.
   * Only the connection `enrollment` describes (the one reviewed) receives it: if another connection has
   * taken the join token since, this fails and nothing is stored. Idempotent per run: a re-run after a crash
   * finds the agent it registered before.
   */
  async register(
    enrollment: Enrollment,
    opts: { environment: string; labels: Record<string, string>; by: string; runId: string | null },
  ): Promise<AgentDto> {
    this.assertCurrent(enrollment);
    const existing = await this.store.getByHostname(enrollment.hostname);
    if (existing && (!opts.runId || existing.run_id !== opts.runId)) {
      throw new FleetError('conflict', `an agent named ${enrollment.hostname} is already registered`);
    }
    const credential = newToken(AGENT_CREDENTIAL_PREFIX);
    const at = this.clock.now().toISOString();
    const agentId = existing?.id ?? randomUUID();
    await this.db.transaction(async (tx) => {
      if (existing) {
        await tx.query('UPDATE agents SET credential_hash = $2 WHERE id = $1', [
          agentId,
          hashToken(credential),
        ]);
        return;
      }
      if (!(await this.store.useJoinToken(tx, enrollment.joinTokenId, at))) {
        throw new FleetError('conflict', 'this join token has already been used');
      }
      await this.store.insert(tx, {
        id: agentId,
        hostname: enrollment.hostname,
        environment: opts.environment,
        labels: opts.labels,
        credentialHash: hashToken(credential),
        info: enrollment.info,
        address: enrollment.address,
        registeredBy: opts.by,
        runId: opts.runId,
        at,
      });
    });
    try {
      await this.gateway.promote(enrollment, agentId, credential);
    } catch (err) {
      // Nobody holds the credential just stored: free the host name for a fresh enrollment.
      if (!existing) await this.store.revoke(agentId, this.clock.now().toISOString());
      if (err instanceof AgentUnavailableError) throw new FleetError('conflict', err.message);
      throw err;
    }
    await this.audit.record(opts.by, 'agent.enroll', enrollment.hostname, {
      agentId,
      runId: opts.runId,
      address: enrollment.address,
    });
    return this.get(agentId);
  }

  private assertCurrent(enrollment: Enrollment): void {
    try {
      this.gateway.assertCurrent(enrollment);
    } catch (err) {
      if (err instanceof AgentUnavailableError) throw new FleetError('conflict', err.message);
      throw err;
    }
  }

  // ---------------------------------------------------------------- enrollments without a workflow

  /** Agents connected with a join token from POST /v1/agents/join-tokens, waiting for an admin's decision. */
  pendingEnrollments(): EnrollmentDto[] {
    return this.gateway
      .enrollments()
      .filter((e) => e.runId === null)
      .map((e) => ({
        id: e.id,
        hostname: e.hostname,
        address: e.address,
        connectedAt: e.connectedAt,
        info: e.info,
      }));
  }

  /**
   * Registers the agent of one pending enrollment, as reviewed (the id names its connection), and sends it its
   * environment and labels; the agent's installation checks come back with it.
   */
  async approveEnrollment(
    id: string,
    opts: { environment: string; labels: Record<string, string> },
    by: string,
  ): Promise<{ agent: AgentDto; checks: ConfigureResult['checks'] }> {
    const enrollment = this.pendingEnrollment(id);
    const agent = await this.register(enrollment, { ...opts, by, runId: null });
    try {
      const configured = await this.gateway.configure(agent.id, opts);
      return { agent: await this.get(agent.id), checks: configured.checks };
    } catch (err) {
      // Registered all the same: the agent has its credential, and PATCH can set its labels again.
      return { agent, checks: [{ name: 'configure', ok: false, detail: (err as Error).message }] };
    }
  }

  /** Refuses a pending enrollment: its join token is revoked and its connection cut. */
  async rejectEnrollment(id: string, by: string): Promise<void> {
    const enrollment = this.pendingEnrollment(id);
    await this.store.revokeJoinToken(enrollment.joinTokenId, this.clock.now().toISOString());
    this.gateway.dropEnrollment(enrollment.joinTokenId);
    await this.audit.record(by, 'agent.enroll_reject', enrollment.hostname, {
      enrollmentId: id,
      address: enrollment.address,
    });
  }

  private pendingEnrollment(id: string): Enrollment {
    const enrollment = this.gateway.enrollmentById(id);
    if (!enrollment) {
      throw new FleetError(
        'not_found',
        `no pending enrollment ${id}: its agent disconnected or was decided on (GET /v1/agents/enrollments lists the pending ones)`,
      );
    }
    if (enrollment.runId !== null) {
      throw new FleetError(
        'conflict',
        `${enrollment.hostname} enrolls through register_agent run ${enrollment.runId}: decide there`,
      );
    }
    return enrollment;
  }
}
