import type { AgentDto, AuditEntryDto, EnrollmentDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_INFO, FakeAgent } from './support/fake-agent';
import { enrollAgent, issueJoinToken } from './support/fleet';
import { type Client, client, expectError } from './support/http';
import { eventually, startRun, WORKFLOWS, waitForRun } from './support/runs';
import { type SecurityServer, startSecurityServer, TEST_ADMIN_TOKEN } from './support/server';
import { createUser, type TestUser } from './support/users';

/**
 * One live connection per agent and per join token: the first keeps its place, a second is refused while the
 * first answers a ping. A person's approval names the connection they reviewed, so a connection that takes the
 * join token later never receives the credential. Join tokens from POST /v1/agents/join-tokens are finished by
 * an admin's approval of the connection (audited).
 */

let s: SecurityServer;
let admin: Client;
let operator: TestUser;
let viewer: TestUser;
const agents: FakeAgent[] = [];

beforeAll(async () => {
  // A short ping deadline: the half-dead cases wait for it once each. Long enough that a live connection in
  // this same busy process always answers in time (300 ms was not, with both cores kept busy).
  s = await startSecurityServer({ fleet: { probeTimeoutMs: 2_000 } });
  admin = client(s.url, { token: TEST_ADMIN_TOKEN });
  [operator, viewer] = await Promise.all([
    createUser(s.url, 'ac-operator', 'operator'),
    createUser(s.url, 'ac-viewer', 'viewer'),
  ]);
});

afterAll(async () => {
  for (const agent of agents) agent.close();
  await s?.close();
});

const track = (agent: FakeAgent) => {
  agents.push(agent);
  return agent;
};

/** The agent stops answering: what a connection left half-dead by a network failure looks like. */
const goHalfDead = (agent: FakeAgent) => agent.socket.off('agent:ping');

const pending = async (as: Client = admin) =>
  (await as.get<{ enrollments: EnrollmentDto[] }>('/v1/agents/enrollments')).body.enrollments;

async function connectEnrolling(token: string, hostname: string): Promise<FakeAgent> {
  const agent = track(await FakeAgent.connect(s.url, token, hostname));
  expect(await agent.hello()).toMatchObject({ data: { agentId: 'enrolling' } });
  return agent;
}

describe('one live connection per agent', () => {
  it('a second connection with the credential is refused while the first answers; the first stays', async () => {
    const { agent, agentId, hostname } = await enrollAgent(s, 'ac-single');
    track(agent);
    expect(await FakeAgent.refusal(s.url, agent.credential!, hostname)).toMatch(
      /^conflict: this agent is already connected/,
    );
    expect(agent.connected).toBe(true);
    expect(s.app.fleet.gateway.isConnected(agentId)).toBe(true);
    // The server still talks to the first connection.
    expect(await s.app.fleet.gateway.ping({ agentId })).toMatchObject({ rttMs: expect.any(Number) });
    expect((await admin.get<AgentDto>(`/v1/agents/${agentId}`)).body.status).toBe('online');
  });

  it('a connection that no longer answers is replaced by the agent dialling again', async () => {
    const { agent: old, agentId, hostname } = await enrollAgent(s, 'ac-redial');
    track(old);
    goHalfDead(old);
    const cut = old.disconnected();
    const fresh = track(await FakeAgent.connect(s.url, old.credential!, hostname));
    expect(await cut).toBe('io server disconnect');
    expect(await fresh.hello()).toMatchObject({ data: { agentId } });
    expect(await s.app.fleet.gateway.ping({ agentId })).toMatchObject({ rttMs: expect.any(Number) });
  });

  it('of simultaneous handshakes with one credential, exactly one connects', async () => {
    const { agent, agentId, hostname } = await enrollAgent(s, 'ac-race');
    agent.close();
    await eventually(
      'the agent gone',
      async () => s.app.fleet.gateway.isConnected(agentId),
      (c) => !c,
    );
    const tries = await Promise.allSettled(
      Array.from({ length: 6 }, () => FakeAgent.connect(s.url, agent.credential!, hostname)),
    );
    for (const t of tries) if (t.status === 'fulfilled') track(t.value);
    const won = tries.filter((t) => t.status === 'fulfilled');
    const refused = tries.flatMap((t) => (t.status === 'rejected' ? [(t.reason as Error).message] : []));
    expect(won).toHaveLength(1);
    for (const reason of refused) expect(reason).toMatch(/^conflict:/);
  });
});

