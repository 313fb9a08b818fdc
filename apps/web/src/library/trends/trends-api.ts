import { type RunTrends, runTrendsSchema, type TrendBucket } from '@deploybot/shared';
import { api } from '../../lib/api';

/** The ranges a person picks from: the last 7, 30 or 90 days, today included. */
export const TREND_RANGES = [7, 30, 90] as const;
export type TrendRange = (typeof TREND_RANGES)[number];

/** Days up to a month are drawn one point a day; three months one point a week, so a line stays readable. */
export const bucketOf = (days: TrendRange): TrendBucket => (days > 30 ? 'week' : 'day');

const DAY_MS = 86_400_000;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The API path for a workflow's trends over the last `days` UTC days (the server buckets in UTC). */
export function trendsApiPath(workflow: string, days: TrendRange, now = Date.now()): string {
  const params = new URLSearchParams({
    workflow,
    from: utcDay(now - (days - 1) * DAY_MS),
    to: utcDay(now),
    bucket: bucketOf(days),
  });
  return `/v1/ai/workflows/trends?${params}`;
}

export async function fetchTrends(workflow: string, days: TrendRange): Promise<RunTrends> {
  return runTrendsSchema.parse(await api('GET', trendsApiPath(workflow, days)));
}
