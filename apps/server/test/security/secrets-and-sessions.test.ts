import {
  type AuditEntryDto,
  applyRunPatch,
  type SessionDto,
  type WorkflowEventMessage,
  type WorkflowRun,
} from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../src/engine/types';
import { dumpDatabase } from './support/db';
import type { FakeAgent } from './support/fake-agent';
import { createGitRepo, createJob, enrollAgent, registerRepository } from './support/fleet';
import { type Client, call, client, expectError, type Res } from './support/http';
import { eventually, hasStatus, startRun, WORKFLOWS, waitForRun, waitingAt } from './support/runs';
import { type SecurityServer, startSecurityServer, TEST_ADMIN_TOKEN } from './support/server';
import { askAny, connectWeb, disconnection, handshakeRefusal, type WebSocketClient } from './support/sockets';
import { createUser, login, type TestUser } from './support/users';

/**
 * Secret inputs never leave the engine in clear (database, logs, sockets, REST, audit); logins are audited and
 * rate-limited, sessions are strict cookies that logout ends; every answer carries the security headers, and
 * browsers of other origins get neither CORS access nor a socket.
 */

const API_KEY = 'sk-live-Q7v2ZrXw9vPqLm3N8hT4';
const DB_PASSWORD = 'pg-pass-Zt8Yw4Kd1Qs6Vb0R';
const REDACTED = '••••••';
const ALLOWED_ORIGIN = 'https://console.deploybot.example';
const FOREIGN_ORIGIN = 'https://evil.example';
const LOGIN_LIMIT = 15;

/** A workflow with a secret start input and a step asking for a secret; its handlers check they see both in clear. */
const rotateCredentials: WorkflowDefinition = {
  name: 'rotate_credentials',
  title: 'Rotate credentials',
  description: 'Checks an API key, asks for the database password, rotates both after approval.',
  version: 1,
  inputs: [
    { key: 'service', label: 'Service', type: 'text', required: true },
    { key: 'api_key', label: 'API key', type: 'secret', required: true },
  ],
  steps: [
    {
      id: 'check_key',
      title: 'Check key',
      description: 'Looks at the key.',
      kind: 'automatic',
      run: async (ctx) => ({
        summary: `Checked a ${String(ctx.context.api_key).length}-character key for ${String(ctx.context.service)}`,
        data: { keyInClear: ctx.context.api_key === API_KEY },
      }),
    },
    {
      id: 'ask_password',
      title: 'Database password',
      description: 'The password to rotate.',
      kind: 'input',
      input: () => ({ key: 'db_password', label: 'Database password', type: 'secret', required: true }),
    },
    {
      id: 'confirm',
      title: 'Confirm rotation',
      description: 'Rotate once approved.',
      kind: 'gate',
      plan: async (ctx) => ({
        summary: 'Will rotate the key and the password',
        data: { passwordInClear: ctx.context.db_password === DB_PASSWORD },
      }),
      apply: async () => ({ summary: 'Rotated', data: null }),
    },
    {
      id: 'finish',
      title: 'Finish',
      description: 'Reports.',
      kind: 'automatic',
      run: async (ctx) => ({
        summary: 'Both rotated',
        data: { bothInClear: ctx.context.api_key === API_KEY && ctx.context.db_password === DB_PASSWORD },
      }),
    },
  ],
};

const APPROVAL_CODE = 'otp-4f9K2mQ8xZ1w';

/** A gate that takes a secret with the approval (a one-time code) and uses it in `apply`. */
const secretGate: WorkflowDefinition = {
  name: 'secret_gate',
  title: 'Secret gate',
  description: 'An approval that carries a one-time code.',
  version: 1,
  inputs: [],
  steps: [
    {
      id: 'unlock',
      title: 'Unlock',
      description: 'Approve with the one-time code.',
      kind: 'gate',
      plan: async () => ({ summary: 'Needs the code', data: null }),
      input: () => ({ key: 'code', label: 'One-time code', type: 'secret', required: true }),
      apply: async (_ctx, _plan, decision) => ({
        summary: 'Unlocked',
        data: { codeInClear: decision.input === APPROVAL_CODE },
      }),
    },
  ],
};

