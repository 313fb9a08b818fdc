import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JobDto, RepositoryDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN } from '../../src/demo/demo-agent';
import { type AgentProcess, spawnAgent } from '../fleet/support/fleet-harness';
import { createDeployRepo } from '../fleet/support/git-repo';
import { createJob, enrollAgent } from './support/fleet';
import { type GitHttpServer, startGitHttpServer } from './support/git-http-server';
import { type Client, client } from './support/http';
import { eventually, hasStatus, startRun, WORKFLOWS, waitForRun, waitingAt } from './support/runs';
import { type SecurityServer, startSecurityServer, TEST_ADMIN_TOKEN } from './support/server';
import { createUser, type TestUser } from './support/users';

/**
 * Credentials in a repository URL (`http://user:TOKEN@host/app.git`) reach git and nothing else: every viewer
 * sees the URL without them, in the registry, jobs, job errors, runs and their events, the audit log, the
 * controller's log and the agent's. A real git host (git http-backend behind Basic authentication) and a real
 * agent process prove they still work where git needs them: the controller's ls-remote and the agent's fetch.
 */

const exec = promisify(execFile);
const HOST = 'creds-agent-01';
const USER = 'deployer-Us3r';
const SECRET = 'S3cret-PAT-7fq2x';
const WRONG = 'Wr0ng-PAT-9kd4z';
/** Nothing any reader sees may contain these. */
const NEVER_SHOWN = [USER, SECRET, WRONG, encodeURIComponent(SECRET)];

let tmp: string;
let git: GitHttpServer;
let s: SecurityServer;
let admin: Client;
let viewer: TestUser;
let agent: AgentProcess;
let bare: (repo: string) => string;
let withUserinfo: (repo: string, password: string) => string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'deploybot-repo-creds-'));
  const root = join(tmp, 'git');
  await createDeployRepo(join(root, 'hello.git'), { bare: true });
  await exec('git', [
    'clone',
    '--quiet',
    '--bare',
    '--',
    join(root, 'hello.git'),
    join(root, 'refusing.git'),
  ]);
  git = await startGitHttpServer({
    root,
    username: USER,
    password: SECRET,
    // ls-remote works on refusing.git; the agent's fetch is refused.
    deny: (req, body) =>
      req.url?.startsWith('/refusing.git/') && /command=fetch|want [0-9a-f]{40}/.test(body) ? 403 : null,
  });
  const host = git.url.replace('http://', '');
  bare = (repo) => `${git.url}/${repo}`;
  withUserinfo = (repo, password) => `http://${USER}:${password}@${host}/${repo}`;

  s = await startSecurityServer({ captureLogs: true });
  admin = client(s.url, { token: TEST_ADMIN_TOKEN });
  viewer = await createUser(s.url, 'rc-viewer', 'viewer');
  // Enrolled over the protocol, then run as the real agent binary with the credential it was given.
  const enrolled = await enrollAgent(s, HOST);
  const credential = enrolled.agent.credential!;
  enrolled.agent.close();
  await enrolled.agent.disconnected().catch(() => undefined);
  const workdir = join(tmp, 'agent-work');
  agent = spawnAgent(
    [
      AGENT_BIN,
      ...['--controller', s.url, '--hostname', HOST, '--workdir', workdir],
      ...['--state-dir', join(tmp, 'agent-state'), '--log-level', 'debug'],
    ],
    { hostname: HOST, workdir, env: { DEPLOYBOT_TOKEN: credential } },
  );
  await eventually(
    `${HOST} online`,
    async () => (await admin.get<{ status: string }>(`/v1/agents/${HOST}`)).body?.status,
    (status) => status === 'online',
    20_000,
  );
});

