import { z } from 'zod';
import { WORKFLOW_EVENT_TYPES } from './events';
import { decisionSchema, RUN_STATUSES, STEP_STATUSES, workflowRunSchema } from './workflow';
import { WORKFLOW_NAME_RE } from './workflow-language';

// ---- Run history: `GET /v1/ai/workflows/history` ----

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

const INSTANT_MESSAGE = 'give a date (YYYY-MM-DD) or an ISO date-time with its offset';
const isoWithOffset = z.iso.datetime({ offset: true });

/**
 * A day (`2026-12-01`, UTC) or an instant with its offset (`2026-12-01T09:00:00+01:00`). One string check with
 * one message: a union of the two answered a missing or bad value with zod's bare "Invalid input".
 */
export const dayOrInstantSchema = z
  .string({ error: INSTANT_MESSAGE })
  .refine((v) => DATE_RE.test(v) || isoWithOffset.safeParse(v).success, INSTANT_MESSAGE);
const instant = dayOrInstantSchema;

/** `status=failed&status=cancelled` or `status=failed,cancelled`. */
const statusList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v),
  z.array(z.enum(RUN_STATUSES)).min(1).max(RUN_STATUSES.length),
);

/** A filter value typed by a person: trimmed, empty means "no filter". */
const text = (max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.trim() || undefined : v),
    z.string().max(max, `at most ${max} characters`).optional(),
  );

export const runHistoryQuerySchema = z
  .object({
    /** A workflow's name. */
    workflow: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.string().regex(WORKFLOW_NAME_RE, 'workflow must be a lower-case identifier').optional(),
    ),
    status: statusList.optional(),
    /** Who started the run, exactly (a user name, or `trigger:<name>`). */
    started_by: text(128),
    /** The run's `repository` input, exactly (`org/app`). */
    repository: text(200),
    /** The agent the run chose or enrolled (`agent_hostname` output, or `hostname` input), exactly. */
    agent: text(253),
    /** Started at or after this (a day: its start, UTC). */
    from: z.preprocess((v) => (v === '' ? undefined : v), instant.optional()),
    /** Started at or before this (a day: up to its end, UTC). */
    to: z.preprocess((v) => (v === '' ? undefined : v), instant.optional()),
    /** Words of the title, or the start of the run's id. */
    q: text(200),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    /** The `next` of the previous page. */
    cursor: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string()
        .max(200)
        .regex(/^[A-Za-z0-9_-]+$/, 'cursor must be the `next` of a previous page')
        .optional(),
    ),
  })
  .refine((q) => !q.from || !q.to || dayStart(q.from) <= dayEnd(q.to), {
    message: 'from must not be after to',
    path: ['from'],
  });
export type RunHistoryQuery = z.infer<typeof runHistoryQuerySchema>;

/** The first instant a `from` bound admits. */
export function dayStart(value: string): number {
  return DATE_RE.test(value) ? Date.parse(`${value}T00:00:00.000Z`) : Date.parse(value);
}

/** The last instant a `to` bound admits (a day: its last millisecond). */
export function dayEnd(value: string): number {
  return DATE_RE.test(value) ? Date.parse(`${value}T00:00:00.000Z`) + 86_400_000 - 1 : Date.parse(value);
}

