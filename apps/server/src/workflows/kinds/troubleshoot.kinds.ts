import { z } from 'zod';
import type { StepContext } from '../../engine/types';
import { FleetError } from '../../fleet/agents.service';
import type { Fleet } from '../../fleet/fleet';
import { GitRemoteError } from '../../fleet/git-remote';
import { causeOf, groupFailures, type Remedy, remedyFor, unresolvedFailures } from '../failure-diagnosis';
import { formatMs, type WorkflowDeps } from '../workflow-deps';
import { type Approval, agentWaitKey, defineKind, jobIdParam, optionalText } from './fleet-kind';

const LOOKBACK_MS = 24 * 3_600_000;

/** `troubleshoot.identify_issue`: group recent failed jobs by cause, agent and repository; pick one to fix. */
export function identifyIssueKind(fleet: Fleet, explain: WorkflowDeps['explain']) {
  return defineKind({
    name: 'troubleshoot.identify_issue',
    version: 1,
    title: 'Identify an issue',
    description:
      'Group the failed jobs of the last 24 h that no later retry fixed by cause, agent and repository, and pick the one to look into (the given job, or the most recent).',
    params: z.object({
      /** The failed job to look into; absent (or '') → the most recent unresolved failure. */
      job_id: optionalText(jobIdParam),
    }),
    outputs: z.object({
      target_job_id: z
        .string()
        .optional()
        .describe('The failed job looked into (absent: nothing to troubleshoot).'),
    }),
    // A job id that names no job, or a job that did not fail, is refused at start rather than by the step.
    startCheck: async ({ job_id }) => {
      if (job_id === undefined) return [];
      try {
        const job = await fleet.jobs.get(job_id);
        if (job.status === 'failed') return [];
        return [{ param: 'job_id', message: `job ${job.id} did not fail (it is ${job.status})` }];
      } catch (err) {
        if (!(err instanceof FleetError)) throw err;
        return [{ param: 'job_id', message: err.message }];
      }
    },
    run: async (ctx, { job_id }) => {
      const agents = await fleet.agents.list();
      const since = new Date(ctx.now().getTime() - LOOKBACK_MS).toISOString();
      const recent = await fleet.jobs.list({ since, limit: 500 });
      let failures = unresolvedFailures(recent);
      if (job_id !== undefined) {
        const job = await fleet.jobs.get(job_id);
        if (job.status !== 'failed') throw new Error(`job ${job.id} did not fail (it is ${job.status})`);
        failures = [job, ...failures.filter((j) => j.id !== job.id)];
      }
      if (failures.length === 0) {
        return {
          summary: 'No failed jobs in the last 24 h that are not already fixed: nothing to troubleshoot.',
          data: { groups: [], failures: 0 },
        };
      }
      const groups = groupFailures(failures, agents);
      const target = failures[0]!;
      const cause = causeOf(target, agents);
      const breakdown = groups
        .map((g) => `${g.count} × ${g.label} (${g.repositories.join(', ')} on ${g.agents.join(', ')})`)
        .join('; ');
      const facts = { groups, failures: failures.length, target: { ...target, diagnosedCause: cause } };
      // The explanation sits next to the measured facts; it never replaces them.
      const explanation = explain ? await explain('troubleshoot', facts, ctx.signal) : undefined;
      return {
        summary: `${failures.length} unresolved failed job(s) in the last 24 h: ${breakdown}. Looking into job ${target.id} (${target.repository}@${target.ref} on ${target.agentHostname}): ${target.error ?? cause}.`,
        data: { ...facts, ...(explanation && { explanation }) },
        outputs: { target_job_id: target.id },
      };
    },
  });
}

/** `troubleshoot.gather_logs`: a failed job's relevant log lines and its agent's heartbeat history. */
export function gatherLogsKind(fleet: Fleet) {
  return defineKind({
    name: 'troubleshoot.gather_logs',
    version: 1,
    title: 'Gather logs',
    description: 'Collect the job’s relevant log lines and its agent’s heartbeat history.',
    params: z.object({ job_id: jobIdParam }),
    outputs: z.object({
      agent_status: z.string().describe('How the job’s agent is now (online, offline, draining, revoked).'),
    }),
    run: async (ctx, { job_id }) => {
      const job = await fleet.jobs.get(job_id);
      const lines = await fleet.jobs.tailLogs(job.id, 200);
      const relevant = lines
        .filter((l) => l.stream !== 'stdout' || /error|fail|fatal|denied|not found/i.test(l.line))
        .slice(-30);
      const tail = lines.slice(-20);
      const beats = await fleet.agents.heartbeats(job.agentId, 20);
      const agent = await fleet.agents.get(job.agentId).catch(() => null);
      const gaps = beats.slice(1).map((b, i) => beats[i]!.at.getTime() - b.at.getTime());
      const longestGapMs = gaps.length ? Math.max(...gaps) : null;
      const lastBeat = agent?.lastHeartbeatAt
        ? ctx.now().getTime() - Date.parse(agent.lastHeartbeatAt)
        : null;
      const firstError = relevant.find((l) => l.stream === 'stderr')?.line ?? relevant.at(-1)?.line;
      const agentStatus = agent?.status ?? 'revoked';
      return {
        summary: `Collected ${lines.length} log line(s)${firstError ? `; first error: "${firstError.slice(0, 160)}"` : ''}. Agent ${job.agentHostname} is ${agentStatus}, last heartbeat ${lastBeat === null ? 'never' : `${formatMs(lastBeat)} ago`}${longestGapMs !== null ? `, longest heartbeat gap ${formatMs(longestGapMs)}` : ''}.`,
        data: {
          relevant,
          tail,
          heartbeats: beats.map((b) => ({
            at: b.at.toISOString(),
            load: b.load,
            runningJobs: b.running_jobs,
          })),
          agentStatus,
        },
        outputs: { agent_status: agentStatus },
      };
    },
  });
}

