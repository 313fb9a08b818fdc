import type { AgentJob, JobStatusUpdate } from '@deploybot/shared';
import type { Logger } from 'pino';
import type { AbortKind, JobIo, JobOutcome } from './job-outcome';
import { type JobRunnerOptions, runJob } from './job-runner';
import { LogBatcher } from './log-batcher';
import type { JobReporter } from './outbox';
import { runActivation } from './release-activation';

/** The protocol's `runningJobs` lists hold at most 100 ids. */
const MAX_JOBS = 100;
const REMEMBERED_FINISHED = 500;

interface ActiveJob {
  job: AgentJob;
  abort: AbortController;
  done: Promise<void>;
}

export type AssignResult = { accepted: true } | { refused: 'unavailable'; message: string };

/**
 * Owns the agent's jobs (deploys and activations): queues them beyond the concurrency limit, runs at most one job
 * per repository at a time (two jobs of one app racing for `current` is never what anyone wants), and cancels them.
 */
export class JobManager {
  private queue: AgentJob[] = [];
  private running = new Map<string, ActiveJob>();
  private busyRepos = new Set<string>();
  /** Final statuses of recent jobs, to answer a re-sent assignment with the truth instead of a second run. */
  private finished = new Map<string, JobStatusUpdate>();
  private closed = false;

  constructor(
    private readonly options: JobRunnerOptions & {
      concurrency: number;
      reporter: JobReporter;
      logger: Logger;
      logFlushMs?: number;
    },
  ) {}

  /** Queued and running jobs, which the controller must not consider lost. */
  activeJobIds(): string[] {
    return [...this.running.keys(), ...this.queue.map((j) => j.jobId)];
  }

  assign(job: AgentJob): AssignResult {
    if (this.running.has(job.jobId) || this.queue.some((j) => j.jobId === job.jobId)) {
      // The controller re-sent a job we already have (e.g. after a reconnect): accepting again is harmless.
      return { accepted: true };
    }
    const finished = this.finished.get(job.jobId);
    if (finished) {
      // The controller missed how it ended (an ack lost in a disconnect): tell it again rather than redeploy.
      this.options.reporter.status(finished);
      return { accepted: true };
    }
    if (this.closed) return { refused: 'unavailable', message: 'the agent is shutting down' };
    if (this.running.size + this.queue.length >= MAX_JOBS) {
      return { refused: 'unavailable', message: `the agent already holds ${MAX_JOBS} jobs` };
    }
    this.queue.push(job);
    this.options.logger.info(
      { jobId: job.jobId, action: job.action ?? 'deploy', repository: job.repository.name, sha: job.sha },
      'job accepted',
    );
    this.schedule();
    return { accepted: true };
  }

  /** False when the job is unknown (already finished, or never sent here). */
  cancel(jobId: string, kind: AbortKind = 'cancelled'): boolean {
    const queued = this.queue.findIndex((j) => j.jobId === jobId);
    if (queued !== -1) {
      this.queue.splice(queued, 1);
      this.finish(jobId, {
        jobId,
        status: 'cancelled',
        cause: 'cancelled',
        error:
          kind === 'shutdown'
            ? 'the agent is shutting down'
            : 'cancelled by the controller before it started',
      });
      return true;
    }
    const active = this.running.get(jobId);
    if (!active) return false;
    active.abort.abort(kind);
    return true;
  }

  /** Cancels everything and waits for running jobs to report. */
  async shutdown(): Promise<void> {
    this.closed = true;
    for (const job of [...this.queue]) this.cancel(job.jobId, 'shutdown');
    for (const id of [...this.running.keys()]) this.cancel(id, 'shutdown');
    await Promise.all([...this.running.values()].map((a) => a.done));
  }

  private schedule(): void {
    while (this.running.size < this.options.concurrency) {
      const next = this.queue.findIndex((j) => !this.busyRepos.has(j.repository.name));
      if (next === -1) return;
      const [job] = this.queue.splice(next, 1) as [AgentJob];
      this.start(job);
    }
  }

  private start(job: AgentJob): void {
    const { reporter, logger } = this.options;
    const abort = new AbortController();
    const batcher = new LogBatcher({
      jobId: job.jobId,
      send: (batch) => reporter.logs(batch),
      flushIntervalMs: this.options.logFlushMs,
    });
    this.busyRepos.add(job.repository.name);
    reporter.status({ jobId: job.jobId, status: 'running' });
    const io: JobIo = {
      log: (stream, line) => batcher.add(stream, line),
      progress: (update) => reporter.status({ jobId: job.jobId, status: 'running', ...update }),
      signal: abort.signal,
    };
    const done = (
      job.action === 'activate' ? runActivation(job, this.options, io) : runJob(job, this.options, io)
    )
      .catch(
        (error: unknown): JobOutcome => ({
          status: 'failed',
          cause: 'internal',
          error: `internal error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 4000),
        }),
      )
      .then((outcome) => {
        // Every line must be out before the status that ends the job.
        batcher.flush();
        logger.info({ jobId: job.jobId, ...outcome }, `job ${outcome.status}`);
        this.finish(job.jobId, { jobId: job.jobId, ...outcome });
      })
      .finally(() => {
        this.running.delete(job.jobId);
        this.busyRepos.delete(job.repository.name);
        this.schedule();
      });
    this.running.set(job.jobId, { job, abort, done });
  }

  private finish(jobId: string, update: JobStatusUpdate): void {
    this.finished.set(jobId, update);
    if (this.finished.size > REMEMBERED_FINISHED) {
      this.finished.delete(this.finished.keys().next().value!);
    }
    this.options.reporter.status(update);
  }
}
