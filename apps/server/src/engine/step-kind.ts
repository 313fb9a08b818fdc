import type { InputSpec, StepOutcome } from '@deploybot/shared';
import type { z } from 'zod';
import type { GateDecision, StepContext, StepResult, StepWait } from './types';

/**
 * A step kind: the only place workflow code lives. A document's step names one (`uses: fleet.deploy_job@1`),
 * gives it arguments (`with`, checked against `params` when compiled and again, evaluated, when run), and reads
 * what it returned through `steps.<id>.outputs` (declared by `outputs`, so the compiler can check references).
 *
 * Whether a person must approve is the step's policy (`gate:`), not the kind's; a kind may offer a `plan` (what
 * the gate shows) and an `approvalInput` (a value the approver may give, such as another agent).
 */
export interface StepKind<P = Record<string, unknown>> {
  /** `fleet.deploy_job`: lower-case words, a dot between a family and its kind. */
  name: string;
  /** Bumped when params, outputs or behaviour change incompatibly; documents may pin `kind@version`. */
  version: number;
  title: string;
  description: string;
  params: z.ZodType<P>;
  /** An object schema: its keys are the outputs later steps may reference. */
  outputs: z.ZodObject;
  /** Its outputs are exactly what the step's `with` names (`set`): references are checked against those keys. */
  outputsFromParams?: boolean;
  /** `always`: the step is a gate whatever the document says (the `approval` kind). */
  gate?: 'always';
  /**
   * What a gate shows before anyone decides. Nothing irreversible happens here. It may return a durable wait for
   * something to review (an agent to connect); `resume`, called without an approval, then makes the plan.
   */
  plan?: (ctx: StepContext, params: P) => Promise<StepResult | StepWait>;
  /** A value the approver may give with the approval. */
  approvalInput?: (ctx: StepContext, params: P, plan: StepOutcome) => InputSpec | null;
  /** A kind that asks a person for a typed value instead of running (the `input` kind). */
  ask?: (ctx: StepContext, params: P) => InputSpec;
  /**
   * Does the work, or returns a durable wait. `approval` is the decision when the step is a gate (with the plan
   * it approved), `null` otherwise.
   */
  run: (
    ctx: StepContext,
    params: P,
    approval: (GateDecision & { plan: StepOutcome }) | null,
  ) => Promise<StepResult | StepWait>;
  /** Turns the payload that ended a durable wait into the result (`approval`: the gate's, if the step has one). */
  resume?: (
    ctx: StepContext,
    params: P,
    payload: unknown,
    approval?: (GateDecision & { plan: StepOutcome }) | null,
  ) => Promise<StepResult>;
  /** Whether the wait under `key` already ended (called after parking and after a restart). */
  recheck?: (ctx: StepContext, params: P, key: string) => Promise<{ payload: unknown } | null>;
  /** The run was cancelled while the step waited under `key`: stop what it waits for, in the canceller's name. */
  cancelWait?: (
    ctx: StepContext,
    params: P,
    key: string,
    cancelled: { by: string; reason: string | null },
  ) => Promise<void>;
  /** How a completed step of this kind is undone, given what it recorded. */
  compensate?: {
    describe: (params: P, record: { outputs: Record<string, unknown>; data: unknown }) => string | null;
    run: (
      ctx: StepContext,
      params: P,
      record: { outputs: Record<string, unknown>; data: unknown },
    ) => Promise<StepResult>;
  };
  /**
   * Quick checks a start can make when the step's arguments depend only on the inputs (the ref exists, the
   * hostname is free): each issue names a param; the start is refused with the input that param came from.
   */
  startCheck?: (params: P, signal: AbortSignal) => Promise<Array<{ param: string; message: string }>>;
  /** What a rejection of this kind's gate means (e.g. "left for manual resolution"). */
  rejectSummary?: string;
  /** Default limit for one attempt, unless the document sets `timeout`. */
  defaultTimeoutMs?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds kinds of every parameter type
export type AnyStepKind = StepKind<any>;

/** The kinds a compiler may use, by name and version. */
export class StepKindRegistry {
  private readonly kinds = new Map<string, AnyStepKind[]>();

  constructor(kinds: AnyStepKind[] = []) {
    for (const kind of kinds) this.add(kind);
  }

  add(kind: AnyStepKind): this {
    const versions = this.kinds.get(kind.name) ?? [];
    if (versions.some((k) => k.version === kind.version))
      throw new Error(`step kind ${kind.name}@${kind.version} is registered twice`);
    versions.push(kind);
    versions.sort((a, b) => a.version - b.version);
    this.kinds.set(kind.name, versions);
    return this;
  }

  /** `name` or `name@version`; without a version, the latest. */
  resolve(uses: string): AnyStepKind | undefined {
    const [name, v] = uses.split('@');
    const versions = this.kinds.get(name ?? '');
    if (!versions) return undefined;
    if (v === undefined) return versions.at(-1);
    return versions.find((k) => String(k.version) === v);
  }

  names(): string[] {
    return [...this.kinds.keys()].sort();
  }

  list(): AnyStepKind[] {
    return [...this.kinds.values()].flat();
  }
}
