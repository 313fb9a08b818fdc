import {
  type JobLogs,
  LOG_BATCH_MAX_BYTES,
  LOG_BATCH_MAX_LINES,
  type LogLine,
  logLineBytes,
} from '@deploybot/shared';

export type LogStream = LogLine['stream'];

export interface LogBatcherOptions {
  jobId: string;
  send: (batch: JobLogs) => void;
  /** A batch leaves at most this long after its first line. */
  flushIntervalMs?: number;
  maxBatchLines?: number;
  /** Measured with `logLineBytes`; at most the protocol's LOG_BATCH_MAX_BYTES. */
  maxBatchBytes?: number;
  now?: () => Date;
}

/**
 * Numbers a job's log lines and groups them into `job:logs` batches: one message per line would flood the
 * controller when a build prints thousands of lines, while waiting too long would make the live view lag.
 * A batch is full at `maxBatchLines` lines or `maxBatchBytes` bytes, whichever comes first: 200 lines of 15 KB
 * would be a 3 MB message, which Socket.IO refuses by dropping the connection.
 */
export class LogBatcher {
  private seq = 0;
  private pending: LogLine[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly flushIntervalMs: number;
  private readonly maxBatchLines: number;
  private readonly maxBatchBytes: number;
  private readonly now: () => Date;

  constructor(private readonly options: LogBatcherOptions) {
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.maxBatchLines = Math.min(options.maxBatchLines ?? 200, LOG_BATCH_MAX_LINES);
    this.maxBatchBytes = Math.min(options.maxBatchBytes ?? LOG_BATCH_MAX_BYTES, LOG_BATCH_MAX_BYTES);
    this.now = options.now ?? (() => new Date());
  }

  /** Lines numbered so far; the next line gets this seq. */
  get nextSeq(): number {
    return this.seq;
  }

  add(stream: LogStream, line: string): void {
    const bytes = logLineBytes(line);
    if (this.pending.length > 0 && this.pendingBytes + bytes > this.maxBatchBytes) this.flush();
    this.pending.push({ seq: this.seq++, stream, line, at: this.now().toISOString() });
    this.pendingBytes += bytes;
    if (this.pending.length >= this.maxBatchLines || this.pendingBytes >= this.maxBatchBytes) {
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
    this.pendingBytes = 0;
    this.options.send({ jobId: this.options.jobId, lines });
  }
}
