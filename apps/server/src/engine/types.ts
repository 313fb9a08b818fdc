import type { FieldIssue, InputSpec, StepOutcome } from '@deploybot/shared';

/** The run's accumulated context: start inputs, promoted outputs, and each finished step's data. */
export type RunContext = Readonly<Record<string, unknown>> & {
  readonly steps: Readonly<Record<string, unknown>>;
};

/** What every handler receives. */
export interface StepContext {
  runId: string;
  stepId: string;
  /** 1 on the first attempt, then 2, 3… on retries. */
  attempt: number;
  context: RunContext;
  /** Aborted when the run is cancelled or the step times out: handlers pass it on to I/O. */
  signal: AbortSignal;
  /** Stable per (run, step): a handler with side effects uses it so a re-run after a crash does not repeat them. */
  idempotencyKey: string;
  startedBy: string;
  /** What expressions see: `inputs`, `steps.<id>.outputs` / `.status`, `run` (secrets opened, like `context`). */
  scope: ExpressionScope;
  /** The engine's clock: a kind reads time here, never from `Date.now()`, so tests can move it. */
  now: () => Date;
}

/** The variables a CEL expression or a `${{ }}` template is evaluated against. */
export interface ExpressionScope {
  inputs: Readonly<Record<string, unknown>>;
  steps: Readonly<Record<string, { outputs: Readonly<Record<string, unknown>>; status: string }>>;
  run: { id: string; started_by: string };
}

/**
 * A durable wait: the step parks as `awaiting_event` under `key` until `engine.resolveWait(key, payload)` (a job
 * ended, a child run finished, an agent enrolled) or its deadline. Nothing waits in memory; a restart does not
 * re-run the step, it keeps waiting.
 */
export interface StepWait {
  wait: {
    key: string;
    /** One line for people while it waits ("Waiting for job 1234 on web-1"). */
    summary: string;
    data?: unknown;
    /** From the moment it parks. */
    deadlineMs?: number;
    /** At the deadline: `complete` (a timer) or `fail` with `deadlineError`. */
    atDeadline: 'complete' | 'fail';
    deadlineError?: string;
  };
}

export function isStepWait(value: StepResult | StepWait): value is StepWait {
  return typeof (value as StepWait).wait === 'object' && (value as StepWait).wait !== null;
}

/** How a completed step is undone (a rollback run executes these in reverse order). */
export interface Compensation {
  /** What undoing it will do, shown in the rollback plan; `null` when there is nothing to undo this time. */
  describe: (ctx: StepContext, record: { outputs: Record<string, unknown>; data: unknown }) => string | null;
  run: (ctx: StepContext, record: { outputs: Record<string, unknown>; data: unknown }) => Promise<StepResult>;
}

/** What a handler returns: a one-line summary for people, data for later steps and the UI. */
export interface StepResult {
  summary: string;
  data?: unknown;
  /** Named values promoted to the top level of the context (e.g. `agent_id`, `job_id`, `sha`). */
  outputs?: Record<string, unknown>;
  /**
   * Named values promoted like outputs but sealed at rest and shown as `••••••` (e.g. a join token); later
   * steps read them in clear, and a person can be shown them only through `WorkflowEngine.revealSecrets`.
   */
  secrets?: Record<string, string>;
}

export interface RetryPolicy {
  /** Total attempts including the first; 1 means no retry. */
  attempts: number;
  /** Delay before the second attempt. */
  backoffMs: number;
  /** Multiplier applied to the delay after each failed attempt (default 2). */
  factor?: number;
  maxBackoffMs?: number;
}

/** The person's decision handed to a gate's `apply`. */
export interface GateDecision {
  by: string;
  note: string | null;
  input: unknown;
}

