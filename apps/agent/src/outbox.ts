import {
  type Ack,
  errorBodySchema,
  type JobLogs,
  type JobStatusUpdate,
  jobLogsSchema,
  jobStatusUpdateSchema,
  LOG_BATCH_MAX_BYTES,
  LOG_BATCH_MAX_LINES,
  logBatchBytes,
  logsReceiptSchema,
} from '@deploybot/shared';
import type { Logger } from 'pino';
import { z } from 'zod';

/** How the outbox reaches the controller while connected. */
export interface OutboxSender {
  /** Resolves with the controller's ack; rejects on ack timeout or disconnect. */
  emitLogs(batch: JobLogs): Promise<unknown>;
  /** Resolves with the controller's ack; rejects on ack timeout or disconnect. */
  emitStatus(update: JobStatusUpdate): Promise<unknown>;
}

/** What a running job reports through. */
export interface JobReporter {
  logs(batch: JobLogs): void;
  status(update: JobStatusUpdate): void;
}

interface LogsItem {
  kind: 'logs';
  batch: JobLogs;
  bytes: number;
  /** Set when the batch stands for lines dropped here: it is then one marker line saying so. */
  gap?: { from: number; to: number; count: number };
}
type Item = LogsItem | { kind: 'status'; update: JobStatusUpdate };

const statusAckSchema = z.union([z.object({ data: z.object({ ok: z.literal(true) }) }), errorBodySchema]);
const logsAckSchema = z.union([z.object({ data: logsReceiptSchema }), errorBodySchema]);
const FINAL = new Set(['success', 'failed', 'cancelled']);
const RETRY_MS = 1_000;
/** Log lines held while the controller is away, in the unit of LOG_BATCH_MAX_BYTES. */
export const DEFAULT_MAX_QUEUED_LOG_BYTES = 64 * 1024 * 1024;
/** Jobs whose log the controller capped, remembered so their later lines are not sent for nothing. */
const REMEMBERED_CAPPED = 500;

/**
 * Everything a job reports goes through here, in order. A job does not stop because the controller is away: its
 * lines and statuses wait here and leave, in order, once the agent is connected and has said hello again.
 * Nothing is dropped before the controller acknowledged it: a batch whose ack is lost is sent again (the
 * controller ignores lines it already has). If an outage outlasts `maxQueuedLogBytes` of output, the oldest lines
 * give way to one marker line per gap, so the log shows what is missing; statuses are never dropped.
 */
