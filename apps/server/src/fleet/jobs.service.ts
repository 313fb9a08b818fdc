import { randomUUID } from 'node:crypto';
import {
  type ActivateReleaseInput,
  activateReleaseInputSchema,
  type JobDto,
  type ListJobsQuery,
  type LogLine,
  redactCredentials,
  splitRepositoryUrl,
} from '@deploybot/shared';
import type { AuditLog } from '../auth/audit-log';
import type { Clock } from '../engine/ports';
import type { AgentGateway } from './agent-gateway';
import { type AgentsService, FleetError } from './agents.service';
import type { FleetEvents } from './fleet-events';
import { GitRemoteError } from './git-remote';
import type { JobRecord, JobsStore } from './jobs.store';
import type { RepositoriesService } from './repositories.service';

/** A REST page of log lines is at most about this large: 10,000 lines of 16 KiB would be 160 MB. */
export const LOG_REST_PAGE_MAX_BYTES = 1024 * 1024;

export interface CreateJobInput {
  repository: string;
  ref?: string;
  /** Agent id or hostname. */
  agent: string;
  /** When given, the sha to deploy (already resolved); otherwise the ref is resolved now. */
  sha?: string;
  idempotencyKey?: string | null;
  runId?: string | null;
  retryOf?: string | null;
  timeoutSec?: number;
  createdBy: string;
}

/** Switching a symlink takes milliseconds; a minute leaves room for a slow disk and a queue behind a deploy. */
const ACTIVATION_TIMEOUT_SEC = 60;

const FINISHED = new Set(['success', 'failed', 'cancelled']);

export function isFinished(job: JobDto): boolean {
  return FINISHED.has(job.status);
}

/** Deployment jobs: creation (idempotent by key), dispatch to the agent, cancel, logs, waiting for the end. */
export class JobsService {
  private gateway!: AgentGateway;

  constructor(
    private readonly store: JobsStore,
    private readonly agents: AgentsService,
    private readonly repositories: RepositoriesService,
    private readonly events: FleetEvents,
    private readonly clock: Clock,
    private readonly defaultTimeoutSec: number,
    private readonly audit: AuditLog,
  ) {}

  attachGateway(gateway: AgentGateway): void {
    this.gateway = gateway;
  }

  async create(input: CreateJobInput): Promise<JobDto> {
    const agent = await this.agents.row(input.agent);
    const repo = await this.repositories.get(input.repository);
    const ref = input.ref ?? repo.defaultRef;
    let sha = input.sha;
    if (!sha) {
      try {
        sha = (await this.repositories.resolve(repo.name, ref)).sha;
      } catch (err) {
        if (err instanceof GitRemoteError) throw new FleetError('validation_failed', err.message);
        throw err;
      }
    }
    const { job, created } = await this.store.insert({
      id: randomUUID(),
      repositoryId: repo.id,
      ref,
      sha,
      agentId: agent.id,
      attempt: 1,
      retryOf: input.retryOf ?? null,
      idempotencyKey: input.idempotencyKey ?? null,
      runId: input.runId ?? null,
      timeoutSec: input.timeoutSec ?? this.defaultTimeoutSec,
      createdBy: input.createdBy,
      at: this.clock.now().toISOString(),
    });
    if (created) {
      await this.audit.record(input.createdBy, input.retryOf ? 'job.retry' : 'job.create', job.id, {
        repository: job.repository,
        ref: job.ref,
        sha: job.sha,
        agent: job.agentHostname,
        runId: job.runId,
        retryOf: job.retryOf,
      });
      this.changed(job);
      await this.gateway.dispatch(job);
    }
    return strip(job);
  }

