import { randomUUID } from 'node:crypto';
import { type AuditEntryDto, ROLES, type Role, roleAtLeast, type WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureOf } from '../../src/triggers/webhook-signature';
import type { FakeAgent } from './support/fake-agent';
import { createGitRepo, createJob, enrollAgent, registerRepository } from './support/fleet';
import { type Credentials, call, client, expectError, type Res } from './support/http';
import { routeGuards, servedRoutes } from './support/routes';
import { hasStatus, runningIn, startRun, WORKFLOWS, waitForRun, waitingAt } from './support/runs';
import { type SecurityServer, startSecurityServer, TEST_ADMIN_TOKEN } from './support/server';
import { askAny, connectWeb, handshakeRefusal, NO_ACK, type WebSocketClient } from './support/sockets';
import { createUser, login, type TestUser } from './support/users';

/**
 * Who may do what: every REST route and every socket event, for each role and for no credentials, against
 * the real controller. Requests carry each user's own personal API token (created over its cookie session).
 * The server runs with four-eyes on and `gated_change` decided by admins only, so the decision rules are
 * exercised on the same instance.
 */

type Caller = 'none' | Role;
const CALLERS: readonly Caller[] = ['none', ...ROLES];

interface Fixtures {
  /** two_gates started by the operator, waiting at first_gate. */
  gateRun: string;
  /** ask_host started by the operator, waiting for a host name. */
  inputRun: string;
  /** slow_step started by the operator, busy in its slow step. */
  busyRun: string;
  /** A completed auto_chain. */
  doneRun: string;
  agentId: string;
  victimAgentId: string;
  repoDir: string;
  jobId: string;
  /** A user whose token and password the public routes use, and whose token others try to revoke. */
  spare: TestUser;
  target: TestUser;
  doomed: TestUser;
  /** A disabled webhook trigger (read, changed, signed deliveries) and another one that the admin deletes. */
  trigger: string;
  doomedTrigger: string;
  hookSecret: string;
  /** Each caller's own chat session (the operator's for no credentials); the viewer's was made before a demotion. */
  sessions: Record<Caller, string>;
  /** A second session per caller, for DELETE. */
  spareSessions: Record<Caller, string>;
}

interface Row {
  /** `METHOD /template`, exactly as the router declares it. */
  route: string;
  path: (fx: Fixtures, caller: Caller) => string;
  body?: (fx: Fixtures) => unknown;
  /** Headers of its own (a webhook's signature). */
  headers?: (fx: Fixtures) => Record<string, string>;
  /** The access table's rule. */
  need: 'public' | Role;
  /** When the route decides further (gates): the roles it admits. */
  admits?: readonly Role[];
  /** Being built by the assistant work: a 404 "no route" is reported as a known gap. */
  assistant?: boolean;
}

const at = (path: string) => () => path;
const HOOK_BODY = { ref: 'refs/heads/main' };

