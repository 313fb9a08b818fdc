import { existsSync } from 'node:fs';
import type { JobDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changesBetween, snapshot } from './support/db';
import { AGENT_INFO, FakeAgent } from './support/fake-agent';
import { createGitRepo, createJob, enrollAgent, registerRepository } from './support/fleet';
import {
  encodeAny,
  type FieldKind,
  HOSTILE_NAMES,
  HOSTILE_SEGMENTS,
  HOSTILE_URLS,
  huge,
  MALFORMED_JSON,
  NOT_OBJECTS,
  UNSTORABLE,
  WRONG,
  XSS,
} from './support/hostile';
import { type CallOptions, type Client, call, client, expectErrorShape, type Res } from './support/http';
import { hasStatus, runningIn, startRun, WORKFLOWS, waitForRun, waitingAt } from './support/runs';
import { type SecurityServer, startSecurityServer, TEST_ADMIN_TOKEN } from './support/server';
import { askAny, connectWeb, NO_ACK, type WebSocketClient } from './support/sockets';
import { createUser, type TestUser } from './support/users';

/**
 * Hostile input on every endpoint and socket event: each is refused with a 4xx in the one error shape, with no
 * trace of the server's insides, the process stays up and the database does not move (the audit log may only
 * gain failed logins).
 */

interface Fixtures {
  /** gated_change waiting at review (its approval needs a colour). */
  gate: string;
  /** two_gates waiting at first_gate (free-text approval input). */
  freeGate: string;
  /** ask_host waiting for a host name. */
  input: string;
  /** slow_step busy in its slow step. */
  busy: string;
  done: string;
  agentId: string;
  jobId: string;
  repoDir: string;
  user: TestUser;
  sessionId: string;
}

let s: SecurityServer;
let fx: Fixtures;
let admin: Client;
let agent: FakeAgent;
let removeRepo: () => Promise<void> = async () => {};
const PWNED = '/tmp/deploybot-pwned';

beforeAll(async () => {
  s = await startSecurityServer();
  admin = client(s.url, { token: TEST_ADMIN_TOKEN });
  const repo = await createGitRepo();
  removeRepo = repo.remove;
  const [user] = await Promise.all([
    createUser(s.url, 'hx-viewer', 'viewer'),
    registerRepository(s, 'hostile/app', repo.dir),
  ]);
  const enrolled = await enrollAgent(s, 'hostile-agent');
  agent = enrolled.agent;
  const job = await createJob(s, 'hostile/app', 'hostile-agent');
  const [gate, freeGate, input, busy, done] = await Promise.all([
    startRun(admin, 'gated_change', { service: 'web' }),
    startRun(admin, 'two_gates'),
    startRun(admin, 'ask_host'),
    startRun(admin, 'slow_step', { ms: 60_000 }),
    startRun(admin, 'auto_chain', { who: 'hostile' }),
  ]);
  await Promise.all([
    waitForRun(admin, gate.id, waitingAt('review'), 'review'),
    waitForRun(admin, freeGate.id, waitingAt('first_gate'), 'first gate'),
    waitForRun(admin, input.id, waitingAt('pick_host'), 'input'),
    waitForRun(admin, busy.id, runningIn('wait'), 'slow step'),
    waitForRun(admin, done.id, hasStatus('completed'), 'completion'),
  ]);
  const session = await admin.post<{ id: string }>('/v1/ai/sessions', { title: 'hostile' });
  fx = {
    gate: gate.id,
    freeGate: freeGate.id,
    input: input.id,
    busy: busy.id,
    done: done.id,
    agentId: enrolled.agentId,
    jobId: job.id,
    repoDir: repo.dir,
    user,
    sessionId: session.status === 201 ? session.body.id : '00000000-0000-4000-8000-000000000000',
  };
});

afterAll(async () => {
  agent?.close();
  await s?.close();
  await removeRepo();
});

// ------------------------------------------------------------------ a batch: refused, alive, unchanged

type Problem = string;

/** What is wrong with an answer that should be a refusal (4xx, the one error shape), or null. */
function refusalProblem(res: Res, expectStatus?: number, expectCode?: string): Problem | null {
  if (res.status < 400 || res.status >= 500) return `answered ${res.status}: ${res.text.slice(0, 200)}`;
  if (expectStatus !== undefined && res.status !== expectStatus)
    return `answered ${res.status} instead of ${expectStatus}: ${res.text.slice(0, 200)}`;
  try {
    const error = expectErrorShape(res);
    if (expectCode && error.code !== expectCode) return `code ${error.code} instead of ${expectCode}`;
  } catch (err) {
    return `bad error shape: ${(err as Error).message.split('\n')[0]}`;
  }
  return null;
}

