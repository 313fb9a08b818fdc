import type {
  JobAction,
  JobDto,
  JobFailureCause,
  JobStatus,
  ListJobsQuery,
  LogLine,
} from '@deploybot/shared';
import type { Db, Queryable } from '../db/db';
import { iso } from './time';

interface JobRow {
  id: string;
  action: JobAction;
  target_release: string | null;
  only_if_current: string | null;
  previous_release: string | null;
  repository: string;
  repository_url: string;
  ref: string;
  sha: string;
  agent_id: string;
  agent_hostname: string;
  status: JobStatus;
  exit_code: number | null;
  error: string | null;
  cause: JobFailureCause | null;
  step: string | null;
  release_dir: string | null;
  attempt: number;
  retry_of: string | null;
  idempotency_key: string | null;
  run_id: string | null;
  timeout_sec: number;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface NewJob {
  id: string;
  /** Absent: a deploy. */
  activation?: { release: string; onlyIfCurrent: string | null };
  repositoryId: string;
  ref: string;
  sha: string;
  agentId: string;
  attempt: number;
  retryOf: string | null;
  idempotencyKey: string | null;
  runId: string | null;
  timeoutSec: number;
  createdBy: string;
  at: string;
}

export interface JobRecord extends JobDto {
  timeoutSec: number;
  /** An activation switches only while `current` points at this release. */
  onlyIfCurrent: string | null;
}

const SELECT = `SELECT j.*, r.name AS repository, r.url AS repository_url, a.hostname AS agent_hostname
                  FROM jobs j JOIN repositories r ON r.id = j.repository_id JOIN agents a ON a.id = j.agent_id`;

function toRecord(r: JobRow): JobRecord {
  return {
    id: r.id,
    action: r.action,
    release: r.target_release ?? r.id,
    previousRelease: r.previous_release,
    repository: r.repository,
    repositoryUrl: r.repository_url,
    ref: r.ref,
    sha: r.sha,
    agentId: r.agent_id,
    agentHostname: r.agent_hostname.replace(/~revoked~.*$/, ''),
    status: r.status,
    exitCode: r.exit_code,
    error: r.error,
    cause: r.cause,
    step: r.step,
    releaseDir: r.release_dir,
    attempt: r.attempt,
    retryOf: r.retry_of,
    idempotencyKey: r.idempotency_key,
    runId: r.run_id,
    createdBy: r.created_by,
    createdAt: iso(r.created_at)!,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    timeoutSec: r.timeout_sec,
    onlyIfCurrent: r.only_if_current,
  };
}

export interface JobTransition {
  status: JobStatus;
  exitCode?: number | null;
  error?: string | null;
  cause?: JobFailureCause | null;
  step?: string | null;
  releaseDir?: string | null;
  previousRelease?: string | null;
  at: string;
}

/** Which status may follow which: a late or replayed report can never move a finished job. */
const ALLOWED: Record<JobStatus, readonly JobStatus[]> = {
  pending: ['running', 'success', 'failed', 'cancelled'],
  // running → running: progress reports (the manifest step in progress, the release dir).
  running: ['running', 'success', 'failed', 'cancelled'],
  success: [],
  failed: [],
  cancelled: [],
};

/** How much of a job's output the controller keeps. */
export interface JobLogLimits {
  /** Lines stored per job, the truncation marker included. Default 100,000. */
  maxLines: number;
  /** Bytes of line text (UTF-8) stored per job. Default 32 MiB. */
  maxBytes: number;
}

export const DEFAULT_JOB_LOG_LIMITS: JobLogLimits = { maxLines: 100_000, maxBytes: 32 * 1024 * 1024 };

export class JobsStore {
  constructor(
    private readonly db: Db,
    private readonly logLimits: JobLogLimits = DEFAULT_JOB_LOG_LIMITS,
  ) {}

