import { z } from 'zod';
import { dayEnd, dayOrInstantSchema, dayStart } from './run-history';
import { WORKFLOW_NAME_RE } from './workflow-language';

// ---- Trends of one workflow's runs: `GET /v1/ai/workflows/trends` ----

const DAY_MS = 86_400_000;
/** The longest range one request may cover: a year and a bit, so a week bucket never exceeds ~58 points. */
export const TRENDS_MAX_DAYS = 400;

/** How runs are grouped on the time axis: UTC days, or ISO weeks (Monday 00:00 UTC). */
export const TREND_BUCKETS = ['day', 'week'] as const;
export type TrendBucket = (typeof TREND_BUCKETS)[number];

const instant = dayOrInstantSchema;

export const runTrendsQuerySchema = z
  .object({
    /** The workflow's name. */
    workflow: z.string().regex(WORKFLOW_NAME_RE, 'workflow must be a lower-case identifier'),
    /** Runs started at or after this (a day: its start, UTC). */
    from: instant,
    /** Runs started at or before this (a day: up to its end, UTC). */
    to: instant,
    bucket: z.enum(TREND_BUCKETS).default('day'),
  })
  .refine((q) => dayStart(q.from) <= dayEnd(q.to), { message: 'from must not be after to', path: ['from'] })
  .refine((q) => dayEnd(q.to) - dayStart(q.from) < TRENDS_MAX_DAYS * DAY_MS, {
    message: `a range covers at most ${TRENDS_MAX_DAYS} days`,
    path: ['to'],
  });
export type RunTrendsQuery = z.infer<typeof runTrendsQuerySchema>;

/** How the runs started in one bucket (or in the whole range) went. */
export const trendFiguresSchema = z.object({
  runs: z.number().int().min(0),
  completed: z.number().int().min(0),
  failed: z.number().int().min(0),
  /** Cancelled or rejected by a person: neither a success nor a failure. */
  cancelled: z.number().int().min(0),
  /** completed / (completed + failed), 0 to 1; null when none completed or failed (as the library counts). */
  successRate: z.number().min(0).max(1).nullable(),
  /**
   * Start to end of the runs that completed or failed, in ms (a cancel ends a run at a person's moment, not when
   * its work ended, so cancelled runs are left out); null when there are none.
   */
  durationP50Ms: z.number().min(0).nullable(),
  durationP95Ms: z.number().min(0).nullable(),
  /** Waits at gates that ended (approved, rejected, expired, or the run cancelled while waiting). */
  gateWaits: z.number().int().min(0),
  /** Their time added up, and the median wait; null median when there were none. */
  gateWaitTotalMs: z.number().min(0),
  gateWaitP50Ms: z.number().min(0).nullable(),
});
export type TrendFigures = z.infer<typeof trendFiguresSchema>;

export const trendBucketSchema = trendFiguresSchema.extend({
  /** The bucket's first instant (ISO, UTC). */
  start: z.string(),
});
export type TrendBucketFigures = z.infer<typeof trendBucketSchema>;

/** A step that ended `failed` in runs of the range. */
export const failingStepSchema = z.object({
  stepId: z.string(),
  /** Its title in the latest run where it failed. */
  title: z.string(),
  /** Runs in which it failed. */
  failures: z.number().int().min(1),
  /** failures / runs in the range, 0 to 1. */
  share: z.number().min(0).max(1),
});
export type FailingStep = z.infer<typeof failingStepSchema>;

export const runTrendsSchema = z.object({
  workflow: z.string(),
  bucket: z.enum(TREND_BUCKETS),
  /** The range as applied: its first and last instants (ISO). */
  from: z.string(),
  to: z.string(),
  /** One per bucket from the one holding `from` to the one holding `to`, oldest first, empty buckets included. */
  buckets: z.array(trendBucketSchema),
  totals: trendFiguresSchema,
  /** At most 10, most failures first. */
  failingSteps: z.array(failingStepSchema),
});
export type RunTrends = z.infer<typeof runTrendsSchema>;

/** The instants a trends query covers: `from`'s first and `to`'s last (a day bound is a whole UTC day). */
export function trendsRange(query: Pick<RunTrendsQuery, 'from' | 'to'>): { from: string; to: string } {
  return {
    from: new Date(dayStart(query.from)).toISOString(),
    to: new Date(dayEnd(query.to)).toISOString(),
  };
}
