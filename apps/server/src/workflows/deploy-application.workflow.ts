import { type FieldIssue, GIT_REF_RE, REPOSITORY_NAME_RE } from '@deploybot/shared';
import type { WorkflowDefinition } from '../engine/types';
import { FleetError } from '../fleet/agents.service';
import type { Fleet } from '../fleet/fleet';
import { GitRemoteError } from '../fleet/git-remote';
import { type ScoredAgent, scoreAgents } from './agent-scoring';
import { ENVIRONMENT_INPUT, followJob, formatMs, shortSha, type WorkflowDeps } from './workflow-deps';

interface SelectPlan {
  chosen: ScoredAgent;
  candidates: ScoredAgent[];
}

/** How long a start waits for `git ls-remote`; a slower remote is left to validate_repository (still before any gate). */
const START_RESOLVE_MS = 5_000;

/**
 * What a start can check at once: the repository is registered, and the ref exists on its remote. Only a
 * definite answer refuses the start; a remote that is slow or unreachable is reported by validate_repository,
 * which runs before the first gate.
 */
async function checkDeployStart(
  fleet: Fleet,
  inputs: Readonly<Record<string, unknown>>,
): Promise<FieldIssue[]> {
  const repository = inputs.repository as string;
  try {
    await fleet.repositories.resolve(repository, inputs.ref as string, AbortSignal.timeout(START_RESOLVE_MS));
    return [];
  } catch (err) {
    if (err instanceof FleetError && err.code === 'not_found')
      return [{ path: 'repository', message: err.message }];
    if (err instanceof GitRemoteError && err.kind === 'ref_not_found')
      return [{ path: 'ref', message: err.message }];
    if (err instanceof GitRemoteError) return [];
    throw err;
  }
}

export function deployApplicationWorkflow({ fleet }: WorkflowDeps): WorkflowDefinition {
  return {
    name: 'deploy_application',
    title: 'Deploy an application',
    description:
      'Resolve the ref to a commit, pick an agent, and run the repository’s deploy manifest on that agent.',
    // 2: validate_repository runs before the select_agent gate (a run records its own step order).
    version: 2,
    inputs: [
      {
        key: 'repository',
        label: 'Repository',
        type: 'text',
        required: true,
        placeholder: 'demo/hello-app',
        // The same rules the job API applies, so a run never starts with a value its job would refuse.
        pattern: REPOSITORY_NAME_RE.source,
      },
      {
        key: 'ref',
        label: 'Ref (branch, tag or sha)',
        type: 'text',
        required: true,
        placeholder: 'main',
        pattern: GIT_REF_RE.source,
      },
      ENVIRONMENT_INPUT,
    ],
    checkStart: (inputs) => checkDeployStart(fleet, inputs),
    // What an operator scans a list for: what goes where. The agent joins once select_agent has chosen it.
    runTitle: (c) =>
      `Deploy ${String(c.repository)}@${String(c.ref)}${typeof c.agent_hostname === 'string' ? ` → ${c.agent_hostname}` : ''}`,
    steps: [
      {
        id: 'validate_repository',
        title: 'Validate repository',
        description:
          'Resolve the ref to a commit with git ls-remote, before anyone is asked to approve anything.',
        kind: 'automatic',
        timeoutMs: 60_000,
        run: async (ctx) => {
          const r = await fleet.repositories.resolve(
            ctx.context.repository as string,
            ctx.context.ref as string,
            ctx.signal,
          );
          const note = r.verified
            ? ''
            : ' (a commit sha no branch or tag points at: the agent verifies it when fetching)';
          return {
            summary: `${r.repository.name}@${r.ref} → ${shortSha(r.sha)} (${r.resolvedFrom})${note}.`,
            data: {
              repository: r.repository.name,
              url: r.repository.url,
              ref: r.ref,
              sha: r.sha,
              resolvedFrom: r.resolvedFrom,
            },
            outputs: { sha: r.sha },
          };
        },
      },
      {
        id: 'select_agent',
        title: 'Select target agent',
        description: 'Score online agents by environment, load and recent success; review the choice.',
        kind: 'gate',
        plan: async (ctx) => {
          const environment = ctx.context.environment as string | undefined;
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
          const plan: SelectPlan = { chosen, candidates };
          const rest = candidates
            .slice(1)
            .map((c) => `${c.hostname} (${c.score})`)
            .join(', ');
          return {
            summary: `Deploy to ${chosen.hostname} (score ${chosen.score}: ${chosen.reasons.join(', ')}).${rest ? ` Other candidates: ${rest}.` : ''}`,
            data: plan,
          };
        },
        input: (_ctx, plan) => ({
          key: 'agent',
          label: 'Deploy to another agent instead',
          type: 'choice',
          required: false,
          choices: (plan.data as SelectPlan).candidates.map((c) => c.hostname),
        }),
        apply: async (_ctx, plan, decision) => {
          const { chosen } = plan.data as SelectPlan;
          const hostname = (decision.input as string | undefined) ?? chosen.hostname;
          const agent = await fleet.agents.get(hostname);
          if (agent.status !== 'online')
            throw new Error(`${hostname} went ${agent.status} meanwhile; start the deployment again`);
          const overridden = hostname !== chosen.hostname;
          return {
            summary: overridden
              ? `Target: ${hostname}, picked by ${decision.by} instead of ${chosen.hostname}.`
              : `Target: ${hostname}.`,
            data: { agentId: agent.id, hostname, overridden },
            outputs: { agent_id: agent.id, agent_hostname: hostname },
          };
        },
      },
      {
        id: 'create_job',
        title: 'Create deployment job',
        description: 'Queue the deployment job on the chosen agent.',
        kind: 'gate',
        plan: async (ctx) => {
          const { repository, ref, sha, agent_hostname } = ctx.context as Record<string, string>;
          return {
            summary: `Deploy ${repository}@${ref} (${shortSha(sha!)}) → ${agent_hostname}: the agent fetches the commit and runs its deploybot.yml.`,
            data: { repository, ref, sha, agent: agent_hostname },
          };
        },
        apply: async (ctx, _plan, decision) => {
          const { repository, ref, sha, agent_id } = ctx.context as Record<string, string>;
          const job = await fleet.jobs.create({
            repository: repository!,
            ref,
            sha,
            agent: agent_id!,
            idempotencyKey: ctx.idempotencyKey,
            runId: ctx.runId,
            createdBy: decision.by,
          });
          return {
            summary: `Job ${job.id} queued on ${job.agentHostname}.`,
            data: { jobId: job.id },
            outputs: { job_id: job.id },
          };
        },
      },
      {
        id: 'monitor_job',
        title: 'Monitor deployment',
        description: 'Follow the job until it ends, with its logs.',
        kind: 'automatic',
        run: async (ctx) => {
          const jobId = ctx.context.job_id as string;
          const job = await followJob(fleet, jobId, ctx);
          const tail = await fleet.jobs.tailLogs(jobId, 10);
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
          };
        },
      },
    ],
  };
}
