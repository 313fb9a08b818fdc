import type { AgentDto, JobDto } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import type { WindowStats } from '../fleet/fleet-metrics';
import { assessAgents, assessJobs, recommendations, renderMarkdown } from './health-report';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const agent = (hostname: string, over: Partial<AgentDto>) =>
  ({
    hostname,
    status: 'online',
    version: '0.1.0',
    gitVersion: 'git 2.39',
    workdirWritable: true,
    lastHeartbeatAt: new Date(NOW - 2000).toISOString(),
    ...over,
  }) as AgentDto;
const windowStats = (successRate: number | null): WindowStats => ({
  window: '24h',
  finished: 10,
  succeeded: 5,
  failed: 5,
  cancelled: 0,
  successRate,
  durationMs: { p50: 1000, p95: 2000, p99: 3000, max: 4000 },
  failuresByCause: { step_failed: 5 },
});

describe('health report', () => {
  it('flags offline agents, version drift and broken installs', () => {
    const agents = assessAgents(
      [
        agent('web-01', {}),
        agent('web-02', {}),
        agent('web-03', {
          status: 'offline',
          lastHeartbeatAt: new Date(NOW - 300_000).toISOString(),
          version: '0.0.9',
          workdirWritable: false,
        }),
      ],
      NOW,
    );
    expect(agents[0]?.problems).toEqual([]);
    expect(agents[2]?.problems).toEqual([
      'offline, last heartbeat 5 min ago',
      'runs agent 0.0.9 while most run 0.1.0',
      'work dir not writable',
    ]);
  });

  it('finds stuck and waiting jobs by age', () => {
    const jobs = [
      {
        id: 'a',
        status: 'running',
        startedAt: new Date(NOW - 40 * 60_000).toISOString(),
        repository: 'r/a',
        agentHostname: 'h',
      },
      {
        id: 'b',
        status: 'running',
        startedAt: new Date(NOW - 60_000).toISOString(),
        repository: 'r/b',
        agentHostname: 'h',
      },
      {
        id: 'c',
        status: 'pending',
        createdAt: new Date(NOW - 5 * 60_000).toISOString(),
        repository: 'r/c',
        agentHostname: 'h',
      },
    ] as unknown as JobDto[];
    const health = assessJobs(jobs, NOW, 30 * 60_000);
    expect(health.running).toBe(2);
    expect(health.stuck.map((j) => j.id)).toEqual(['a']);
    expect(health.waiting.map((j) => j.id)).toEqual(['c']);
  });

  it('turns facts into concrete recommendations and a markdown report', () => {
    const agents = assessAgents([agent('web-03', { status: 'offline' })], NOW);
    const facts = { agents, jobs: { running: 0, stuck: [], waiting: [] }, metrics: [windowStats(50)] };
    const recs = recommendations(facts);
    expect(recs).toEqual([
      'Bring web-03 back (restart deploybot-agent on it) or revoke it with DELETE /v1/agents/web-03.',
      'Only 50% of jobs succeeded in 24 h (mostly step_failed: 5): run the troubleshoot_failure workflow.',
    ]);
    const md = renderMarkdown(facts, recs, '2026-01-01T12:00:00.000Z');
    expect(md).toContain('| web-03 | offline |');
    expect(md).toContain('| 24h | 10 | 50% | 1.0 s | 2.0 s | 3.0 s | step_failed: 5 |');
    expect(md).toContain('- Bring web-03 back');
    const healthy = recommendations({
      agents: assessAgents([agent('web-01', {})], NOW),
      jobs: { running: 0, stuck: [], waiting: [] },
      metrics: [windowStats(100)],
    });
    expect(healthy).toEqual(['No action needed: every agent is online and no job is stuck.']);
  });
});