interface FixPlan {
  remedy: Remedy;
  jobId: string;
  cause: string;
}

/**
 * `troubleshoot.suggest_fix`: propose a remedy for a failed job (retry it on a healthy agent, wait for its agent
 * to come back and retry, or leave it to a person) and apply it once approved. Waiting for an agent is durable
 * (key `agent:<hostname>`, at most `agentReturnTimeoutMs`).
 */
export function suggestFixKind(fleet: Fleet, agentReturnTimeoutMs: number) {
  const plan = async (ctx: StepContext, jobId: string) => {
    const job = await fleet.jobs.get(jobId);
    const agents = await fleet.agents.list();
    const cause = causeOf(job, agents);
    let reachable: boolean | null = null;
    if (cause === 'clone_failed') {
      // Through the registry: a private repository is reachable only with its credentials.
      reachable = await fleet.repositories.resolve(job.repository, job.sha, ctx.signal).then(
        () => true,
        (err) => (err instanceof GitRemoteError ? false : Promise.reject(err)),
      );
    }
    const remedy = remedyFor(job, cause, agents, reachable);
    const action =
      remedy.action === 'manual'
        ? 'Manual remedy needed'
        : remedy.action === 'retry'
          ? `Retry job ${job.id} on ${remedy.agent}`
          : `Wait for ${remedy.agent}, then retry job ${job.id}`;
    const data: FixPlan = { remedy, jobId: job.id, cause };
    return { summary: `${action}: ${remedy.reason}.`, data };
  };

  const retry = async (ctx: StepContext, { remedy, jobId }: FixPlan, by: string) => {
    if (remedy.action === 'manual') throw new Error('a manual remedy has nothing to retry');
    const job = await fleet.jobs.retry(jobId, {
      agent: remedy.agent,
      // A re-run after a crash finds the retry it created before.
      idempotencyKey: ctx.idempotencyKey,
      runId: ctx.runId,
      createdBy: by,
    });
    return {
      summary: `Retrying as job ${job.id} on ${job.agentHostname}.`,
      data: { remedy, retryJobId: job.id },
      outputs: { retry_job_id: job.id },
    };
  };

  const agentOnline = async (hostname: string) => {
    const agent = await fleet.agents.get(hostname).catch(() => null);
    return agent?.status === 'online' ? agent : null;
  };

  return defineKind({
    name: 'troubleshoot.suggest_fix',
    version: 1,
    title: 'Suggest a fix',
    description:
      'Propose a remedy for a failed job (e.g. retry on a healthy agent) and apply it once approved; a retry that needs its agent back waits for it.',
    params: z.object({ job_id: jobIdParam }),
    outputs: z.object({
      retry_job_id: z.string().optional().describe('The retry created (absent: the remedy was manual).'),
    }),
    rejectSummary: 'left for manual resolution',
    plan: (ctx, { job_id }) => plan(ctx, job_id),
    run: async (ctx, { job_id }, approval) => {
      const planned = (approval?.plan.data as FixPlan | undefined) ?? (await plan(ctx, job_id)).data;
      const { remedy } = planned;
      if (remedy.action === 'manual') {
        return { summary: `Nothing applied automatically: ${remedy.reason}.`, data: { remedy } };
      }
      if (remedy.action === 'wait_and_retry' && !(await agentOnline(remedy.agent))) {
        return {
          wait: {
            key: agentWaitKey(remedy.agent),
            summary: `Waiting for ${remedy.agent} to come back, then retrying job ${planned.jobId}.`,
            data: { remedy, jobId: planned.jobId },
            deadlineMs: agentReturnTimeoutMs,
            atDeadline: 'fail',
            deadlineError: `${remedy.agent} did not come back within ${formatMs(agentReturnTimeoutMs)}`,
          },
        };
      }
      return retry(ctx, planned, approval?.by ?? ctx.startedBy);
    },
    recheck: async (_ctx, _params, key) => {
      const agent = await agentOnline(key.slice('agent:'.length));
      return agent ? { payload: agent } : null;
    },
    /**
     * The agent is back: retry. `approval` is the decision the step ran with (the engine passes it, as to `run`):
     * the plan approved says what to retry where, and the retry is the approver's.
     */
    resume: async (
      ctx: StepContext,
      { job_id }: { job_id: string },
      _payload: unknown,
      approval?: Approval,
    ) => {
      const planned = (approval?.plan.data as FixPlan | undefined) ?? (await plan(ctx, job_id)).data;
      return retry(ctx, planned, approval?.by ?? ctx.startedBy);
    },
  });
}