describe('one live connection per join token; approvals bound to the connection reviewed', () => {
  it('the first connection with a join token keeps it; a second is refused', async () => {
    const token = await issueJoinToken(s, 'ac-first');
    const first = await connectEnrolling(token, 'ac-first');
    expect(await FakeAgent.refusal(s.url, token, 'ac-first')).toMatch(
      /^conflict: an agent is already enrolling/,
    );
    expect(first.connected).toBe(true);
    expect((await pending()).filter((e) => e.hostname === 'ac-first')).toHaveLength(1);
  });

  it('a newcomer after the reviewed connection dropped gets no credential from that approval', async () => {
    const token = await issueJoinToken(s, 'ac-hijack');
    const reviewed = await connectEnrolling(token, 'ac-hijack');
    const seen = (await pending()).find((e) => e.hostname === 'ac-hijack')!;
    expect(seen).toMatchObject({ address: '127.0.0.1', info: AGENT_INFO });

    goHalfDead(reviewed);
    const newcomer = await connectEnrolling(token, 'ac-hijack');
    const approval = await admin.post(`/v1/agents/enrollments/${seen.id}/approve`, {
      environment: 'production',
    });
    expectError(approval, 404, 'not_found');
    expect(newcomer.credential).toBeNull();
    expectError(await admin.get('/v1/agents/ac-hijack'), 404, 'not_found');

    // The newcomer is a different connection: it has to be reviewed (and approved) in its own right.
    const listed = (await pending()).filter((e) => e.hostname === 'ac-hijack');
    expect(listed).toHaveLength(1);
    expect(listed[0]!.id).not.toBe(seen.id);
  });

  it('register_agent: if the connection checked is replaced, the register step fails and nothing is registered', async () => {
    const hostname = 'ac-run-hijack';
    const run = await startRun(admin, 'register_agent', { hostname });
    await waitForRun(admin, run.id, (r) => r.steps[0]!.status === 'completed', 'the join token');
    const revealed = await admin.post<{ secrets: { join_token: string } }>(`${WORKFLOWS}/${run.id}/reveal`);
    const token = revealed.body.secrets.join_token;
    const reviewed = await connectEnrolling(token, hostname);
    const awaiting = (step: string) => (r: WorkflowRun) =>
      r.currentStep === step && r.steps.find((x) => x.id === step)?.status === 'awaiting_approval';
    await waitForRun(admin, run.id, awaiting('check_connectivity'), 'the connectivity check');
    // A run's enrollment is decided in the run, not through the enrollments endpoint.
    expect((await pending()).map((e) => e.hostname)).not.toContain(hostname);
    const approve = (step: string) =>
      admin.post(`${WORKFLOWS}/${run.id}/approve`, { approved: true, step_id: step });
    expect((await approve('check_connectivity')).status).toBe(200);
    await waitForRun(admin, run.id, awaiting('register'), 'the register plan');

    goHalfDead(reviewed);
    const newcomer = await connectEnrolling(token, hostname);
    expect((await approve('register')).status).toBe(200);
    const failed = await waitForRun(admin, run.id, (r) => r.status === 'failed', 'the run to fail');
    expect(failed.error).toMatch(/reviewed at check_connectivity .* is gone; nothing was registered/);
    expect(newcomer.credential).toBeNull();
    expectError(await admin.get(`/v1/agents/${hostname}`), 404, 'not_found');
  });
});

describe('join tokens from POST /v1/agents/join-tokens', () => {
  it('the connected agent waits as an enrollment until an admin approves it (audited), then works with its credential', async () => {
    const token = await issueJoinToken(s, 'ac-scripted');
    const agent = await connectEnrolling(token, 'ac-scripted');
    const listed = (await pending(viewer.api)).find((e) => e.hostname === 'ac-scripted')!;
    expect(listed).toMatchObject({ hostname: 'ac-scripted', address: '127.0.0.1', info: AGENT_INFO });
    const path = `/v1/agents/enrollments/${listed.id}/approve`;

    expectError(await operator.api.post(path, { environment: 'staging' }), 403, 'forbidden');
    expectError(await admin.post(path, { labels: { tier: 'web' } }), 400, 'validation_failed');
    const res = await admin.post<{ agent: AgentDto; checks: unknown[] }>(path, {
      environment: 'staging',
      labels: { tier: 'web' },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.agent).toMatchObject({
      hostname: 'ac-scripted',
      environment: 'staging',
      labels: { tier: 'web' },
      status: 'online',
      registeredBy: 'admin',
    });
    expect(res.body.checks).toEqual([]);
    expect(agent.credential).toMatch(/^dba_/);
    expect((await pending()).map((e) => e.hostname)).not.toContain('ac-scripted');
    expectError(await admin.post(path, { environment: 'staging' }), 404, 'not_found');

    const audit = await admin.get<{ entries: AuditEntryDto[] }>('/v1/audit?action=agent.enroll');
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({ actor: 'admin', target: 'ac-scripted', action: 'agent.enroll' }),
    );
    // The join token is used up; the credential is what the agent comes back with.
    agent.close();
    await eventually(
      'the agent gone',
      async () => s.app.fleet.gateway.isConnected(res.body.agent.id),
      (c) => !c,
    );
    expect(await FakeAgent.refusal(s.url, token, 'ac-scripted')).toMatch(/^unauthorized/);
    const back = track(await FakeAgent.connect(s.url, agent.credential!, 'ac-scripted'));
    expect(await back.hello()).toMatchObject({ data: { agentId: res.body.agent.id } });
  });

  it('an admin can reject an enrollment: its connection is cut and its join token revoked (audited)', async () => {
    const token = await issueJoinToken(s, 'ac-unwanted');
    const agent = await connectEnrolling(token, 'ac-unwanted');
    const { id } = (await pending()).find((e) => e.hostname === 'ac-unwanted')!;
    expectError(await operator.api.post(`/v1/agents/enrollments/${id}/reject`), 403, 'forbidden');
    const cut = agent.disconnected();
    expect((await admin.post(`/v1/agents/enrollments/${id}/reject`)).status).toBe(204);
    expect(await cut).toBe('io server disconnect');
    expect(await FakeAgent.refusal(s.url, token, 'ac-unwanted')).toMatch(/^unauthorized/);
    expectError(await admin.get('/v1/agents/ac-unwanted'), 404, 'not_found');
    const audit = await admin.get<{ entries: AuditEntryDto[] }>('/v1/audit?action=agent.enroll_reject');
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({ actor: 'admin', target: 'ac-unwanted' }),
    );
  });

  it('an enrollment id that is not a UUID is refused with 400', async () => {
    expectError(
      await admin.post('/v1/agents/enrollments/nope/approve', { environment: 'x' }),
      400,
      'validation_failed',
    );
  });
});
