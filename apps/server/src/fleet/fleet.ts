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
  /** Log lines stored per job; the first line past it becomes a truncation marker. Default 100,000. */
  jobLogMaxLines?: number;
  /** Bytes of log text stored per job, likewise. Default 32 MiB. */
  jobLogMaxBytes?: number;
}

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
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    db: Db,
    nsp: AgentNamespace,
    readonly options: FleetOptions,
    clock: Clock,
    private readonly logger: Logger,
    audit: AuditLog,
    /** Seals repository credentials at rest. */
    secrets: SecretBox,
  ) {
    const agentsStore = new AgentsStore(db);
    const jobsStore = new JobsStore(db, {
      maxLines: options.jobLogMaxLines ?? DEFAULT_JOB_LOG_LIMITS.maxLines,
      maxBytes: options.jobLogMaxBytes ?? DEFAULT_JOB_LOG_LIMITS.maxBytes,
    });
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

  /** Periodic housekeeping: stale agents go offline, their running jobs are marked lost, lost jobs fail. */
  startSweeper(intervalMs = 1_000): void {
    this.sweepTimer = setInterval(() => void this.sweep(), intervalMs);
    this.sweepTimer.unref();
  }

  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      let agents = await this.agents.list();
      await this.jobs.markStaleAgentsLost(agents.filter((a) => a.status === 'offline').map((a) => a.id));
      // Failing lost jobs changes the agents' job counts: read them again only then.
      if ((await this.jobs.failLostJobs(this.options.jobLostGraceMs)) > 0) agents = await this.agents.list();
      this.agents.announceChanged(agents);
    } catch (err) {
      this.logger.error({ err }, 'fleet sweep failed');
    } finally {
      this.sweeping = false;
    }
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.gateway.close();
  }
}
