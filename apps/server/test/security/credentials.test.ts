import type {
  ApiTokenDto,
  AuditEntryDto,
  CreatedApiTokenDto,
  JobDto,
  Role,
  WorkflowEventMessage,
  WorkflowRun,
} from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollFakeAgent, FakeAgent } from './support/fake-agent';
import { createGitRepo, createJob, enrollAgent, issueJoinToken, registerRepository } from './support/fleet';
import { type Client, call, client, expectError } from './support/http';
import { eventually, startRun, WORKFLOWS, waitForRun } from './support/runs';
import { type SecurityServer, startSecurityServer, TEST_ADMIN_TOKEN } from './support/server';
import { askAny, connectWeb, disconnection, handshakeRefusal } from './support/sockets';
import { createUser, login, type TestUser } from './support/users';

/**
 * Credentials end when they are taken away: revoked personal tokens, disabled or deleted users, one-time and
 * expiring join tokens, revoked agents. Agent and user credentials never stand in for each other, and an agent
 * speaks only about its own jobs.
 */

let s: SecurityServer;
let admin: Client;
/** Every user this file needs, made at once (password hashing is the slow part). */
let u: Record<string, TestUser>;
const agents: FakeAgent[] = [];
let removeRepo: () => Promise<void> = async () => {};

beforeAll(async () => {
  s = await startSecurityServer();
  admin = client(s.url, { token: TEST_ADMIN_TOKEN });
  const repo = await createGitRepo();
  removeRepo = repo.remove;
  await registerRepository(s, 'creds/app', repo.dir);
  const wanted: [string, Role][] = [
    ['cr-revoker', 'operator'],
    ['cr-owner', 'viewer'],
    ['cr-other', 'admin'],
    ['cr-disabled', 'operator'],
    ['cr-deleted', 'viewer'],
    ['cr-demoted', 'operator'],
    ['cr-starter', 'operator'],
    ['cr-watcher', 'viewer'],
    ['cr-approver', 'approver'],
  ];
  const made = await Promise.all(wanted.map(([name, role]) => createUser(s.url, name, role)));
  u = Object.fromEntries(made.map((m) => [m.username, m]));
});

afterAll(async () => {
  for (const agent of agents) agent.close();
  await s?.close();
  await removeRepo();
});

const me = (token: string) => call(s.url, 'GET', '/v1/auth/me', { creds: { token } });

describe('personal API tokens', () => {
  it('a revoked token is refused at once (401) and its open socket is cut; the other token still works', async () => {
    const user = u['cr-revoker']!;
    const second = await user.api.post<CreatedApiTokenDto>('/v1/tokens', { name: 'laptop' });
    expect(second.status).toBe(201);
    const token = second.body.token;
    expect((await me(token)).status).toBe(200);
    const socket = await connectWeb(s.url, { token });
    const cut = disconnection(socket);

    const revoked = await user.api.del<ApiTokenDto>(`/v1/tokens/${second.body.id}`);
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();

    expectError(await me(token), 401, 'unauthorized');
    expect(await cut).toBe('io server disconnect');
    expect(await handshakeRefusal(s.url, { token })).toBe('unauthorized');
    const exchange = await call(s.url, 'POST', '/v1/auth/token-login', { body: { token } });
    expectError(exchange, 401, 'unauthorized');
    expect((await user.api.get('/v1/auth/me')).status).toBe(200);
    expectError(await user.api.del(`/v1/tokens/${second.body.id}`), 404, 'not_found');
    const listed = await user.api.get<{ tokens: ApiTokenDto[] }>('/v1/tokens');
    expect(listed.body.tokens.find((t) => t.id === second.body.id)?.revokedAt).not.toBeNull();
    // Never shown again: only its hash is stored.
    expect(JSON.stringify(listed.body)).not.toContain(token);
  });

  it("nobody else can revoke a user's token, not even an admin (404), and it keeps working", async () => {
    const owner = u['cr-owner']!;
    const other = u['cr-other']!;
    expectError(await other.api.del(`/v1/tokens/${owner.tokenId}`), 404, 'not_found');
    expectError(await admin.del(`/v1/tokens/${owner.tokenId}`), 404, 'not_found');
    expect((await me(owner.token)).status).toBe(200);
  });
});

