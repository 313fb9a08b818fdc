import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditLog } from '../auth/audit-log';
import type { Db } from '../db/db';
import type { Clock } from '../engine/ports';
import type { SecretBox } from '../engine/secrets';
import { AgentGateway, type AgentNamespace } from './agent-gateway';
import { AgentsService } from './agents.service';
import { AgentsStore } from './agents.store';
import { FleetEvents } from './fleet-events';
import { FleetMetrics } from './fleet-metrics';
import { JobsService } from './jobs.service';
import { DEFAULT_JOB_LOG_LIMITS, JobsStore } from './jobs.store';
import { RepositoriesService } from './repositories.service';
import { RepositoriesStore } from './repositories.store';

export interface FleetOptions {
  /** Interval agents are told to heartbeat at. Default 5 s. */
  heartbeatIntervalMs: number;
  /** Heartbeat age after which an agent counts as offline. Default 15 s. */
  offlineAfterMs: number;
  /** How long a job survives its agent's disappearance before it fails with "agent lost". Default 30 s. */
  jobLostGraceMs: number;
  /** Join token lifetime. Default 15 min. */
  joinTokenTtlMs: number;
  /** Default job timeout. Default 30 min. */
  jobTimeoutSec: number;
  /** URL agents use to reach this controller, shown in the enrollment command. */
  publicUrl: string;
  /** How long heartbeat history is kept; the fleet sweeper prunes older rows. Default 24 h. */
  heartbeatRetentionMs?: number;
  /** Heartbeats per interval past which an agent counts as flooding and is disconnected. Default 10. */
  heartbeatFloodFactor?: number;
  /** How long an agent disconnected for flooding is refused at the handshake. Default 60 s. */
  floodCooldownMs?: number;
  /**
   * After the controller starts, how long deployments wait for agents that were connected before to come back,
   * and jobs on them are not counted as lost. Default 60 s (agents redial with backoff of up to 45 s).
   */
  reconnectGraceMs?: number;
  /** How long a connection holding an agent's place has to answer a ping before a new connection replaces it. Default 5 s. */
  probeTimeoutMs?: number;
  /**
   * This controller among those sharing the database: agent_presence names the one holding each agent's socket.
   * Default: a random UUID (a restarted controller is a new one; its predecessor's holds go stale).
   */
  controllerId?: string;
  /** Log lines stored per job; the first line past it becomes a truncation marker. Default 100,000. */
  jobLogMaxLines?: number;
  /** Bytes of log text stored per job, likewise. Default 32 MiB. */
  jobLogMaxBytes?: number;
}

const LIMIT_DEFAULTS = {
  heartbeatRetentionMs: 24 * 3_600_000,
  heartbeatFloodFactor: 10,
  floodCooldownMs: 60_000,
  probeTimeoutMs: 5_000,
};

/** Heartbeat history is pruned once a minute, a bounded batch at a time. */
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 10_000;

export const DEFAULT_FLEET_OPTIONS: Omit<FleetOptions, 'publicUrl'> = {
  heartbeatIntervalMs: 5_000,
  offlineAfterMs: 15_000,
  jobLostGraceMs: 30_000,
  joinTokenTtlMs: 15 * 60_000,
  jobTimeoutSec: 30 * 60,
};

/** The fleet: agents, repositories, jobs and the agent gateway, wired together. */
export class Fleet {
  readonly events = new FleetEvents();
  readonly agents: AgentsService;
  readonly repositories: RepositoriesService;
  readonly jobs: JobsService;
  readonly metrics: FleetMetrics;
  readonly gateway: AgentGateway;
  /** Who this controller is in agent_presence. */
  readonly controllerId: string;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepRun: Promise<void> | null = null;
  private closed = false;
  private readonly agentsStore: AgentsStore;
  private readonly limits: typeof LIMIT_DEFAULTS;
  private prunedAt = Number.NEGATIVE_INFINITY;

