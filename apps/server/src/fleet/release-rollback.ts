import type { JobDto } from '@deploybot/shared';
import { FleetError } from './agents.service';
import type { Fleet } from './fleet';

/**
 * Undoing a job that switched an agent's `current` (a deploy, or an activation): switch it back to the release
 * that was live before. What workflow compensations use; the switch is an activation job on the agent.
 */

export interface UndoOptions {
  /** Who undoes it (the audit log, the job's createdBy). */
  by: string;
  reason?: string | null;
  /**
   * The same key answers with the same activation, also one that failed: a caller retrying after a retryable
   * failure passes a new key per attempt.
   */
  idempotencyKey?: string | null;
  runId?: string | null;
}

/**
 * What undoing `job` does, in words, e.g. "switch web-1's demo/hello-app back to release 0b6e…"; null when there
 * is nothing to undo: the job did not succeed (it never switched `current`), or nothing was live before it (a
 * first deploy: going back would leave the app without a release) or its agent did not say what was.
 */
export function describeDeployUndo(job: JobDto): string | null {
  if (job.status !== 'success' || job.previousRelease === null || job.previousRelease === job.release) {
    return null;
  }
  return `switch ${job.agentHostname}'s ${job.repository} back to release ${job.previousRelease}`;
}

/**
 * Creates the activation that undoes `jobId` and returns it without waiting (a caller that parks on the job's end
 * durably waits for it itself); null when there is nothing to undo. The activation switches only while `current`
 * still points at the job's release: a later deploy of the same app on that agent is never replaced, the
 * activation fails with `current_moved` instead. Idempotent by key.
 */
export async function startDeployUndo(
  fleet: Fleet,
  jobId: string,
  options: UndoOptions,
): Promise<JobDto | null> {
  const job = await fleet.jobs.get(jobId);
  if (job.status === 'pending' || job.status === 'running') {
    throw new FleetError(
      'conflict',
      `job ${job.id} is still ${job.status}: cancel it or wait for its end before undoing it`,
    );
  }
  if (describeDeployUndo(job) === null) return null;
  return fleet.jobs.activateRelease({
    agent: job.agentId,
    repository: job.repository,
    release: job.previousRelease!,
    onlyIfCurrent: job.release,
    reason: options.reason ?? `undo job ${job.id}`,
    createdBy: options.by,
    idempotencyKey: options.idempotencyKey ?? null,
    runId: options.runId ?? null,
  });
}

/** Causes that trying the same undo again cannot change: the release is gone, or something else is live now. */
const FINAL_CAUSES = new Set<JobDto['cause']>(['release_missing', 'current_moved', 'cancelled']);

/**
 * Why an undo did not happen; `job` is the activation that failed. `retryable` (read by the workflow engine's
 * retry policy) is false when another attempt would fail the same way.
 */
export class DeployUndoError extends Error {
  readonly retryable: boolean;

  constructor(
    message: string,
    readonly job: JobDto,
  ) {
    super(message);
    this.name = 'DeployUndoError';
    this.retryable = !FINAL_CAUSES.has(job.cause);
  }
}

/**
 * Undoes `jobId` on its agent and waits for the switch: resolves with the activation job once it succeeded, or
 * null when there was nothing to undo; throws a {@link DeployUndoError} naming why when the activation failed
 * (the release was pruned, a later deploy replaced it, the agent was lost), and `signal`'s reason if it aborts.
 */
export async function undoDeploy(
  fleet: Fleet,
  jobId: string,
  options: UndoOptions & { signal: AbortSignal },
): Promise<JobDto | null> {
  const started = await startDeployUndo(fleet, jobId, options);
  if (!started) return null;
  const ended = await fleet.jobs.waitForEnd(started.id, options.signal);
  if (ended.status !== 'success') {
    throw new DeployUndoError(
      `could not switch ${ended.agentHostname}'s ${ended.repository} back to release ${ended.release} (job ${ended.id} ${ended.status}): ${ended.error ?? 'no reason given'}`,
      ended,
    );
  }
  return ended;
}