describe('users losing access', () => {
  it('disabling a user ends their sessions, tokens and sockets at once', async () => {
    const user = u['cr-disabled']!;
    const byToken = await connectWeb(s.url, { token: user.token });
    const byCookie = await connectWeb(s.url, { cookie: user.cookie });
    const cuts = [disconnection(byToken), disconnection(byCookie)];

    const res = await admin.patch(`/v1/users/${user.user.id}`, { disabled: true });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ disabled: true });

    expectError(await me(user.token), 401, 'unauthorized');
    expectError(
      await call(s.url, 'GET', '/v1/auth/me', { creds: { cookie: user.cookie } }),
      401,
      'unauthorized',
    );
    expectError(await user.web.post('/v1/tokens', { name: 'x' }), 401, 'unauthorized');
    expect(await Promise.all(cuts)).toEqual(['io server disconnect', 'io server disconnect']);
    expect(await handshakeRefusal(s.url, { token: user.token })).toBe('unauthorized');
    expect(await handshakeRefusal(s.url, { cookie: user.cookie })).toBe('unauthorized');
    const again = await call(s.url, 'POST', '/v1/auth/login', {
      body: { username: user.username, password: user.password },
    });
    expectError(again, 401, 'unauthorized');
    expectError(
      await call(s.url, 'POST', '/v1/auth/token-login', { body: { token: user.token } }),
      401,
      'unauthorized',
    );

    // Enabling the account again does not bring the ended session back.
    expect((await admin.patch(`/v1/users/${user.user.id}`, { disabled: false })).status).toBe(200);
    expectError(
      await call(s.url, 'GET', '/v1/auth/me', { creds: { cookie: user.cookie } }),
      401,
      'unauthorized',
    );
  });

  it('deleting a user ends their access at once', async () => {
    const user = u['cr-deleted']!;
    const socket = await connectWeb(s.url, { token: user.token });
    const cut = disconnection(socket);
    expect((await admin.del(`/v1/users/${user.user.id}`)).status).toBe(204);
    expectError(await me(user.token), 401, 'unauthorized');
    expectError(
      await call(s.url, 'GET', '/v1/auth/me', { creds: { cookie: user.cookie } }),
      401,
      'unauthorized',
    );
    expect(await cut).toBe('io server disconnect');
  });

  it('a role change cuts open sockets and sessions; what reconnects has the new role', async () => {
    const user = u['cr-demoted']!;
    const socket = await connectWeb(s.url, { token: user.token });
    const cut = disconnection(socket);
    expect((await admin.patch(`/v1/users/${user.user.id}`, { role: 'viewer' })).status).toBe(200);
    expect(await cut).toBe('io server disconnect');
    expectError(
      await call(s.url, 'GET', '/v1/auth/me', { creds: { cookie: user.cookie } }),
      401,
      'unauthorized',
    );
    const start = await user.api.post(`${WORKFLOWS}/start?workflow_name=auto_chain`, { who: 'x' });
    expectError(start, 403, 'forbidden');
    const again = await connectWeb(s.url, { token: user.token });
    try {
      expect(s.app.io.of('/').sockets.get(again.id!)?.data).toMatchObject({ role: 'viewer' });
    } finally {
      again.close();
    }
    const relogged = await login(s.url, user.username, user.password);
    expect(relogged.session.user.role).toBe('viewer');
  });
});