  constructor(
    db: Db,
    nsp: AgentNamespace,
    readonly options: FleetOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
    audit: AuditLog,
    /** Seals repository credentials at rest. */
    secrets: SecretBox,
    /** This controller's id; default options.controllerId, else a random UUID. */
    controllerId?: string,
  ) {
    this.controllerId = controllerId ?? options.controllerId ?? randomUUID();
    const agentsStore = new AgentsStore(db);
    this.agentsStore = agentsStore;
    const jobsStore = new JobsStore(db, {
      maxLines: options.jobLogMaxLines ?? DEFAULT_JOB_LOG_LIMITS.maxLines,
      maxBytes: options.jobLogMaxBytes ?? DEFAULT_JOB_LOG_LIMITS.maxBytes,
    });
    this.limits = {
      heartbeatRetentionMs: options.heartbeatRetentionMs ?? LIMIT_DEFAULTS.heartbeatRetentionMs,
      heartbeatFloodFactor: options.heartbeatFloodFactor ?? LIMIT_DEFAULTS.heartbeatFloodFactor,
      floodCooldownMs: options.floodCooldownMs ?? LIMIT_DEFAULTS.floodCooldownMs,
      probeTimeoutMs: options.probeTimeoutMs ?? LIMIT_DEFAULTS.probeTimeoutMs,
    };
    this.agents = new AgentsService(db, agentsStore, jobsStore, this.events, clock, options, audit);
    this.repositories = new RepositoriesService(new RepositoriesStore(db), clock, audit, secrets);
    this.jobs = new JobsService(
      jobsStore,
      this.agents,
      this.repositories,
      this.events,
      clock,
      options.jobTimeoutSec,
      audit,
    );
    this.metrics = new FleetMetrics(db, clock);
    this.gateway = new AgentGateway(nsp, {
      agents: agentsStore,
      jobs: jobsStore,
      events: this.events,
      clock,
      logger: logger.child({ component: 'agent-gateway' }),
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      heartbeatFloodFactor: this.limits.heartbeatFloodFactor,
      floodCooldownMs: this.limits.floodCooldownMs,
      probeTimeoutMs: this.limits.probeTimeoutMs,
      controllerId: this.controllerId,
      presenceTtlMs: options.offlineAfterMs,
      clustered: db.kind === 'postgres',
      urlForAgent: (repository) => this.repositories.urlForAgent(repository),
      onAgentChanged: (id) =>
        void this.agents.publish(id).catch((err) => logger.error({ err }, 'agent publish failed')),
      onJobChanged: (job) => {
        this.jobs.changed(job);
        void this.agents.publish(job.agentId).catch((err) => logger.error({ err }, 'agent publish failed'));
      },
    });
    this.agents.attachGateway(this.gateway);
    this.jobs.attachGateway(this.gateway);
  }

  /**
   * Periodic housekeeping: stale agents go offline, their running jobs are marked lost, lost jobs fail, old
   * heartbeat history goes. Agents awaited after a restart are not stale until the reconnect grace is over.
   */
  startSweeper(intervalMs = 1_000): void {
    this.sweepTimer = setInterval(() => void this.sweep(), intervalMs);
    this.sweepTimer.unref();
  }

  /** One sweep; joins the one in progress, if any. */
  sweep(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.sweepRun ??= this.sweepOnce().finally(() => {
      this.sweepRun = null;
    });
    return this.sweepRun;
  }

  private async sweepOnce(): Promise<void> {
    try {
      // First, so that the list below sees agents held by live controllers only.
      await this.gateway.renewPresence();
      let agents = await this.agents.list();
      const awaited = new Set(this.agents.awaitedAfterRestart(agents).map((a) => a.id));
      await this.jobs.markStaleAgentsLost(
        agents.filter((a) => a.status === 'offline' && !awaited.has(a.id)).map((a) => a.id),
      );
      // Failing lost jobs changes the agents' job counts: read them again only then.
      if ((await this.jobs.failLostJobs(this.options.jobLostGraceMs)) > 0) agents = await this.agents.list();
      this.agents.announceChanged(agents);
      if (performance.now() - this.prunedAt >= PRUNE_EVERY_MS) {
        // A full batch means more is left (history from before pruning existed): go on at the next sweep.
        this.prunedAt =
          (await this.pruneHeartbeats()) < PRUNE_BATCH ? performance.now() : Number.NEGATIVE_INFINITY;
      }
    } catch (err) {
      this.logger.error({ err }, 'fleet sweep failed');
    }
  }

  /** Deletes one batch of heartbeat history older than heartbeatRetentionMs; returns how many rows went. */
  pruneHeartbeats(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.limits.heartbeatRetentionMs).toISOString();
    return this.agentsStore.pruneHeartbeats(before, PRUNE_BATCH);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    // A sweep ending after the agents' sockets are cut would take every agent for gone and its jobs for lost.
    await this.sweepRun;
    await this.gateway.close();
  }
}
