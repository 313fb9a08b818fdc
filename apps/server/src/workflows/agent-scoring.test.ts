import type { AgentDto, JobDto } from '@deploybot/shared';
import { describe, expect, it } from 'vitest';
import { scoreAgents } from './agent-scoring';

const agent = (hostname: string, over: Partial<AgentDto> = {}) =>
  ({
    id: hostname,
    hostname,
    environment: 'production',
    status: 'online',
    runningJobs: 0,
    ...over,
  }) as AgentDto;
const job = (agentId: string, status: JobDto['status']) => ({ agentId, status }) as JobDto;

describe('scoreAgents', () => {
  it('prefers the matching environment, then success, then load, and explains each score', () => {
    const ranked = scoreAgents(
      [
        agent('stage-1', { environment: 'staging' }),
        agent('prod-busy', { runningJobs: 2 }),
        agent('prod-idle'),
        agent('gone', { status: 'offline' }),
      ],
      [job('prod-idle', 'success'), job('prod-idle', 'failed'), job('prod-busy', 'success')],
      'production',
    );
    expect(ranked.map((r) => r.hostname)).toEqual(['prod-idle', 'prod-busy', 'stage-1']);
    expect(ranked[0]).toEqual({
      agentId: 'prod-idle',
      hostname: 'prod-idle',
      score: 50 + 15 - 0,
      reasons: ['environment production matches', '1/2 recent jobs succeeded', 'idle'],
    });
    expect(ranked[1]?.reasons).toContain('2 job(s) in progress');
    expect(ranked[2]?.reasons[0]).toBe('environment staging differs from production');
  });

  it('returns nothing when no agent is online', () => {
    expect(
      scoreAgents([agent('a', { status: 'offline' }), agent('b', { status: 'draining' })], [], undefined),
    ).toEqual([]);
  });
});