  /**
   * Switches an agent's `current` back to a release it still has: one made by an earlier successful deploy of the
   * same repository on the same agent. The job copies that deploy's ref and sha, so it reads like a deploy of
   * that commit wherever jobs are listed (GET /v1/hosts shows it as what runs there once it succeeded). Idempotent
   * by key, like `create`.
   */
  async activateRelease(raw: ActivateReleaseInput & { retryOf?: string | null }): Promise<JobDto> {
    const { retryOf = null, ...given } = raw;
    const parsed = activateReleaseInputSchema.safeParse(given);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`);
      throw new FleetError('validation_failed', `cannot activate a release: ${issues.join('; ')}`);
    }
    const input = parsed.data;
    const agent = await this.agents.row(input.agent);
    const repo = await this.repositories.get(input.repository);
    const source = await this.store.get(input.release);
    const where = `${agent.hostname}'s ${repo.name}`;
    if (source?.action !== 'deploy' || source.agentId !== agent.id || source.repository !== repo.name) {
      throw new FleetError(
        'validation_failed',
        `release ${input.release} was not made by a deploy of ${repo.name} on ${agent.hostname}: only such a release can be activated there`,
      );
    }
    if (source.status !== 'success') {
      throw new FleetError(
        'validation_failed',
        `release ${input.release} of ${where} comes from a deploy that did not succeed (${source.status}): only a successful deploy's release can be activated`,
      );
    }
    const { job, created } = await this.store.insert({
      id: randomUUID(),
      activation: { release: input.release, onlyIfCurrent: input.onlyIfCurrent ?? null },
      repositoryId: repo.id,
      ref: source.ref,
      sha: source.sha,
      agentId: agent.id,
      attempt: 1,
      retryOf,
      idempotencyKey: input.idempotencyKey ?? null,
      runId: input.runId ?? null,
      timeoutSec: input.timeoutSec ?? ACTIVATION_TIMEOUT_SEC,
      createdBy: input.createdBy,
      at: this.clock.now().toISOString(),
    });
    if (created) {
      await this.audit.record(input.createdBy, retryOf ? 'job.retry' : 'job.create', job.id, {
        action: 'activate',
        repository: job.repository,
        release: job.release,
        sha: job.sha,
        agent: job.agentHostname,
        onlyIfCurrent: job.onlyIfCurrent,
        reason: input.reason?.trim() || null,
        runId: job.runId,
        retryOf: job.retryOf,
      });
      this.changed(job);
      await this.gateway.dispatch(job);
    }
    return strip(job);
  }

  /**
   * Creates a new attempt of a job, on the same or another agent. An activation is retried as an activation, and
   * only on its own agent: the release exists nowhere else.
   */
  async retry(
    jobId: string,
    opts: { agent?: string; idempotencyKey?: string; runId?: string | null; createdBy: string },
  ): Promise<JobDto> {
    const original = await this.record(jobId);
    if (original.action === 'activate') {
      if (opts.agent !== undefined && (await this.agents.row(opts.agent)).id !== original.agentId) {
        throw new FleetError(
          'validation_failed',
          `job ${original.id} activates a release on ${original.agentHostname}; it can only be retried there`,
        );
      }
      return this.activateRelease({
        agent: original.agentId,
        repository: original.repository,
        release: original.release,
        onlyIfCurrent: original.onlyIfCurrent,
        idempotencyKey: opts.idempotencyKey ?? null,
        runId: opts.runId ?? null,
        retryOf: original.id,
        timeoutSec: original.timeoutSec,
        createdBy: opts.createdBy,
      });
    }
    return this.create({
      repository: original.repository,
      ref: original.ref,
      sha: original.sha,
      agent: opts.agent ?? original.agentId,
      idempotencyKey: opts.idempotencyKey ?? null,
      runId: opts.runId ?? null,
      retryOf: original.id,
      timeoutSec: original.timeoutSec,
      createdBy: opts.createdBy,
    });
  }

  async get(jobId: string): Promise<JobDto> {
    return strip(await this.record(jobId));
  }

  private async record(jobId: string): Promise<JobRecord> {
    const job = await this.store.get(jobId);
    if (!job) throw new FleetError('not_found', `no job ${jobId}`);
    return job;
  }

  async list(q: ListJobsQuery & { since?: string; statuses?: JobDto['status'][] }): Promise<JobDto[]> {
    return (await this.store.list(q)).map(strip);
  }

  /** A page of the log after `afterSeq`, bounded in lines and in bytes (REST's `GET /v1/jobs/{id}/logs`). */
  async logs(
    jobId: string,
    afterSeq: number,
    limit: number,
  ): Promise<{ lines: LogLine[]; next: number | null }> {
    await this.record(jobId);
    return this.store.logs(jobId, afterSeq, limit, LOG_REST_PAGE_MAX_BYTES);
  }

  tailLogs(jobId: string, count: number): Promise<LogLine[]> {
    return this.store.tailLogs(jobId, count);
  }

  /** Lines going back from `before` (from the end when null), bounded in lines and bytes: see `logPageBefore`. */
  async logPage(jobId: string, before: number | null, limit: number, maxBytes: number) {
    await this.record(jobId);
    return this.store.logPageBefore(jobId, before, limit, maxBytes);
  }

