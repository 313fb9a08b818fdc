import type { AgentDto, JobDto, JobFailureCause } from '@deploybot/shared';

export type DiagnosedCause = JobFailureCause | 'unknown';

export interface FailureGroup {
  cause: DiagnosedCause;
  label: string;
  count: number;
  jobIds: string[];
  agents: string[];
  repositories: string[];
}

export const CAUSE_LABELS: Record<DiagnosedCause, string> = {
  agent_lost: 'agent lost mid-job',
  agent_offline: 'agent offline',
  ref_not_found: 'ref not found',
  clone_failed: 'clone failed',
  manifest_invalid: 'invalid deploybot.yml',
  step_failed: 'a manifest step exited non-zero',
  timeout: 'timed out',
  cancelled: 'cancelled',
  release_missing: 'release no longer on the agent',
  current_moved: 'a later deploy is live',
  internal: 'internal error',
  unknown: 'unknown cause',
};

/** A job lost with its agent counts as "agent offline" while that agent is still away. */
export function causeOf(job: JobDto, agents: AgentDto[]): DiagnosedCause {
  const cause = job.cause ?? 'unknown';
  if (cause === 'agent_lost' && agents.find((a) => a.id === job.agentId)?.status !== 'online')
    return 'agent_offline';
  return cause;
}

/** Failed jobs not yet fixed: no later retry of them succeeded. */
export function unresolvedFailures(jobs: JobDto[]): JobDto[] {
  const fixed = new Set(jobs.filter((j) => j.status === 'success' && j.retryOf).map((j) => j.retryOf));
  return jobs.filter((j) => j.status === 'failed' && !fixed.has(j.id));
}

export function groupFailures(failed: JobDto[], agents: AgentDto[]): FailureGroup[] {
  const groups = new Map<DiagnosedCause, FailureGroup>();
  for (const job of failed) {
    const cause = causeOf(job, agents);
    const g = groups.get(cause) ?? {
      cause,
      label: CAUSE_LABELS[cause],
      count: 0,
      jobIds: [],
      agents: [],
      repositories: [],
    };
    g.count++;
    if (g.jobIds.length < 10) g.jobIds.push(job.id);
    if (!g.agents.includes(job.agentHostname)) g.agents.push(job.agentHostname);
    if (!g.repositories.includes(job.repository)) g.repositories.push(job.repository);
    groups.set(cause, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

export type Remedy =
  | { action: 'retry'; agent: string; reason: string }
  | { action: 'wait_and_retry'; agent: string; reason: string }
  | { action: 'manual'; reason: string };

/** The remedy for a failed job, from its cause and the fleet as it is now. */
export function remedyFor(
  job: JobDto,
  cause: DiagnosedCause,
  agents: AgentDto[],
  repositoryReachable: boolean | null,
): Remedy {
  const own = agents.find((a) => a.id === job.agentId);
  const ownOnline = own?.status === 'online';
  const healthy = agents
    .filter((a) => a.status === 'online' && a.id !== job.agentId)
    .sort((a, b) => a.runningJobs - b.runningJobs);
  switch (cause) {
    case 'agent_lost':
    case 'agent_offline':
    case 'timeout':
    case 'internal':
    case 'unknown': {
      const why =
        cause === 'timeout'
          ? 'the job timed out'
          : cause === 'agent_offline' || cause === 'agent_lost'
            ? `${job.agentHostname} went away mid-job`
            : 'the job failed unexpectedly';
      if (ownOnline && cause !== 'timeout')
        return {
          action: 'retry',
          agent: job.agentHostname,
          reason: `${why}; ${job.agentHostname} is back online, so retry there`,
        };
      if (healthy[0])
        return {
          action: 'retry',
          agent: healthy[0].hostname,
          reason: `${why}; retry on healthy agent ${healthy[0].hostname}`,
        };
      if (ownOnline)
        return { action: 'retry', agent: job.agentHostname, reason: `${why}; retry on ${job.agentHostname}` };
      return {
        action: 'wait_and_retry',
        agent: job.agentHostname,
        reason: `${why} and no other agent is online; wait for ${job.agentHostname} to come back, then retry`,
      };
    }
    case 'clone_failed':
      if (repositoryReachable && (ownOnline || healthy[0])) {
        const agent = ownOnline ? job.agentHostname : healthy[0]!.hostname;
        return { action: 'retry', agent, reason: `the repository is reachable again; retry on ${agent}` };
      }
      return {
        action: 'manual',
        reason: `the repository ${job.repository} cannot be fetched; fix its URL or access, then deploy again`,
      };
    case 'ref_not_found':
      return {
        action: 'manual',
        reason: `ref "${job.ref}" does not exist in ${job.repository}; deploy an existing branch, tag or commit`,
      };
    case 'manifest_invalid':
      return {
        action: 'manual',
        reason: `deploybot.yml in ${job.repository}@${job.ref} is invalid; fix it in the repository and deploy again`,
      };
    case 'step_failed': {
      const step = job.step ? `step "${job.step}"` : 'a manifest step';
      if (!ownOnline && !healthy[0])
        return {
          action: 'manual',
          reason: `${step} exited ${job.exitCode ?? 'non-zero'} and no agent is online to retry`,
        };
      const agent = ownOnline ? job.agentHostname : healthy[0]!.hostname;
      return {
        action: 'retry',
        agent,
        reason: `${step} exited ${job.exitCode ?? 'non-zero'}; retry on ${agent} in case it was transient (if it fails again, fix the code or manifest)`,
      };
    }
    case 'cancelled':
      return { action: 'manual', reason: 'the job was cancelled by a person; deploy again when ready' };
    case 'release_missing':
      return {
        action: 'manual',
        reason: `the release to switch back to was pruned from ${job.agentHostname}; deploy ${job.ref} (${job.sha.slice(0, 7)}) again instead`,
      };
    case 'current_moved':
      return {
        action: 'manual',
        reason: `${job.repository} was deployed on ${job.agentHostname} since; undo that deploy first, or deploy the wanted version`,
      };
  }
}