/**
 * Runs `work` (which records problems), then checks that the process still answers /health, the database
 * counts did not move and the audit log only gained failed logins. Fails with every problem at once.
 */
async function batch(work: (problem: (what: string, p: Problem | null) => void) => Promise<void>) {
  const before = await snapshot(s.db);
  const problems: string[] = [];
  await work((what, p) => {
    if (p) problems.push(`${what}: ${p}`);
  });
  const health = await call(s.url, 'GET', '/health');
  const changes = changesBetween(before, await snapshot(s.db));
  const report = [
    ...problems,
    ...(health.status === 200 ? [] : [`GET /health answered ${health.status}: the controller is down`]),
    ...Object.entries(changes.tables).map(([t, [a, b]]) => `table ${t} went from ${a} to ${b} rows`),
    ...Object.entries(changes.audit).map(([t, [a, b]]) => `audit ${t} went from ${a} to ${b} entries`),
    ...(existsSync(PWNED) ? [`a payload ran a command: ${PWNED} exists`] : []),
  ];
  if (report.length > 0) {
    throw new Error(`${report.length} problem(s) with hostile input:\n${report.join('\n')}`);
  }
}

const send = (method: string, path: string, opts: CallOptions & { anonymous?: boolean } = {}) =>
  call(s.url, method, path, { creds: opts.anonymous ? null : { token: TEST_ADMIN_TOKEN }, ...opts });

// ------------------------------------------------------------------ every endpoint with a body

interface BodyEndpoint {
  route: string;
  path: (fx: Fixtures) => string;
  anonymous?: boolean;
  /** A valid body (never sent as it is); absent for routes that take none. */
  valid?: (fx: Fixtures) => Record<string, unknown>;
  fields?: Record<string, FieldKind>;
  required?: string[];
}

