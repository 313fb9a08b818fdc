import type { JobDto } from '@deploybot/shared';
import { z } from 'zod';
import type { Fleet } from '../../fleet/fleet';
import { isFinished } from '../../fleet/jobs.service';
import { DeployUndoError, describeDeployUndo, startDeployUndo } from '../../fleet/release-rollback';
import { formatMs, shortSha } from '../workflow-deps';
import { nothingToUndo } from './deploy.kinds';
import {
  attemptKey,
  defineKind,
  jobIdOfWaitKey,
  jobIdParam,
  jobWaitKey,
  type WaitCancel,
} from './fleet-kind';

/**
 * Cancels the job a cancelled run was waiting for, in the canceller's name and words (its error and log say who
 * stopped it and why), so nothing deploys behind their back. A job already over is left as it is.
 */
export async function cancelAwaitedJob(fleet: Fleet, key: string, cancel: WaitCancel): Promise<void> {
  const jobId = jobIdOfWaitKey(key);
  if (!jobId) return;
  const run = `workflow run ${cancel.runId.slice(0, 8)}`;
  const job = await fleet.jobs.get(jobId);
  if (isFinished(job)) return;
  await fleet.jobs.cancel(
    jobId,
    cancel.by ?? run,
    cancel.reason ? `${cancel.reason} (${run} cancelled)` : `${run} cancelled`,
  );
}

/** The parked form of "wait for this job to end" (no deadline: a job has its own timeout, and a lost agent fails it). */
function waitFor(job: JobDto) {
  return {
    wait: {
      key: jobWaitKey(job.id),
      summary: `Waiting for job ${job.id} on ${job.agentHostname} to end.`,
      atDeadline: 'fail' as const,
    },
  };
}

/** What the job's end means for the step: how a deployment or a retried fix reads, and when it fails. */
const waitJobParams = z.object({
  job_id: jobIdParam,
  /**
   * `deploy` (default): a failure carries the job's last log lines; success says where `current` points now.
   * `verify_fix`: the job is a retry of a failed one; success also says how its agent is now.
   */
  purpose: z.enum(['deploy', 'verify_fix']).default('deploy'),
});

/**
 * `fleet.wait_job`: a durable wait for a job to end (key `job:<id>`, resolved with the finished JobDto). Fails
 * unless the job succeeded. Cancelling the run while it waits cancels the job.
 */
export function waitJobKind(fleet: Fleet) {
  const finish = async (jobId: string, purpose: 'deploy' | 'verify_fix') => {
    // The payload only says the wait ended: the job as the fleet has it now is what counts.
    const job = await fleet.jobs.get(jobId);
    if (!isFinished(job))
      throw new Error(`job ${job.id} is still ${job.status}: its end was announced too early`);
    return purpose === 'deploy' ? deployed(job) : verified(job);
  };

  const deployed = async (job: JobDto) => {
    const tail = await fleet.jobs.tailLogs(job.id, 10);
    const lastLines = tail.map((l) => l.line);
    const took =
      job.startedAt && job.finishedAt ? Date.parse(job.finishedAt) - Date.parse(job.startedAt) : null;
    if (job.status !== 'success') {
      const where = job.step ? ` at step "${job.step}"` : '';
      throw new Error(
        `job ${job.status}${where}: ${job.error ?? 'no error reported'}${lastLines.length ? `\nlast log lines:\n${lastLines.join('\n')}` : ''}`,
      );
    }
    return {
      summary: `Deployed ${shortSha(job.sha)} to ${job.agentHostname} in ${formatMs(took)}; current → ${job.releaseDir ?? 'new release'}.`,
      data: { job, lastLines },
      outputs: outputsOf(job),
    };
  };

  const verified = async (job: JobDto) => {
    if (job.status !== 'success') {
      throw new Error(`the retried job ${job.id} ${job.status} too: ${job.error ?? 'no error reported'}`);
    }
    const agent = await fleet.agents.get(job.agentId);
    return {
      summary: `Fixed: retried job ${job.id} succeeded on ${job.agentHostname} (now ${agent.status}).`,
      data: { job, agentStatus: agent.status },
      outputs: outputsOf(job),
    };
  };

  return defineKind({
    name: 'fleet.wait_job',
    version: 1,
    title: 'Wait for a job',
    description:
      'Wait, without holding anything in memory, until the job ends; fail unless it succeeded (with its last log lines). Cancelling the run cancels the job.',
    params: waitJobParams,
    outputs: z.object({
      status: z.string().describe('How the job ended: success (a failed or cancelled job fails the step).'),
      release_dir: z.string().nullable().describe('Where the release was made on the agent.'),
    }),
    run: async (_ctx, { job_id, purpose }) => {
      const job = await fleet.jobs.get(job_id);
      return isFinished(job) ? finish(job.id, purpose) : waitFor(job);
    },
    recheck: async (_ctx, { job_id }) => {
      const job = await fleet.jobs.get(job_id);
      return isFinished(job) ? { payload: job } : null;
    },
    resume: (_ctx, { job_id, purpose }) => finish(job_id, purpose),
    cancelWait: (ctx, _params, key, cancel) => cancelAwaitedJob(fleet, key, { runId: ctx.runId, ...cancel }),
  });
}

