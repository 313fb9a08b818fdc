import { AGENT_STATUSES, JOB_STATUSES, repositoryNameSchema } from '@deploybot/shared';
import { z } from 'zod';
import type { Fleet } from '../../fleet/fleet';
import { groupFailures, unresolvedFailures } from '../../workflows/failure-diagnosis';
import { assessAgents } from '../../workflows/health-report';
import { compactAgent, compactJob } from './compact';
import { defineTool, type ToolDef, ToolError } from './registry';

const agentRef = z.string().min(1).max(253).describe('agent hostname (e.g. web-01) or id');
const jobId = z.uuid().describe('job id (UUID)');

/** Read-only tools over agents, jobs, logs and metrics. */
export function fleetTools(fleet: Fleet): ToolDef[] {
  return [
    defineTool({
      name: 'list_agents',
      description:
        'List deploy agents (servers) with status (online, offline, draining, enrolling), environment, version and running jobs. Filter by status or environment.',
      schema: z.object({
        status: z.enum(AGENT_STATUSES).optional(),
        environment: z.string().max(32).optional(),
      }),
      run: async ({ status, environment }) => {
        const all = await fleet.agents.list();
        const agents = all.filter(
          (a) => (!status || a.status === status) && (!environment || a.environment === environment),
        );
        return { total: all.length, matching: agents.length, agents: agents.map(compactAgent) };
      },
    }),
    defineTool({
      name: 'get_agent',
      description:
        'One agent in detail: status, last heartbeat, what is deployed on it now (latest successful job per repository) and its recent jobs.',
      schema: z.object({ agent: agentRef }),
      run: async ({ agent }) => {
        const a = await fleet.agents.get(agent);
        const jobs = await fleet.jobs.list({ agent: a.id, limit: 100 });
        const deployed = new Map<string, ReturnType<typeof compactJob>>();
        for (const j of jobs) {
          if (j.status === 'success' && !deployed.has(j.repository))
            deployed.set(j.repository, compactJob(j));
        }
        return {
          agent: { ...compactAgent(a), gitVersion: a.gitVersion, workdirWritable: a.workdirWritable },
          deployed: [...deployed.values()].map((j) => ({
            repository: j.repository,
            ref: j.ref,
            sha: j.sha,
            jobId: j.id,
            deployedAt: j.finishedAt,
          })),
          recentJobs: jobs.slice(0, 5).map(compactJob),
        };
      },
    }),
    defineTool({
      name: 'list_jobs',
      description: 'Deployment jobs, newest first. Filter by status, agent hostname or repository (org/app).',
      schema: z.object({
        status: z.enum(JOB_STATUSES).optional(),
        agent: z.string().max(253).optional(),
        repository: repositoryNameSchema.optional(),
        limit: z.number().int().min(1).max(50).default(10),
      }),
      run: async (q) => {
        const jobs = await fleet.jobs.list(q);
        return { count: jobs.length, jobs: jobs.map(compactJob) };
      },
    }),
    defineTool({
      name: 'get_job',
      description: 'One deployment job: repository, ref, sha, agent, status, error and cause.',
      schema: z.object({ job_id: jobId }),
      run: async ({ job_id }) => compactJob(await fleet.jobs.get(job_id)),
    }),
    defineTool({
      name: 'job_logs',
      description:
        "The last lines of a job's log (stdout and stderr of its deploybot.yml steps). errors_only keeps stderr and lines mentioning errors.",
      schema: z.object({
        job_id: jobId,
        lines: z.number().int().min(1).max(200).default(40),
        errors_only: z.boolean().default(false),
      }),
      run: async ({ job_id, lines, errors_only }) => {
        const job = await fleet.jobs.get(job_id);
        let tail = await fleet.jobs.tailLogs(job.id, errors_only ? 500 : lines);
        if (errors_only) {
          tail = tail.filter(
            (l) => l.stream === 'stderr' || /error|fail|fatal|denied|not found/i.test(l.line),
          );
          tail = tail.slice(-lines);
        }
        return {
          job: compactJob(job),
          lines: tail.map((l) => ({ seq: l.seq, stream: l.stream, line: l.line.slice(0, 500) })),
        };
      },
    }),
    defineTool({
      name: 'recent_failures',
      description:
        'Failed jobs of the last hours that no later retry fixed, grouped by cause, agent and repository.',
      schema: z.object({ hours: z.number().int().min(1).max(168).default(24) }),
      run: async ({ hours }) => {
        const since = new Date(Date.now() - hours * 3_600_000).toISOString();
        const [jobs, agents] = await Promise.all([
          fleet.jobs.list({ since, limit: 500 }),
          fleet.agents.list(),
        ]);
        const failures = unresolvedFailures(jobs);
        return {
          hours,
          unresolved: failures.length,
          groups: groupFailures(failures, agents),
          latest: failures.slice(0, 5).map(compactJob),
        };
      },
    }),
    defineTool({
      name: 'deployment_stats',
      description:
        'Success rate, counts and duration percentiles (p50/p95/p99) of finished jobs over 1 h, 24 h and 7 d, with failures by cause.',
      schema: z.object({}),
      run: async () => ({ windows: await fleet.metrics.windows() }),
    }),
    defineTool({
      name: 'deployment_history',
      description:
        'Finished deployments (success, failed, cancelled), newest first, optionally for one repository or agent.',
      schema: z.object({
        repository: repositoryNameSchema.optional(),
        agent: z.string().max(253).optional(),
        limit: z.number().int().min(1).max(50).default(10),
      }),
      run: async ({ repository, agent, limit }) => {
        const jobs = await fleet.jobs.list({
          repository,
          agent,
          statuses: ['success', 'failed', 'cancelled'],
          limit,
        });
        return { count: jobs.length, deployments: jobs.map(compactJob) };
      },
    }),
    defineTool({
      name: 'agent_health',
      description:
        'Health of one agent or all: heartbeat age, version drift, git present, work dir writable, with the problems found.',
      schema: z.object({ agent: agentRef.optional() }),
      run: async ({ agent }) => {
        const all = assessAgents(await fleet.agents.list(), Date.now());
        if (!agent) return { agents: all, withProblems: all.filter((a) => a.problems.length > 0).length };
        const one = all.find((a) => a.hostname === agent.toLowerCase());
        if (!one) {
          const known = all.map((a) => a.hostname).join(', ');
          throw new ToolError(`no agent ${agent}${known ? ` (registered: ${known})` : ''}`, 'not_found');
        }
        return one;
      },
    }),
    defineTool({
      name: 'list_repositories',
      description: 'The repositories that can be deployed (org/app) with their default ref.',
      schema: z.object({}),
      run: async () => ({
        repositories: (await fleet.repositories.list()).map((r) => ({
          name: r.name,
          defaultRef: r.defaultRef,
        })),
      }),
    }),
  ];
}