const ENDPOINTS: BodyEndpoint[] = [
  {
    route: 'POST /v1/auth/login',
    path: () => '/v1/auth/login',
    anonymous: true,
    valid: () => ({ username: 'hx-viewer', password: 'not-the-password' }),
    fields: { username: 'string', password: 'string' },
    required: ['username', 'password'],
  },
  {
    route: 'POST /v1/auth/token-login',
    path: () => '/v1/auth/token-login',
    anonymous: true,
    valid: () => ({ token: 'dbt_unknown-token-000000000000' }),
    fields: { token: 'string' },
    required: ['token'],
  },
  { route: 'POST /v1/auth/logout', path: () => '/v1/auth/logout' },
  {
    route: 'POST /v1/tokens',
    path: () => '/v1/tokens',
    valid: () => ({ name: 'hostile' }),
    fields: { name: 'string' },
    required: ['name'],
  },
  { route: 'DELETE /v1/tokens/:id', path: () => '/v1/tokens/6f1c9a52-3a43-4c2e-9d51-3b7e1f0c2a11' },
  {
    route: 'POST /v1/users',
    path: () => '/v1/users',
    valid: () => ({ username: 'hx-new', password: 'a-long-enough-password', role: 'viewer' }),
    fields: { username: 'string', password: 'string', role: 'string' },
    required: ['username', 'password', 'role'],
  },
  {
    route: 'PATCH /v1/users/:id',
    path: (fx) => `/v1/users/${fx.user.user.id}`,
    valid: () => ({ role: 'viewer' }),
    fields: { role: 'string', password: 'string', disabled: 'boolean' },
    required: [],
  },
  { route: 'DELETE /v1/users/:id', path: () => '/v1/users/hx-nobody' },
  {
    route: 'POST /v1/ai/workflows/start',
    path: () => `${WORKFLOWS}/start?workflow_name=auto_chain`,
    valid: () => ({ who: 'x', count: 1 }),
    fields: { who: 'input', count: 'optionalInput' },
    required: ['who'],
  },
  {
    route: 'POST /v1/ai/workflows/:id/approve',
    path: (fx) => `${WORKFLOWS}/${fx.gate}/approve`,
    valid: () => ({ approved: true, user_input: 'blue' }),
    fields: { approved: 'boolean', user_input: 'choiceInput', note: 'string', step_id: 'string' },
    required: ['approved', 'user_input'],
  },
  {
    route: 'POST /v1/ai/workflows/:id/input',
    path: (fx) => `${WORKFLOWS}/${fx.input}/input`,
    valid: () => ({ value: 'web-01' }),
    fields: { value: 'input', note: 'string', step_id: 'string' },
    required: ['value'],
  },
  {
    route: 'POST /v1/ai/workflows/:id/cancel',
    path: (fx) => `${WORKFLOWS}/${fx.busy}/cancel`,
    valid: () => ({ reason: 'x' }),
    fields: { reason: 'string' },
    required: [],
  },
  { route: 'POST /v1/ai/workflows/:id/reveal', path: (fx) => `${WORKFLOWS}/${fx.done}/reveal` },
  {
    route: 'POST /v1/agents/join-tokens',
    path: () => '/v1/agents/join-tokens',
    valid: () => ({ hostname: 'hx-new-host' }),
    fields: { hostname: 'string' },
    required: ['hostname'],
  },
  {
    route: 'PATCH /v1/agents/:ref',
    path: (fx) => `/v1/agents/${fx.agentId}`,
    valid: () => ({ draining: false }),
    fields: { draining: 'boolean', environment: 'string', labels: 'record' },
    required: [],
  },
  { route: 'DELETE /v1/agents/:ref', path: (fx) => `/v1/agents/${fx.agentId}` },
  {
    route: 'POST /v1/repositories',
    path: () => '/v1/repositories',
    valid: (fx) => ({ name: 'hostile/new', url: fx.repoDir, default_ref: 'main' }),
    fields: { name: 'string', url: 'string', default_ref: 'string' },
    required: ['name', 'url'],
  },
  { route: 'DELETE /v1/repositories/:org/:name', path: () => '/v1/repositories/hostile/app' },
  {
    route: 'POST /v1/jobs',
    path: () => '/v1/jobs',
    valid: () => ({ repository: 'hostile/app', ref: 'main', agent: 'hostile-agent' }),
    fields: {
      repository: 'string',
      ref: 'string',
      agent: 'string',
      idempotency_key: 'string',
      timeout_sec: 'number',
    },
    required: ['repository', 'agent'],
  },
  { route: 'POST /v1/jobs/:id/cancel', path: (fx) => `/v1/jobs/${fx.jobId}/cancel` },
  {
    route: 'POST /v1/jobs/:id/retry',
    path: (fx) => `/v1/jobs/${fx.jobId}/retry`,
    valid: () => ({ agent: 'hostile-agent' }),
    fields: { agent: 'string' },
    required: [],
  },
  {
    route: 'POST /v1/ai/sessions',
    path: () => '/v1/ai/sessions',
    valid: () => ({ title: 'x' }),
    fields: { title: 'string' },
    required: [],
  },
  {
    route: 'PATCH /v1/ai/sessions/:id',
    path: (fx) => `/v1/ai/sessions/${fx.sessionId}`,
    valid: () => ({ title: 'x' }),
    fields: { title: 'string', archived: 'boolean' },
    required: [],
  },
  {
    route: 'POST /v1/ai/sessions/:id/rename',
    path: (fx) => `/v1/ai/sessions/${fx.sessionId}/rename`,
    valid: () => ({ title: 'x' }),
    fields: { title: 'string' },
    required: ['title'],
  },
  { route: 'POST /v1/ai/sessions/:id/archive', path: (fx) => `/v1/ai/sessions/${fx.sessionId}/archive` },
  { route: 'POST /v1/ai/sessions/:id/unarchive', path: (fx) => `/v1/ai/sessions/${fx.sessionId}/unarchive` },
  {
    route: 'POST /v1/ai/sessions/:id/runs',
    path: (fx) => `/v1/ai/sessions/${fx.sessionId}/runs?workflow_name=auto_chain`,
    valid: () => ({ who: 'x' }),
    fields: { who: 'input' },
    required: ['who'],
  },
  { route: 'DELETE /v1/ai/sessions/:id', path: (fx) => `/v1/ai/sessions/${fx.sessionId}` },
  {
    route: 'POST /v1/ai/chat',
    path: () => '/v1/ai/chat',
    valid: (fx) => ({ message: 'hello', session_id: fx.sessionId }),
    fields: { message: 'string', session_id: 'string' },
    required: ['message'],
  },
];