/** One row of the history: what a list shows, not the run's whole state. */
export const runSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  title: z.string(),
  version: z.number().int(),
  status: z.enum(RUN_STATUSES),
  startedBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  repository: z.string().nullable(),
  agent: z.string().nullable(),
  error: z.string().nullable(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

export const runHistoryPageSchema = z.object({
  runs: z.array(runSummarySchema),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next: z.string().nullable(),
});
export type RunHistoryPage = z.infer<typeof runHistoryPageSchema>;

// ---- A run's timeline: `GET /v1/ai/workflows/{id}/timeline` ----

/** One committed transition, as a person reads it. */
export const timelineEntrySchema = z.object({
  seq: z.number().int(),
  type: z.enum(WORKFLOW_EVENT_TYPES),
  at: z.string(),
  stepId: z.string().nullable(),
  stepTitle: z.string().nullable(),
  /** Who made it: a person (a decision, a cancel, the start) or null when the engine did it by itself. */
  by: z.string().nullable(),
  /** One line: what happened. */
  text: z.string(),
  /** A decision's note, a cancel's reason. */
  note: z.string().nullable(),
  /** What the person gave with a decision (an approval's input, an input step's value). */
  input: z.unknown().optional(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

/**
 * What a bar on the time axis stands for: work (`running`), a wait for a person (`gate`, `input`), a durable wait
 * for the world (`event`), the pause before a retry (`backoff`), or the run queued behind another (`queued`).
 */
export const TIMELINE_SPAN_KINDS = ['running', 'gate', 'input', 'event', 'backoff', 'queued'] as const;
export type TimelineSpanKind = (typeof TIMELINE_SPAN_KINDS)[number];

export const timelineSpanSchema = z.object({
  /** Null for the run's own spans (queued). */
  stepId: z.string().nullable(),
  kind: z.enum(TIMELINE_SPAN_KINDS),
  from: z.string(),
  /** When it ended; for a span still open, the time the timeline was built. */
  to: z.string(),
  /** Still going when the timeline was built. */
  open: z.boolean(),
  attempt: z.number().int(),
});
export type TimelineSpan = z.infer<typeof timelineSpanSchema>;

/** Per step: what it received and returned. */
export const timelineStepSchema = z.object({
  id: z.string(),
  title: z.string(),
  uses: z.string().nullable(),
  status: z.enum(STEP_STATUSES),
  attempts: z.number().int(),
  /** Its `with:` as the document wrote it (expressions unevaluated); null for TypeScript definitions. */
  with: z.record(z.string(), z.unknown()).nullable(),
  /** Its `if:` and the value it had. */
  condition: z.object({ expression: z.string(), value: z.boolean().nullable() }).nullable(),
  /** What ended its durable wait (a job's end, an agent's enrollment). */
  received: z.unknown().optional(),
  decisions: z.array(decisionSchema),
  summary: z.string().nullable(),
  outputs: z.record(z.string(), z.unknown()).nullable(),
  data: z.unknown(),
  error: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type TimelineStep = z.infer<typeof timelineStepSchema>;

export const runTimelineSchema = z.object({
  run: workflowRunSchema,
  entries: z.array(timelineEntrySchema),
  spans: z.array(timelineSpanSchema),
  steps: z.array(timelineStepSchema),
  /** The time axis: from the run's start to its end (or to when the timeline was built). */
  start: z.string(),
  end: z.string(),
});
export type RunTimeline = z.infer<typeof runTimelineSchema>;

/** `GET /v1/ai/workflows/{id}/export`: the run and its event log, as a file. */
export const runExportSchema = z.object({
  format: z.literal('deploybot.run/v1'),
  exportedAt: z.string(),
  exportedBy: z.string(),
  run: workflowRunSchema,
  events: z.array(
    z.object({
      seq: z.number().int(),
      type: z.enum(WORKFLOW_EVENT_TYPES),
      at: z.string(),
      stepId: z.string().nullable(),
      detail: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
  timeline: z.array(timelineEntrySchema),
});
export type RunExport = z.infer<typeof runExportSchema>;

// ---- Before a rollback: `GET /v1/ai/workflows/{id}/rollback-plan` ----

/** What rolling a run back would do, read before anything starts; the rollback run's gate shows it again. */
export const rollbackPlanSchema = z.object({
  runId: z.string(),
  /** Whether this run can be rolled back now (completed or failed, and not itself a rollback). */
  possible: z.boolean(),
  /** Why not, when it cannot. */
  reason: z.string().nullable(),
  /** Every completed step, most recent first, with what undoing it does (null: nothing to undo). */
  items: z.array(z.object({ stepId: z.string(), title: z.string(), undo: z.string().nullable() })),
});
export type RollbackPlan = z.infer<typeof rollbackPlanSchema>;
