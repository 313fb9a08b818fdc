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
  /** False → the step is skipped. */
  when?: (ctx: StepContext) => boolean | Promise<boolean>;
  /** A precondition: return a message to fail the step with it, or nothing to proceed. */
  validate?: (ctx: StepContext) => string | undefined | Promise<string | undefined>;
  /** Limit for one attempt of each handler call. */
  timeoutMs?: number;
  retry?: RetryPolicy;
}

export interface AutomaticStepDef extends StepBase {
  kind: 'automatic';
  run: (ctx: StepContext) => Promise<StepResult>;
}

/** Plan → a person approves → apply. Nothing irreversible happens in `plan`. */
export interface GateStepDef extends StepBase {
  kind: 'gate';
  plan: (ctx: StepContext) => Promise<StepResult>;
  apply: (ctx: StepContext, plan: StepOutcome, decision: GateDecision) => Promise<StepResult>;
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
  runTitle?: (context: RunContext) => string;
  steps: StepDef[];
}