describe('every endpoint refuses malformed, mistyped, incomplete, padded and oversized bodies', () => {
  it.each(ENDPOINTS.map((e) => [e.route, e] as const))('%s', async (_route, ep) => {
    const [method] = ep.route.split(' ') as [string];
    await batch(async (problem) => {
      const path = ep.path(fx);
      const go = (opts: CallOptions) => send(method, path, { anonymous: ep.anonymous, ...opts });
      // Independent refusals: sent all at once (the order cannot matter when nothing is accepted).
      const cases: [string, () => Promise<Res>, number?, string?][] = [];
      for (const raw of MALFORMED_JSON)
        cases.push([`malformed ${JSON.stringify(raw)}`, () => go({ raw }), 400, 'bad_request']);
      const valid = ep.valid?.(fx) ?? {};
      cases.push(['150 kB body', () => go({ body: huge(valid) }), 413, 'payload_too_large']);
      cases.push([
        'JSON sent as text/plain',
        () => go({ raw: JSON.stringify(valid), headers: { 'content-type': 'text/plain' } }),
        415,
      ]);
      if (ep.valid) {
        for (const raw of NOT_OBJECTS) cases.push([`body ${raw}`, () => go({ raw })]);
        for (const [field, kind] of Object.entries(ep.fields ?? {})) {
          for (const wrong of WRONG[kind]) {
            cases.push([
              `${field}=${JSON.stringify(wrong)}`,
              () => go({ body: { ...valid, [field]: wrong } }),
            ]);
          }
        }
        for (const field of ep.required ?? []) {
          const { [field]: _dropped, ...rest } = valid;
          cases.push([`without ${field}`, () => go({ body: rest })]);
        }
        cases.push(['extra field', () => go({ body: { ...valid, isAdmin: true } })]);
        const proto = JSON.stringify(valid).replace(/^\{/, '{"__proto__":{"isAdmin":true},');
        cases.push(['__proto__ field', () => go({ raw: proto })]);
        const ctorField = JSON.stringify(valid).replace(/^\{/, '{"constructor":{"prototype":{"x":1}},');
        cases.push(['constructor field', () => go({ raw: ctorField })]);
      }
      const answers = await Promise.all(cases.map(([, run]) => run()));
      cases.forEach(([what, , status, code], i) => {
        problem(what, refusalProblem(answers[i]!, status, code));
      });
    });
  });
});

// ------------------------------------------------------------------ hostile values in constrained fields

const startBody = (name: string, body: Record<string, unknown>) =>
  send('POST', `${WORKFLOWS}/start?workflow_name=${name}`, { body });

describe('names, refs and URLs: traversal, shell metacharacters, unicode tricks and markup are refused', () => {
  it('host names (join tokens, register_agent, an input step, agent environment and labels)', async () => {
    await batch(async (problem) => {
      for (const h of HOSTILE_NAMES) {
        const what = JSON.stringify(h);
        problem(
          `join-token ${what}`,
          refusalProblem(await send('POST', '/v1/agents/join-tokens', { body: { hostname: h } })),
        );
        problem(`register_agent ${what}`, refusalProblem(await startBody('register_agent', { hostname: h })));
        problem(
          `register_agent environment ${what}`,
          refusalProblem(await startBody('register_agent', { hostname: 'hx-ok-host', environment: h })),
        );
        problem(
          `ask_host input ${what}`,
          refusalProblem(await send('POST', `${WORKFLOWS}/${fx.input}/input`, { body: { value: h } })),
        );
        const patch = (body: unknown) => send('PATCH', `/v1/agents/${fx.agentId}`, { body });
        problem(`agent environment ${what}`, refusalProblem(await patch({ environment: h })));
        problem(`agent label key ${what}`, refusalProblem(await patch({ labels: { [h]: 'v' } })));
      }
    });
  });

  it('user names', async () => {
    await batch(async (problem) => {
      for (const u of HOSTILE_NAMES) {
        const res = await send('POST', '/v1/users', {
          body: { username: u, password: 'a-long-enough-password', role: 'viewer' },
        });
        problem(`username ${JSON.stringify(u)}`, refusalProblem(res));
      }
      for (const role of ['root', 'Admin', 'admin ', 'superuser', '__proto__']) {
        const res = await send('POST', '/v1/users', {
          body: { username: 'hx-role', password: 'a-long-enough-password', role },
        });
        problem(`role ${role}`, refusalProblem(res));
      }
    });
  });

  it('repository names and refs (registry, jobs, deploy_application)', async () => {
    await batch(async (problem) => {
      for (const v of HOSTILE_NAMES) {
        const what = JSON.stringify(v);
        const repo = (body: unknown) => send('POST', '/v1/repositories', { body });
        const job = (body: unknown) => send('POST', '/v1/jobs', { body });
        problem(`repository name ${what}`, refusalProblem(await repo({ name: v, url: fx.repoDir })));
        problem(
          `default_ref ${what}`,
          refusalProblem(await repo({ name: 'hostile/x', url: fx.repoDir, default_ref: v })),
        );
        problem(
          `job repository ${what}`,
          refusalProblem(await job({ repository: v, ref: 'main', agent: 'hostile-agent' })),
        );
        problem(
          `job ref ${what}`,
          refusalProblem(await job({ repository: 'hostile/app', ref: v, agent: 'hostile-agent' })),
        );
        problem(
          `job agent ${what}`,
          refusalProblem(await job({ repository: 'hostile/app', ref: 'main', agent: v })),
        );
        problem(
          `deploy repository ${what}`,
          refusalProblem(await startBody('deploy_application', { repository: v, ref: 'main' })),
        );
        problem(
          `deploy ref ${what}`,
          refusalProblem(await startBody('deploy_application', { repository: 'hostile/app', ref: v })),
        );
        problem(
          `retry agent ${what}`,
          refusalProblem(await send('POST', `/v1/jobs/${fx.jobId}/retry`, { body: { agent: v } })),
        );
      }
    });
  });

  it('git URLs that would run a command, read an option, or hide what they are', async () => {
    await batch(async (problem) => {
      for (const [i, url] of HOSTILE_URLS.entries()) {
        // A name of its own each, so that one accepted URL does not turn the next into a 409.
        const res = await send('POST', '/v1/repositories', { body: { name: `hostile/url-${i}`, url } });
        problem(`url ${JSON.stringify(url)}`, refusalProblem(res));
      }
    });
  });

  it('workflow names in the query string', async () => {
    await batch(async (problem) => {
      for (const v of [...HOSTILE_NAMES, 'constructor', '__proto__', 'toString']) {
        const res = await send('POST', `${WORKFLOWS}/start?workflow_name=${encodeAny(v)}`, {
          body: {},
        });
        problem(`workflow_name ${JSON.stringify(v)}`, refusalProblem(res));
        const viaChat = await send(
          'POST',
          `/v1/ai/sessions/${fx.sessionId}/runs?workflow_name=${encodeAny(v)}`,
          { body: {} },
        );
        problem(`chat run workflow_name ${JSON.stringify(v)}`, refusalProblem(viaChat));
      }
    });
  });
});

describe('path parameters and query strings', () => {
  const ROUTES_WITH_IDS: [method: string, template: string][] = [
    ['GET', `${WORKFLOWS}/:x`],
    ['GET', `${WORKFLOWS}/:x/events`],
    ['POST', `${WORKFLOWS}/:x/approve`],
    ['POST', `${WORKFLOWS}/:x/input`],
    ['POST', `${WORKFLOWS}/:x/cancel`],
    ['POST', `${WORKFLOWS}/:x/reveal`],
    ['GET', '/v1/agents/:x'],
    ['GET', '/v1/agents/:x/heartbeats'],
    ['PATCH', '/v1/agents/:x'],
    ['DELETE', '/v1/agents/:x'],
    ['GET', '/v1/repositories/:x/app'],
    ['GET', '/v1/repositories/hostile/:x'],
    ['DELETE', '/v1/repositories/hostile/:x'],
    ['DELETE', '/v1/repositories/:x/:x'],
    ['GET', '/v1/jobs/:x'],
    ['GET', '/v1/jobs/:x/logs'],
    ['POST', '/v1/jobs/:x/cancel'],
    ['POST', '/v1/jobs/:x/retry'],
    ['DELETE', '/v1/tokens/:x'],
    ['PATCH', '/v1/users/:x'],
    ['DELETE', '/v1/users/:x'],
    ['GET', '/v1/ai/sessions/:x'],
    ['GET', '/v1/ai/sessions/:x/history'],
    ['PATCH', '/v1/ai/sessions/:x'],
    ['DELETE', '/v1/ai/sessions/:x'],
  ];
  const bodyFor = (method: string, template: string) =>
    method === 'GET' || method === 'DELETE'
      ? undefined
      : template.endsWith('approve')
        ? { approved: true }
        : template.endsWith('input')
          ? { value: 'web-01' }
          : template.startsWith('/v1/users')
            ? { disabled: true }
            : template.startsWith('/v1/agents')
              ? { draining: true }
              : {};

  it('every :id, :ref and :name refuses traversal, NUL, overlong UTF-8, bidi controls and markup', async () => {
    await batch(async (problem) => {
      for (const [method, template] of ROUTES_WITH_IDS) {
        const paths = HOSTILE_SEGMENTS.map((segment) => template.replaceAll(':x', segment));
        const answers = await Promise.all(
          paths.map((path) => send(method, path, { body: bodyFor(method, template) })),
        );
        paths.forEach((path, i) => {
          problem(`${method} ${path}`, refusalProblem(answers[i]!));
        });
      }
    });
  });

  it('query strings with NUL, lone surrogates, traversal, markup and out-of-range numbers', async () => {
    const queries = [
      '/v1/audit?action=%00',
      '/v1/audit?actor=a%00b',
      '/v1/audit?limit=-1',
      '/v1/audit?limit=abc',
      '/v1/audit?limit=1e9',
      '/v1/jobs?agent=%00',
      '/v1/jobs?status=%3Cscript%3E',
      '/v1/jobs?repository=..%2Fetc',
      '/v1/jobs?cause=%24(id)',
      '/v1/jobs?limit=0',
      `/v1/jobs/${'6f1c9a52-3a43-4c2e-9d51-3b7e1f0c2a11'}/logs?after=abc`,
      `${WORKFLOWS}?state=..%2F`,
      `${WORKFLOWS}?name=%00`,
      `${WORKFLOWS}?limit=-5`,
      `${WORKFLOWS}/${'6f1c9a52-3a43-4c2e-9d51-3b7e1f0c2a11'}/events?after=%00`,
      '/v1/ai/sessions?archived=%3Cscript%3E',
      '/v1/ai/sessions?limit=0',
    ];
    await batch(async (problem) => {
      for (const q of queries) problem(q, refusalProblem(await send('GET', q)));
    });
  });
});

// ------------------------------------------------------------------ free text: stored as data, never as markup

describe('free text', () => {
  it('NUL bytes and lone surrogates in free text are refused with a 4xx, never a 500', async () => {
    await batch(async (problem) => {
      for (const [kind, text] of Object.entries(UNSTORABLE)) {
        const cases: [string, () => Promise<Res>][] = [
          [
            'login username',
            () =>
              send('POST', '/v1/auth/login', { anonymous: true, body: { username: text, password: 'x' } }),
          ],
          [
            'login password',
            () =>
              send('POST', '/v1/auth/login', {
                anonymous: true,
                body: { username: 'hx-viewer', password: text },
              }),
          ],
          ['token name', () => send('POST', '/v1/tokens', { body: { name: text } })],
          ['start text input', () => startBody('auto_chain', { who: text })],
          [
            'approve note',
            () =>
              send('POST', `${WORKFLOWS}/${fx.gate}/approve`, {
                body: { approved: true, user_input: 'blue', note: text },
              }),
          ],
          [
            'free approval input',
            () =>
              send('POST', `${WORKFLOWS}/${fx.freeGate}/approve`, {
                body: { approved: true, user_input: text },
              }),
          ],
          [
            'reject note',
            () =>
              send('POST', `${WORKFLOWS}/${fx.freeGate}/approve`, { body: { approved: false, note: text } }),
          ],
          [
            'input note',
            () => send('POST', `${WORKFLOWS}/${fx.input}/input`, { body: { value: 'web-01', note: text } }),
          ],
          ['cancel reason', () => send('POST', `${WORKFLOWS}/${fx.busy}/cancel`, { body: { reason: text } })],
          [
            'agent label value',
            () => send('PATCH', `/v1/agents/${fx.agentId}`, { body: { labels: { team: text } } }),
          ],
          [
            'job idempotency key',
            () =>
              send('POST', '/v1/jobs', {
                body: {
                  repository: 'hostile/app',
                  ref: 'main',
                  agent: 'hostile-agent',
                  idempotency_key: text,
                },
              }),
          ],
          ['session title', () => send('POST', '/v1/ai/sessions', { body: { title: text } })],
          [
            'chat message',
            () => send('POST', '/v1/ai/chat', { body: { message: text, session_id: fx.sessionId } }),
          ],
        ];
        for (const [what, go] of cases) problem(`${kind} in ${what}`, refusalProblem(await go()));
      }
    });
    // Nothing was decided, cancelled or submitted on the way.
    for (const id of [fx.gate, fx.freeGate, fx.input]) {
      expect((await admin.get<WorkflowRun>(`${WORKFLOWS}/${id}`)).body.status).toBe('waiting');
    }
    expect((await admin.get<WorkflowRun>(`${WORKFLOWS}/${fx.busy}`)).body.status).toBe('running');
  });

  it('markup in free text comes back as inert JSON data, exactly as sent', async () => {
    for (const payload of XSS) {
      const token = await send('POST', '/v1/tokens', { body: { name: payload } });
      expect(token.status).toBe(201);
      expect(token.contentType).toMatch(/^application\/json/);
      expect(token.headers.get('x-content-type-options')).toBe('nosniff');
      expect((token.body as { name: string }).name).toBe(payload);

      const run = await startBody('auto_chain', { who: payload });
      expect(run.status).toBe(201);
      expect(run.contentType).toMatch(/^application\/json/);
      const read = await send('GET', `${WORKFLOWS}/${(run.body as WorkflowRun).id}`);
      expect(read.contentType).toMatch(/^application\/json/);
      expect((read.body as WorkflowRun).context.who).toBe(payload);

      // Error answers that name what was asked for are JSON too.
      for (const res of [
        await send('DELETE', `/v1/users/${encodeURIComponent(payload)}`),
        await send('GET', `/v1/${encodeURIComponent(payload)}`),
        await send('GET', `/${encodeURIComponent(payload)}`),
        await send('POST', '/v1/jobs', { body: { repository: 'hostile/app', ref: 'main', agent: payload } }),
      ]) {
        expectErrorShape(res, payload);
        expect(res.contentType).toMatch(/^application\/json/);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      }

      const chat = await send('POST', '/v1/ai/chat', {
        body: { message: payload, session_id: fx.sessionId },
      });
      expect(chat.contentType).toMatch(/^application\/json/);
      expect(chat.status, chat.text).toBeLessThan(500);
    }
    // Nowhere does the API answer with HTML.
    for (const path of ['/', '/index.html', '/v1', '/v1/', '/socket.io/']) {
      expect((await send('GET', path)).contentType).not.toMatch(/html/);
    }
  });
});

// ------------------------------------------------------------------ socket events

const ERROR_4XX = new Set([
  'bad_request',
  'validation_failed',
  'not_found',
  'forbidden',
  'conflict',
  'payload_too_large',
]);

function ackProblem(ack: unknown): Problem | null {
  if (ack === NO_ACK) return 'no ack';
  const a = ack as { error?: { code?: unknown; message?: unknown; details?: unknown } };
  if (!a || typeof a !== 'object' || !a.error)
    return `not an error ack: ${JSON.stringify(ack)?.slice(0, 200)}`;
  if (Object.keys(a).join() !== 'error') return `ack has more than error: ${Object.keys(a)}`;
  if (Object.keys(a.error).some((k) => !['code', 'message', 'details'].includes(k))) return 'odd error keys';
  if (typeof a.error.message !== 'string' || a.error.message === '') return 'no message';
  if (!ERROR_4XX.has(a.error.code as string)) return `code ${String(a.error.code)}: ${a.error.message}`;
  if (/\n\s+at |\.[cm]?[jt]s:\d+|node_modules/.test(JSON.stringify(ack))) return 'leaks a stack trace';
  return null;
}

const big = 'x'.repeat(200 * 1024);
const uuid = '6f1c9a52-3a43-4c2e-9d51-3b7e1f0c2a11';
const COMMON_BAD = ['x', 42, true, [], ['a'], big];

/** Hostile payloads per event (a missing payload is covered by its own test). */
const SOCKET_PAYLOADS: Record<string, unknown[]> = {
  'workflow:subscribe': [
    ...COMMON_BAD,
    null,
    {},
    { runId: 42 },
    { runId: '../../etc/passwd' },
    { runId: 'x\u0000' },
    { runId: '\ud800' },
    { runId: uuid, extra: true },
    { runId: { $ne: null } },
    { runId: big },
  ],
  'workflow:unsubscribe': [...COMMON_BAD, null, {}, { runId: '../x' }, { runId: uuid, extra: 1 }],
  'workflows:subscribe': [...COMMON_BAD, { extra: 1 }, { state: 'all' }],
  'fleet:subscribe': [...COMMON_BAD, { extra: 1 }],
  'job:subscribe': [...COMMON_BAD, null, {}, { jobId: '$(id)' }, { jobId: '%00' }, { jobId: uuid, x: 1 }],
  'job:unsubscribe': [...COMMON_BAD, null, {}, { jobId: '`id`' }],
  'job:logs': [
    ...COMMON_BAD,
    null,
    {},
    { jobId: uuid },
    { jobId: uuid, before: -1 },
    { jobId: uuid, before: '1' },
    { jobId: uuid, before: 1, limit: 1e9 },
    { jobId: uuid, before: 1, after: 0 },
  ],
  'chat:subscribe': [...COMMON_BAD, null, {}, { sessionId: '../../etc' }, { sessionId: uuid, x: 1 }],
  'chat:unsubscribe': [...COMMON_BAD, null, {}, { sessionId: 7 }],
  'chat:send': [
    ...COMMON_BAD,
    null,
    {},
    { sessionId: uuid },
    { sessionId: 'x', message: 'hi' },
    { sessionId: '__SESSION__', message: '' },
    { sessionId: '__SESSION__', message: 42 },
    { sessionId: '__SESSION__', message: 'x'.repeat(8001) },
    { sessionId: '__SESSION__', message: 'hi', role: 'system' },
    { sessionId: '__SESSION__', message: UNSTORABLE.nul },
    { sessionId: '__SESSION__', message: UNSTORABLE.loneSurrogate },
  ],
  'chat:stop': [...COMMON_BAD, null, {}, { sessionId: uuid, messageId: 'x' }],
};

const withSession = (payload: unknown): unknown =>
  JSON.parse(JSON.stringify(payload ?? null).replaceAll('__SESSION__', fx.sessionId));

describe('socket events', () => {
  let socket: WebSocketClient;
  beforeAll(async () => {
    socket = await connectWeb(s.url, { token: TEST_ADMIN_TOKEN });
  });
  afterAll(() => socket?.close());

  const stillUsable = async () => {
    const ack = (await askAny(socket, 'fleet:subscribe', {})) as { data?: unknown };
    expect(socket.connected, 'the socket was dropped').toBe(true);
    expect(ack.data, 'the socket no longer answers').toBeDefined();
  };

  it.each(Object.keys(SOCKET_PAYLOADS))(
    '%s refuses hostile payloads with an error ack; the socket stays usable',
    async (event) => {
      await batch(async (problem) => {
        for (const payload of SOCKET_PAYLOADS[event]!) {
          const sent =
            typeof payload === 'object' && payload !== null && JSON.stringify(payload).includes('__SESSION__')
              ? withSession(payload)
              : payload;
          const ack = await askAny(socket, event, sent, 3000);
          problem(`${event} ${JSON.stringify(sent)?.slice(0, 80)}`, ackProblem(ack));
        }
      });
      await stillUsable();
    },
  );

  it('an event sent without any payload is still answered (the ack is not taken for the payload)', async () => {
    const events = Object.keys(SOCKET_PAYLOADS);
    const acks = await Promise.all(events.map((event) => askAny(socket, event, undefined, 1000)));
    const outcomes = Object.fromEntries(
      events.map((e, i) => [e, acks[i] === NO_ACK ? 'no answer' : 'answered']),
    );
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(SOCKET_PAYLOADS).map((e) => [e, 'answered'])));
    await stillUsable();
  });
});