let s: SecurityServer;
let admin: Client;
let users: Record<'operator' | 'approver' | 'watcher', TestUser>;
let agent: FakeAgent | undefined;
let removeRepo: () => Promise<void> = async () => {};

beforeAll(async () => {
  s = await startSecurityServer({
    security: { loginLimitPerMinute: LOGIN_LIMIT, corsOrigins: [ALLOWED_ORIGIN] },
    workflows: [rotateCredentials, secretGate],
    captureLogs: true,
  });
  admin = client(s.url, { token: TEST_ADMIN_TOKEN });
  const [operator, approver, watcher] = await Promise.all([
    createUser(s.url, 'ss-operator', 'operator'),
    createUser(s.url, 'ss-approver', 'approver'),
    createUser(s.url, 'ss-watcher', 'viewer'),
  ]);
  users = { operator, approver, watcher };
});

afterAll(async () => {
  agent?.close();
  await s?.close();
  await removeRepo();
});

/** Everything a secret could hide in when it leaks by encoding rather than verbatim. */
const forms = (secret: string) => [
  secret,
  Buffer.from(secret).toString('base64'),
  Buffer.from(secret).toString('hex'),
  encodeURIComponent(secret),
];

function expectNoSecret(where: string, text: string): void {
  for (const secret of [API_KEY, DB_PASSWORD]) {
    for (const form of forms(secret)) {
      expect(text.includes(form), `${where} contains ${secret} (as ${form})`).toBe(false);
    }
  }
}

