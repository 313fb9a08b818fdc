import type { WorkflowDefinition } from '../engine/types';
import type { WindowStats } from '../fleet/fleet-metrics';
import {
  type AgentHealth,
  assessAgents,
  assessJobs,
  type HealthFacts,
  type JobHealth,
  recommendations,
  renderMarkdown,
} from './health-report';
import { formatMs, type WorkflowDeps } from './workflow-deps';

export function healthCheckWorkflow({ fleet, explain }: WorkflowDeps): WorkflowDefinition {
  return {
    name: 'health_check',
    title: 'Check system health',
    description:
      'Check every agent and running job, analyse success rates and durations, and write a report.',
    version: 1,
    inputs: [
      {
        key: 'stuck_after_minutes',
        label: 'A running job is stuck after (minutes)',
        type: 'number',
        required: false,
        placeholder: '30',
      },
    ],
    steps: [
      {
        id: 'check_agents',
        title: 'Check all agents',
        description: 'Heartbeat freshness and versions of every agent.',
        kind: 'automatic',
        run: async () => {
          const agents = assessAgents(await fleet.agents.list(), Date.now());
          const online = agents.filter((a) => a.status === 'online').length;
          const troubled = agents.filter((a) => a.problems.length > 0);
          const detail = troubled.map((a) => `${a.hostname}: ${a.problems.join(', ')}`).join('; ');
          return {
            summary:
              agents.length === 0
                ? 'No agents registered.'
                : `${agents.length} agent(s), ${online} online.${detail ? ` ${detail}.` : ' All healthy.'}`,
            data: { agents },
          };
        },
      },
      {
        id: 'check_jobs',
        title: 'Check running jobs',
        description: 'Find jobs running beyond the stuck threshold.',
        kind: 'automatic',
        run: async (ctx) => {
          const minutes = (ctx.context.stuck_after_minutes as number | undefined) ?? 30;
          const unfinished = await fleet.jobs.list({ statuses: ['pending', 'running'], limit: 500 });
          const jobs = assessJobs(unfinished, Date.now(), minutes * 60_000);
          const stuck = jobs.stuck
            .map((j) => `${j.id.slice(0, 8)} (${j.repository} on ${j.agent}, ${formatMs(j.runningForMs)})`)
            .join(', ');
          return {
            summary: `${jobs.running} job(s) running; ${jobs.stuck.length} stuck beyond ${minutes} min${stuck ? `: ${stuck}` : ''}; ${jobs.waiting.length} waiting for an agent.`,
            data: jobs,
          };
        },
      },
      {
        id: 'analyse_metrics',
        title: 'Analyse metrics',
        description: 'Success rates and duration percentiles over 1 h, 24 h and 7 d.',
        kind: 'automatic',
        run: async () => {
          const windows = await fleet.metrics.windows();
          const text = windows
            .map(
              (w) =>
                `${w.window}: ${w.finished} job(s), ${w.successRate === null ? 'no success rate yet' : `${w.successRate}% success`}, p50 ${formatMs(w.durationMs.p50)}, p95 ${formatMs(w.durationMs.p95)}`,
            )
            .join('; ');
          return { summary: `${text}.`, data: { windows } };
        },
      },
      {
        id: 'generate_report',
        title: 'Generate report',
        description: 'A markdown and JSON report with concrete recommendations.',
        kind: 'automatic',
        run: async (ctx) => {
          const facts: HealthFacts = {
            agents: (ctx.context.steps.check_agents as { agents: AgentHealth[] }).agents,
            jobs: ctx.context.steps.check_jobs as JobHealth,
            metrics: (ctx.context.steps.analyse_metrics as { windows: WindowStats[] }).windows,
          };
          const recs = recommendations(facts);
          const at = new Date().toISOString();
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
          };
        },
      },
    ],
  };
}