/** Every REST route, with real ids. A route the controller serves that is missing here fails the coverage test. */
const ROWS: Row[] = [
  { route: 'GET /health', path: at('/health'), need: 'public' },
  { route: 'GET /health/live', path: at('/health/live'), need: 'public' },
  { route: 'GET /health/ready', path: at('/health/ready'), need: 'public' },
  // Public to this machine only, and only without DEPLOYBOT_METRICS_TOKEN (this server has none, and the matrix
  // calls from loopback): the route's own check decides, see test/observability.test.ts for the other cases.
  { route: 'GET /metrics', path: at('/metrics'), need: 'public' },
  {
    route: 'POST /v1/auth/login',
    path: at('/v1/auth/login'),
    body: (fx) => ({ username: fx.spare.username, password: fx.spare.password }),
    need: 'public',
  },
  {
    route: 'POST /v1/auth/token-login',
    path: at('/v1/auth/token-login'),
    body: (fx) => ({ token: fx.spare.token }),
    need: 'public',
  },
  { route: 'GET /v1/auth/me', path: at('/v1/auth/me'), need: 'viewer' },
  { route: 'POST /v1/auth/logout', path: at('/v1/auth/logout'), need: 'viewer' },
  { route: 'GET /v1/tokens', path: at('/v1/tokens'), need: 'viewer' },
  { route: 'POST /v1/tokens', path: at('/v1/tokens'), body: () => ({ name: 'matrix' }), need: 'viewer' },
  // Somebody else's token: every caller may ask, nobody but its owner may revoke it (404).
  { route: 'DELETE /v1/tokens/:id', path: (fx) => `/v1/tokens/${fx.spare.tokenId}`, need: 'viewer' },
  { route: 'GET /v1/users', path: at('/v1/users'), need: 'admin' },
  {
    route: 'POST /v1/users',
    path: at('/v1/users'),
    body: () => ({ username: 'mx-created', password: 'a-long-enough-password', role: 'viewer' }),
    need: 'admin',
  },
  {
    route: 'PATCH /v1/users/:id',
    path: (fx) => `/v1/users/${fx.target.user.id}`,
    body: () => ({ role: 'operator' }),
    need: 'admin',
  },
  // Addressed by name as well as by id (it used to answer 500).
  {
    route: 'GET /v1/users/:id/tokens',
    path: (fx) => `/v1/users/${fx.target.username}/tokens`,
    need: 'admin',
  },
  {
    route: 'DELETE /v1/users/:id/tokens/:tokenId',
    path: (fx) => `/v1/users/${fx.target.user.id}/tokens/${fx.target.tokenId}`,
    need: 'admin',
  },
  { route: 'DELETE /v1/users/:id', path: (fx) => `/v1/users/${fx.doomed.user.id}`, need: 'admin' },
  { route: 'GET /v1/audit', path: at('/v1/audit'), need: 'admin' },

  { route: 'GET /v1/ai/workflows/definitions', path: at(`${WORKFLOWS}/definitions`), need: 'viewer' },
  {
    route: 'POST /v1/ai/workflows/start',
    path: at(`${WORKFLOWS}/start?workflow_name=auto_chain`),
    body: () => ({ who: 'matrix' }),
    need: 'operator',
  },
  { route: 'GET /v1/ai/workflows/schema', path: at(`${WORKFLOWS}/schema`), need: 'viewer' },
  { route: 'GET /v1/ai/workflows/step-kinds', path: at(`${WORKFLOWS}/step-kinds`), need: 'viewer' },
  // Authoring workflows is an admin's: a stored template runs real steps for every operator afterwards.
  {
    route: 'POST /v1/ai/workflows/definitions',
    path: at(`${WORKFLOWS}/definitions`),
    body: () => ({
      name: 'matrix_doc',
      title: 'Matrix',
      steps: [{ id: 'a', title: 'A', uses: 'set', with: { x: 1 } }],
    }),
    need: 'admin',
  },
  {
    route: 'GET /v1/ai/workflows/definitions/:name',
    path: at(`${WORKFLOWS}/definitions/health_check`),
    need: 'viewer',
  },
  {
    route: 'GET /v1/ai/workflows/definitions/:name/export',
    path: at(`${WORKFLOWS}/definitions/health_check/export?format=json`),
    need: 'viewer',
  },
  {
    route: 'DELETE /v1/ai/workflows/definitions/:name',
    path: at(`${WORKFLOWS}/definitions/matrix_gone`),
    need: 'admin',
  },
  { route: 'GET /v1/ai/workflows', path: at(`${WORKFLOWS}?state=all`), need: 'viewer' },
  { route: 'GET /v1/ai/workflows/:id', path: (fx) => `${WORKFLOWS}/${fx.doneRun}`, need: 'viewer' },
  {
    route: 'POST /v1/ai/workflows/:id/approve',
    path: (fx) => `${WORKFLOWS}/${fx.gateRun}/approve`,
    body: () => ({ approved: true }),
    need: 'operator',
    admits: ['approver', 'admin'],
  },
  {
    route: 'POST /v1/ai/workflows/:id/input',
    path: (fx) => `${WORKFLOWS}/${fx.inputRun}/input`,
    body: () => ({ value: 'web-01' }),
    need: 'operator',
  },
  {
    route: 'POST /v1/ai/workflows/:id/cancel',
    path: (fx) => `${WORKFLOWS}/${fx.busyRun}/cancel`,
    body: () => ({ reason: 'matrix' }),
    need: 'operator',
  },
  // Revealing a run's sealed values: its starter (the operator here) or an admin.
  {
    route: 'POST /v1/ai/workflows/:id/reveal',
    path: (fx) => `${WORKFLOWS}/${fx.gateRun}/reveal`,
    need: 'operator',
    admits: ['operator', 'admin'],
  },
  {
    route: 'POST /v1/ai/workflows/:id/rerun',
    path: (fx) => `${WORKFLOWS}/${fx.doneRun}/rerun`,
    need: 'operator',
  },
  {
    route: 'POST /v1/ai/workflows/:id/rollback',
    path: (fx) => `${WORKFLOWS}/${fx.doneRun}/rollback`,
    need: 'operator',
  },
  {
    route: 'GET /v1/ai/workflows/:id/events',
    path: (fx) => `${WORKFLOWS}/${fx.doneRun}/events`,
    need: 'viewer',
  },
  { route: 'GET /v1/ai/workflows/library', path: at(`${WORKFLOWS}/library`), need: 'viewer' },
  {
    route: 'GET /v1/ai/workflows/history',
    path: at(`${WORKFLOWS}/history?status=completed&limit=5`),
    need: 'viewer',
  },
  {
    route: 'GET /v1/ai/workflows/trends',
    path: at(`${WORKFLOWS}/trends?workflow=auto_chain&from=2026-11-01&to=2026-11-30&bucket=week`),
    need: 'viewer',
  },
  {
    route: 'GET /v1/ai/workflows/:id/timeline',
    path: (fx) => `${WORKFLOWS}/${fx.doneRun}/timeline`,
    need: 'viewer',
  },
  {
    route: 'GET /v1/ai/workflows/:id/export',
    path: (fx) => `${WORKFLOWS}/${fx.doneRun}/export`,
    need: 'viewer',
  },
  {
    route: 'GET /v1/ai/workflows/:id/rollback-plan',
    path: (fx) => `${WORKFLOWS}/${fx.doneRun}/rollback-plan`,
    need: 'viewer',
  },

  { route: 'GET /v1/agents', path: at('/v1/agents'), need: 'viewer' },
  {
    route: 'POST /v1/agents/join-tokens',
    path: at('/v1/agents/join-tokens'),
    body: () => ({ hostname: 'matrix-new' }),
    need: 'admin',
  },
  { route: 'GET /v1/agents/enrollments', path: at('/v1/agents/enrollments'), need: 'viewer' },
  {
    route: 'POST /v1/agents/enrollments/:id/approve',
    path: at('/v1/agents/enrollments/00000000-0000-4000-8000-00000000e001/approve'),
    body: () => ({ environment: 'production' }),
    need: 'admin',
  },
  {
    route: 'POST /v1/agents/enrollments/:id/reject',
    path: at('/v1/agents/enrollments/00000000-0000-4000-8000-00000000e001/reject'),
    need: 'admin',
  },
  { route: 'GET /v1/agents/:ref', path: (fx) => `/v1/agents/${fx.agentId}`, need: 'viewer' },
  {
    route: 'GET /v1/agents/:ref/heartbeats',
    path: (fx) => `/v1/agents/${fx.agentId}/heartbeats`,
    need: 'viewer',
  },
  {
    route: 'PATCH /v1/agents/:ref',
    path: (fx) => `/v1/agents/${fx.agentId}`,
    body: () => ({ draining: false }),
    need: 'admin',
  },
  { route: 'DELETE /v1/agents/:ref', path: (fx) => `/v1/agents/${fx.victimAgentId}`, need: 'admin' },
  { route: 'GET /v1/repositories', path: at('/v1/repositories'), need: 'viewer' },
  {
    route: 'POST /v1/repositories',
    path: at('/v1/repositories'),
    body: (fx) => ({ name: 'matrix/created', url: fx.repoDir }),
    need: 'admin',
  },
  { route: 'GET /v1/repositories/:org/:name', path: at('/v1/repositories/matrix/app'), need: 'viewer' },
  {
    route: 'PATCH /v1/repositories/:org/:name',
    path: at('/v1/repositories/matrix/app'),
    body: () => ({ default_ref: 'main' }),
    need: 'admin',
  },
  {
    route: 'DELETE /v1/repositories/:org/:name',
    path: at('/v1/repositories/matrix/doomed'),
    need: 'admin',
  },
  {
    route: 'POST /v1/jobs',
    path: at('/v1/jobs'),
    body: () => ({ repository: 'matrix/app', ref: 'main', agent: 'matrix-agent' }),
    need: 'admin',
  },
  { route: 'GET /v1/jobs', path: at('/v1/jobs'), need: 'viewer' },
  { route: 'GET /v1/jobs/:id', path: (fx) => `/v1/jobs/${fx.jobId}`, need: 'viewer' },
  { route: 'GET /v1/jobs/:id/logs', path: (fx) => `/v1/jobs/${fx.jobId}/logs`, need: 'viewer' },
  { route: 'POST /v1/jobs/:id/cancel', path: (fx) => `/v1/jobs/${fx.jobId}/cancel`, need: 'operator' },
  {
    route: 'POST /v1/jobs/:id/retry',
    path: (fx) => `/v1/jobs/${fx.jobId}/retry`,
    body: () => ({}),
    need: 'admin',
  },
  { route: 'GET /v1/hosts', path: at('/v1/hosts'), need: 'viewer' },

  { route: 'GET /v1/triggers', path: at('/v1/triggers'), need: 'viewer' },
  {
    route: 'POST /v1/triggers',
    path: at('/v1/triggers'),
    body: () => ({
      name: 'mx-created',
      workflow: 'auto_chain',
      inputs: { who: 'matrix' },
      enabled: false,
      source: { type: 'cron', expression: '0 8 * * 1-5', timezone: 'Europe/Berlin' },
    }),
    need: 'admin',
  },
  { route: 'GET /v1/triggers/:id', path: (fx) => `/v1/triggers/${fx.trigger}`, need: 'viewer' },
  {
    route: 'PATCH /v1/triggers/:id',
    path: (fx) => `/v1/triggers/${fx.trigger}`,
    body: () => ({ rate_limit: 20 }),
    need: 'admin',
  },
  { route: 'DELETE /v1/triggers/:id', path: (fx) => `/v1/triggers/${fx.doomedTrigger}`, need: 'admin' },
  {
    route: 'GET /v1/triggers/:id/firings',
    path: (fx) => `/v1/triggers/${fx.trigger}/firings`,
    need: 'viewer',
  },
  // No user signs a delivery in: its HMAC signature with the trigger's secret does (refused with 401 without it).
  {
    route: 'POST /v1/hooks/:id',
    path: (fx) => `/v1/hooks/${fx.trigger}`,
    body: () => HOOK_BODY,
    headers: (fx) => ({
      'x-hub-signature-256': signatureOf(fx.hookSecret, JSON.stringify(HOOK_BODY)),
      'x-github-delivery': 'matrix-delivery',
    }),
    need: 'public',
  },

  { route: 'GET /v1/ai/status', path: at('/v1/ai/status'), need: 'viewer', assistant: true },
  { route: 'GET /v1/ai/sessions', path: at('/v1/ai/sessions'), need: 'operator', assistant: true },
  {
    route: 'POST /v1/ai/sessions',
    path: at('/v1/ai/sessions'),
    body: () => ({ title: 'matrix' }),
    need: 'operator',
    assistant: true,
  },
  {
    route: 'GET /v1/ai/sessions/:id',
    path: (fx, caller) => `/v1/ai/sessions/${fx.sessions[caller]}`,
    need: 'operator',
    assistant: true,
  },
  {
    route: 'GET /v1/ai/sessions/:id/history',
    path: (fx, caller) => `/v1/ai/sessions/${fx.sessions[caller]}/history`,
    need: 'operator',
    assistant: true,
  },
  {
    route: 'PATCH /v1/ai/sessions/:id',
    path: (fx, caller) => `/v1/ai/sessions/${fx.sessions[caller]}`,
    body: () => ({ title: 'patched' }),
    need: 'operator',
    assistant: true,
  },
  {
    route: 'POST /v1/ai/sessions/:id/rename',
    path: (fx, caller) => `/v1/ai/sessions/${fx.sessions[caller]}/rename`,
    body: () => ({ title: 'renamed' }),
    need: 'operator',
    assistant: true,
  },
  {
    route: 'POST /v1/ai/sessions/:id/archive',
    path: (fx, caller) => `/v1/ai/sessions/${fx.sessions[caller]}/archive`,
    need: 'operator',
    assistant: true,
  },
  {
    route: 'POST /v1/ai/sessions/:id/unarchive',
    path: (fx, caller) => `/v1/ai/sessions/${fx.sessions[caller]}/unarchive`,
    need: 'operator',
    assistant: true,
  },
  {
    route: 'POST /v1/ai/sessions/:id/runs',
    path: (fx, caller) => `/v1/ai/sessions/${fx.sessions[caller]}/runs?workflow_name=auto_chain`,
    body: () => ({ who: 'matrix' }),
    need: 'operator',
    assistant: true,
  },
  {
    route: 'DELETE /v1/ai/sessions/:id',
    path: (fx, caller) => `/v1/ai/sessions/${fx.spareSessions[caller]}`,
    need: 'operator',
    assistant: true,
  },
  {
    route: 'POST /v1/ai/chat',
    path: at('/v1/ai/chat'),
    body: () => ({ message: 'hello' }),
    need: 'operator',
    assistant: true,
  },
];