  /** Inserts the job, or returns the one already created with the same idempotency key. */
  async insert(job: NewJob): Promise<{ job: JobRecord; created: boolean }> {
    const inserted = await this.db.query<{ id: string }>(
      `INSERT INTO jobs (id, repository_id, ref, sha, agent_id, status, attempt, retry_of, idempotency_key, run_id,
                         timeout_sec, created_by, created_at, action, target_release, only_if_current)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
      [
        job.id,
        job.repositoryId,
        job.ref,
        job.sha,
        job.agentId,
        job.attempt,
        job.retryOf,
        job.idempotencyKey,
        job.runId,
        job.timeoutSec,
        job.createdBy,
        job.at,
        job.activation ? 'activate' : 'deploy',
        job.activation?.release ?? null,
        job.activation?.onlyIfCurrent ?? null,
      ],
    );
    if (inserted.length === 1) return { job: (await this.get(job.id))!, created: true };
    const existing = (
      await this.db.query<JobRow>(`${SELECT} WHERE j.idempotency_key = $1`, [job.idempotencyKey])
    )[0];
    return { job: toRecord(existing!), created: false };
  }

  async get(id: string): Promise<JobRecord | null> {
    const row = (await this.db.query<JobRow>(`${SELECT} WHERE j.id = $1`, [id]))[0];
    return row ? toRecord(row) : null;
  }

  async list(
    q: ListJobsQuery & { agentId?: string; since?: string; statuses?: JobStatus[] },
  ): Promise<JobRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.status) add('j.status = ?', q.status);
    if (q.statuses) add('j.status = ANY(?)', q.statuses);
    if (q.agentId) add('j.agent_id = ?', q.agentId);
    if (q.agent) {
      params.push(q.agent);
      where.push(`(a.hostname = $${params.length} OR a.id::text = $${params.length})`);
    }
    if (q.repository) add('r.name = ?', q.repository);
    if (q.cause) add('j.cause = ?', q.cause);
    if (q.since) add('j.created_at >= ?', q.since);
    params.push(q.limit);
    const rows = await this.db.query<JobRow>(
      `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY j.created_at DESC, j.id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRecord);
  }

  /** Applies a status change if it is legal from the current status; returns the job after, or null if refused. */
  async transition(id: string, t: JobTransition): Promise<JobRecord | null> {
    const from = ALLOWED_FROM[t.status];
    const finished = t.status === 'success' || t.status === 'failed' || t.status === 'cancelled';
    // A job a person cancelled ends with their words, whatever the agent's report says.
    const rows = await this.db.query<{ id: string }>(
      `UPDATE jobs SET status = $2,
              exit_code = COALESCE($3, exit_code),
              error = CASE WHEN $2 = 'cancelled' AND cancel_reason IS NOT NULL THEN cancel_reason
                           ELSE COALESCE($4, error) END,
              cause = COALESCE($5, cause),
              step = COALESCE($6, step), release_dir = COALESCE($7, release_dir),
              previous_release = CASE WHEN $2 = 'success' THEN $11 ELSE previous_release END,
              started_at = CASE WHEN $2 = 'running' THEN COALESCE(started_at, $8::timestamptz) ELSE started_at END,
              finished_at = CASE WHEN $9 THEN $8::timestamptz ELSE finished_at END,
              lost_since = NULL
        WHERE id = $1 AND status = ANY($10) RETURNING id`,
      [
        id,
        t.status,
        t.exitCode ?? null,
        t.error ?? null,
        t.cause ?? null,
        t.step ?? null,
        t.releaseDir ?? null,
        t.at,
        finished,
        from,
        t.previousRelease ?? null,
      ],
    );
    return rows.length === 1 ? this.get(id) : null;
  }

