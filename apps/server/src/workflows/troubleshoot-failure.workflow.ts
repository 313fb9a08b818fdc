import type { JobDto } from '@deploybot/shared';
import type { WorkflowDefinition } from '../engine/types';
import { FleetError } from '../fleet/agents.service';
import { GitRemoteError } from '../fleet/git-remote';
import { causeOf, groupFailures, type Remedy, remedyFor, unresolvedFailures } from './failure-diagnosis';
import { followJob, formatMs, type WorkflowDeps, withTimeout } from './workflow-deps';

const LOOKBACK_MS = 24 * 3_600_000;

export function troubleshootFailureWorkflow({
  fleet,
  agentReturnTimeoutMs,
  explain,
}: WorkflowDeps): WorkflowDefinition {
  const hasTarget = (ctx: { context: Record<string, unknown> }) =>
    typeof ctx.context.target_job_id === 'string';

  return {
    name: 'troubleshoot_failure',
    title: 'Troubleshoot a failure',
    description:
      'Find recent failed jobs, group them by cause, gather their logs, and apply a fix once approved.',
    version: 1,
    inputs: [
      {
        key: 'job_id',
        // The form marks optional fields itself: a label that says "optional" reads "(optional) (optional)".
        label: 'Job id',
        description: 'Leave empty to troubleshoot the most recent failure.',
        type: 'text',
        required: false,
        pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
      },
    ],
    // A job id that names no job, or a job that did not fail, is refused at start rather than by identify_issue.
    checkStart: async (inputs) => {
      if (typeof inputs.job_id !== 'string') return [];
      try {
        const job = await fleet.jobs.get(inputs.job_id);
        if (job.status === 'failed') return [];
        return [{ path: 'job_id', message: `job ${job.id} did not fail (it is ${job.status})` }];
      } catch (err) {
        if (!(err instanceof FleetError)) throw err;
        return [{ path: 'job_id', message: err.message }];
      }
    },
    steps: [
      {
        id: 'identify_issue',
        title: 'Identify issue',
        description: 'Group recent failed jobs by cause, agent and repository.',
        kind: 'automatic',
        run: async (ctx) => {
          const agents = await fleet.agents.list();
          const since = new Date(Date.now() - LOOKBACK_MS).toISOString();
          const recent = await fleet.jobs.list({ since, limit: 500 });
          let failures = unresolvedFailures(recent);
          if (typeof ctx.context.job_id === 'string') {
            const job = await fleet.jobs.get(ctx.context.job_id);
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
      },
      {
        id: 'gather_logs',
        title: 'Gather logs',
        description: 'Collect the relevant log lines and heartbeat history.',
        kind: 'automatic',
        when: hasTarget,
        run: async (ctx) => {
          const job = await fleet.jobs.get(ctx.context.target_job_id as string);
          const lines = await fleet.jobs.tailLogs(job.id, 200);
          const relevant = lines
            .filter((l) => l.stream !== 'stdout' || /error|fail|fatal|denied|not found/i.test(l.line))
            .slice(-30);
          const tail = lines.slice(-20);
          const beats = await fleet.agents.heartbeats(job.agentId, 20);
          const agent = await fleet.agents.get(job.agentId).catch(() => null);
          const gaps = beats.slice(1).map((b, i) => beats[i]!.at.getTime() - b.at.getTime());
          const longestGapMs = gaps.length ? Math.max(...gaps) : null;
          const lastBeat = agent?.lastHeartbeatAt ? Date.now() - Date.parse(agent.lastHeartbeatAt) : null;
          const firstError = relevant.find((l) => l.stream === 'stderr')?.line ?? relevant.at(-1)?.line;
          return {
            summary: `Collected ${lines.length} log line(s)${firstError ? `; first error: "${firstError.slice(0, 160)}"` : ''}. Agent ${job.agentHostname} is ${agent?.status ?? 'revoked'}, last heartbeat ${lastBeat === null ? 'never' : `${formatMs(lastBeat)} ago`}${longestGapMs !== null ? `, longest heartbeat gap ${formatMs(longestGapMs)}` : ''}.`,
            data: {
              relevant,
              tail,
              heartbeats: beats.map((b) => ({
                at: b.at.toISOString(),
                load: b.load,
                runningJobs: b.running_jobs,
              })),
              agentStatus: agent?.status ?? 'revoked',
            },
          };
        },
      },
      {
        id: 'suggest_fix',
        title: 'Suggest fix',
        description: 'Propose a remedy (e.g. retry on a healthy agent) and apply it once approved.',
        kind: 'gate',
        when: hasTarget,
        rejectSummary: 'left for manual resolution',
        plan: async (ctx) => {
          const job = await fleet.jobs.get(ctx.context.target_job_id as string);
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
          return { summary: `${action}: ${remedy.reason}.`, data: { remedy, jobId: job.id, cause } };
        },
        apply: async (ctx, plan, decision) => {
          const { remedy, jobId } = plan.data as { remedy: Remedy; jobId: string };
          if (remedy.action === 'manual') {
            return { summary: `Nothing applied automatically: ${remedy.reason}.`, data: { remedy } };
          }
          if (remedy.action === 'wait_and_retry') {
            await waitForOnline(
              remedy.agent,
              withTimeout(
                ctx.signal,
                agentReturnTimeoutMs,
                `${remedy.agent} did not come back within ${formatMs(agentReturnTimeoutMs)}`,
              ),
            );
          }
          const retry: JobDto = await fleet.jobs.retry(jobId, {
            agent: remedy.agent,
            idempotencyKey: ctx.idempotencyKey,
            runId: ctx.runId,
            createdBy: decision.by,
          });
          return {
            summary: `Retrying as job ${retry.id} on ${retry.agentHostname}.`,
            data: { remedy, retryJobId: retry.id },
            outputs: { retry_job_id: retry.id },
          };
        },
      },
      {
        id: 'verify_fix',
        title: 'Verify fix',
        description: 'Check the retried job succeeded or the agent is back.',
        kind: 'automatic',
        when: (ctx) => typeof ctx.context.retry_job_id === 'string',
        run: async (ctx) => {
          const jobId = ctx.context.retry_job_id as string;
          const job = await followJob(fleet, jobId, ctx);
          if (job.status !== 'success') {
            throw new Error(
              `the retried job ${job.id} ${job.status} too: ${job.error ?? 'no error reported'}`,
            );
          }
          const agent = await fleet.agents.get(job.agentId);
          return {
            summary: `Fixed: retried job ${job.id} succeeded on ${job.agentHostname} (now ${agent.status}).`,
            data: { job, agentStatus: agent.status },
          };
        },
      },
    ],
  };

  /** Resolves once `hostname` is online; rejects when `signal` aborts. */
  async function waitForOnline(hostname: string, signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onAgent = (a: { hostname: string; status: string }) => {
        if (a.hostname === hostname && a.status === 'online') done(resolve);
      };
      const onAbort = () => done(() => reject(signal.reason));
      const done = (settle: () => void) => {
        fleet.events.off('agent', onAgent);
        signal.removeEventListener('abort', onAbort);
        settle();
      };
      // Listen first, then look: a change in between is seen by one or the other.
      fleet.events.on('agent', onAgent);
      signal.addEventListener('abort', onAbort, { once: true });
      fleet.agents.get(hostname).then(
        (a) => onAgent(a),
        (err) => done(() => reject(err)),
      );
    });
  }
}