interface SocketRow {
  event: string;
  payload: (fx: Fixtures, caller: Role) => unknown;
  need: Role;
  assistant?: boolean;
}

/** Every event a web client may send. Reads are open to every role; the chat (like /v1/ai/sessions) needs an operator. */
const SOCKET_ROWS: SocketRow[] = [
  { event: 'workflows:subscribe', payload: () => ({}), need: 'viewer' },
  { event: 'workflow:subscribe', payload: (fx) => ({ runId: fx.doneRun }), need: 'viewer' },
  { event: 'workflow:unsubscribe', payload: (fx) => ({ runId: fx.doneRun }), need: 'viewer' },
  { event: 'fleet:subscribe', payload: () => ({}), need: 'viewer' },
  { event: 'job:subscribe', payload: (fx) => ({ jobId: fx.jobId }), need: 'viewer' },
  { event: 'job:logs', payload: (fx) => ({ jobId: fx.jobId, before: 1 }), need: 'viewer' },
  { event: 'job:unsubscribe', payload: (fx) => ({ jobId: fx.jobId }), need: 'viewer' },
  {
    event: 'chat:send',
    payload: (fx, caller) => ({ sessionId: fx.sessions[caller], message: 'hello' }),
    need: 'operator',
    assistant: true,
  },
  {
    event: 'chat:subscribe',
    payload: (fx, caller) => ({ sessionId: fx.sessions[caller] }),
    need: 'operator',
    assistant: true,
  },
  {
    event: 'chat:unsubscribe',
    payload: (fx, caller) => ({ sessionId: fx.sessions[caller] }),
    need: 'operator',
    assistant: true,
  },
  {
    event: 'chat:stop',
    payload: (fx, caller) => ({ sessionId: fx.sessions[caller], messageId: randomUUID() }),
    need: 'operator',
    assistant: true,
  },
];