describe('join tokens', () => {
  it('a join token enrolls once: a second handshake with it is refused with "unauthorized"', async () => {
    const token = await issueJoinToken(s, 'cr-once');
    const enrolled = await enrollFakeAgent(s.app, s.url, token, 'cr-once');
    agents.push(enrolled.agent);
    expect(await FakeAgent.refusal(s.url, token, 'cr-once')).toMatch(/^unauthorized/);
    // The enrolled agent is unaffected and reconnects with its own credential.
    expect(enrolled.agent.connected).toBe(true);
  });

  it('a join token is bound to the host name it was issued for', async () => {
    const token = await issueJoinToken(s, 'cr-bound');
    expect(await FakeAgent.refusal(s.url, token, 'cr-elsewhere')).toMatch(/^unauthorized/);
    expect(await FakeAgent.refusal(s.url, token, 'cr-bound')).toBeNull();
  });

  it('an expired join token is refused with "unauthorized"', async () => {
    const ttl = s.fleetOptions.joinTokenTtlMs;
    s.fleetOptions.joinTokenTtlMs = 150;
    let issued!: { token: string; expiresAt: string };
    try {
      const res = await admin.post<{ token: string; expiresAt: string }>('/v1/agents/join-tokens', {
        hostname: 'cr-expired',
      });
      expect(res.status, res.text).toBe(201);
      issued = res.body;
    } finally {
      s.fleetOptions.joinTokenTtlMs = ttl;
    }
    expect(Date.parse(issued.expiresAt) - Date.now()).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(issued.expiresAt) - Date.now()) + 100));
    expect(await FakeAgent.refusal(s.url, issued.token, 'cr-expired')).toMatch(/^unauthorized/);
  });

  it('join tokens and agent credentials are not user credentials, and user tokens are not agent credentials', async () => {
    const joinToken = await issueJoinToken(s, 'cr-mixed');
    const { agent, hostname } = await enrollAgent(s, 'cr-mixed-agent');
    agents.push(agent);
    for (const token of [joinToken, agent.credential!]) {
      expectError(await me(token), 401, 'unauthorized');
      expect(await handshakeRefusal(s.url, { token })).toBe('unauthorized');
      expectError(
        await call(s.url, 'POST', '/v1/auth/token-login', { body: { token } }),
        401,
        'unauthorized',
      );
    }
    expect(await FakeAgent.refusal(s.url, TEST_ADMIN_TOKEN, hostname)).toMatch(/^unauthorized/);
    expect(await FakeAgent.refusal(s.url, TEST_ADMIN_TOKEN, 'cr-mixed')).toMatch(/^unauthorized/);
  });

  it('a register_agent run shows its join token to nobody but its starter or an admin, and only on request', async () => {
    const operator = u['cr-starter']!;
    const viewer = u['cr-watcher']!;
    const approver = u['cr-approver']!;
    const watching = await connectWeb(s.url, { token: viewer.token });
    const seen: WorkflowEventMessage[] = [];
    watching.on('workflow:event', (e) => seen.push(e));
    await askAny(watching, 'workflows:subscribe', {});
    try {
      const run = await startRun(operator.api, 'register_agent', { hostname: 'cr-secret-host' });
      const issuing = await waitForRun(
        operator.api,
        run.id,
        (r) => r.steps[0]!.status === 'completed',
        'join token',
      );
      // The transition that issued the token reached the watcher as a patch: that is what must not hold it.
      const issued = await eventually(
        'the socket to see the join token step complete',
        async () => seen.find((e) => e.runId === run.id && e.type === 'step.completed'),
        (e) => e !== undefined,
      );
      expect(issued!.stepId).toBe(issuing.steps[0]!.id);
      expect(issued!.run).toBeUndefined();
      expect(issued!.patch?.steps?.[issued!.stepId!]).toBeDefined();
      const JOIN_TOKEN = /dbj_[\w-]{20,}/;
      for (const who of [viewer, approver, operator]) {
        const read = await who.api.get<WorkflowRun>(`${WORKFLOWS}/${run.id}`);
        expect(read.text, `${who.role} reads the run`).not.toMatch(JOIN_TOKEN);
        const list = await who.api.get(`${WORKFLOWS}?state=all`);
        expect(list.text).not.toMatch(JOIN_TOKEN);
        const events = await who.api.get(`${WORKFLOWS}/${run.id}/events`);
        expect(events.text).not.toMatch(JOIN_TOKEN);
      }
      expect(JSON.stringify(seen)).not.toMatch(JOIN_TOKEN);
      expect(seen.length).toBeGreaterThan(0);

      const reveal = (c: Client) =>
        c.post<{ secrets: Record<string, string> }>(`${WORKFLOWS}/${run.id}/reveal`);
      expectError(await reveal(viewer.api), 403, 'forbidden');
      expectError(await reveal(approver.api), 403, 'forbidden');
      const own = await reveal(operator.api);
      expect(own.status, own.text).toBe(200);
      expect(own.body.secrets.join_token).toMatch(JOIN_TOKEN);
      expect((await reveal(admin)).body.secrets.join_token).toBe(own.body.secrets.join_token);
      const audit = await admin.get<{ entries: AuditEntryDto[] }>('/v1/audit?action=workflow.reveal');
      expect(audit.body.entries.map((e) => [e.actor, e.target])).toEqual(
        expect.arrayContaining([
          [operator.username, run.id],
          ['admin', run.id],
        ]),
      );
      expect(JSON.stringify(audit.body)).not.toMatch(JOIN_TOKEN);
      await operator.api.post(`${WORKFLOWS}/${run.id}/cancel`, {});
    } finally {
      watching.close();
    }
  });
});

