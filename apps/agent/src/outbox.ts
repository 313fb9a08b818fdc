import {
  type Ack,
  errorBodySchema,
  type JobLogs,
  type JobStatusUpdate,
  jobLogsSchema,
  jobStatusUpdateSchema,
} from '@deploybot/shared';
import type { Logger } from 'pino';
import { z } from 'zod';

/** How the outbox reaches the controller while connected. */
export interface OutboxSender {
  emitLogs(batch: JobLogs): void;
  /** Resolves with the controller's ack; rejects on ack timeout or disconnect. */
  emitStatus(update: JobStatusUpdate): Promise<unknown>;
}

/** What a running job reports through. */
export interface JobReporter {
  logs(batch: JobLogs): void;
  status(update: JobStatusUpdate): void;
}

type Item = { kind: 'logs'; batch: JobLogs } | { kind: 'status'; update: JobStatusUpdate };

const statusAckSchema = z.union([z.object({ data: z.object({ ok: z.literal(true) }) }), errorBodySchema]);
const FINAL = new Set(['success', 'failed', 'cancelled']);
const RETRY_MS = 1_000;

/**
 * Everything a job reports goes through here, in order. A job does not stop because the controller is away: its
 * lines and statuses wait here and leave, in order, once the agent is connected and has said hello again.
 * A status is only dropped once the controller acknowledged it; log batches are fire-and-forget (the seq numbers
 * let the controller see a gap) and the oldest are dropped first if an outage outlasts `maxLogBatches`.
 */
export class Outbox implements JobReporter {
  private queue: Item[] = [];
  private sender: OutboxSender | null = null;
  private pumping = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly maxLogBatches = 5_000,
  ) {}

  logs(batch: JobLogs): void {
    const parsed = jobLogsSchema.safeParse(batch);
    if (!parsed.success) {
      this.logger.error(
        { err: parsed.error, jobId: batch.jobId },
        'dropping a malformed log batch (agent bug)',
      );
      return;
    }
    this.queue.push({ kind: 'logs', batch: parsed.data });
    this.trim();
    this.pump();
  }

  status(update: JobStatusUpdate): void {
    const parsed = jobStatusUpdateSchema.safeParse(update);
    if (!parsed.success) {
      this.logger.error(
        { err: parsed.error, jobId: update.jobId },
        'dropping a malformed status (agent bug)',
      );
      return;
    }
    this.queue.push({ kind: 'status', update: parsed.data });
    this.pump();
  }

  /** Called once the controller has acknowledged hello. */
  attach(sender: OutboxSender): void {
    this.sender = sender;
    this.pump();
  }

  detach(): void {
    this.sender = null;
  }

  /** Jobs whose final status the controller has not acknowledged yet: still "ours" in a hello. */
  unreportedJobIds(): string[] {
    return this.queue.flatMap((i) =>
      i.kind === 'status' && FINAL.has(i.update.status) ? [i.update.jobId] : [],
    );
  }

  get size(): number {
    return this.queue.length;
  }

  /** Resolves true once empty, false if `timeoutMs` passes first. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.queue.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  private trim(): void {
    let logs = 0;
    for (const item of this.queue) if (item.kind === 'logs') logs++;
    if (logs <= this.maxLogBatches) return;
    const drop = this.queue.findIndex((i) => i.kind === 'logs');
    const [dropped] = this.queue.splice(drop, 1);
    if (dropped?.kind === 'logs') {
      this.logger.warn(
        { jobId: dropped.batch.jobId, lines: dropped.batch.lines.length },
        'outbox full: dropped log lines',
      );
    }
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.run().finally(() => {
      this.pumping = false;
      // A new connection may have attached while the loop was winding down on the old one.
      if (this.sender && this.queue.length > 0) this.pump();
    });
  }

  private async run(): Promise<void> {
    while (this.sender && this.queue.length > 0) {
      const sender = this.sender;
      const item = this.queue[0]!;
      if (item.kind === 'logs') {
        sender.emitLogs(item.batch);
        this.queue.shift();
      } else {
        try {
          const ack = statusAckSchema.safeParse(await sender.emitStatus(item.update));
          if (!ack.success) {
            this.logger.warn({ jobId: item.update.jobId }, 'unexpected answer to job:status; not resending');
          } else if ('error' in ack.data) {
            // The controller refused it for good (unknown job, stale status): resending would not change that.
            const { error } = ack.data as Extract<Ack<never>, { error: unknown }>;
            this.logger.warn({ jobId: item.update.jobId, error }, 'controller refused a job status');
          }
          this.queue.shift();
        } catch (error) {
          this.logger.debug(
            { err: error, jobId: item.update.jobId },
            'job status not acknowledged; will retry',
          );
          if (this.sender !== sender) break;
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
      }
    }
    if (this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