let s: SecurityServer;
let users: Record<Role, TestUser>;
let approver2: TestUser;
let fx: Fixtures;
const agents: FakeAgent[] = [];
let removeRepo: () => Promise<void> = async () => {};
const admin = () => client(s.url, { token: TEST_ADMIN_TOKEN });

beforeAll(async () => {
  s = await startSecurityServer({ security: { fourEyes: true, approverRoles: { gated_change: 'admin' } } });
  const [viewer, operator, approver, adminUser, spare, target, doomed, second] = await Promise.all([
    // Made an operator first, so that it owns chat sessions; demoted to viewer below.
    createUser(s.url, 'mx-viewer', 'operator'),
    createUser(s.url, 'mx-operator', 'operator'),
    createUser(s.url, 'mx-approver', 'approver'),
    createUser(s.url, 'mx-admin', 'admin'),
    createUser(s.url, 'mx-spare', 'viewer'),
    createUser(s.url, 'mx-target', 'viewer'),
    createUser(s.url, 'mx-doomed', 'viewer'),
    createUser(s.url, 'mx-approver-2', 'approver'),
  ]);
  const sessions = {} as Record<Caller, string>;
  const spareSessions = {} as Record<Caller, string>;
  const newSession = async (u: TestUser) => {
    const res = await u.api.post<{ id: string }>('/v1/ai/sessions', { title: `${u.username} session` });
    return res.status === 201 ? res.body.id : randomUUID();
  };
  for (const u of [viewer, operator, approver, adminUser]) {
    sessions[u.username.slice(3) as Role] = await newSession(u);
    spareSessions[u.username.slice(3) as Role] = await newSession(u);
  }
  sessions.none = sessions.operator;
  spareSessions.none = spareSessions.operator;
  const demoted = await call(s.url, 'PATCH', `/v1/users/${viewer.user.id}`, {
    creds: { token: TEST_ADMIN_TOKEN },
    body: { role: 'viewer' },
  });
  if (demoted.status !== 200) throw new Error(`demote mx-viewer: ${demoted.status} ${demoted.text}`);
  // The role change ended its sessions: log in again.
  const relogged = await login(s.url, viewer.username, viewer.password);
  users = {
    viewer: {
      ...viewer,
      role: 'viewer',
      cookie: relogged.cookie,
      csrf: relogged.csrf,
      web: client(s.url, { cookie: relogged.cookie, csrf: relogged.csrf }),
    },
    operator,
    approver,
    admin: adminUser,
  };
  approver2 = second;
  const repo = await createGitRepo();
  removeRepo = repo.remove;
  await registerRepository(s, 'matrix/app', repo.dir);
  await registerRepository(s, 'matrix/doomed', repo.dir);
  const main = await enrollAgent(s, 'matrix-agent');
  const victim = await enrollAgent(s, 'matrix-victim');
  agents.push(main.agent, victim.agent);
  const job = await createJob(s, 'matrix/app', 'matrix-agent');
  const trigger = await admin().post<{ id: string; secret: string }>('/v1/triggers', {
    name: 'mx-hook',
    workflow: 'auto_chain',
    inputs: { who: 'matrix' },
    enabled: false,
    source: { type: 'webhook' },
  });
  const doomedTrigger = await admin().post<{ id: string }>('/v1/triggers', {
    name: 'mx-doomed',
    workflow: 'auto_chain',
    inputs: { who: 'matrix' },
    enabled: false,
    source: { type: 'webhook' },
  });
  if (trigger.status !== 201 || doomedTrigger.status !== 201)
    throw new Error(`create triggers: ${trigger.text} ${doomedTrigger.text}`);

  const op = users.operator.api;
  const [gate, input, busy, done] = await Promise.all([
    startRun(op, 'two_gates'),
    startRun(op, 'ask_host'),
    startRun(op, 'slow_step', { ms: 60_000 }),
    startRun(op, 'auto_chain', { who: 'matrix' }),
  ]);
  await Promise.all([
    waitForRun(op, gate.id, waitingAt('first_gate'), 'first gate'),
    waitForRun(op, input.id, waitingAt('pick_host'), 'input'),
    waitForRun(op, busy.id, runningIn('wait'), 'slow step'),
    waitForRun(op, done.id, hasStatus('completed'), 'completion'),
  ]);
  fx = {
    gateRun: gate.id,
    inputRun: input.id,
    busyRun: busy.id,
    doneRun: done.id,
    agentId: main.agentId,
    victimAgentId: victim.agentId,
    repoDir: repo.dir,
    jobId: job.id,
    trigger: trigger.body.id,
    doomedTrigger: doomedTrigger.body.id,
    hookSecret: trigger.body.secret,
    spare,
    target,
    doomed,
    sessions,
    spareSessions,
  };
});