describe('agent credentials', () => {
  it('a revoked agent is disconnected at once and its credential refused', async () => {
    const { agent, agentId, hostname } = await enrollAgent(s, 'cr-revoked');
    agents.push(agent);
    expect(agent.connected).toBe(true);
    const cut = agent.disconnected();
    const res = await admin.del(`/v1/agents/${agentId}`);
    expect(res.status, res.text).toBe(200);
    expect(await cut).toBe('io server disconnect');
    expect(await FakeAgent.refusal(s.url, agent.credential!, hostname)).toMatch(/^unauthorized/);
    expectError(await admin.get(`/v1/agents/${agentId}`), 404, 'not_found');
    const audit = await admin.get<{ entries: AuditEntryDto[] }>('/v1/audit?action=agent.revoke');
    expect(audit.body.entries).toContainEqual(expect.objectContaining({ actor: 'admin', target: hostname }));
  });

  it('an agent credential only opens its own host name', async () => {
    const a = await enrollAgent(s, 'cr-host-a');
    const b = await enrollAgent(s, 'cr-host-b');
    agents.push(a.agent, b.agent);
    expect(await FakeAgent.refusal(s.url, a.agent.credential!, 'cr-host-b')).toMatch(/^unauthorized/);
    expect(b.agent.connected).toBe(true);
  });

  it("an agent cannot report status or logs for another agent's job", async () => {
    const a = await enrollAgent(s, 'cr-intruder');
    const b = await enrollAgent(s, 'cr-victim');
    agents.push(a.agent, b.agent);
    const job = await createJob(s, 'creds/app', 'cr-victim');
    await eventually(
      'the job to reach its agent',
      async () => b.agent.assigned.length,
      (n) => n > 0,
    );
    const before = (await admin.get<JobDto>(`/v1/jobs/${job.id}`)).body;

    for (const update of [
      { jobId: job.id, status: 'running' },
      { jobId: job.id, status: 'failed', error: 'sabotaged', cause: 'step_failed' },
      { jobId: job.id, status: 'success', exitCode: 0 },
      { jobId: job.id, status: 'cancelled' },
    ]) {
      const ack = (await a.agent.ask('job:status', update)) as { error?: { code: string; message: string } };
      expect(ack.error?.code, JSON.stringify(ack)).toBe('forbidden');
      expect(Object.keys(ack)).toEqual(['error']);
    }
    a.agent.emit('job:logs', {
      jobId: job.id,
      lines: [{ seq: 0, stream: 'stdout', line: 'forged line', at: new Date().toISOString() }],
    });
    // The agent that owns the job still can report (and its report is the only one that counts).
    const own = (await b.agent.ask('job:status', { jobId: job.id, status: 'running' })) as { data?: unknown };
    expect(own.data).toEqual({ ok: true });
    const after = (await admin.get<JobDto>(`/v1/jobs/${job.id}`)).body;
    expect(after).toMatchObject({ ...before, status: 'running', startedAt: expect.any(String) });
    expect(after.error).toBeNull();
    const logs = await admin.get<{ lines: { line: string }[] }>(`/v1/jobs/${job.id}/logs`);
    expect(logs.body.lines.map((l) => l.line)).not.toContain('forged line');
    expect(a.agent.connected).toBe(true);
  });

  it('an agent still enrolling (join token, not registered) cannot report on any job', async () => {
    const victim = await enrollAgent(s, 'cr-victim-2');
    agents.push(victim.agent);
    const job = await createJob(s, 'creds/app', 'cr-victim-2');
    const token = await issueJoinToken(s, 'cr-newcomer');
    const newcomer = await FakeAgent.connect(s.url, token, 'cr-newcomer');
    agents.push(newcomer);
    await newcomer.hello();
    const ack = (await newcomer.ask('job:status', { jobId: job.id, status: 'failed' })) as {
      error?: { code: string };
    };
    expect(ack.error?.code).toBe('forbidden');
    expect((await admin.get<JobDto>(`/v1/jobs/${job.id}`)).body.status).toBe('pending');
  });
});
