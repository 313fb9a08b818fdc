import { existsSync } from 'node:fs';
import { mkdir, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentDto, JobDto, RepositoryDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, expectError, expectFieldError, stepOf, WORKFLOWS } from '../helpers/http-client';
import {
  type AgentProcess,
  type Controller,
  deploy,
  enrollAgent,
  finished,
  getJob,
  jobLogs,
  listAgents,
  listJobs,
  registerRepository,
  revealJoinToken,
  runEnrollCommand,
  startController,
  waitForRun,
} from './support/fleet-harness';
import { createDeployRepo, type DeployRepo, GREETING, NO_SECRETS, UNUSUAL_REF } from './support/git-repo';

const HOST = 'fleet-odd-01';
const REPO = 'fleet/hello';

let c: Controller;
let repo: DeployRepo;
/** Every payload below that would run a command creates a file in here; it must stay empty. */
let markers: string;
/** A file that a payload would delete if it ran. */
let canary: string;

beforeAll(async () => {
  c = await startController('hostile');
  markers = join(c.tmp, 'markers');
  await mkdir(markers);
  canary = join(c.tmp, 'canary');
  await writeFile(canary, 'still here\n');
  repo = await createDeployRepo(join(c.tmp, 'repos', 'hello'));
  await registerRepository(c, REPO, repo.url);
  await enrollAgent(c, HOST, { tokenVia: 'env' });
});

afterAll(async () => {
  await c?.close();
});

async function expectNothingExecuted(): Promise<void> {
  expect(await readdir(markers)).toEqual([]);
  expect(existsSync(canary)).toBe(true);
}

const runCount = async () =>
  (await c.api.get<{ runs: WorkflowRun[] }>(`${WORKFLOWS}?state=all&limit=500`)).body.runs.length;

const startRaw = (name: string, body: unknown) =>
  c.api.post(`${WORKFLOWS}/start?workflow_name=${name}`, body);

/** Asserts the 400 names `field` and that its message is about that field. */
function expectRefused(res: ApiResponse, field: string, value: string): void {
  expectFieldError(res, field);
  const details = (res.body as { error: { details: { path: string; message: string }[] } }).error.details;
  // A payload is never echoed back into the error (short values may coincide with the message's words).
  if (value.length > 8) expect(JSON.stringify(details), `${field}=${value}`).not.toContain(value);
}

describe('hostile host names', () => {
  const hostnames = () => [
    `web-01; touch ${markers}/semicolon`,
    `web-01; rm -rf ${canary}`,
    `$(touch ${markers}/subshell)`,
    `\`touch ${markers}/backtick\``,
    `web-01 && touch ${markers}/and`,
    `web-01|touch ${markers}/pipe`,
    `web-01\ntouch ${markers}/newline`,
    'a b',
    '-rf',
    '--token=x',
    '../../etc',
    'web_01',
  ];

  it('register_agent refuses each with 400 naming hostname; no run, no agent, nothing executed', async () => {
    const runs = await runCount();
    for (const hostname of hostnames()) {
      const res = await startRaw('register_agent', { hostname });
      expectRefused(res, 'hostname', hostname);
    }
    expect(await runCount()).toBe(runs);
    expect((await listAgents(c)).map((a) => a.hostname)).toEqual([HOST]);
    await expectNothingExecuted();
  });

  it('POST /v1/agents/join-tokens refuses each with 400 naming hostname', async () => {
    for (const hostname of hostnames()) {
      expectRefused(await c.api.post('/v1/agents/join-tokens', { hostname }), 'hostname', hostname);
    }
    await expectNothingExecuted();
  });

  it('a mixed-case host name is stored lower-case, so the agent it starts can enroll', async () => {
    const run = await c.api.start('register_agent', { hostname: 'Fleet-Case-01' });
    let agent: AgentProcess | undefined;
    try {
      const validated = await waitForRun(
        c,
        run.id,
        (r) => stepOf(r, 'validate_hostname').status === 'completed' || finished(r),
        'validate_hostname',
      );
      // The agent lower-cases its --hostname, as the controller's own comment says host names are stored.
      const command = (stepOf(validated, 'validate_hostname').data as { command: string }).command;
      agent = runEnrollCommand(command, await revealJoinToken(c, run.id), 'fleet-case-01');
      const outcome = await Promise.race([
        waitForRun(c, run.id, (r) => r.status === 'waiting', 'connectivity plan').then(() => 'connected'),
        agent!.waitForOutput(/controller refused the connection/).then((line) => `refused: ${line}`),
      ]);
      expect(outcome).toBe('connected');
      expect(validated.context.hostname).toBe('fleet-case-01');
      expect(command).toContain('--hostname fleet-case-01 ');
    } finally {
      await agent?.kill();
      await c.api.post(`${WORKFLOWS}/${run.id}/cancel`, {});
    }
  });
});