afterAll(async () => {
  for (const agent of agents) agent.close();
  await s?.close();
  await removeRepo();
});

/**
 * Other spellings of a path that Express would route to the same handler unless told to be strict: an
 * upper-case prefix, everything upper case, the last fixed segment capitalised, a trailing slash, a doubled
 * slash. `route` (`GET /v1/users/:id`) tells fixed segments from ids; the query string stays as it was.
 */
function spellings(route: string, pathAndQuery: string): [string, string][] {
  const queryAt = pathAndQuery.indexOf('?');
  const path = queryAt < 0 ? pathAndQuery : pathAndQuery.slice(0, queryAt);
  const q = queryAt < 0 ? '' : pathAndQuery.slice(queryAt);
  const segments = path.split('/');
  const template = route.split(' ')[1]!.split('/');
  const lastFixed = template.findLastIndex((seg) => seg !== '' && !seg.startsWith(':'));
  const capitalised = segments.map((seg, i) =>
    i === lastFixed ? seg[0]!.toUpperCase() + seg.slice(1) : seg,
  );
  const [, first, rest] = /^\/([^/]+)(.*)$/.exec(path)!;
  const variants: [string, string][] = [
    ['upper prefix', `/${first!.toUpperCase()}${rest}${q}`],
    ['upper case', `${path.toUpperCase()}${q}`],
    ['capitalised', `${capitalised.join('/')}${q}`],
    ['trailing slash', `${path}/${q}`],
    ['doubled slash', `/${first}/${rest}${q}`],
  ];
  // `/v1/ai/workflows/Definitions` is a legitimate spelling of `GET /v1/ai/workflows/:id` (a run id): such a
  // variant is another route, checked by that route's own row.
  const method = route.split(' ')[0]!;
  const isAnotherRoute = (p: string) =>
    ROWS.some((r) => {
      const [m, t] = r.route.split(' ') as [string, string];
      const pattern = new RegExp(`^${t.replace(/:[a-zA-Z]+/g, '[^/]+')}$`);
      return m === method && pattern.test(p.split('?')[0]!);
    });
  return variants.filter(([, p]) => p !== pathAndQuery && !isAnotherRoute(p));
}

const credsOf = (caller: Caller): Credentials | null =>
  caller === 'none' ? null : { token: users[caller].token };

function permitted(row: { need: 'public' | Role; admits?: readonly Role[] }, caller: Caller): boolean {
  if (row.need === 'public') return true;
  if (caller === 'none') return false;
  return row.admits ? row.admits.includes(caller) : roleAtLeast(caller, row.need);
}

const expectedOutcome = (row: Row | SocketRow, caller: Caller) =>
  permitted(row, caller) ? 'allowed' : caller === 'none' ? 'denied 401' : 'denied 403';

