import { environmentSchema, gitRefSchema, repositoryNameSchema, type StepOutcome } from '@deploybot/shared';
import { z } from 'zod';
import type { StepContext } from '../../engine/types';
import type { Fleet } from '../../fleet/fleet';
import { type describeDeployUndo, undoDeploy } from '../../fleet/release-rollback';
import { type ScoredAgent, scoreAgents } from '../agent-scoring';
import { shortSha } from '../workflow-deps';
import { attemptKey, defineKind, optionalText } from './fleet-kind';

export interface SelectPlan {
  chosen: ScoredAgent;
  candidates: ScoredAgent[];
}

/** `fleet.select_agent`: score the online agents for a deployment; a gate lets a person pick another. */
export function selectAgentKind(fleet: Fleet) {
  const plan = async (ctx: StepContext, environment: string | undefined) => {
    // Right after a controller restart, agents connected before are still dialling back: wait for them
    // (bounded by the reconnect grace) rather than conclude they are gone.
    const [agents, recent] = await Promise.all([
      fleet.agents.listAfterReconnects(ctx.signal),
      fleet.jobs.list({ limit: 500 }),
    ]);
    const candidates = scoreAgents(agents, recent, environment);
    const chosen = candidates[0];
    if (!chosen) {
      const others = agents.map((a) => `${a.hostname} ${a.status}`).join(', ');
      throw new Error(
        `no online agent to deploy to${others ? ` (registered: ${others})` : ' (none registered: run register_agent first)'}`,
      );
    }
    const data: SelectPlan = { chosen, candidates };
    const rest = candidates
      .slice(1)
      .map((c) => `${c.hostname} (${c.score})`)
      .join(', ');
    return {
      summary: `Deploy to ${chosen.hostname} (score ${chosen.score}: ${chosen.reasons.join(', ')}).${rest ? ` Other candidates: ${rest}.` : ''}`,
      data,
    };
  };

  return defineKind({
    name: 'fleet.select_agent',
    version: 1,
    title: 'Select an agent',
    description:
      'Score online agents by environment, load and recent success. At a gate the choice and its reasons are shown and a person may pick another candidate; without one, the best is taken.',
    params: z.object({
      /** Agents of this environment score higher; absent (or '') → any environment. */
      environment: optionalText(environmentSchema),
    }),
    outputs: z.object({
      agent_id: z.string().describe('The chosen agent’s id.'),
      agent_hostname: z.string().describe('The chosen agent’s host name.'),
    }),
    plan: (ctx, { environment }) => plan(ctx, environment),
    approvalInput: (_ctx, _params, planned) => ({
      key: 'agent',
      label: 'Deploy to another agent instead',
      type: 'choice',
      required: false,
      choices: (planned.data as SelectPlan).candidates.map((c) => c.hostname),
    }),
    run: async (ctx, { environment }, approval) => {
      const planned: StepOutcome = approval?.plan ?? (await plan(ctx, environment));
      const { chosen } = planned.data as SelectPlan;
      const picked = approval?.input;
      const hostname = typeof picked === 'string' && picked !== '' ? picked : chosen.hostname;
      const agent = await fleet.agents.get(hostname);
      if (agent.status !== 'online')
        throw new Error(`${hostname} went ${agent.status} meanwhile; start the deployment again`);
      const overridden = hostname !== chosen.hostname;
      return {
        summary: overridden
          ? `Target: ${hostname}, picked by ${approval?.by} instead of ${chosen.hostname}.`
          : `Target: ${hostname}.`,
        data: { agentId: agent.id, hostname, overridden },
        outputs: { agent_id: agent.id, agent_hostname: hostname },
      };
    },
  });
}

const deployParams = z.object({
  repository: repositoryNameSchema,
  ref: gitRefSchema,
  /** The commit to deploy, already resolved (fleet.resolve_ref): the job deploys exactly what was approved. */
  sha: z.string().regex(/^[0-9a-f]{40}$/, 'sha must be a full 40-character commit sha'),
  /** Agent id or host name. */
  agent: z.string().min(1),
});

/** `fleet.deploy_job`: queue a deployment job on an agent; undone by switching the agent back to its previous release. */
export function deployJobKind(fleet: Fleet) {
  return defineKind({
    name: 'fleet.deploy_job',
    version: 1,
    title: 'Create a deployment job',
    description:
      'Queue a job that makes the agent fetch the commit and run the repository’s deploybot.yml. Undo: switch the agent back to the release that was live before.',
    params: deployParams,
    outputs: z.object({
      job_id: z.string().describe('The deployment job’s id.'),
      agent_hostname: z.string().describe('The agent it runs on.'),
    }),
    plan: async (_ctx, { repository, ref, sha, agent }) => {
      const hostname = (await fleet.agents.get(agent)).hostname;
      return {
        summary: `Deploy ${repository}@${ref} (${shortSha(sha)}) → ${hostname}: the agent fetches the commit and runs its deploybot.yml.`,
        data: { repository, ref, sha, agent: hostname },
      };
    },
    run: async (ctx, { repository, ref, sha, agent }, approval) => {
      const job = await fleet.jobs.create({
        repository,
        ref,
        sha,
        agent,
        // A re-run after a crash finds the job it created before instead of deploying twice.
        idempotencyKey: ctx.idempotencyKey,
        runId: ctx.runId,
        createdBy: approval?.by ?? ctx.startedBy,
      });
      return {
        summary: `Job ${job.id} queued on ${job.agentHostname}.`,
        data: { jobId: job.id },
        outputs: { job_id: job.id, agent_hostname: job.agentHostname },
      };
    },
    compensate: {
      // Whether there is anything to switch back to is known only once the job ended (the fleet records the
      // release it replaced); the rollback step's summary says which it was.
      describe: ({ repository }, { outputs }) =>
        `switch ${String(outputs.agent_hostname)}'s ${repository} back to the release that was live before job ${String(outputs.job_id)}, if that job went live`,
      run: async (ctx, _params, { outputs }) => {
        const jobId = String(outputs.job_id);
        const undone = await undoDeploy(fleet, jobId, {
          by: ctx.startedBy,
          reason: `rollback by workflow run ${ctx.runId.slice(0, 8)}`,
          signal: ctx.signal,
          // An activation that failed answers its key with the same failure: each attempt needs its own.
          idempotencyKey: attemptKey(ctx),
          runId: ctx.runId,
        });
        if (!undone) {
          const job = await fleet.jobs.get(jobId);
          return { summary: `Nothing to undo: ${nothingToUndo(job)}.`, data: { jobId, undone: false } };
        }
        return {
          summary: `Switched ${undone.agentHostname}'s ${undone.repository} back to release ${undone.release} (job ${undone.id}).`,
          data: { jobId, undone: true, activationJobId: undone.id, release: undone.release },
        };
      },
    },
  });
}

/** Why undoing a job changes nothing (`describeDeployUndo` returned null for it). */
export function nothingToUndo(job: Parameters<typeof describeDeployUndo>[0]): string {
  if (job.status !== 'success') return `job ${job.id} ${job.status}, so it never switched current`;
  if (job.previousRelease === null)
    return `job ${job.id} made the first release of ${job.repository} on ${job.agentHostname} (or its agent did not say which was live before)`;
  return `job ${job.id} left ${job.agentHostname}'s ${job.repository} on the release it found`;
}