  /**
   * Stores a batch of the agent's lines within the job's cap. Lines already stored (a batch sent again after a
   * lost ack) are skipped. The first line past the cap is replaced by a marker line saying so, and nothing of the
   * job is stored after it. Returns the lines stored now (for the live view) and whether the log is capped.
   */
  async appendLogs(jobId: string, lines: LogLine[]): Promise<{ stored: LogLine[]; capped: boolean }> {
    if (lines.length === 0) return { stored: [], capped: false };
    return this.db.transaction(async (tx) => {
      // Locks the job's row: two batches of one job must not both see room for themselves.
      const job = (
        await tx.query<{ log_lines: number; log_bytes: string | number; log_capped_at: number | null }>(
          'SELECT log_lines, log_bytes, log_capped_at FROM jobs WHERE id = $1 FOR UPDATE',
          [jobId],
        )
      )[0];
      if (!job) return { stored: [], capped: false };
      if (job.log_capped_at !== null) return { stored: [], capped: true };
      const known = new Set(
        (
          await tx.query<{ seq: number }>(
            'SELECT seq FROM job_logs WHERE job_id = $1 AND seq = ANY($2::int[])',
            [jobId, lines.map((l) => l.seq)],
          )
        ).map((r) => r.seq),
      );
      const { maxLines, maxBytes } = this.logLimits;
      let count = job.log_lines;
      let bytes = Number(job.log_bytes);
      const fit: LogLine[] = [];
      let marker: LogLine | null = null;
      for (const line of lines) {
        if (known.has(line.seq)) continue;
        const size = Buffer.byteLength(line.line);
        // One line is kept for the marker.
        if (count + 2 > maxLines || bytes + size > maxBytes) {
          marker = {
            seq: line.seq,
            stream: 'system',
            line:
              `[deploybot] log truncated: this job's log reached the controller's limit ` +
              `(${maxLines} lines or ${formatBytes(maxBytes)}); the rest of its output was not stored`,
            at: line.at,
          };
          break;
        }
        fit.push(line);
        count++;
        bytes += size;
      }
      const rows = [...fit, ...(marker ? [marker] : [])];
      const inserted = await insertLines(tx, jobId, rows);
      const stored = rows.filter((l) => inserted.has(l.seq));
      await tx.query(
        `UPDATE jobs SET log_lines = log_lines + $2, log_bytes = log_bytes + $3,
                         log_capped_at = COALESCE($4, log_capped_at)
          WHERE id = $1`,
        [
          jobId,
          stored.length,
          stored.reduce((n, l) => n + Buffer.byteLength(l.line), 0),
          marker && inserted.has(marker.seq) ? marker.seq : null,
        ],
      );
      return { stored, capped: marker !== null };
    });
  }

