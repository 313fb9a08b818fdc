import type { StepOutcome } from '@deploybot/shared';
import { z } from 'zod';
import type { StepKind } from '../../engine/step-kind';
import type { GateDecision } from '../../engine/types';

/** A fleet step kind (a {@link StepKind}; `cancelWait` lets go of an awaited job when its run is cancelled). */
export type FleetStepKind<P = Record<string, unknown>> = StepKind<P>;

export interface WaitCancel {
  runId: string;
  by: string | null;
  reason: string | null;
}

/** The approval a gated step's `run` receives (`null` when the document gives the step no gate). */
export type Approval = (GateDecision & { plan: StepOutcome }) | null;

/** Declares a kind with its parameter type inferred from `params`. */
export function defineKind<S extends z.ZodType>(
  kind: FleetStepKind<z.output<S>> & { params: S },
): FleetStepKind<z.output<S>> {
  return kind;
}

/*
 * Durable-wait keys. A step parks under one of these; whatever ends the wait calls
 * `engine.resolveWait(key, payload)` with it:
 *
 *   job:<job id>          a job ended (success, failed or cancelled); payload: its JobDto.
 *                         Resolved by the fleet's job events (every finished job).
 *   agent:<hostname>      the registered agent of that host name is online again (it said hello with its
 *                         credential); payload: its AgentDto.
 *   enrollment:<id>       an agent connected with the join token of that id and said hello (the gateway's
 *                         enrollment waiters fire); payload: anything, e.g. `{ enrollmentId }`.
 *
 * Kinds never trust the payload's shape: they read the job or agent again, so the wait's outcome is what the
 * fleet says now.
 */
export const jobWaitKey = (jobId: string) => `job:${jobId}`;
export const agentWaitKey = (hostname: string) => `agent:${hostname}`;
export const enrollmentWaitKey = (joinTokenId: string) => `enrollment:${joinTokenId}`;

/** The id in a `job:<id>` key, or null for any other key. */
export function jobIdOfWaitKey(key: string): string | null {
  return key.startsWith('job:') ? key.slice('job:'.length) : null;
}

/**
 * An optional text parameter. Documents pass `${{ has(inputs.x) ? inputs.x : '' }}` for an optional input, so
 * `''` (and `null`) count as absent.
 */
export function optionalText<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === '' || v === null ? undefined : v), schema.optional());
}

/** A number parameter; a CEL integer arrives as a BigInt. */
export function numberParam() {
  return z.preprocess((v) => (typeof v === 'bigint' ? Number(v) : v), z.number());
}

export const jobIdParam = z.uuid({ message: 'job_id must be a job id (a UUID)' });

/**
 * The idempotency key of one attempt: stable across a crash (the attempt number is committed), new for a retry,
 * for calls whose key answers with the same result even when that result failed (an activation).
 */
export const attemptKey = (ctx: { idempotencyKey: string; attempt: number }) =>
  `${ctx.idempotencyKey}#${ctx.attempt}`;