describe('the agent protocol', () => {
  it('hostile agent messages get error acks (or are dropped), change nothing, and the agent stays connected', async () => {
    const jobBefore = (await admin.get<JobDto>(`/v1/jobs/${fx.jobId}`)).body;
    await batch(async (problem) => {
      const hellos = [
        null,
        'x',
        42,
        [],
        {},
        { ...AGENT_INFO, extra: 1 },
        { ...AGENT_INFO, runningJobs: ['../x'] },
        { ...AGENT_INFO, version: big },
      ];
      for (const h of hellos)
        problem(
          `agent:hello ${JSON.stringify(h)?.slice(0, 60)}`,
          ackProblem(await agent.ask('agent:hello', h)),
        );
      const statuses = [
        null,
        'x',
        {},
        { jobId: '../../etc', status: 'failed' },
        { jobId: fx.jobId, status: 'exploded' },
        { jobId: fx.jobId, status: 'failed', extra: true },
        { jobId: fx.jobId, status: 'failed', exitCode: 'x' },
        { jobId: fx.jobId, status: 'failed', error: big },
        { jobId: fx.jobId, status: 'failed', error: UNSTORABLE.nul },
        { jobId: uuid, status: 'failed' },
      ];
      for (const st of statuses)
        problem(
          `job:status ${JSON.stringify(st)?.slice(0, 80)}`,
          ackProblem(await agent.ask('job:status', st)),
        );
      // Fire-and-forget messages: no ack to check, but nothing may change and nothing may crash.
      for (const logs of [
        null,
        { jobId: fx.jobId, lines: [] },
        { jobId: uuid, lines: [{ seq: 0, stream: 'stdout', line: 'x', at: 'now' }] },
      ]) {
        agent.emit('job:logs', logs);
      }
      for (const hb of [
        null,
        { runningJobs: 'x', load: 1 },
        { runningJobs: [], load: -1 },
        { runningJobs: [], load: 'high' },
      ]) {
        agent.emit('agent:heartbeat', hb);
      }
    });
    expect(agent.connected).toBe(true);
    const hello = await agent.hello();
    expect('data' in hello, JSON.stringify(hello)).toBe(true);
    const jobAfter = (await admin.get<JobDto>(`/v1/jobs/${fx.jobId}`)).body;
    expect(jobAfter).toEqual(jobBefore);
    expect((await admin.get<{ lines: unknown[] }>(`/v1/jobs/${fx.jobId}/logs`)).body.lines).toEqual([]);
  });

  it('a handshake with hostile auth is refused and the namespace keeps serving', async () => {
    for (const [token, hostname] of [
      ['', 'hostile-agent'],
      ['x'.repeat(16), 'hostile-agent'],
      [`dba_${'x'.repeat(40)}`, '../../etc/passwd'],
      [`dbj_${'x'.repeat(40)}`, 'a\u0000b'],
      [big, 'hostile-agent'],
    ] as const) {
      expect(await FakeAgent.refusal(s.url, token, hostname)).toMatch(/^unauthorized/);
    }
    expect(agent.connected).toBe(true);
  });
});