describe('hostile repositories and refs', () => {
  const badRepositories = () => [
    '../etc/passwd',
    'demo/app; id',
    `demo/$(touch ${markers}/repo)`,
    'fleet/hello/../../x',
    'fleet/..',
    'Demo/App',
    '-x/app',
  ];
  const badRefs = () => [
    `main; touch ${markers}/ref-semicolon`,
    `$(touch ${markers}/ref-subshell)`,
    '$(id)',
    `--upload-pack=touch ${markers}/upload-pack`,
    '--upload-pack=id',
    '-x',
    '`id`',
    'main..slow',
    'a b',
    'main\n--exec=id',
  ];

  it('deploy_application refuses each with 400 naming the field; no run is created', async () => {
    const runs = await runCount();
    for (const repository of badRepositories()) {
      const res = await startRaw('deploy_application', { repository, ref: 'main' });
      expectRefused(res, 'repository', repository);
    }
    for (const ref of badRefs()) {
      const res = await startRaw('deploy_application', { repository: REPO, ref });
      expectRefused(res, 'ref', ref);
    }
    expect(await runCount()).toBe(runs);
    await expectNothingExecuted();
  });

  it('POST /v1/jobs refuses bad refs and repositories with 400 naming the field; no job is created', async () => {
    const jobs = (await listJobs(c)).length;
    for (const ref of badRefs()) {
      expectRefused(await c.api.post('/v1/jobs', { repository: REPO, ref, agent: HOST }), 'ref', ref);
    }
    for (const repository of badRepositories()) {
      const res = await c.api.post('/v1/jobs', { repository, ref: 'main', agent: HOST });
      expectRefused(res, 'repository', repository);
    }
    expect((await listJobs(c)).length).toBe(jobs);
    await expectNothingExecuted();
  });

  it('POST /v1/repositories refuses command-running URLs, bad names and bad default refs', async () => {
    const before = (await c.api.get<{ repositories: RepositoryDto[] }>('/v1/repositories')).body.repositories;
    const urls = [
      `ext::sh -c touch% ${markers}/ext`,
      'ext::sh -c id',
      `--upload-pack=touch ${markers}/url-upload-pack`,
      '--upload-pack=x',
      '-oProxyCommand=id',
      'fd::3',
      'relative/path',
      `/repo\0; touch ${markers}/nul`,
    ];
    for (const url of urls) {
      expectRefused(await c.api.post('/v1/repositories', { name: 'fleet/evil', url }), 'url', url);
    }
    for (const name of badRepositories()) {
      expectRefused(await c.api.post('/v1/repositories', { name, url: repo.url }), 'name', name);
    }
    for (const ref of badRefs()) {
      const res = await c.api.post('/v1/repositories', {
        name: 'fleet/evil',
        url: repo.url,
        default_ref: ref,
      });
      expectRefused(res, 'default_ref', ref);
    }
    const after = (await c.api.get<{ repositories: RepositoryDto[] }>('/v1/repositories')).body.repositories;
    expect(after).toEqual(before);
    await expectNothingExecuted();
  });

  it('hostile agent and repository references are refused or looked up as plain values', async () => {
    const agent = encodeURIComponent(`x; touch ${markers}/agent-ref`);
    expectError(await c.api.get(`/v1/agents/${agent}`), 400, 'validation_failed');
    expectError(await c.api.request('DELETE', `/v1/agents/${agent}`), 400, 'validation_failed');
    expectError(
      await c.api.get(`/v1/repositories/fleet/${encodeURIComponent('$(id)')}`),
      400,
      'validation_failed',
    );
    // The agent of a job is looked up with a bound parameter, never spliced into SQL.
    const injection = "x' OR '1'='1";
    const res = await c.api.post('/v1/jobs', { repository: REPO, ref: 'main', agent: injection });
    expect(expectError(res, 404, 'not_found').message).toBe(`no agent ${injection}`);
    expect((await listAgents(c)).map((a: AgentDto) => [a.hostname, a.status])).toEqual([[HOST, 'online']]);
    await expectNothingExecuted();
  });
});

