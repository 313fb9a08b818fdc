import type { Db } from '../db/db';
import type { Clock } from '../engine/ports';

export interface WindowStats {
  window: '1h' | '24h' | '7d';
  finished: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Succeeded / (succeeded + failed), in percent; null with no finished jobs. */
  successRate: number | null;
  durationMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  failuresByCause: Record<string, number>;
}

const WINDOWS = [
  ['1h', 3_600_000],
  ['24h', 86_400_000],
  ['7d', 604_800_000],
] as const;

/** Success rates and duration percentiles computed by the database over finished jobs. */
export class FleetMetrics {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async windows(): Promise<WindowStats[]> {
    const now = this.clock.now().getTime();
    return Promise.all(WINDOWS.map(([window, ms]) => this.window(window, new Date(now - ms).toISOString())));
  }

  private async window(window: WindowStats['window'], since: string): Promise<WindowStats> {
    const [row] = await this.db.query<{
      finished: number;
      succeeded: number;
      failed: number;
      cancelled: number;
      p50: number | null;
      p95: number | null;
      p99: number | null;
      max: number | null;
    }>(
      `SELECT count(*)::int AS finished,
              count(*) FILTER (WHERE status = 'success')::int AS succeeded,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY d) AS p95,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY d) AS p99,
              max(d) AS max
         FROM (SELECT status, extract(epoch FROM finished_at - COALESCE(started_at, created_at)) * 1000 AS d
                 FROM jobs WHERE finished_at >= $1) f`,
      [since],
    );
    const causes = await this.db.query<{ cause: string | null; n: number }>(
      `SELECT cause, count(*)::int AS n FROM jobs WHERE status = 'failed' AND finished_at >= $1 GROUP BY cause ORDER BY n DESC`,
      [since],
    );
    const r = row!;
    const decided = r.succeeded + r.failed;
    const round = (v: number | null) => (v === null ? null : Math.round(Number(v)));
    return {
      window,
      finished: r.finished,
      succeeded: r.succeeded,
      failed: r.failed,
      cancelled: r.cancelled,
      successRate: decided === 0 ? null : Math.round((r.succeeded / decided) * 1000) / 10,
      durationMs: { p50: round(r.p50), p95: round(r.p95), p99: round(r.p99), max: round(r.max) },
      failuresByCause: Object.fromEntries(causes.map((c) => [c.cause ?? 'unknown', c.n])),
    };
  }
}
