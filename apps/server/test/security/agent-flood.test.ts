import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAgent } from './support/fake-agent';
import { enrollAgent } from './support/fleet';
import { call, client } from './support/http';
import { eventually } from './support/runs';
import { type SecurityServer, startSecurityServer, TEST_ADMIN_TOKEN } from './support/server';

/**
 * One agent credential must not be able to take the controller down: heartbeats are written at most once per
 * interval whatever the agent sends, an agent that floods is disconnected and benched for a while, and the
 * heartbeat history is pruned. The interval here is a minute, far longer than any of these tests: within a
 * test an agent gets exactly one heartbeat written, however many it sends.
 */

let s: SecurityServer;
const agents: FakeAgent[] = [];
const HEARTBEAT = { runningJobs: [], load: 0.5 };

beforeAll(async () => {
  s = await startSecurityServer({
    fleet: { heartbeatIntervalMs: 60_000, offlineAfterMs: 180_000, heartbeatFloodFactor: 10 },
  });
});

afterAll(async () => {
  for (const agent of agents) agent.close();
  await s?.close();
});

async function heartbeatRows(agentId: string): Promise<number> {
  const [row] = await s.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM agent_heartbeats WHERE agent_id = $1',
    [agentId],
  );
  return row!.n;
}

/** An acked message the server handles after everything the agent sent before it. */
async function roundTrip(agent: FakeAgent): Promise<void> {
  await agent.ask('job:status', { jobId: '00000000-0000-4000-8000-000000000000', status: 'running' });
}

describe('heartbeats', () => {
  it('beats sent faster than the interval are merged: one row, one presence write per interval', async () => {
    const { agent, agentId } = await enrollAgent(s, 'hb-eager');
    agents.push(agent);
    for (let i = 0; i < 12; i++) agent.emit('agent:heartbeat', { ...HEARTBEAT, load: i });
    await roundTrip(agent);
    await eventually(
      'the first beat written',
      () => heartbeatRows(agentId),
      (n) => n > 0,
    );
    expect(await heartbeatRows(agentId)).toBe(1);
    expect(agent.connected).toBe(true);
  });

  it('an agent flooding heartbeats is disconnected and benched; rows stay bounded and /health answers', async () => {
    const bystander = await enrollAgent(s, 'hb-bystander');
    const { agent, agentId, hostname } = await enrollAgent(s, 'hb-flooder');
    agents.push(agent, bystander.agent);
    const cut = agent.disconnected(30_000);
    for (let i = 0; i < 20_000; i++) agent.emit('agent:heartbeat', HEARTBEAT);
    const health = await call(s.url, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(await cut).toBe('io server disconnect');
    expect(await heartbeatRows(agentId)).toBeLessThanOrEqual(1);

    const refusal = await FakeAgent.refusal(s.url, agent.credential!, hostname);
    expect(refusal).toMatch(/^rate_limited: this agent flooded the controller/);
    // Nobody else is affected.
    expect(bystander.agent.connected).toBe(true);
    expect(await s.app.fleet.gateway.ping({ agentId: bystander.agentId })).toMatchObject({
      rttMs: expect.any(Number),
    });
    const admin = client(s.url, { token: TEST_ADMIN_TOKEN });
    expect((await admin.get<{ status: string }>(`/v1/agents/${hostname}`)).body.status).toBe('offline');
  });

  it('status reports wait for their answer a few at a time; hellos are answered a few times per connection', async () => {
    const { agent } = await enrollAgent(s, 'hb-chatty');
    agents.push(agent);
    const answers = (await Promise.all(
      Array.from({ length: 50 }, () =>
        agent.ask('job:status', { jobId: '00000000-0000-4000-8000-000000000000', status: 'running' }),
      ),
    )) as { error: { code: string } }[];
    const codes = new Set(answers.map((a) => a.error.code));
    expect(codes).toEqual(new Set(['forbidden', 'rate_limited']));
    const hellos = await Promise.all(Array.from({ length: 10 }, () => agent.hello()));
    expect(hellos.filter((h) => 'data' in h).length).toBeGreaterThan(0);
    expect(hellos.filter((h) => 'error' in h && h.error.code === 'rate_limited').length).toBeGreaterThan(0);
    expect(agent.connected).toBe(true);
  });

  it('history older than the retention is pruned, newer rows stay', async () => {
    const { agent, agentId } = await enrollAgent(s, 'hb-history');
    agents.push(agent);
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    for (const at of [hoursAgo(49), hoursAgo(25), hoursAgo(23), hoursAgo(1)]) {
      await s.db.query(
        'INSERT INTO agent_heartbeats (agent_id, at, load, running_jobs) VALUES ($1, $2, 0, 0)',
        [agentId, at],
      );
    }
    expect(await s.app.fleet.pruneHeartbeats()).toBeGreaterThanOrEqual(2);
    const left = await s.db.query<{ at: Date }>('SELECT at FROM agent_heartbeats WHERE agent_id = $1', [
      agentId,
    ]);
    expect(left.map((r) => r.at.getTime()).every((t) => t > Date.now() - 24 * 3_600_000)).toBe(true);
    expect(left).toHaveLength(2);
  });
});