describe('unusual but valid values are passed safely', () => {
  it('deploys a ref with "/", "." and "+" from a repository whose path holds shell metacharacters', async () => {
    // The path itself would run commands if anything put it through a shell.
    const odd = join(
      c.tmp,
      'repos',
      `odd name; touch ${markers}/path-semicolon #$(touch ${markers}/path-subshell)`,
    );
    const oddRepo = await createDeployRepo(odd);
    const name = 'odd.org/my_app-2.0';
    await registerRepository(c, name, oddRepo.url);
    const sha = await oddRepo.sha(UNUSUAL_REF);

    const done = await deploy(c, { repository: name, ref: UNUSUAL_REF });
    expect(done.status, done.error ?? '').toBe('completed');
    expect(stepOf(done, 'validate_repository').data).toMatchObject({
      ref: UNUSUAL_REF,
      sha,
      resolvedFrom: `refs/heads/${UNUSUAL_REF}`,
    });
    const jobId = done.context.job_id as string;
    const job = await getJob(c, jobId);
    expect(job).toMatchObject({ status: 'success', ref: UNUSUAL_REF, sha, repositoryUrl: odd });
    const stdout = (await jobLogs(c, jobId)).filter((l) => l.stream === 'stdout').map((l) => l.line);
    expect(stdout).toEqual([
      `building ${name} at ${sha}`,
      `ref=${UNUSUAL_REF}`,
      // This agent was started with its join token in DEPLOYBOT_TOKEN: no step ever sees it.
      NO_SECRETS,
      `${GREETING}, version 1.0.0`,
    ]);
    // `_` is escaped in the directory name, so two repositories can never share one.
    expect(await readlink(join(c.workdirOf(HOST), 'odd.org__my_Uapp-2.0', 'current'))).toBe(
      `releases/${jobId}`,
    );
    await expectNothingExecuted();
  });

  it('a registered URL with shell text in it is only ever handed to git as one argument', async () => {
    const missing = join(
      c.tmp,
      'repos',
      `gone; touch ${markers}/url-semicolon $(touch ${markers}/url-subshell)`,
    );
    await registerRepository(c, 'fleet/gone', missing);
    const res = await c.api.post<JobDto>('/v1/jobs', { repository: 'fleet/gone', ref: 'main', agent: HOST });
    const error = expectError(res, 400, 'validation_failed');
    expect(error.message).toMatch(
      /^cannot reach .*gone; touch .*: '.*' does not appear to be a git repository$/,
    );

    // An ssh "host" that is an option is refused at registration (git would refuse it too): no ProxyCommand runs.
    const proxyMarker = `fleet-proxy-marker-${process.pid}`;
    const sshUrl = `ssh://-oProxyCommand=touch\${IFS}${proxyMarker}/repo`;
    const viaSsh = await c.api.post('/v1/repositories', {
      name: 'fleet/ssh-option',
      url: sshUrl,
      default_ref: 'main',
    });
    expect(expectError(viaSsh, 400, 'validation_failed').details).toEqual([
      { path: 'url', message: expect.stringContaining('git URL') },
    ]);
    const leaked = existsSync(join(process.cwd(), proxyMarker));
    await rm(join(process.cwd(), proxyMarker), { force: true });
    expect(leaked).toBe(false);

    expect(
      (await listJobs(c)).filter((j) => j.repository !== REPO && j.repository !== 'odd.org/my_app-2.0'),
    ).toEqual([]);
    await expectNothingExecuted();
  });
});