describe('secret inputs', () => {
  it('appear nowhere in clear (database, logs, socket events, REST answers, audit) and read ••••••', async () => {
    const answers: Res[] = [];
    /** Every message both sockets received, raw: patches and runs alike must hold no secret. */
    const events: WorkflowEventMessage[] = [];
    /** What the client watching every run received, to rebuild the run from. */
    const watched: WorkflowEventMessage[] = [];
    const sockets: WebSocketClient[] = [];
    const record = <T extends Res>(res: T) => {
      answers.push(res);
      return res;
    };
    try {
      // A client watching every run, and one watching the run itself once it exists.
      const all = await connectWeb(s.url, { token: users.watcher.token });
      sockets.push(all);
      all.on('workflow:event', (e) => {
        events.push(e);
        watched.push(e);
      });
      await askAny(all, 'workflows:subscribe', {});

      // A refused start carrying the secret does not echo it.
      const refused = await users.operator.api.post(`${WORKFLOWS}/start?workflow_name=rotate_credentials`, {
        service: 42,
        api_key: API_KEY,
      });
      expectError(record(refused), 400, 'validation_failed');

      const started = record(
        await users.operator.api.post<WorkflowRun>(`${WORKFLOWS}/start?workflow_name=rotate_credentials`, {
          service: 'billing',
          api_key: API_KEY,
        }),
      );
      expect(started.status, started.text).toBe(201);
      const runId = started.body.id;
      const one = await connectWeb(s.url, { token: users.approver.token });
      sockets.push(one);
      one.on('workflow:event', (e) => events.push(e));
      const snapshot = await askAny(one, 'workflow:subscribe', { runId });
      answers.push({ status: 200, text: JSON.stringify(snapshot) } as Res);

      await waitForRun(admin, runId, waitingAt('ask_password'), 'password step');
      const input = record(
        await users.operator.api.post<WorkflowRun>(`${WORKFLOWS}/${runId}/input`, { value: DB_PASSWORD }),
      );
      expect(input.status, input.text).toBe(200);
      await waitForRun(admin, runId, waitingAt('confirm'), 'confirm gate');
      const approved = record(
        await users.approver.api.post<WorkflowRun>(`${WORKFLOWS}/${runId}/approve`, {
          approved: true,
          note: 'rotate',
        }),
      );
      expect(approved.status, approved.text).toBe(200);
      const done = await waitForRun(admin, runId, hasStatus('completed', 'failed'), 'the end');
      expect(done.status, done.error ?? '').toBe('completed');

      // The handlers saw both values in clear: sealing does not get in the way of the work.
      const step = (id: string) => done.steps.find((x) => x.id === id)!;
      expect(step('check_key').data).toEqual({ keyInClear: true });
      expect(step('confirm').plan?.data).toEqual({ passwordInClear: true });
      expect(step('finish').data).toEqual({ bothInClear: true });
      // Where the values were, the API shows the mask.
      expect(done.context.api_key).toBe(REDACTED);
      expect(done.context.db_password).toBe(REDACTED);
      expect(step('ask_password').summary).toBe(`Database password: ${REDACTED}`);
      expect(step('ask_password').decisions[0]!.input).toBe(REDACTED);
      expect(step('ask_password').data).toEqual({ db_password: REDACTED });

      for (const [who, api] of [
        ['operator', users.operator.api],
        ['watcher', users.watcher.api],
        ['admin', admin],
      ] as const) {
        for (const path of [
          `${WORKFLOWS}/${runId}`,
          `${WORKFLOWS}/${runId}/events`,
          `${WORKFLOWS}?state=all`,
          `${WORKFLOWS}?state=past&name=rotate_credentials`,
        ]) {
          const res = record(await api.get(path));
          expect(res.status, `${who} GET ${path}`).toBe(200);
        }
      }
      // The audit trail lists transitions, not how they are stored: no patch, nothing sealed.
      const trail = await admin.get(`${WORKFLOWS}/${runId}/events`);
      expect(trail.text).not.toContain('$secret');
      expect(trail.text).not.toContain('"patch"');
      record(await admin.get('/v1/audit?limit=1000'));
      expect(events.filter((e) => e.runId === runId).length).toBeGreaterThan(5);
      expect(JSON.stringify(events)).toContain(REDACTED);
      // The password came in by a transition after the first: its message carries a patch, with the mask in it.
      const typed = events.find((e) => e.runId === runId && e.type === 'step.input_received');
      expect(typed?.run).toBeUndefined();
      expect(JSON.stringify(typed?.patch)).toContain(REDACTED);
      // Patches carry the same masked values the API shows: rebuilt from them, the run is the one REST returns.
      const mine = (
        await eventually(
          'the last event on the socket watching every run',
          async () => watched.filter((e) => e.runId === runId),
          (seen) => seen.some((e) => e.seq === done.seq),
        )
      ).sort((a, b) => a.seq - b.seq);
      const [first, ...later] = mine;
      expect(first?.seq).toBe(1);
      const rebuilt = later.reduce((run, e) => applyRunPatch(run, e, e.patch ?? null), first!.run!);
      expect(rebuilt).toEqual((await admin.get<WorkflowRun>(`${WORKFLOWS}/${runId}`)).body);

      answers.forEach((res, i) => {
        expectNoSecret(`REST/ack answer #${i}`, res.text);
      });
      expectNoSecret('socket events', JSON.stringify(events));
      expectNoSecret('controller logs', s.logs());
      const dump = await dumpDatabase(s.db);
      expect(Object.keys(dump)).toEqual(
        expect.arrayContaining(['workflow_runs', 'workflow_commits', 'audit_log']),
      );
      for (const [table, rows] of Object.entries(dump)) expectNoSecret(`table ${table}`, rows.join('\n'));
      expect(dump.workflow_runs!.join('\n')).toContain('$secret');
    } finally {
      for (const socket of sockets) socket.close();
    }
  });

  it('a run started from a conversation keeps its secret out of the chat as well', async () => {
    const session = await users.operator.api.post<{ id: string }>('/v1/ai/sessions', { title: 'rotation' });
    expect(session.status, session.text).toBe(201);
    const started = await users.operator.api.post<WorkflowRun>(
      `/v1/ai/sessions/${session.body.id}/runs?workflow_name=rotate_credentials`,
      { service: 'search', api_key: API_KEY },
    );
    expect(started.status, started.text).toBe(201);
    await waitForRun(admin, started.body.id, waitingAt('ask_password'), 'password step');
    await users.operator.api.post(`${WORKFLOWS}/${started.body.id}/input`, { value: DB_PASSWORD });
    await waitForRun(admin, started.body.id, waitingAt('confirm'), 'confirm gate');
    const chat = await users.operator.api.post('/v1/ai/chat', {
      message: 'what is the status of my run?',
      session_id: session.body.id,
    });
    expect(chat.status, chat.text).toBe(200);
    const history = await users.operator.api.get(`/v1/ai/sessions/${session.body.id}/history`);
    expectNoSecret('chat reply', chat.text);
    expectNoSecret('chat history', history.text);
    const dump = await dumpDatabase(s.db);
    for (const [table, rows] of Object.entries(dump)) expectNoSecret(`table ${table}`, rows.join('\n'));
    expectNoSecret('controller logs', s.logs());
    await users.operator.api.post(`${WORKFLOWS}/${started.body.id}/cancel`, {});
  });

  it('a secret given with an approval is sealed, shown as ••••••, and reaches the gate in clear', async () => {
    const run = await startRun(users.operator.api, 'secret_gate');
    await waitForRun(admin, run.id, waitingAt('unlock'), 'unlock gate');
    const approved = await users.approver.api.post<WorkflowRun>(`${WORKFLOWS}/${run.id}/approve`, {
      approved: true,
      user_input: APPROVAL_CODE,
    });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.text).not.toContain(APPROVAL_CODE);
    const done = await waitForRun(admin, run.id, hasStatus('completed', 'failed'), 'the end');
    expect(done.steps[0]!.decisions[0]!.input).toBe(REDACTED);
    const dump = await dumpDatabase(s.db);
    expect(Object.values(dump).flat().join('\n')).not.toContain(APPROVAL_CODE);
    expect(done.status, done.error ?? '').toBe('completed');
    expect(done.steps[0]!.data, "the gate's apply got the sealed envelope, not the code").toEqual({
      codeInClear: true,
    });
  });
});

