import { z } from 'zod';
import { WORKFLOW_NAME_RE } from './workflow-language';

/**
 * Triggers start workflows without anyone typing: on a schedule (cron), on a fleet or workflow event, or on a
 * signed webhook. Each firing has a deterministic key and starts at most one run; every firing, started or not,
 * is recorded with its outcome.
 */

/** The fleet and workflow events an event trigger can listen to. */
export const TRIGGER_EVENT_TYPES = [
  'job.failed',
  'job.succeeded',
  'agent.offline',
  'agent.online',
  'run.completed',
  'run.failed',
] as const;
export type TriggerEventType = (typeof TRIGGER_EVENT_TYPES)[number];

/** What became of one firing. */
export const FIRING_OUTCOMES = [
  /** A run was started (`runId`). */
  'started',
  /** A run was started and waits behind another with the same concurrency key (`on_conflict: queue`). */
  'queued',
  /** The same key fired before (a redelivered webhook, an event seen twice): nothing new was started. */
  'deduplicated',
  /** The workflow's conflict guard refused the start (`on_conflict: refuse`). */
  'conflict',
  /** The trigger was disabled when it fired. */
  'disabled',
  /** The event trigger's filter was false for this event. */
  'filtered',
  /** The event came from a run started by an event trigger: starting another would go beyond depth 1. */
  'loop',
  /** More firings in the last minute than the trigger's rate limit: it paused itself. */
  'rate_limited',
  /** Cron slots passed while no controller was running, and the trigger's policy is `missed: skip`. */
  'missed',
  /** The start was refused for another reason (inputs that do not fit, a workflow that is gone…). */
  'failed',
] as const;
export type FiringOutcome = (typeof FIRING_OUTCOMES)[number];

/** What to do with cron slots that passed while no controller was running. */
export const MISSED_POLICIES = ['skip', 'run_once'] as const;
export type MissedPolicy = (typeof MISSED_POLICIES)[number];

export const TRIGGER_NAME_RE = /^[a-z][a-z0-9_-]{0,63}$/;

/** Firings per minute a trigger may start before it pauses itself, unless it says otherwise. */
export const DEFAULT_TRIGGER_RATE_LIMIT = 10;
export const MAX_TRIGGER_RATE_LIMIT = 600;

/** Whether the runtime knows `zone` as an IANA time zone (`Europe/Berlin`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const cronSourceSchema = z.strictObject({
  type: z.literal('cron'),
  /** Five fields (minute precision) or six (seconds first); `@daily` and the like too. */
  expression: z.string().trim().min(1, 'expression is required').max(200),
  timezone: z
    .string()
    .max(64)
    .refine(isTimeZone, 'timezone must be an IANA time zone such as Europe/Berlin or UTC')
    .default('UTC'),
  missed: z.enum(MISSED_POLICIES).default('skip'),
});

export const eventSourceSchema = z.strictObject({
  type: z.literal('event'),
  on: z.enum(TRIGGER_EVENT_TYPES, {
    message: `on must be one of ${TRIGGER_EVENT_TYPES.join(', ')}`,
  }),
  /** A CEL expression over `event` (`event.repository == "myorg/app"`); the trigger fires only when it is true. */
  filter: z.string().trim().min(1).max(2000).optional(),
});

export const webhookSourceSchema = z.strictObject({ type: z.literal('webhook') });

export const triggerSourceSchema = z.discriminatedUnion('type', [
  cronSourceSchema,
  eventSourceSchema,
  webhookSourceSchema,
]);
export type TriggerSource = z.infer<typeof triggerSourceSchema>;
export type CronSource = z.infer<typeof cronSourceSchema>;
export type EventSource = z.infer<typeof eventSourceSchema>;

/**
 * A trigger's start inputs: a flat JSON object like a start body, whose string values may hold `${{ … }}` over
 * `event`. Checked as a plain object (a zod record would silently drop keys such as `__proto__`).
 */
export const triggerInputsSchema = z.custom<Record<string, unknown>>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  { message: 'inputs must be a JSON object of input values' },
);

