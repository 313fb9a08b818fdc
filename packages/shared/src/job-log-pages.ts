import { z } from 'zod';
import type { LogLine } from './agent-protocol';

/** Lines in one page of a job's log at most (`job:subscribe`, `job:logs`). A byte budget usually ends it first. */
export const LOG_PAGE_MAX_LINES = 5000;

/** `job:logs`: the lines of a job before `before` (a seq), newest last; the way back from a snapshot. */
export const jobLogsPagePayloadSchema = z.strictObject({
  jobId: z.uuid({ message: 'jobId must be a UUID' }),
  before: z.number().int().min(0).max(2_147_483_647),
  limit: z.number().int().min(1).max(LOG_PAGE_MAX_LINES).optional(),
});
export type JobLogsPagePayload = z.infer<typeof jobLogsPagePayloadSchema>;

/** A page of log lines, ordered by seq, bounded in lines and in bytes. */
export interface JobLogPage {
  lines: LogLine[];
  /** Pass as `before` to `job:logs` for the lines before these; null when there are none. */
  before: number | null;
}

/** `GET /v1/jobs/{id}/logs?after=&limit=`: lines after `after` (a seq), oldest first, bounded in lines and bytes. */
export interface JobLogRestPage {
  lines: LogLine[];
  /** Pass as `after` for the following page; null when no later line is stored. */
  next: number | null;
}