function outputsOf(job: JobDto) {
  return { status: job.status, release_dir: job.releaseDir };
}

/** `fleet.retry_job`: a new attempt of a job, on its agent or another. */
export function retryJobKind(fleet: Fleet) {
  return defineKind({
    name: 'fleet.retry_job',
    version: 1,
    title: 'Retry a job',
    description:
      'Create a new attempt of a job (same repository, ref and commit), on its own agent or another one.',
    params: z.object({
      job_id: jobIdParam,
      /** Agent id or host name; absent → the job's own agent. */
      agent: z.string().min(1).optional(),
    }),
    outputs: z.object({ retry_job_id: z.string().describe('The new attempt’s job id.') }),
    plan: async (_ctx, { job_id, agent }) => {
      const job = await fleet.jobs.get(job_id);
      const where = agent ? (await fleet.agents.get(agent)).hostname : job.agentHostname;
      return {
        summary: `Retry job ${job.id} (${job.repository}@${job.ref}, ${shortSha(job.sha)}) on ${where}.`,
        data: { jobId: job.id, agent: where },
      };
    },
    run: async (ctx, { job_id, agent }, approval) => {
      const retry = await fleet.jobs.retry(job_id, {
        ...(agent !== undefined && { agent }),
        idempotencyKey: ctx.idempotencyKey,
        runId: ctx.runId,
        createdBy: approval?.by ?? ctx.startedBy,
      });
      return {
        summary: `Retrying as job ${retry.id} on ${retry.agentHostname}.`,
        data: { retryJobId: retry.id },
        outputs: { retry_job_id: retry.id },
      };
    },
  });
}

/**
 * `fleet.switch_release`: switch an agent back to the release that was live before a deploy (an activation job
 * on the agent), and wait durably (key `job:<activation id>`) until it switched.
 */
export function switchReleaseKind(fleet: Fleet) {
  const switched = async (activationId: string) => {
    const job = await fleet.jobs.get(activationId);
    if (!isFinished(job))
      throw new Error(`job ${job.id} is still ${job.status}: its end was announced too early`);
    if (job.status !== 'success') {
      throw new DeployUndoError(
        `could not switch ${job.agentHostname}'s ${job.repository} back to release ${job.release} (job ${job.id} ${job.status}): ${job.error ?? 'no reason given'}`,
        job,
      );
    }
    return {
      summary: `Switched ${job.agentHostname}'s ${job.repository} back to release ${job.release} (job ${job.id}).`,
      data: { activationJobId: job.id, release: job.release },
      outputs: { activation_job_id: job.id, release: job.release },
    };
  };

  return defineKind({
    name: 'fleet.switch_release',
    version: 1,
    title: 'Switch back to the previous release',
    description:
      'Undo a deploy: switch its agent’s current back to the release that was live before it, unless a later deploy has replaced it since.',
    params: z.object({
      /** The deploy (or activation) job to undo. */
      job_id: jobIdParam,
      reason: z.string().max(500).optional(),
    }),
    outputs: z.object({
      activation_job_id: z
        .string()
        .optional()
        .describe('The job that switched the release (absent: nothing to undo).'),
      release: z.string().optional().describe('The release that is live again.'),
    }),
    plan: async (_ctx, { job_id }) => {
      const job = await fleet.jobs.get(job_id);
      const undo = describeDeployUndo(job);
      return {
        summary: undo ? `Will ${undo}.` : `Nothing to undo: ${nothingToUndo(job)}.`,
        data: { jobId: job.id, undo },
      };
    },
    run: async (ctx, { job_id, reason }, approval) => {
      const activation = await startDeployUndo(fleet, job_id, {
        by: approval?.by ?? ctx.startedBy,
        reason: reason ?? approval?.note ?? `undo job ${job_id} (workflow run ${ctx.runId.slice(0, 8)})`,
        // An activation that failed answers its key with the same failure: each attempt needs its own.
        idempotencyKey: attemptKey(ctx),
        runId: ctx.runId,
      });
      if (!activation) {
        const job = await fleet.jobs.get(job_id);
        return { summary: `Nothing to undo: ${nothingToUndo(job)}.`, data: { jobId: job_id, undo: null } };
      }
      return isFinished(activation) ? switched(activation.id) : waitFor(activation);
    },
    recheck: async (_ctx, _params, key) => {
      const id = jobIdOfWaitKey(key);
      const job = id ? await fleet.jobs.get(id) : null;
      return job && isFinished(job) ? { payload: job } : null;
    },
    resume: async (_ctx, _params, payload) => {
      const parsed = z.object({ id: z.string() }).safeParse(payload);
      if (!parsed.success) throw new Error('the switch ended without naming its job');
      return switched(parsed.data.id);
    },
    cancelWait: (ctx, _params, key, cancel) => cancelAwaitedJob(fleet, key, { runId: ctx.runId, ...cancel }),
  });
}