describe('login and sessions', () => {
  it('a wrong password is 401 and audited as auth.login_failed; an unknown user gets the same answer', async () => {
    const since = new Date().toISOString();
    const wrong = await call(s.url, 'POST', '/v1/auth/login', {
      body: { username: users.operator.username, password: 'not-the-password' },
    });
    const message = expectError(wrong, 401, 'unauthorized').message;
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const unknown = await call(s.url, 'POST', '/v1/auth/login', {
      body: { username: 'ss-nobody', password: 'not-the-password' },
    });
    expect(expectError(unknown, 401, 'unauthorized').message).toBe(message);
    const audit = await admin.get<{ entries: AuditEntryDto[] }>('/v1/audit?action=auth.login_failed');
    const recent = audit.body.entries.filter((e) => e.at >= since);
    expect(recent.map((e) => e.actor).sort()).toEqual([users.operator.username, 'ss-nobody'].sort());
    expect(JSON.stringify(recent)).not.toContain('not-the-password');
  });

  it('a successful login sets an httpOnly, SameSite=Strict session cookie whose value is stored nowhere', async () => {
    const res = await call<SessionDto>(s.url, 'POST', '/v1/auth/login', {
      body: { username: users.watcher.username, password: users.watcher.password },
    });
    expect(res.status, res.text).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^deploybot_session=[\w-]{30,};/);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*SameSite=Strict/i);
    expect(setCookie).toMatch(/;\s*Path=\//i);
    expect(res.body.user).toMatchObject({ username: users.watcher.username, role: 'viewer' });
    expect(res.body.csrfToken.length).toBeGreaterThanOrEqual(20);
    expect(res.text).not.toMatch(/password|scrypt/i);
    const cookieValue = setCookie.split(';')[0]!.split('=')[1]!;
    const dump = await dumpDatabase(s.db);
    expect(Object.values(dump).flat().join('\n')).not.toContain(cookieValue);
    const meRes = await call(s.url, 'GET', '/v1/auth/me', {
      creds: { cookie: `deploybot_session=${cookieValue}` },
    });
    expect(meRes.status).toBe(200);
  });

  it('logout ends the session: the cookie is cleared and no longer accepted', async () => {
    const session = await login(s.url, users.approver.username, users.approver.password);
    const out = await call(s.url, 'POST', '/v1/auth/logout', {
      creds: { cookie: session.cookie, csrf: session.csrf },
    });
    expect(out.status, out.text).toBe(204);
    expect(out.headers.get('set-cookie') ?? '').toMatch(/deploybot_session=;.*Expires=Thu, 01 Jan 1970/i);
    expectError(
      await call(s.url, 'GET', '/v1/auth/me', { creds: { cookie: session.cookie } }),
      401,
      'unauthorized',
    );
    const write = await call(s.url, 'POST', '/v1/tokens', {
      creds: { cookie: session.cookie, csrf: session.csrf },
      body: { name: 'after logout' },
    });
    expectError(write, 401, 'unauthorized');
    expect(await handshakeRefusal(s.url, { cookie: session.cookie })).toBe('unauthorized');
    // The user's other credentials are untouched.
    expect((await users.approver.api.get('/v1/auth/me')).status).toBe(200);
  });

  it('logout also cuts the sockets that session opened', async () => {
    const session = await login(s.url, users.watcher.username, users.watcher.password);
    const socket = await connectWeb(s.url, { cookie: session.cookie });
    try {
      const cut = disconnection(socket, 2000);
      const out = await call(s.url, 'POST', '/v1/auth/logout', {
        creds: { cookie: session.cookie, csrf: session.csrf },
      });
      expect(out.status).toBe(204);
      await expect(cut, 'a socket of an ended session keeps receiving live data').resolves.toBe(
        'io server disconnect',
      );
    } finally {
      socket.close();
    }
  });

  it('the audit log (admin) shows logins, token changes, decisions, agent enrollment and revocation, and job creation, with who and when', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    // Token changes.
    const token = await users.watcher.api.post<{ id: string }>('/v1/tokens', { name: 'audited' });
    await users.watcher.api.del(`/v1/tokens/${token.body.id}`);
    // A decision.
    const run = await startRun(users.operator.api, 'two_gates');
    await waitForRun(admin, run.id, waitingAt('first_gate'), 'first gate');
    await users.approver.api.post(`${WORKFLOWS}/${run.id}/approve`, { approved: true });
    // Agent enrollment and revocation, and a job.
    const repo = await createGitRepo();
    removeRepo = repo.remove;
    await registerRepository(s, 'audit/app', repo.dir);
    const enrolled = await enrollAgent(s, 'ss-audited');
    agent = enrolled.agent;
    const job = await createJob(s, 'audit/app', 'ss-audited');
    await admin.del(`/v1/agents/${enrolled.agentId}`);

    const res = await admin.get<{ entries: AuditEntryDto[] }>('/v1/audit?limit=1000');
    expect(res.status).toBe(200);
    const entries = res.body.entries.filter((e) => e.at >= since);
    const has = (actor: string, action: string, target?: string | null) => {
      const found = entries.find(
        (e) => e.actor === actor && e.action === action && (target === undefined || e.target === target),
      );
      expect(found, `audit ${actor} ${action} ${target ?? ''}`).toBeDefined();
      expect(Date.parse(found!.at)).toBeGreaterThan(Date.parse(since));
      expect(Date.parse(found!.at)).toBeLessThanOrEqual(Date.now());
    };
    has(users.watcher.username, 'auth.login', users.watcher.username);
    has(users.operator.username, 'auth.login_failed');
    has(users.approver.username, 'auth.logout');
    has(users.watcher.username, 'token.create', token.body.id);
    has(users.watcher.username, 'token.revoke', token.body.id);
    has(users.operator.username, 'workflow.start', run.id);
    has(users.approver.username, 'workflow.approve', run.id);
    has('admin', 'agent.join_token', 'ss-audited');
    has('admin', 'agent.enroll', 'ss-audited');
    has('admin', 'agent.revoke', 'ss-audited');
    has('admin', 'job.create', job.id);
    has('admin', 'repository.create', 'audit/app');
    has('admin', 'user.create', users.approver.username);
    // Newest first, and never a credential in the details.
    const ats = res.body.entries.map((e) => e.at);
    expect([...ats].sort().reverse()).toEqual(ats);
    expect(JSON.stringify(res.body)).not.toMatch(/dbt_|dbj_|dba_|scrypt\$/);
    // Filtering by actor and action works.
    const mine = await admin.get<{ entries: AuditEntryDto[] }>(
      `/v1/audit?actor=${users.approver.username}&action=workflow.approve`,
    );
    expect(mine.body.entries.length).toBeGreaterThan(0);
    expect(
      mine.body.entries.every((e) => e.actor === users.approver.username && e.action === 'workflow.approve'),
    ).toBe(true);
  });
});