afterAll(async () => {
  await agent?.kill();
  await s?.close();
  await git?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function expectNoCredentials(what: string, text: string): void {
  for (const secret of NEVER_SHOWN) expect(text, `${what} shows ${secret}`).not.toContain(secret);
}

async function register(name: string, url: string): Promise<RepositoryDto> {
  const res = await admin.post<RepositoryDto>('/v1/repositories', { name, url });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

async function finishedJob(id: string): Promise<JobDto> {
  return eventually(
    `job ${id} to finish`,
    async () => (await admin.get<JobDto>(`/v1/jobs/${id}`)).body,
    (job) => ['success', 'failed', 'cancelled'].includes(job.status),
    30_000,
  );
}

describe('credentials in repository URLs', () => {
  it('are taken out of the URL at registration and stored sealed', async () => {
    const created = await register('creds/app', withUserinfo('hello.git', SECRET));
    expect(created).toMatchObject({ name: 'creds/app', url: bare('hello.git'), hasCredentials: true });
    await register('creds/refusing', withUserinfo('refusing.git', SECRET));
    await register('creds/wrong', withUserinfo('hello.git', WRONG));
    const plain = await register('creds/plain', bare('hello.git'));
    expect(plain.hasCredentials).toBe(false);

    for (const reader of [admin, viewer.api]) {
      const list = await reader.get<{ repositories: RepositoryDto[] }>('/v1/repositories');
      expect(list.status).toBe(200);
      expect(list.body.repositories.find((r) => r.name === 'creds/app')?.url).toBe(bare('hello.git'));
      expectNoCredentials('GET /v1/repositories', list.text);
      const one = await reader.get<RepositoryDto>('/v1/repositories/creds/wrong');
      expect(one.body.url).toBe(bare('hello.git'));
      expectNoCredentials('GET /v1/repositories/creds/wrong', one.text);
    }
    const rows = await s.db.query<{ url: string; credentials: string | null }>(
      "SELECT url, credentials FROM repositories WHERE name LIKE 'creds/%'",
    );
    expect(rows.filter((r) => r.credentials !== null)).toHaveLength(3);
    for (const row of rows) {
      expect(row.credentials ?? 'v1:').toMatch(/^v1:/);
      expectNoCredentials('the repositories table', JSON.stringify(row));
    }
  });

  it('reach git where it needs them: the controller resolves the ref and the agent fetches the commit', async () => {
    const before = git.authorized;
    const job = await createJob(s, 'creds/app', HOST);
    expect(job.repositoryUrl).toBe(bare('hello.git'));
    const done = await finishedJob(job.id);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'success', error: null });
    // ls-remote (controller) and fetch (agent) both came with the credentials.
    expect(git.authorized).toBeGreaterThan(before + 1);
    const logs = await viewer.api.get(`/v1/jobs/${job.id}/logs`);
    expect(logs.status).toBe(200);
    expect(logs.text).toContain(`${git.url.replace('http://', '')}/hello.git`);
    expectNoCredentials('the job log', logs.text);
  });

  it('stay out of a failed fetch: the job error names the URL without them', async () => {
    const job = await createJob(s, 'creds/refusing', HOST);
    const done = await finishedJob(job.id);
    expect(done).toMatchObject({ status: 'failed', cause: 'clone_failed' });
    expect(done.error).toContain(bare('refusing.git'));
    const shown = await viewer.api.get(`/v1/jobs/${job.id}`);
    expectNoCredentials('the failed job', shown.text);
    expectNoCredentials('the failed job log', (await viewer.api.get(`/v1/jobs/${job.id}/logs`)).text);

    // troubleshoot_failure checks whether the repository is reachable again: with its credentials, it is.
    const run = await startRun(admin, 'troubleshoot_failure', { job_id: job.id });
    const waiting = await waitForRun(admin, run.id, waitingAt('suggest_fix'), 'suggest_fix', 20_000);
    const plan = waiting.steps.find((step) => step.id === 'suggest_fix')?.plan;
    expect(plan?.data).toMatchObject({ cause: 'clone_failed', remedy: { action: 'retry' } });
    expectNoCredentials('the troubleshoot run', (await viewer.api.get(`${WORKFLOWS}/${run.id}`)).text);
    expect((await admin.post(`${WORKFLOWS}/${run.id}/cancel`)).status).toBe(200);
  });

  it('stay out of a refused ls-remote: the REST error, the run error and its events', async () => {
    const refused = await admin.post('/v1/jobs', { repository: 'creds/wrong', ref: 'main', agent: HOST });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain(bare('hello.git'));
    expectNoCredentials('the refused job', refused.text);

    // An unreachable remote is not refused at start (it may be a passing outage): validate_repository, the
    // first step, fails before anyone is asked to approve a target.
    const run = await startRun(admin, 'deploy_application', { repository: 'creds/wrong', ref: 'main' });
    const failed = await waitForRun(admin, run.id, hasStatus('failed'), 'the run to fail', 20_000);
    expect(failed.steps.map((s) => [s.id, s.status])).toEqual([
      ['validate_repository', 'failed'],
      ['select_agent', 'pending'],
      ['create_job', 'pending'],
      ['monitor_job', 'pending'],
    ]);
    expect(failed.error).toContain('cannot reach');
    expect(failed.error).toContain(bare('hello.git'));
    for (const reader of [admin, viewer.api]) {
      expectNoCredentials('the run', (await reader.get(`${WORKFLOWS}/${run.id}`)).text);
      const events = await reader.get(`${WORKFLOWS}/${run.id}/events?after=0`);
      expect(events.status).toBe(200);
      expectNoCredentials('the run events', events.text);
    }
  });

  it('are rotated with a PATCH carrying the new ones; a URL without user-info leaves none', async () => {
    await register('creds/rotated', withUserinfo('hello.git', WRONG));
    const refused = await admin.post('/v1/jobs', { repository: 'creds/rotated', ref: 'main', agent: HOST });
    expect(refused.status).toBe(400);

    const rotated = await admin.patch<RepositoryDto>('/v1/repositories/creds/rotated', {
      url: withUserinfo('hello.git', SECRET),
    });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body).toMatchObject({ url: bare('hello.git'), hasCredentials: true, defaultRef: 'main' });
    expectNoCredentials('the PATCH answer', rotated.text);
    const job = await createJob(s, 'creds/rotated', HOST);
    expect(await finishedJob(job.id)).toMatchObject({ status: 'success' });

    // Only the default ref: the credentials stay.
    const ref = await admin.patch<RepositoryDto>('/v1/repositories/creds/rotated', { default_ref: 'v1.0.0' });
    expect(ref.body).toMatchObject({ hasCredentials: true, defaultRef: 'v1.0.0' });
    // A bare URL drops them.
    const dropped = await admin.patch<RepositoryDto>('/v1/repositories/creds/rotated', {
      url: bare('hello.git'),
    });
    expect(dropped.body.hasCredentials).toBe(false);
    const row = await s.db.query<{ credentials: string | null }>(
      "SELECT credentials FROM repositories WHERE name = 'creds/rotated'",
    );
    expect(row[0]?.credentials).toBeNull();

    for (const bad of [{}, { url: 'ext::sh -c id' }, { default_ref: '--upload-pack=x' }, { name: 'x/y' }]) {
      expect((await admin.patch('/v1/repositories/creds/rotated', bad)).status, JSON.stringify(bad)).toBe(
        400,
      );
    }
    expect((await viewer.api.patch('/v1/repositories/creds/rotated', { default_ref: 'main' })).status).toBe(
      403,
    );
    expect((await admin.patch('/v1/repositories/creds/missing', { default_ref: 'main' })).status).toBe(404);
  });

  it('appear nowhere a person or a log reader looks', async () => {
    const runs = await admin.get<{ runs: WorkflowRun[] }>(`${WORKFLOWS}?state=all&limit=500`);
    const reads = [
      '/v1/repositories',
      '/v1/jobs?limit=500',
      '/v1/agents',
      '/v1/hosts',
      `${WORKFLOWS}?state=all&limit=500`,
      ...runs.body.runs.map((r) => `${WORKFLOWS}/${r.id}/events?after=0`),
    ];
    for (const path of reads) {
      const res = await viewer.api.get(path);
      expect(res.status, `${path}: ${res.text}`).toBe(200);
      expectNoCredentials(path, res.text);
    }
    const audit = await admin.get<{ entries: { action: string; detail: unknown }[] }>('/v1/audit?limit=500');
    expect(audit.status).toBe(200);
    expect(audit.text).toContain('repository.create');
    expectNoCredentials('GET /v1/audit', audit.text);
    expectNoCredentials("the controller's log", s.logs());
    expectNoCredentials("the agent's log", agent.output());
    expect(s.logs()).not.toBe('');
  });

  it('stored in a URL before they were kept apart are sealed at start-up, and still work', async () => {
    await s.db.query(
      `INSERT INTO repositories (id, name, url, default_ref, created_at)
       VALUES (gen_random_uuid(), 'creds/legacy', $1, 'main', now())`,
      [withUserinfo('hello.git', SECRET)],
    );
    // Shown without them even before the start-up pass...
    const early = await viewer.api.get<RepositoryDto>('/v1/repositories/creds/legacy');
    expect(early.body.url).toBe(bare('hello.git'));
    expectNoCredentials('a legacy row', early.text);
    // ...which is what `listen` runs first.
    expect(await s.app.fleet.repositories.sealStoredCredentials()).toBe(1);
    expect(await s.app.fleet.repositories.sealStoredCredentials()).toBe(0);
    const [row] = await s.db.query<{ url: string; credentials: string }>(
      "SELECT url, credentials FROM repositories WHERE name = 'creds/legacy'",
    );
    expect(row).toMatchObject({ url: bare('hello.git'), credentials: expect.stringMatching(/^v1:/) });
    const done = await finishedJob((await createJob(s, 'creds/legacy', HOST)).id);
    expect(done.status).toBe('success');
  });

  it('may not travel in a query string or an ssh URL', async () => {
    for (const url of [
      `${bare('hello.git')}?access_token=${SECRET}`,
      `ssh://git:${SECRET}@example.com/a.git`,
    ]) {
      const res = await admin.post('/v1/repositories', { name: 'creds/query', url });
      expect(res.status, res.text).toBe(400);
      expect(res.text).toContain('url');
    }
    expect((await admin.get('/v1/repositories/creds/query')).status).toBe(404);
  });
});
