import type { AgentDto, JobDto } from '@deploybot/shared';
import type { WindowStats } from '../fleet/fleet-metrics';
import { formatMs } from './workflow-deps';

export interface AgentHealth {
  hostname: string;
  status: AgentDto['status'];
  version: string | null;
  gitVersion: string | null;
  lastHeartbeatAgoMs: number | null;
  problems: string[];
}

export interface JobHealth {
  stuck: { id: string; repository: string; agent: string; runningForMs: number }[];
  waiting: { id: string; repository: string; agent: string; pendingForMs: number }[];
  running: number;
}

export interface HealthFacts {
  agents: AgentHealth[];
  jobs: JobHealth;
  metrics: WindowStats[];
}

export function assessAgents(agents: AgentDto[], now: number): AgentHealth[] {
  const versions = agents.map((a) => a.version).filter((v): v is string => Boolean(v));
  const common = mostCommon(versions);
  return agents.map((a) => {
    const ago = a.lastHeartbeatAt ? now - Date.parse(a.lastHeartbeatAt) : null;
    const problems: string[] = [];
    if (a.status === 'offline')
      problems.push(`offline, last heartbeat ${ago === null ? 'never' : `${formatMs(ago)} ago`}`);
    if (a.status === 'draining') problems.push('draining: takes no new jobs');
    if (common && a.version && a.version !== common)
      problems.push(`runs agent ${a.version} while most run ${common}`);
    if (a.gitVersion === null && a.version !== null) problems.push('git not found');
    if (a.workdirWritable === false) problems.push('work dir not writable');
    return {
      hostname: a.hostname,
      status: a.status,
      version: a.version,
      gitVersion: a.gitVersion,
      lastHeartbeatAgoMs: ago,
      problems,
    };
  });
}

export function assessJobs(unfinished: JobDto[], now: number, stuckAfterMs: number): JobHealth {
  const running = unfinished.filter((j) => j.status === 'running');
  return {
    running: running.length,
    stuck: running
      .map((j) => ({
        id: j.id,
        repository: j.repository,
        agent: j.agentHostname,
        runningForMs: now - Date.parse(j.startedAt ?? j.createdAt),
      }))
      .filter((j) => j.runningForMs > stuckAfterMs),
    waiting: unfinished
      .filter((j) => j.status === 'pending')
      .map((j) => ({
        id: j.id,
        repository: j.repository,
        agent: j.agentHostname,
        pendingForMs: now - Date.parse(j.createdAt),
      }))
      .filter((j) => j.pendingForMs > 60_000),
  };
}

/** Concrete next actions, each naming what to do and where. */
export function recommendations(facts: HealthFacts): string[] {
  const out: string[] = [];
  if (facts.agents.length === 0)
    out.push('No agents are registered: run the register_agent workflow for each server.');
  for (const a of facts.agents) {
    if (a.status === 'offline')
      out.push(
        `Bring ${a.hostname} back (restart deploybot-agent on it) or revoke it with DELETE /v1/agents/${a.hostname}.`,
      );
    for (const p of a.problems.filter((p) => !p.startsWith('offline') && !p.startsWith('draining')))
      out.push(`${a.hostname}: ${p}; fix the agent installation.`);
  }
  for (const j of facts.jobs.stuck)
    out.push(
      `Job ${j.id} (${j.repository} on ${j.agent}) has run for ${formatMs(j.runningForMs)}: inspect its log and cancel it with POST /v1/jobs/${j.id}/cancel if it hangs.`,
    );
  for (const j of facts.jobs.waiting)
    out.push(
      `Job ${j.id} has waited ${formatMs(j.pendingForMs)} for ${j.agent}: check that agent is connected.`,
    );
  const day = facts.metrics.find((m) => m.window === '24h');
  if (day && day.successRate !== null && day.successRate < 90) {
    const top = Object.entries(day.failuresByCause)[0];
    out.push(
      `Only ${day.successRate}% of jobs succeeded in 24 h${top ? ` (mostly ${top[0]}: ${top[1]})` : ''}: run the troubleshoot_failure workflow.`,
    );
  }
  if (out.length === 0) out.push('No action needed: every agent is online and no job is stuck.');
  return out;
}

export function renderMarkdown(facts: HealthFacts, recs: string[], at: string): string {
  const lines = [`# DeployBot health report`, '', `Generated ${at}.`, '', '## Agents', ''];
  if (facts.agents.length === 0) lines.push('No agents registered.');
  else {
    lines.push('| Agent | Status | Version | Git | Last heartbeat | Problems |', '|---|---|---|---|---|---|');
    for (const a of facts.agents) {
      const ago = a.lastHeartbeatAgoMs === null ? 'never' : `${formatMs(a.lastHeartbeatAgoMs)} ago`;
      lines.push(
        `| ${a.hostname} | ${a.status} | ${a.version ?? '—'} | ${a.gitVersion ?? '—'} | ${ago} | ${a.problems.join('; ') || 'none'} |`,
      );
    }
  }
  lines.push(
    '',
    '## Jobs',
    '',
    `${facts.jobs.running} running, ${facts.jobs.stuck.length} stuck, ${facts.jobs.waiting.length} waiting for an agent.`,
    '',
  );
  lines.push(
    '## Metrics',
    '',
    '| Window | Finished | Success rate | p50 | p95 | p99 | Failures by cause |',
    '|---|---|---|---|---|---|---|',
  );
  for (const m of facts.metrics) {
    const causes =
      Object.entries(m.failuresByCause)
        .map(([c, n]) => `${c}: ${n}`)
        .join(', ') || '—';
    lines.push(
      `| ${m.window} | ${m.finished} | ${m.successRate === null ? '—' : `${m.successRate}%`} | ${formatMs(m.durationMs.p50)} | ${formatMs(m.durationMs.p95)} | ${formatMs(m.durationMs.p99)} | ${causes} |`,
    );
  }
  lines.push('', '## Recommendations', '', ...recs.map((r) => `- ${r}`), '');
  return lines.join('\n');
}

function mostCommon(values: string[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}