/** What an answer means for access: allowed (2xx or a 4xx for a domain reason), denied, a missing route, or a crash. */
function outcomeOf(res: Res): string {
  if (res.status === 401 || res.status === 403) {
    try {
      expectError(res, res.status, res.status === 401 ? 'unauthorized' : 'forbidden');
      return `denied ${res.status}`;
    } catch (err) {
      return `denied ${res.status} with a bad error shape: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  const message = (res.body as { error?: { message?: string } } | undefined)?.error?.message ?? '';
  if (res.status === 404 && message.startsWith('no route ')) return 'KNOWN GAP: 404 no route';
  if (res.status >= 500) return `server error ${res.status}: ${res.text.slice(0, 200)}`;
  return 'allowed';
}

describe('REST access matrix (personal API tokens)', () => {
  it('the table covers every route the controller serves', async () => {
    const served = await servedRoutes(s.app, s.url);
    const listed = new Set(ROWS.map((r) => r.route));
    expect(
      served.filter((r) => !listed.has(r)),
      'routes served but missing from the access matrix',
    ).toEqual([]);
    expect(
      ROWS.filter((r) => !r.assistant && !served.includes(r.route)).map((r) => r.route),
      'rows for routes the controller does not serve',
    ).toEqual([]);
  });

  it('every route declares its access with its own guard, the one the matrix expects', async () => {
    const guards = await routeGuards(s.app, s.url);
    const declared = Object.fromEntries([...guards].filter(([route]) => ROWS.some((r) => r.route === route)));
    const expected = Object.fromEntries(
      ROWS.filter((r) => guards.has(r.route)).map((r) => [r.route, r.need]),
    );
    expect(declared).toEqual(expected);
  });

  it.each(ROWS.map((row) => [row.route, row] as const))(
    'another spelling of %s is no route, for every caller',
    async (_route, row) => {
      const [method] = row.route.split(' ');
      const outcomes: Record<string, string> = {};
      const expected: Record<string, string> = {};
      for (const caller of CALLERS) {
        for (const [how, path] of spellings(row.route, row.path(fx, caller))) {
          const res = await call(s.url, method!, path, { creds: credsOf(caller), body: row.body?.(fx) });
          const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
          outcomes[`${caller} ${how} ${path}`] = `${res.status} ${code ?? res.contentType}`;
          expected[`${caller} ${how} ${path}`] = '404 not_found';
        }
      }
      expect(outcomes).toEqual(expected);
    },
  );

  it.each(ROWS.map((row) => [row.route, row] as const))('%s', async (_route, row) => {
    const outcomes: Record<string, string> = {};
    const expected: Record<string, string> = {};
    // Lowest privilege first: a destructive row (DELETE …) is carried out by the admin last.
    for (const caller of CALLERS) {
      const [method] = row.route.split(' ');
      const res = await call(s.url, method!, row.path(fx, caller), {
        creds: credsOf(caller),
        body: row.body?.(fx),
        headers: row.headers?.(fx),
      });
      outcomes[caller] = outcomeOf(res);
      expected[caller] = expectedOutcome(row, caller);
    }
    expect(outcomes, row.assistant ? `${row.route} (assistant route)` : row.route).toEqual(expected);
  });

  it('a token that is not a user token, or no token at all, is 401 with the one error shape', async () => {
    for (const authorization of [
      'Bearer dbt_not-a-real-token-000000000000',
      'Bearer dba_an-agent-style-credential-0000000000',
      'Basic YWRtaW46YWRtaW4=',
      `Bearer ${TEST_ADMIN_TOKEN} extra`,
      'Bearer',
    ]) {
      const res = await call(s.url, 'GET', '/v1/agents', { headers: { authorization } });
      expectError(res, 401, 'unauthorized', authorization);
    }
  });
});

describe('cookie sessions and CSRF', () => {
  it('reads need only the cookie; a write without X-CSRF-Token is 403, with the token it is decided by role', async () => {
    const viewer = users.viewer;
    expect((await call(s.url, 'GET', '/v1/auth/me', { creds: { cookie: viewer.cookie } })).status).toBe(200);
    expect((await call(s.url, 'GET', '/v1/agents', { creds: { cookie: viewer.cookie } })).status).toBe(200);

    const tokenBody = { body: { name: 'via-cookie' } };
    const noCsrf = await call(s.url, 'POST', '/v1/tokens', {
      creds: { cookie: viewer.cookie },
      ...tokenBody,
    });
    expect(expectError(noCsrf, 403, 'forbidden').message).toMatch(/x-csrf-token/);
    const wrong = await call(s.url, 'POST', '/v1/tokens', {
      creds: { cookie: viewer.cookie, csrf: `${viewer.csrf}x` },
      ...tokenBody,
    });
    expectError(wrong, 403, 'forbidden');
    // Another session's CSRF token does not fit this cookie.
    const crossed = await call(s.url, 'POST', '/v1/tokens', {
      creds: { cookie: viewer.cookie, csrf: users.admin.csrf },
      ...tokenBody,
    });
    expectError(crossed, 403, 'forbidden');
    expect((await viewer.web.post('/v1/tokens', { name: 'via-cookie' })).status).toBe(201);

    // Role still decides once the CSRF header is right.
    const start = `${WORKFLOWS}/start?workflow_name=auto_chain`;
    expect(expectError(await viewer.web.post(start, { who: 'x' }), 403, 'forbidden').message).toMatch(
      /operator/,
    );
    const opNoCsrf = await call(s.url, 'POST', start, {
      creds: { cookie: users.operator.cookie },
      body: { who: 'x' },
    });
    expectError(opNoCsrf, 403, 'forbidden');
    expect((await users.operator.web.post(start, { who: 'x' })).status).toBe(201);

    // An admin's cookie without the header cannot change users; with it, it can.
    const patch = `/v1/users/${fx.target.user.id}`;
    const adminNoCsrf = await call(s.url, 'PATCH', patch, {
      creds: { cookie: users.admin.cookie },
      body: { role: 'viewer' },
    });
    expectError(adminNoCsrf, 403, 'forbidden');
    const del = await call(s.url, 'DELETE', `/v1/users/${fx.spare.user.id}`, {
      creds: { cookie: users.admin.cookie },
    });
    expectError(del, 403, 'forbidden');
    expect((await users.admin.web.patch(patch, { role: 'viewer' })).status).toBe(200);
    expect((await admin().get<{ users: { username: string }[] }>('/v1/users')).body.users).toContainEqual(
      expect.objectContaining({ username: fx.spare.username }),
    );
  });

  it('a cookie session authenticates a socket with its own role', async () => {
    const socket = await connectWeb(s.url, { cookie: users.viewer.cookie });
    try {
      const ack = (await askAny(socket, 'fleet:subscribe', {})) as { data?: unknown };
      expect(ack.data).toBeDefined();
      const server = s.app.io.of('/').sockets.get(socket.id!);
      expect(server?.data).toMatchObject({ username: users.viewer.username, role: 'viewer' });
    } finally {
      socket.close();
    }
  });
});

describe('socket access matrix', () => {
  it('a handshake without credentials, or with an unknown token, fails with connect_error "unauthorized"', async () => {
    expect(await handshakeRefusal(s.url, {})).toBe('unauthorized');
    expect(await handshakeRefusal(s.url, { token: 'dbt_unknown-token-00000000000000' })).toBe('unauthorized');
    expect(await handshakeRefusal(s.url, { cookie: 'deploybot_session=forged' })).toBe('unauthorized');
    expect(await handshakeRefusal(s.url, { auth: { token: 42 } })).toBe('unauthorized');
  });

  it('the table lists every event the server handles', async () => {
    const socket = await connectWeb(s.url, { token: users.viewer.token });
    try {
      const server = s.app.io.of('/').sockets.get(socket.id!)!;
      const handled = server
        .eventNames()
        .map(String)
        .filter((e) => !['error', 'disconnect', 'disconnecting'].includes(e));
      const listed = new Set(SOCKET_ROWS.map((r) => r.event));
      expect(
        handled.filter((e) => !listed.has(e)),
        'events handled but missing from the matrix',
      ).toEqual([]);
      expect(
        SOCKET_ROWS.filter((r) => !r.assistant && !handled.includes(r.event)).map((r) => r.event),
        'rows for events nobody handles',
      ).toEqual([]);
    } finally {
      socket.close();
    }
  });

  const socketOutcome = (ack: unknown): string => {
    if (ack === NO_ACK) return 'KNOWN GAP: no handler answered';
    const a = ack as { data?: unknown; error?: { code: string; message: string } };
    if (a.error?.code === 'forbidden' || a.error?.code === 'unauthorized') {
      const shapeOk =
        Object.keys(a).join() === 'error' && typeof a.error.message === 'string' && a.error.message !== '';
      return shapeOk ? 'denied 403' : `denied with a bad shape ${JSON.stringify(ack)}`;
    }
    if (a.error?.code === 'internal') return `internal error ${JSON.stringify(ack)}`;
    return 'data' in a || 'error' in a ? 'allowed' : `odd ack ${JSON.stringify(ack)}`;
  };

  it.each(ROLES)('%s: every event is answered by role', async (role) => {
    const socket: WebSocketClient = await connectWeb(s.url, { token: users[role].token });
    try {
      const results = await Promise.all(
        SOCKET_ROWS.map(async (row) => [
          row.event,
          socketOutcome(await askAny(socket, row.event, row.payload(fx, role), 2000)),
        ]),
      );
      const expected = SOCKET_ROWS.map((row) => [row.event, expectedOutcome(row, role)]);
      expect(Object.fromEntries(results)).toEqual(Object.fromEntries(expected));
      expect(socket.connected).toBe(true);
    } finally {
      socket.close();
    }
  });
});

describe('decisions on gates', () => {
  const approve = (u: TestUser, runId: string, body: Record<string, unknown>) =>
    u.api.post<WorkflowRun>(`${WORKFLOWS}/${runId}/approve`, body);

  it('a viewer or an operator gets 403 approving or rejecting; an approver approves (200)', async () => {
    const run = await startRun(users.operator.api, 'two_gates');
    await waitForRun(users.operator.api, run.id, waitingAt('first_gate'), 'first gate');
    for (const who of [users.viewer, users.operator]) {
      for (const approved of [true, false]) {
        expectError(
          await approve(who, run.id, { approved }),
          403,
          'forbidden',
          `${who.role} approved=${approved}`,
        );
      }
    }
    const untouched = await waitForRun(admin(), run.id, () => true, 'read');
    expect(untouched).toMatchObject({ status: 'waiting', currentStep: 'first_gate' });
    expect(untouched.steps[0]!.decisions).toEqual([]);

    const res = await approve(users.approver, run.id, { approved: true, note: 'looks right' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.steps[0]!.decisions).toEqual([
      expect.objectContaining({ by: users.approver.username, decision: 'approved', note: 'looks right' }),
    ]);
  });

  it('a per-workflow approver role (gated_change → admin): an approver gets 403, an admin 200', async () => {
    const run = await startRun(users.operator.api, 'gated_change', { service: 'web' });
    await waitForRun(users.operator.api, run.id, waitingAt('review'), 'review gate');
    const denied = await approve(users.approver, run.id, { approved: true, user_input: 'blue' });
    expect(expectError(denied, 403, 'forbidden').message).toMatch(/gated_change.*admin/);
    expectError(await approve(users.approver, run.id, { approved: false }), 403, 'forbidden');
    const ok = await approve(users.admin, run.id, { approved: true, user_input: 'blue' });
    expect(ok.status, ok.text).toBe(200);
    const done = await waitForRun(admin(), run.id, hasStatus('completed'), 'completion');
    expect(done.steps[1]!.decisions[0]).toMatchObject({ by: users.admin.username, decision: 'approved' });
  });

  it('four-eyes: whoever started the run cannot approve it (403), but can reject it', async () => {
    const run = await startRun(users.approver.api, 'two_gates');
    await waitForRun(admin(), run.id, waitingAt('first_gate'), 'first gate');
    const own = await approve(users.approver, run.id, { approved: true });
    expect(expectError(own, 403, 'forbidden').message).toBe(
      'four-eyes rule: you started this run, so another person must approve it',
    );
    const mine = await startRun(users.admin.api, 'two_gates');
    await waitForRun(admin(), mine.id, waitingAt('first_gate'), 'first gate');
    expect(
      expectError(await approve(users.admin, mine.id, { approved: true }), 403, 'forbidden').message,
    ).toMatch(/four-eyes/);

    const rejected = await approve(users.approver, run.id, { approved: false, note: 'not today' });
    expect(rejected.status, rejected.text).toBe(200);
    expect(rejected.body.status).toBe('cancelled');
    expect(rejected.body.steps[0]!.decisions[0]).toMatchObject({
      by: users.approver.username,
      decision: 'rejected',
    });
  });

  it('four-eyes: another approver approves a run an approver started', async () => {
    const run = await startRun(users.approver.api, 'two_gates');
    await waitForRun(admin(), run.id, waitingAt('first_gate'), 'first gate');
    const res = await approve(approver2, run.id, { approved: true });
    expect(res.status, res.text).toBe(200);
    expect(res.body.steps[0]!.decisions[0]).toMatchObject({ by: approver2.username, decision: 'approved' });
  });

  /** Starts `name` from `u`'s own conversation, as the start_workflow quick action does. */
  async function startInChat(u: TestUser, name: string) {
    const session = await u.api.post<{ id: string }>('/v1/ai/sessions', { title: `decide ${name}` });
    expect(session.status, session.text).toBe(201);
    const started = await u.api.post<WorkflowRun>(
      `/v1/ai/sessions/${session.body.id}/runs?workflow_name=${name}`,
      {},
    );
    expect(started.status, started.text).toBe(201);
    await waitForRun(admin(), started.body.id, waitingAt('first_gate'), 'first gate');
    return { sessionId: session.body.id, runId: started.body.id };
  }
  const say = (u: TestUser, sessionId: string, message: string) =>
    u.api.post('/v1/ai/chat', { message, session_id: sessionId });

  it('the chat applies the same rule: an operator writing "approve" decides nothing', async () => {
    const { sessionId, runId } = await startInChat(users.operator, 'two_gates');
    const res = await say(users.operator, sessionId, 'approve');
    expect(res.status, res.text).toBe(200);
    const run = await waitForRun(admin(), runId, () => true, 'read');
    expect(run.steps[0]!.decisions, 'an operator approved a gate through the chat').toEqual([]);
    expect(run).toMatchObject({ status: 'waiting', currentStep: 'first_gate' });
  });

  it('the chat applies four-eyes: the approver who started the run cannot approve it by writing "approve"', async () => {
    const { sessionId, runId } = await startInChat(users.approver, 'two_gates');
    const res = await say(users.approver, sessionId, 'yes, approve');
    expect(res.status, res.text).toBe(200);
    const run = await waitForRun(admin(), runId, () => true, 'read');
    expect(run.steps[0]!.decisions, 'four-eyes bypassed through the chat').toEqual([]);
    expect(run).toMatchObject({ status: 'waiting', currentStep: 'first_gate' });
  });

  it('a rejection written in the chat is recorded and audited like one over REST', async () => {
    const { sessionId, runId } = await startInChat(users.approver, 'two_gates');
    const res = await say(users.approver, sessionId, 'reject because not today');
    expect(res.status, res.text).toBe(200);
    const run = await waitForRun(admin(), runId, hasStatus('cancelled'), 'rejection');
    expect(run.steps[0]!.decisions[0]).toMatchObject({ by: users.approver.username, decision: 'rejected' });
    const audit = await admin().get<{ entries: AuditEntryDto[] }>('/v1/audit?limit=1000');
    const about = audit.body.entries.filter((e) => e.target === runId).map((e) => [e.actor, e.action]);
    expect(about).toEqual(
      expect.arrayContaining([
        [users.approver.username, 'workflow.start'],
        [users.approver.username, 'workflow.reject'],
      ]),
    );
  });

  it('every decision is in the audit log with who made it', async () => {
    const res = await admin().get<{ entries: AuditEntryDto[] }>('/v1/audit?limit=1000');
    const decisions = res.body.entries.filter(
      (e) => e.action === 'workflow.approve' || e.action === 'workflow.reject',
    );
    expect(decisions.map((e) => [e.actor, e.action])).toEqual(
      expect.arrayContaining([
        [users.approver.username, 'workflow.approve'],
        [users.approver.username, 'workflow.reject'],
        [users.admin.username, 'workflow.approve'],
        [approver2.username, 'workflow.approve'],
      ]),
    );
    // Refused attempts changed nothing, so they left no decision behind.
    expect(
      decisions.filter((e) => e.actor === users.viewer.username || e.actor === users.operator.username),
    ).toEqual([]);
  });
});