interface StepBase {
  /** Stable identifier: recovery and recorded results rely on it, so never rename a shipped step. */
  id: string;
  title: string;
  description: string;
  /** What it uses, for people (`fleet.deploy_job@1`); absent on steps written in TypeScript. */
  uses?: string;
  /**
   * The steps that must be finished (completed or skipped) first. Absent → the step listed before it (so a
   * sequential list stays sequential); `[]` → none (it starts with the run).
   */
  needs?: string[];
  /**
   * False → the step is skipped with its expression shown. Pure and synchronous: the scheduler evaluates it,
   * and the value is recorded with the step so a restart never re-decides.
   */
  condition?: { expression: string; test: (scope: ExpressionScope) => boolean };
  /** A failure of this step is recorded but does not fail the run; steps needing it still run. */
  continueOnError?: boolean;
  /** How to undo this step once it completed; absent → nothing to undo. */
  compensation?: Compensation;
  /**
   * A durable wait this step returned has ended with `payload`: turn it into the step's result (or throw to fail
   * the step). Required for steps that return a `StepWait`.
   */
  resume?: (
    ctx: StepContext,
    payload: unknown,
    approval?: (GateDecision & { plan: StepOutcome }) | null,
  ) => Promise<StepResult>;
  /**
   * Called once after the step parked and again after a restart: the wait may have ended while nobody listened
   * (a job finished before the wait was committed). Returns the payload if it has ended.
   */
  recheck?: (ctx: StepContext, key: string) => Promise<{ payload: unknown } | null>;
  /**
   * The run was cancelled while this step was parked on a durable wait: stop what it waits for (cancel the job)
   * in the canceller's name. Best effort, after the cancel is committed.
   */
  cancelWait?: (
    ctx: StepContext,
    key: string,
    cancelled: { by: string; reason: string | null },
  ) => Promise<void>;
  /** A precondition: return a message to fail the step with it, or nothing to proceed. */
  validate?: (ctx: StepContext) => string | undefined | Promise<string | undefined>;
  /** Limit for one attempt of each handler call. */
  timeoutMs?: number;
  retry?: RetryPolicy;
}

export interface AutomaticStepDef extends StepBase {
  kind: 'automatic';
  run: (ctx: StepContext) => Promise<StepResult | StepWait>;
}

/** Plan → a person approves → apply. Nothing irreversible happens in `plan`. */
export interface GateStepDef extends StepBase {
  kind: 'gate';
  /**
   * What the person is shown. It may first wait durably for something to review (an agent to connect): then the
   * step parks as `awaiting_event`, and `resume` turns the event into the plan.
   */
  plan: (ctx: StepContext) => Promise<StepResult | StepWait>;
  apply: (ctx: StepContext, plan: StepOutcome, decision: GateDecision) => Promise<StepResult | StepWait>;
  /** An optional value the approver may give with the approval (e.g. another agent). */
  input?: (ctx: StepContext, plan: StepOutcome) => InputSpec | Promise<InputSpec>;
  /** How long the gate waits; on expiry the run fails with "approval expired". */
  deadlineMs?: number;
  /** What a rejection means for this gate (e.g. "left for manual resolution"), recorded with the reason. */
  rejectSummary?: string;
}

/** Waits for a typed value, validated on the server; the value becomes an output named by the spec's key. */
export interface InputStepDef extends StepBase {
  kind: 'input';
  input: (ctx: StepContext) => InputSpec | Promise<InputSpec>;
  deadlineMs?: number;
}

export type StepDef = AutomaticStepDef | GateStepDef | InputStepDef;

export interface WorkflowDefinition {
  name: string;
  title: string;
  description: string;
  version: number;
  /** Required context, validated when a run starts. */
  inputs: InputSpec[];
  /**
   * Checks of the start inputs against the world (the registry, the fleet, a cheap `git ls-remote`), run after
   * each input passed its own spec: any issue refuses the start (400 naming the field), so nothing a machine can
   * check is left to fail after a person approved a gate. Keep it quick and bounded: the caller waits.
   */
  checkStart?: (inputs: Readonly<Record<string, unknown>>) => Promise<FieldIssue[]>;
  /**
   * The run's own title, from its context (e.g. `Deploy demo/app@main → web-1`); recomputed and stored with every
   * transition, so lists, sockets and chat show what the run is about. Default: the definition's title.
   */
  runTitle?: (context: RunContext, scope?: ExpressionScope) => string;
  /**
   * Values put at the top of the run's context after each transition (a document's `outputs:`), computed from
   * the steps' own outputs: one name, one expression, so two branches never overwrite each other.
   */
  runOutputs?: (scope: ExpressionScope) => Record<string, unknown>;
  /**
   * Whether a step's `outputs` are also copied to the top of the context (TypeScript definitions: yes; compiled
   * documents: no, they declare `outputs:` instead). Default true.
   */
  promoteStepOutputs?: boolean;
  /** At most this many steps of one run in progress at once. Default 10. */
  maxParallel?: number;
  /** `rollback`: when the run fails, a rollback run undoes what it completed, without a gate. Default `stop`. */
  onFailure?: 'stop' | 'rollback';
  /** One active run per key (an evaluated expression over the inputs); the next is refused or queued. */
  concurrency?: {
    expression: string;
    key: (inputs: Readonly<Record<string, unknown>>) => string;
    onConflict: 'refuse' | 'queue';
  };
  /** The content hash of the document it was compiled from (TypeScript definitions: absent). */
  hash?: string;
  /** Whether it is one of the controller's own (shipped with it) or an operator's. */
  builtIn?: boolean;
  /** The source document (as stored), for export. */
  source?: unknown;
  steps: StepDef[];
}