export class Outbox implements JobReporter {
  private queue: Item[] = [];
  private queuedLogBytes = 0;
  private inFlight: Item | null = null;
  private sender: OutboxSender | null = null;
  private pumping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly capped = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly maxQueuedLogBytes = DEFAULT_MAX_QUEUED_LOG_BYTES,
  ) {}

  logs(batch: JobLogs): void {
    if (this.capped.has(batch.jobId)) return;
    const parsed = jobLogsSchema.safeParse(batch);
    if (!parsed.success) {
      this.logger.error(
        { err: parsed.error, jobId: batch.jobId },
        'dropping a malformed log batch (agent bug)',
      );
      return;
    }
    const bytes = logBatchBytes(parsed.data.lines);
    this.queue.push({ kind: 'logs', batch: parsed.data, bytes });
    this.queuedLogBytes += bytes;
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

  /** Turns the oldest waiting lines into gap markers until the lines held fit in the budget again. */
  private trim(): void {
    let from = 0;
    while (this.queuedLogBytes > this.maxQueuedLogBytes) {
      const i = this.queue.findIndex(
        (item, index) => index >= from && item.kind === 'logs' && !item.gap && item !== this.inFlight,
      );
      if (i === -1) return;
      from = i;
      const item = this.queue[i] as LogsItem;
      const lines = item.batch.lines;
      const dropped = { from: lines[0]!.seq, to: lines.at(-1)!.seq, count: lines.length };
      const before = this.queue[i - 1];
      if (
        before?.kind === 'logs' &&
        before.gap &&
        before !== this.inFlight &&
        before.batch.jobId === item.batch.jobId
      ) {
        this.queue.splice(i, 1);
        this.queuedLogBytes -= item.bytes;
        this.setGap(before, { ...before.gap, to: dropped.to, count: before.gap.count + dropped.count });
        from = i - 1;
      } else {
        this.setGap(item, dropped);
      }
      this.logger.warn(
        { jobId: item.batch.jobId, lines: dropped.count },
        'controller unreachable and the log buffer is full: dropped log lines (the job log shows the gap)',
      );
    }
  }

  /** Makes `item` the one marker line of a gap, at the seq of the first line it replaces. */
  private setGap(item: LogsItem, gap: NonNullable<LogsItem['gap']>): void {
    const first = item.batch.lines[0]!;
    const line = {
      seq: first.seq,
      stream: 'system' as const,
      line:
        `[deploybot] ${gap.count} log line(s) dropped here (seq ${gap.from}-${gap.to}): the controller was ` +
        `unreachable for longer than the agent's log buffer (${formatBytes(this.maxQueuedLogBytes)}) lasts`,
      at: first.at,
    };
    const bytes = logBatchBytes([line]);
    this.queuedLogBytes += bytes - item.bytes;
    item.batch = { jobId: item.batch.jobId, lines: [line] };
    item.bytes = bytes;
    item.gap = gap;
  }

  /** Folds the log batches right behind the first into it, as far as one message allows. */
  private coalesce(head: LogsItem): void {
    while (this.queue[1]?.kind === 'logs') {
      const next = this.queue[1];
      if (
        next.batch.jobId !== head.batch.jobId ||
        next.gap ||
        head.gap ||
        head.batch.lines.length + next.batch.lines.length > LOG_BATCH_MAX_LINES ||
        head.bytes + next.bytes > LOG_BATCH_MAX_BYTES
      ) {
        return;
      }
      head.batch = { jobId: head.batch.jobId, lines: [...head.batch.lines, ...next.batch.lines] };
      head.bytes += next.bytes;
      this.queue.splice(1, 1);
    }
  }

  private remove(item: Item): void {
    const i = this.queue.indexOf(item);
    if (i !== -1) this.queue.splice(i, 1);
    if (item.kind === 'logs') this.queuedLogBytes -= item.bytes;
  }

  /** The controller keeps no more of this job's log: forget what waits and what is still to come. */
  private cap(jobId: string): void {
    this.capped.add(jobId);
    if (this.capped.size > REMEMBERED_CAPPED) this.capped.delete(this.capped.values().next().value!);
    for (const item of [...this.queue]) {
      if (item.kind === 'logs' && item.batch.jobId === jobId && item !== this.inFlight) this.remove(item);
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
      if (item.kind === 'logs') this.coalesce(item);
      this.inFlight = item;
      try {
        if (item.kind === 'logs') await this.sendLogs(sender, item);
        else await this.sendStatus(sender, item.update);
        this.remove(item);
      } catch (error) {
        this.logger.debug(
          { err: error, kind: item.kind },
          'not acknowledged by the controller; will send again',
        );
        if (this.sender !== sender) break;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      } finally {
        this.inFlight = null;
      }
    }
    if (this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async sendLogs(sender: OutboxSender, item: LogsItem): Promise<void> {
    const { jobId } = item.batch;
    const ack = logsAckSchema.safeParse(await sender.emitLogs(item.batch));
    if (!ack.success) {
      this.logger.warn({ jobId }, 'unexpected answer to job:logs; not resending');
    } else if ('error' in ack.data) {
      // Refused for good (unknown job, invalid batch): resending would not change that.
      const { error } = ack.data as Extract<Ack<never>, { error: unknown }>;
      this.logger.warn({ jobId, error }, 'controller refused a log batch');
    } else if (ack.data.data.capped) {
      this.logger.info({ jobId }, 'the controller keeps no more lines of this job; not sending the rest');
      this.cap(jobId);
    }
  }

  private async sendStatus(sender: OutboxSender, update: JobStatusUpdate): Promise<void> {
    const ack = statusAckSchema.safeParse(await sender.emitStatus(update));
    if (!ack.success) {
      this.logger.warn({ jobId: update.jobId }, 'unexpected answer to job:status; not resending');
    } else if ('error' in ack.data) {
      // The controller refused it for good (unknown job, stale status): resending would not change that.
      const { error } = ack.data as Extract<Ack<never>, { error: unknown }>;
      this.logger.warn({ jobId: update.jobId, error }, 'controller refused a job status');
    }
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${Math.round(bytes / (1024 * 1024))} MiB`
    : `${Math.round(bytes / 1024)} KiB`;
}