  /** Records who cancels an unfinished job and why (`cancelled by …`), before the agent is asked to stop it. */
  async requestCancel(id: string, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE jobs SET cancel_reason = $2 WHERE id = $1 AND status IN ('pending', 'running')`,
      [id, reason],
    );
  }

  /**
   * Called once when a job has ended cancelled: if a person cancelled it, one more line at the end of its log
   * says who and why (`detail` adds where it stood). Returns that line, if written.
   */
  async noteCancel(jobId: string, at: string, detail?: string): Promise<LogLine | null> {
    const row = (
      await this.db.query<{ reason: string | null; top: number | null }>(
        `SELECT cancel_reason AS reason, (SELECT max(seq) FROM job_logs WHERE job_id = $1) AS top
           FROM jobs WHERE id = $1 AND status = 'cancelled'`,
        [jobId],
      )
    )[0];
    if (!row?.reason) return null;
    return this.appendSystemLine(jobId, {
      seq: (row.top ?? -1) + 1,
      stream: 'system',
      line: `[deploybot] ${row.reason}${detail ? ` (${detail})` : ''}`,
      at,
    });
  }

  private async appendSystemLine(jobId: string, line: LogLine): Promise<LogLine | null> {
    const inserted = await insertLines(this.db, jobId, [line]);
    if (!inserted.has(line.seq)) return null;
    await this.db.query(
      'UPDATE jobs SET log_lines = log_lines + 1, log_bytes = log_bytes + $2 WHERE id = $1',
      [jobId, Buffer.byteLength(line.line)],
    );
    return line;
  }

  /**
   * Called once a job has ended: if lines below the last one never arrived (or were refused), one more line at the
   * end says how many, so that a log with holes never passes for a whole one. Returns that line, if written.
   */
  async noteMissingLogLines(jobId: string, at: string): Promise<LogLine | null> {
    const row = (
      await this.db.query<{ n: number; last: number | null; top: number | null }>(
        `SELECT count(*)::int AS n, max(l.seq) AS last, (SELECT max(seq) FROM job_logs WHERE job_id = $1) AS top
           FROM job_logs l JOIN jobs j ON j.id = l.job_id
          WHERE l.job_id = $1 AND l.seq < COALESCE(j.log_capped_at, 2147483647)`,
        [jobId],
      )
    )[0];
    if (!row || row.last === null || row.top === null) return null;
    const missing = row.last + 1 - row.n;
    if (missing <= 0) return null;
    return this.appendSystemLine(jobId, {
      seq: row.top + 1,
      stream: 'system',
      line: `[deploybot] this log is incomplete: ${missing} of the lines numbered 0-${row.last} never reached the controller`,
      at,
    });
  }

  /**
   * The lines after `afterSeq`: at most `limit` lines and about `maxBytes` as JSON (at least one line, so paging
   * always moves on). `next` is the `after` of the following page, or null when no later line is stored.
   */
  async logs(
    jobId: string,
    afterSeq: number,
    limit: number,
    maxBytes: number,
  ): Promise<{ lines: LogLine[]; next: number | null }> {
    const { lines, more } = await this.logWindow(jobId, { after: afterSeq }, limit, maxBytes);
    return { lines, next: more ? lines.at(-1)!.seq : null };
  }

  async tailLogs(jobId: string, count: number): Promise<LogLine[]> {
    const rows = await this.db.query<{ seq: number; stream: LogLine['stream']; line: string; at: Date }>(
      'SELECT seq, stream, line, at FROM job_logs WHERE job_id = $1 ORDER BY seq DESC LIMIT $2',
      [jobId, count],
    );
    return rows.reverse().map((r) => ({ seq: r.seq, stream: r.stream, line: r.line, at: iso(r.at)! }));
  }

  async countRunningByAgent(): Promise<Map<string, number>> {
    const rows = await this.db.query<{ agent_id: string; n: number }>(
      `SELECT agent_id, count(*)::int AS n FROM jobs WHERE status IN ('pending', 'running') GROUP BY agent_id`,
    );
    return new Map(rows.map((r) => [r.agent_id, r.n]));
  }

  /** Pending and running jobs of one agent (what its status shows, on every heartbeat). */
  async countUnfinished(agentId: string): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobs WHERE agent_id = $1 AND status IN ('pending', 'running')`,
      [agentId],
    );
    return rows[0]?.n ?? 0;
  }

  async markLost(agentId: string, at: string): Promise<void> {
    await this.db.query(
      `UPDATE jobs SET lost_since = $2 WHERE agent_id = $1 AND status IN ('pending', 'running') AND lost_since IS NULL`,
      [agentId, at],
    );
  }

  async clearLost(agentId: string, jobIds: string[]): Promise<void> {
    // Pending jobs are pushed again on reconnect, so they are not lost either.
    await this.db.query(
      `UPDATE jobs SET lost_since = NULL WHERE agent_id = $1 AND (status = 'pending' OR id = ANY($2))`,
      [agentId, jobIds],
    );
  }

  /** Unfinished jobs whose agent has been gone since before `before`. */
  async lostBefore(before: string): Promise<JobRecord[]> {
    const rows = await this.db.query<JobRow>(
      `${SELECT} WHERE j.status IN ('pending', 'running') AND j.lost_since <= $1`,
      [before],
    );
    return rows.map(toRecord);
  }

  async byStatusForAgent(agentId: string, status: JobStatus): Promise<JobRecord[]> {
    const rows = await this.db.query<JobRow>(
      `${SELECT} WHERE j.agent_id = $1 AND j.status = $2 ORDER BY j.created_at`,
      [agentId, status],
    );
    return rows.map(toRecord);
  }

