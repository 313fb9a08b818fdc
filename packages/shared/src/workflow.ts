import { z } from 'zod';
import { inputSpecSchema } from './inputs';

/** Run statuses: a closed set. */
export const RUN_STATUSES = [
  /** Waiting for another run with the same concurrency key to finish (`concurrency.on_conflict: queue`). */
  'queued',
  /** A step is being executed (or about to be). */
  'running',
  /** Every active step is parked (at a gate, an input, a durable wait); nothing runs until a person or an event acts. */
  'waiting',
  /** Every step completed or was skipped. */
  'completed',
  /** A step failed (after its retries) or a gate's deadline expired. */
  'failed',
  /** Cancelled by a person, or a gate was rejected. */
  'cancelled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

/** Step statuses: a closed set. */
export const STEP_STATUSES = [
  'pending',
  'in_progress',
  'awaiting_input',
  'awaiting_approval',
  /** Parked on a durable wait (a timer, a job to end, an agent to enroll, a child run). */
  'awaiting_event',
  'completed',
  'failed',
  'skipped',
  'cancelled',
  /** Completed, then undone by a rollback run. */
  'compensated',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const STEP_KINDS = ['automatic', 'gate', 'input'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** A person's decision on a waiting step, recorded verbatim. */
export const decisionSchema = z.object({
  by: z.string(),
  decision: z.enum(['approved', 'rejected', 'input']),
  note: z.string().nullable(),
  input: z.unknown().optional(),
  at: z.string(),
});
export type Decision = z.infer<typeof decisionSchema>;

export const stepOutcomeSchema = z.object({
  summary: z.string(),
  data: z.unknown(),
});
export type StepOutcome = z.infer<typeof stepOutcomeSchema>;

export const stepRecordSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  kind: z.enum(STEP_KINDS),
  status: z.enum(STEP_STATUSES),
  needsApproval: z.boolean(),
  summary: z.string().nullable(),
  data: z.unknown(),
  /** For a gate: what `plan` found, shown to the person before they decide. */
  plan: stepOutcomeSchema.nullable(),
  /** For a step awaiting input or a gate that accepts input: what it asks for. */
  input: inputSpecSchema.nullable(),
  error: z.string().nullable(),
  attempt: z.number().int(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** For a step awaiting a person or an event: when the wait expires (ISO), if it has a deadline. */
  deadline: z.string().nullable(),
  decisions: z.array(decisionSchema),
  /** The step kind it uses (`fleet.deploy_job@1`); absent on runs of TypeScript definitions. */
  uses: z.string().nullable().optional(),
  /** The steps it waited for (absent on runs from before parallel steps: the previous step). */
  needs: z.array(z.string()).optional(),
  /** Its named outputs, read by later steps as `steps.<id>.outputs.<name>`. */
  outputs: z.record(z.string(), z.unknown()).nullable().optional(),
  /** Its `if`: the expression and the value it had when evaluated (recorded once, never re-decided). */
  condition: z.object({ expression: z.string(), value: z.boolean().nullable() }).nullable().optional(),
  /** The durable wait it is parked on. */
  wait: z
    .object({
      key: z.string(),
      atDeadline: z.enum(['complete', 'fail']),
      deadlineError: z.string().optional(),
      /** The event that ended the wait, recorded before the step turns it into its result. */
      received: z.object({ payload: z.unknown() }).optional(),
    })
    .nullable()
    .optional(),
  /** A failure that does not fail the run (`continue_on_error`). */
  continueOnError: z.boolean().optional(),
});
export type StepRecord = z.infer<typeof stepRecordSchema>;

export const workflowRunSchema = z.object({
  id: z.string(),
  name: z.string(),
  title: z.string(),
  version: z.number().int(),
  status: z.enum(RUN_STATUSES),
  /** Percentage of steps finished (completed or skipped), 0-100. */
  progress: z.number(),
  context: z.record(z.string(), z.unknown()),
  steps: z.array(stepRecordSchema),
  currentStep: z.string().nullable(),
  error: z.string().nullable(),
  startedBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Seq of the last event appended for this run; a client seeing a gap refetches. */
  seq: z.number().int(),
  /** The start inputs as given (secrets sealed, shown `••••••`). */
  inputs: z.record(z.string(), z.unknown()).optional(),
  /** The content hash of the definition version it executes. */
  definitionHash: z.string().nullable().optional(),
  /** Its evaluated concurrency key, if its workflow declares one. */
  concurrencyKey: z.string().nullable().optional(),
  /** For a rollback run: the run it undoes. */
  rollbackOf: z.string().nullable().optional(),
  /** For a child run (`workflow` step): the run and step that started it. */
  parent: z.object({ runId: z.string(), stepId: z.string() }).nullable().optional(),
  /** For a run a trigger started: which trigger, the firing's key, and how deep in a chain of event triggers. */
  trigger: z
    .object({
      id: z.string(),
      name: z.string(),
      key: z.string(),
      /** 0 for a schedule or a webhook; an event trigger's run is one deeper than the run its event came from. */
      depth: z.number().int(),
      /** Who last created or changed the trigger: for four-eyes, the person who set the run going. */
      configuredBy: z.string(),
    })
    .nullable()
    .optional(),
});
export type WorkflowRun = z.infer<typeof workflowRunSchema>;
export type RunTrigger = NonNullable<WorkflowRun['trigger']>;

export const workflowStepDefDtoSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  kind: z.enum(STEP_KINDS),
  needsApproval: z.boolean(),
  uses: z.string().nullable().optional(),
  needs: z.array(z.string()).optional(),
  condition: z.string().nullable().optional(),
  compensable: z.boolean().optional(),
});