describe('the controller log', () => {
  it('at trace level, after everything above (runs, logins, agents), never held a secret or a credential', () => {
    const logs = s.logs();
    expect(logs, 'the in-memory log stream captured the controller').toMatch(/agent connected/);
    expectNoSecret('controller logs', logs);
    for (const u of Object.values(users)) {
      expect(logs).not.toContain(u.password);
      expect(logs).not.toContain(u.token);
    }
    expect(logs).not.toContain(TEST_ADMIN_TOKEN);
    expect(logs).not.toMatch(/dbj_[\w-]{20,}|dba_[\w-]{20,}/);
  });
});

describe('HTTP hardening', () => {
  it('every kind of answer carries the security headers and no x-powered-by', async () => {
    const answers: [string, Res][] = [
      ['health', await call(s.url, 'GET', '/health')],
      ['authenticated read', await admin.get('/v1/agents')],
      ['401', await call(s.url, 'GET', '/v1/agents')],
      ['403', await users.watcher.api.get('/v1/users')],
      ['404', await call(s.url, 'GET', '/nowhere')],
      ['400', await admin.post(`${WORKFLOWS}/start?workflow_name=auto_chain`, {})],
      ['413', await admin.post('/v1/tokens', { name: 'x'.repeat(150 * 1024) })],
    ];
    for (const [what, res] of answers) {
      const h = res.headers;
      expect(h.get('x-content-type-options'), what).toBe('nosniff');
      expect(h.get('content-security-policy'), what).toMatch(/default-src 'self'/);
      expect(h.get('content-security-policy'), what).toMatch(/object-src 'none'/);
      expect(h.get('content-security-policy'), what).toMatch(/frame-ancestors 'self'/);
      expect(h.get('x-frame-options'), what).toBe('SAMEORIGIN');
      expect(h.get('referrer-policy'), what).toBe('no-referrer');
      // Plain HTTP by default: HSTS only with DEPLOYBOT_HTTPS (identity-and-transport.test.ts).
      expect(h.get('strict-transport-security'), what).toBeNull();
      expect(h.get('cross-origin-opener-policy'), what).toBe('same-origin');
      expect(h.get('x-powered-by'), what).toBeNull();
      expect(h.get('content-type'), what).toMatch(/^application\/json/);
    }
  });

  it('CORS: an Origin outside the allow-list gets no access-control-allow-origin; the listed one does', async () => {
    for (const [method, path, creds] of [
      ['GET', '/health', null],
      ['GET', '/v1/agents', { token: TEST_ADMIN_TOKEN }],
      ['POST', '/v1/auth/login', null],
    ] as const) {
      const foreign = await call(s.url, method, path, {
        creds,
        headers: { origin: FOREIGN_ORIGIN },
        ...(method === 'POST' && { body: { username: 'ss-nobody', password: 'x' } }),
      });
      expect(foreign.headers.get('access-control-allow-origin'), `${method} ${path}`).toBeNull();
    }
    const preflight = (origin: string) =>
      call(s.url, 'OPTIONS', '/v1/tokens', {
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-csrf-token',
        },
      });
    const foreignPreflight = await preflight(FOREIGN_ORIGIN);
    expect(foreignPreflight.headers.get('access-control-allow-origin')).toBeNull();
    const allowedPreflight = await preflight(ALLOWED_ORIGIN);
    expect(allowedPreflight.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    const allowed = await call(s.url, 'GET', '/health', { headers: { origin: ALLOWED_ORIGIN } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers.get('access-control-allow-origin')).not.toBe('*');
  });

  it('a Socket.IO handshake from a foreign Origin is refused, even with valid credentials', async () => {
    const token = users.watcher.token;
    expect(await handshakeRefusal(s.url, { token, origin: FOREIGN_ORIGIN })).not.toBeNull();
    const session = await login(s.url, users.watcher.username, users.watcher.password);
    expect(await handshakeRefusal(s.url, { cookie: session.cookie, origin: FOREIGN_ORIGIN })).not.toBeNull();
    // The polling transport is refused the same way.
    const polling = await call(s.url, 'GET', '/socket.io/?EIO=4&transport=polling', {
      headers: { origin: FOREIGN_ORIGIN },
    });
    expect(polling.status).toBeGreaterThanOrEqual(400);
    // Its own origin, a listed origin and clients without an Origin (agents, scripts) connect.
    expect(await handshakeRefusal(s.url, { token, origin: s.url })).toBeNull();
    expect(await handshakeRefusal(s.url, { token, origin: ALLOWED_ORIGIN })).toBeNull();
    expect(await handshakeRefusal(s.url, { token })).toBeNull();
  });
});

describe('login rate limit', () => {
  it('answers 429 in the one error shape once the configured number of attempts is used up', async () => {
    const attempt = (password: string) =>
      call(s.url, 'POST', '/v1/auth/login', { body: { username: users.operator.username, password } });
    const first = await attempt('wrong-password-1');
    expect(first.headers.get('ratelimit-policy')).toMatch(new RegExp(`q=${LOGIN_LIMIT}\\b`));
    let last = first;
    let tries = 1;
    // Every attempt before the limit is judged on its merits; the header counts down to 0.
    while (last.status !== 429 && tries <= LOGIN_LIMIT + 1) {
      expect(last.status).toBe(401);
      const remaining = Number(/r=(\d+)/.exec(last.headers.get('ratelimit') ?? '')?.[1]);
      last = await attempt(`wrong-password-${++tries}`);
      if (remaining === 0) {
        expect(last.status, 'the attempt after the last allowed one').toBe(429);
      }
    }
    expectError(last, 429, 'rate_limited');
    // While limited, even the right password, or a token exchange, is not even looked at.
    expectError(await attempt(users.operator.password), 429, 'rate_limited');
    const tokenLogin = await call(s.url, 'POST', '/v1/auth/token-login', {
      body: { token: users.operator.token },
    });
    expectError(tokenLogin, 429, 'rate_limited');
    expect(tokenLogin.headers.get('set-cookie')).toBeNull();
    // Other requests are not limited.
    expect((await users.operator.api.get('/v1/auth/me')).status).toBe(200);
  });
});