  /**
   * The newest lines before `before` (the newest of all when null): at most `limit` lines and about `maxBytes`
   * as JSON (at least one line, so paging always moves back), ordered by seq. The answer's `before` leads
   * further back, or is null when no older line is left.
   */
  async logPageBefore(
    jobId: string,
    before: number | null,
    limit: number,
    maxBytes: number,
  ): Promise<{ lines: LogLine[]; before: number | null }> {
    const { lines, more } = await this.logWindow(jobId, { before }, limit, maxBytes);
    return { lines, before: more ? lines[0]!.seq : null };
  }

  /**
   * One page of a log walked forward from `after` or back from `before`: at most `limit` lines and about
   * `maxBytes` as JSON, at least one line; `more` says whether lines lie beyond the page. Sizes are summed in
   * SQL, in walking order, so the lines past the budget are never read out. Lines come back ordered by seq.
   */
  private async logWindow(
    jobId: string,
    from: { after: number } | { before: number | null },
    limit: number,
    maxBytes: number,
  ): Promise<{ lines: LogLine[]; more: boolean }> {
    const forward = 'after' in from;
    const bound = forward ? from.after : from.before;
    const order = forward ? 'ASC' : 'DESC';
    const where = bound === null ? '' : forward ? 'AND seq > $4' : 'AND seq < $4';
    const rows = await this.db.query<{
      seq: number;
      stream: LogLine['stream'];
      line: string;
      at: Date;
      fetched: number;
    }>(
      `WITH page AS (
         SELECT seq, row_number() OVER w AS n, sum(octet_length(line) + ${LOG_LINE_JSON_OVERHEAD}) OVER w AS bytes
           FROM job_logs WHERE job_id = $1 ${where}
         WINDOW w AS (ORDER BY seq ${order})
          ORDER BY seq ${order} LIMIT $2::int + 1)
       SELECT l.seq, l.stream, l.line, l.at, (SELECT count(*)::int FROM page) AS fetched
         FROM page p JOIN job_logs l ON l.job_id = $1 AND l.seq = p.seq
        WHERE p.n <= $2::int AND (p.bytes <= $3::int OR p.n = 1)
        ORDER BY l.seq`,
      bound === null ? [jobId, limit, maxBytes] : [jobId, limit, maxBytes, bound],
    );
    const lines = rows.map((r) => ({ seq: r.seq, stream: r.stream, line: r.line, at: iso(r.at)! }));
    return { lines, more: rows.length > 0 && rows[0]!.fetched > rows.length };
  }
}

/** What a log line adds to its text in JSON: `{"seq":…,"stream":"stdout","line":"","at":"…"}`. */
const LOG_LINE_JSON_OVERHEAD = 80;

/** One statement for the lines; those whose seq is stored already are ignored. Returns the seqs inserted. */
async function insertLines(db: Queryable, jobId: string, lines: LogLine[]): Promise<Set<number>> {
  if (lines.length === 0) return new Set();
  const rows = await db.query<{ seq: number }>(
    `INSERT INTO job_logs (job_id, seq, stream, line, at)
     SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::timestamptz[])
     ON CONFLICT (job_id, seq) DO NOTHING RETURNING seq`,
    [
      jobId,
      lines.map((l) => l.seq),
      lines.map((l) => l.stream),
      lines.map((l) => l.line),
      lines.map((l) => l.at),
    ],
  );
  return new Set(rows.map((r) => r.seq));
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${Math.round(bytes / (1024 * 1024))} MiB`
    : `${Math.round(bytes / 1024)} KiB`;
}

const ALLOWED_FROM: Record<JobStatus, JobStatus[]> = Object.fromEntries(
  (Object.keys(ALLOWED) as JobStatus[]).map((to) => [
    to,
    (Object.keys(ALLOWED) as JobStatus[]).filter((from) => ALLOWED[from].includes(to)),
  ]),
) as Record<JobStatus, JobStatus[]>;
