import { AGENT_STATUSES } from '@deploybot/shared';
import { z } from 'zod';
import type { Fleet } from '../../fleet/fleet';
import {
  assessAgents,
  assessJobs,
  type HealthFacts,
  recommendations,
  renderMarkdown,
} from '../health-report';
import { formatMs, type WorkflowDeps } from '../workflow-deps';
import { defineKind, numberParam } from './fleet-kind';

/*
 * The measured facts travel from step to step as outputs (`steps.check_agents.outputs.agents` …), so their
 * shapes are declared here; numbers are coerced because a CEL integer arrives as a BigInt.
 */
const count = numberParam();
const ms = numberParam().nullable();

export const agentHealthSchema = z.object({
  hostname: z.string(),
  status: z.enum(AGENT_STATUSES),
  version: z.string().nullable(),
  gitVersion: z.string().nullable(),
  lastHeartbeatAgoMs: ms,
  problems: z.array(z.string()),
});

export const jobHealthSchema = z.object({
  stuck: z.array(
    z.object({ id: z.string(), repository: z.string(), agent: z.string(), runningForMs: count }),
  ),
  waiting: z.array(
    z.object({ id: z.string(), repository: z.string(), agent: z.string(), pendingForMs: count }),
  ),
  running: count,
});

export const windowStatsSchema = z.object({
  window: z.enum(['1h', '24h', '7d']),
  finished: count,
  succeeded: count,
  failed: count,
  cancelled: count,
  successRate: ms,
  durationMs: z.object({ p50: ms, p95: ms, p99: ms, max: ms }),
  failuresByCause: z.record(z.string(), count),
});

/** `health.check_agents`: heartbeat freshness, versions and installation problems of every agent. */
export function checkAgentsKind(fleet: Fleet) {
  return defineKind({
    name: 'health.check_agents',
    version: 1,
    title: 'Check all agents',
    description: 'Heartbeat freshness and versions of every agent.',
    params: z.object({}),
    outputs: z.object({ agents: z.array(agentHealthSchema).describe('Every agent with its problems.') }),
    run: async (ctx) => {
      const agents = assessAgents(await fleet.agents.list(), ctx.now().getTime());
      const online = agents.filter((a) => a.status === 'online').length;
      const troubled = agents.filter((a) => a.problems.length > 0);
      const detail = troubled.map((a) => `${a.hostname}: ${a.problems.join(', ')}`).join('; ');
      return {
        summary:
          agents.length === 0
            ? 'No agents registered.'
            : `${agents.length} agent(s), ${online} online.${detail ? ` ${detail}.` : ' All healthy.'}`,
        data: { agents },
        outputs: { agents },
      };
    },
  });
}

/** `health.check_jobs`: jobs running beyond the stuck threshold, and jobs waiting for their agent. */
export function checkJobsKind(fleet: Fleet) {
  return defineKind({
    name: 'health.check_jobs',
    version: 1,
    title: 'Check running jobs',
    description: 'Find jobs running beyond the stuck threshold.',
    params: z.object({
      /** A running job is stuck after this many minutes. */
      stuck_after_minutes: numberParam().pipe(z.number().positive()).default(30),
    }),
    outputs: z.object({ jobs: jobHealthSchema.describe('Stuck, waiting and running jobs.') }),
    run: async (ctx, { stuck_after_minutes: minutes }) => {
      const unfinished = await fleet.jobs.list({ statuses: ['pending', 'running'], limit: 500 });
      const jobs = assessJobs(unfinished, ctx.now().getTime(), minutes * 60_000);
      const stuck = jobs.stuck
        .map((j) => `${j.id.slice(0, 8)} (${j.repository} on ${j.agent}, ${formatMs(j.runningForMs)})`)
        .join(', ');
      return {
        summary: `${jobs.running} job(s) running; ${jobs.stuck.length} stuck beyond ${minutes} min${stuck ? `: ${stuck}` : ''}; ${jobs.waiting.length} waiting for an agent.`,
        data: jobs,
        outputs: { jobs },
      };
    },
  });
}

/** `health.analyse_metrics`: success rates and duration percentiles over 1 h, 24 h and 7 d. */
export function analyseMetricsKind(fleet: Fleet) {
  return defineKind({
    name: 'health.analyse_metrics',
    version: 1,
    title: 'Analyse metrics',
    description: 'Success rates and duration percentiles over 1 h, 24 h and 7 d.',
    params: z.object({}),
    outputs: z.object({ windows: z.array(windowStatsSchema).describe('One entry per window: 1h, 24h, 7d.') }),
    run: async () => {
      const windows = await fleet.metrics.windows();
      const text = windows
        .map(
          (w) =>
            `${w.window}: ${w.finished} job(s), ${w.successRate === null ? 'no success rate yet' : `${w.successRate}% success`}, p50 ${formatMs(w.durationMs.p50)}, p95 ${formatMs(w.durationMs.p95)}`,
        )
        .join('; ');
      return { summary: `${text}.`, data: { windows }, outputs: { windows } };
    },
  });
}

/** `health.generate_report`: a markdown and JSON report of the facts, with concrete recommendations. */
export function generateReportKind(explain: WorkflowDeps['explain']) {
  return defineKind({
    name: 'health.generate_report',
    version: 1,
    title: 'Generate report',
    description: 'A markdown and JSON report with concrete recommendations.',
    params: z.object({
      agents: z.array(agentHealthSchema),
      jobs: jobHealthSchema,
      metrics: z.array(windowStatsSchema),
    }),
    outputs: z.object({
      recommendations: z.array(z.string()).describe('Concrete next actions, the most important first.'),
    }),
    run: async (ctx, { agents, jobs, metrics }) => {
      const facts: HealthFacts = { agents, jobs, metrics };
      const recs = recommendations(facts);
      const at = ctx.now().toISOString();
      // Written from the measured facts and shown next to them, never instead of them.
      const explanation = explain
        ? await explain('health', { ...facts, recommendations: recs }, ctx.signal)
        : undefined;
      const markdown = renderMarkdown(facts, recs, at);
      return {
        summary: `Report ready with ${recs.length} recommendation(s): ${recs[0]}`,
        data: {
          markdown: explanation
            ? `${markdown}\n## Explanation\n\n${explanation.text}\n\n_${explanation.source === 'model' ? 'Written by the AI model from the facts above.' : 'Summary of the facts above.'}_\n`
            : markdown,
          json: { generatedAt: at, ...facts, recommendations: recs, ...(explanation && { explanation }) },
          ...(explanation && { explanation }),
        },
        outputs: { recommendations: recs },
      };
    },
  });
}