const triggerNameSchema = z
  .string()
  .regex(TRIGGER_NAME_RE, 'name must be lower-case letters, digits, "_" and "-", starting with a letter');
const workflowNameSchema = z.string().regex(WORKFLOW_NAME_RE, 'workflow must be a lower-case identifier');
const versionSchema = z.number().int('version must be a whole number').min(1).max(1_000_000);
const rateLimitSchema = z.number().int().min(1).max(MAX_TRIGGER_RATE_LIMIT);

/** `POST /v1/triggers`. */
export const createTriggerBodySchema = z.strictObject({
  name: triggerNameSchema,
  workflow: workflowNameSchema,
  /** Pin a stored version; absent: the latest when it fires. */
  version: versionSchema.optional(),
  inputs: triggerInputsSchema.default({}),
  enabled: z.boolean().default(true),
  /** Firings per minute before the trigger pauses itself. */
  rate_limit: rateLimitSchema.default(DEFAULT_TRIGGER_RATE_LIMIT),
  source: triggerSourceSchema,
});
export type CreateTriggerBody = z.infer<typeof createTriggerBodySchema>;

/** `PATCH /v1/triggers/{id}`: any of the fields; `version: null` unpins; `rotate_secret` gives a webhook a new secret. */
export const updateTriggerBodySchema = z
  .strictObject({
    name: triggerNameSchema.optional(),
    workflow: workflowNameSchema.optional(),
    version: versionSchema.nullable().optional(),
    inputs: triggerInputsSchema.optional(),
    enabled: z.boolean().optional(),
    rate_limit: rateLimitSchema.optional(),
    source: triggerSourceSchema.optional(),
    rotate_secret: z.literal(true).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change');
export type UpdateTriggerBody = z.infer<typeof updateTriggerBodySchema>;

export const triggerIdSchema = z.uuid({ message: 'trigger id must be a UUID' });

export const listFiringsQuerySchema = z.object({
  outcome: z.enum(FIRING_OUTCOMES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});
export type ListFiringsQuery = z.infer<typeof listFiringsQuerySchema>;

/** GitHub's delivery ids are UUIDs; other senders use any short token. */
export const webhookDeliveryIdSchema = z
  .string({ message: 'X-GitHub-Delivery header is required' })
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'X-GitHub-Delivery must be 1-128 letters, digits, ".", "_", ":" or "-"');

export interface TriggerDto {
  id: string;
  name: string;
  workflow: string;
  /** The pinned version, or null: the latest when it fires. */
  version: number | null;
  /** As given; values of secret inputs read `••••••`. */
  inputs: Record<string, unknown>;
  enabled: boolean;
  /** Why it is disabled when it disabled itself (its rate limit), else null. */
  pausedReason: string | null;
  rateLimit: number;
  source: TriggerSource;
  /** For an enabled cron trigger: its next five fire times (ISO, UTC). */
  nextFireTimes: string[];
  /** For a webhook trigger: the path to POST to (`/v1/hooks/<id>`). */
  webhookPath: string | null;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
}

/** The answer to creating a webhook trigger, changing its source to a webhook, or rotating its secret: the only time the secret is shown. */
export interface TriggerWithSecretDto extends TriggerDto {
  secret?: string;
}

export interface FiringDto {
  id: string;
  triggerId: string;
  /** `cron:<trigger>:<slot>`, `event:<trigger>:<event id>` or `hook:<trigger>:<delivery id>`. */
  key: string;
  /** The scheduled time (cron) or the time the event or delivery was received (ISO). */
  at: string;
  recordedAt: string;
  outcome: FiringOutcome;
  /** Why, for anything but a plain start. */
  reason: string | null;
  /** The run it started, or for `deduplicated` the run the key started before. */
  runId: string | null;
  /** `cron`, `webhook`, or the event's type (`job.failed`…). */
  eventType: string;
  /** The slot, the delivery id, or the event's id. */
  eventId: string;
}

/** What a webhook delivery answers (202): the firing it made. */
export interface HookAnswerDto {
  firing: FiringDto;
}