export const workflowDefinitionDtoSchema = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  version: z.number().int(),
  inputs: z.array(inputSpecSchema),
  steps: z.array(workflowStepDefDtoSchema),
  hash: z.string().nullable().optional(),
  builtIn: z.boolean().optional(),
});
export type WorkflowDefinitionDto = z.infer<typeof workflowDefinitionDtoSchema>;

// ---- Request schemas (REST bodies, queries; socket payloads reuse them) ----

const NAME_RE = /^[a-z][a-z0-9_]{0,63}$/;

export const startWorkflowQuerySchema = z.object({
  workflow_name: z.string().regex(NAME_RE, 'workflow_name must be a lower-case identifier'),
  /** A stored version to run instead of the latest. */
  version: z.coerce
    .number({ message: 'version must be a whole number' })
    .int('version must be a whole number')
    .min(1, 'version starts at 1')
    .max(1_000_000)
    .optional(),
});

/**
 * The start body is the run's initial context: a flat JSON object of input values. Checked as a plain object
 * rather than a zod record, which would silently drop keys such as `__proto__`; the engine refuses every key
 * its definition does not declare.
 */
export const startWorkflowBodySchema = z.custom<Record<string, unknown>>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  { message: 'the body must be a JSON object of input values' },
);

export const approveBodySchema = z.strictObject({
  approved: z.boolean(),
  user_input: z.unknown().optional(),
  note: z.string().max(2000).optional(),
  /** Optional guard: the step the person was looking at; refused if another step is waiting. */
  step_id: z.string().max(64).optional(),
});
export type ApproveBody = z.infer<typeof approveBodySchema>;

export const submitInputBodySchema = z.strictObject({
  value: z.unknown(),
  step_id: z.string().max(64).optional(),
  note: z.string().max(2000).optional(),
});
export type SubmitInputBody = z.infer<typeof submitInputBodySchema>;

export const cancelBodySchema = z.strictObject({
  reason: z.string().max(2000).optional(),
});

export const listWorkflowsQuerySchema = z.object({
  /** `active` (running or waiting, the default), `past` (finished), or `all`. */
  state: z.enum(['active', 'past', 'all']).default('active'),
  name: z.string().regex(NAME_RE).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type ListWorkflowsQuery = z.infer<typeof listWorkflowsQuerySchema>;

export const runIdSchema = z.uuid({ message: 'run id must be a UUID' });

export const eventsQuerySchema = z.object({
  /** Only events with a greater seq. */
  after: z.coerce.number().int().min(0).default(0),
});

/** `POST /v1/ai/workflows/{id}/rerun`: no fields; the new run takes the old run's start inputs. */
export const rerunBodySchema = z.strictObject({});
