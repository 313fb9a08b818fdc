import type { JobLogs, LogLine } from '@deploybot/shared';

export type LogStream = LogLine['stream'];

export interface LogBatcherOptions {
  jobId: string;
  send: (batch: JobLogs) => void;
  /** A batch leaves at most this long after its first line. */
  flushIntervalMs?: number;
  maxBatchLines?: number;
  now?: () => Date;
}

/**
 * Numbers a job's log lines and groups them into `job:logs` batches: one message per line would flood the
 * controller when a build prints thousands of lines, while waiting too long would make the live view lag.
 */
export class LogBatcher {
  private seq = 0;
  private pending: LogLine[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly flushIntervalMs: number;
  private readonly maxBatchLines: number;
  private readonly now: () => Date;

  constructor(private readonly options: LogBatcherOptions) {
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.maxBatchLines = options.maxBatchLines ?? 200;
    this.now = options.now ?? (() => new Date());
  }

  /** Lines numbered so far; the next line gets this seq. */
  get nextSeq(): number {
    return this.seq;
  }

  add(stream: LogStream, line: string): void {
    this.pending.push({ seq: this.seq++, stream, line, at: this.now().toISOString() });
    if (this.pending.length >= this.maxBatchLines) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
    }
  }

  /** Sends whatever is pending; called before every final status so no line arrives after it. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.options.send({ jobId: this.options.jobId, lines });
  }
}