  /**
   * Cancels a job. A pending job, or one whose agent is unreachable, is cancelled here; a running job is
   * cancelled by its agent (which kills the process group and reports `cancelled`). Either way the job ends with
   * `cancelled by <by>[: <reason>]` as its error and a last log line saying so.
   */
  async cancel(jobId: string, by: string, reason?: string | null): Promise<JobDto> {
    const job = await this.record(jobId);
    if (isFinished(job)) throw new FleetError('conflict', `job ${jobId} is already ${job.status}`);
    const note = reason?.trim() || null;
    const why = `cancelled by ${by}${note ? `: ${note}` : ''}`;
    await this.audit.record(by, 'job.cancel', job.id, {
      repository: job.repository,
      agent: job.agentHostname,
      reason: note,
    });
    // Recorded before the agent is asked: its report of the end may arrive at once, and on any controller.
    await this.store.requestCancel(job.id, why);
    const reached = await this.gateway.cancelJob(job.agentId, job.id);
    if (job.status === 'pending' || !reached) {
      const at = this.clock.now().toISOString();
      const cancelled = await this.store.transition(job.id, {
        status: 'cancelled',
        error: why,
        cause: 'cancelled',
        at,
      });
      if (cancelled) {
        const where = reached ? 'before it started' : 'while its agent was unreachable';
        const line = await this.store.noteCancel(job.id, at, where);
        if (line) this.events.emit('logs', { jobId: job.id, lines: [line] });
        this.changed(cancelled);
      }
    }
    return this.get(jobId);
  }

  /** Resolves with the job once it has finished; rejects if `signal` aborts first. */
  async waitForEnd(jobId: string, signal: AbortSignal): Promise<JobDto> {
    return new Promise<JobDto>((resolve, reject) => {
      const onJob = (job: JobDto) => {
        if (job.id === jobId && isFinished(job)) finish(() => resolve(job));
      };
      const onAbort = () => finish(() => reject(signal.reason));
      const finish = (settle: () => void) => {
        this.events.off('job', onJob);
        signal.removeEventListener('abort', onAbort);
        settle();
      };
      if (signal.aborted) return reject(signal.reason);
      // Listen first, then read: a change in between is seen by one or the other.
      this.events.on('job', onJob);
      signal.addEventListener('abort', onAbort, { once: true });
      this.get(jobId).then(
        (job) => {
          if (isFinished(job)) finish(() => resolve(job));
        },
        (err) => finish(() => reject(err)),
      );
    });
  }

  /** Fails unfinished jobs whose agent has been gone longer than the grace period. */
  async failLostJobs(graceMs: number): Promise<number> {
    const now = this.clock.now();
    const lost = await this.store.lostBefore(new Date(now.getTime() - graceMs).toISOString());
    let failed = 0;
    for (const job of lost) {
      const grace = `${Math.round(graceMs / 1000)} s`;
      const changed = await this.store.transition(
        job.id,
        job.status === 'running'
          ? {
              status: 'failed',
              error: `agent lost: ${job.agentHostname} disconnected mid-job and did not come back within ${grace}`,
              cause: 'agent_lost',
              at: now.toISOString(),
            }
          : {
              status: 'failed',
              error: `agent offline: ${job.agentHostname} was not connected to take the job within ${grace}`,
              cause: 'agent_offline',
              at: now.toISOString(),
            },
      );
      if (changed) {
        failed++;
        this.changed(changed);
      }
    }
    return failed;
  }

  /** Marks running jobs of agents whose heartbeats went stale without a disconnect (a silent death). */
  async markStaleAgentsLost(staleAgentIds: string[]): Promise<void> {
    for (const id of staleAgentIds) await this.store.markLost(id, this.clock.now().toISOString());
  }

  changed(job: JobRecord | JobDto): void {
    this.events.emit('job', strip(job as JobRecord));
  }
}

/**
 * What a job looks like to people. The stored URL has no credentials and errors are redacted when stored; this
 * also covers rows written before that (a repository URL with user-info, a git message quoting one).
 */
function strip(job: JobRecord): JobDto {
  const { timeoutSec: _timeoutSec, onlyIfCurrent: _onlyIfCurrent, ...dto } = job;
  return {
    ...dto,
    repositoryUrl: redactCredentials(splitRepositoryUrl(dto.repositoryUrl).url),
    error: dto.error === null ? null : redactCredentials(dto.error),
  };
}
