import { readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostDto, JobDto } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN } from '../../src/demo/demo-agent';
import { stepOf } from '../helpers/http-client';
import {
  AGENT_VERSION,
  type AgentProcess,
  approve,
  awaitingApproval,
  type Controller,
  deploy,
  FLEET_TIMINGS,
  finished,
  getJob,
  jobFinished,
  jobLogs,
  listAgents,
  listJobs,
  processRunning,
  registerRepository,
  revealJoinToken,
  runEnrollCommand,
  startAgentProcess,
  startController,
  startDeploy,
  stepPids,
  waitFor,
  waitForJob,
  waitForRun,
} from './support/fleet-harness';
import { createDeployRepo, type DeployRepo, GREETING, NO_SECRETS, SMOKE_FAILURE } from './support/git-repo';

const HOST = 'fleet-web-01';
const REPO = 'fleet/hello';

let c: Controller;
let repo: DeployRepo;
let agent: AgentProcess;
/** The release `current` pointed at after the successful deploy. */
let deployedJobId: string;
/** The join token the first enrollment used up. */
let usedToken: string;

beforeAll(async () => {
  c = await startController('deploy');
  repo = await createDeployRepo(join(c.tmp, 'repos', 'hello.git'), { bare: true });
  await registerRepository(c, REPO, repo.url);
});

afterAll(async () => {
  await c?.close();
});

const currentLink = () => readlink(join(c.workdirOf(HOST), 'fleet__hello', 'current'));

describe('register_agent end to end', () => {
  it('enrolls a real agent process: join token, connectivity, register, configure', async () => {
    const started = await c.api.start('register_agent', {
      hostname: HOST,
      environment: 'staging',
      labels: 'region=eu, tier=web',
    });

    // validate_hostname issued a one-time token and the exact command that starts the agent; with no agent
    // yet, the connectivity check waits for it (a state that holds until the agent below connects).
    const waiting = await waitForRun(
      c,
      started.id,
      (r) =>
        stepOf(r, 'validate_hostname').status === 'completed' &&
        stepOf(r, 'check_connectivity').status === 'awaiting_event',
      'connectivity check waiting for the agent',
    );
    // The run shows the token sealed; its starter reveals it.
    expect(waiting.context.join_token).toBe('••••••');
    const token = await revealJoinToken(c, started.id);
    usedToken = token;
    expect(token).toMatch(/^dbj_[A-Za-z0-9_-]{43}$/);
    const first = stepOf(waiting, 'validate_hostname');
    const command = (first.data as { command: string }).command;
    expect(command).toBe(
      `DEPLOYBOT_TOKEN={{join_token}} node ${AGENT_BIN} --controller ${c.url} --hostname ${HOST} --workdir ${c.workdirOf(HOST)}`,
    );
    expect(JSON.stringify(waiting)).not.toContain(token);

    agent = runEnrollCommand(command, token, HOST, { FLEET_TEST_PIDS: c.pidDir });

    const atConnectivity = await waitForRun(
      c,
      started.id,
      awaitingApproval('check_connectivity'),
      'connectivity plan',
    );
    const plan = stepOf(atConnectivity, 'check_connectivity').plan!;
    expect(plan.data).toMatchObject({
      hostname: HOST,
      address: '127.0.0.1',
      agentVersion: AGENT_VERSION,
      workdir: c.workdirOf(HOST),
      workdirWritable: true,
      platform: `${process.platform}-${process.arch}`,
    });
    const conn = plan.data as { rttMs: number; gitVersion: string };
    expect(conn.rttMs).toBeGreaterThan(0);
    expect(conn.rttMs).toBeLessThan(2_000);
    expect(conn.gitVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(plan.summary).toContain(`Connected from 127.0.0.1: ping ${conn.rttMs} ms; agent ${AGENT_VERSION}`);
    // Nothing is registered before the approvals.
    expect(await listAgents(c)).toEqual([]);

    await approve(c, started.id, 'check_connectivity');
    const atRegister = await waitForRun(c, started.id, awaitingApproval('register'), 'register plan');
    expect(stepOf(atRegister, 'register').plan!.data).toEqual({
      hostname: HOST,
      environment: 'staging',
      labels: { region: 'eu', tier: 'web' },
      address: '127.0.0.1',
    });

    await approve(c, started.id, 'register', { note: 'new web node' });
    const done = await waitForRun(c, started.id, finished, 'register_agent to finish');
    expect(done.status, done.error ?? '').toBe('completed');
    expect(done.progress).toBe(100);
    const configure = stepOf(done, 'configure');
    const checks = (configure.data as { checks: { name: string; ok: boolean }[] }).checks;
    expect(checks.map((ch) => [ch.name, ch.ok])).toEqual([
      ['git', true],
      ['workdir', true],
      ['disk', true],
    ]);
    expect(configure.summary).toMatch(/^Configured for staging\. Installation verified: git ✓/);

    const agentId = done.context.agent_id as string;
    const agents = await listAgents(c);
    expect(agents).toHaveLength(1);
    expect(agents[0]).toMatchObject({
      id: agentId,
      hostname: HOST,
      status: 'online',
      version: AGENT_VERSION,
      environment: 'staging',
      labels: { region: 'eu', tier: 'web' },
      workdirWritable: true,
      address: '127.0.0.1',
    });

    // The agent swapped its join token for a credential of its own, stored 0600 in its state dir (the harness
    // puts it beside the work dir), out of the steps' work dir.
    const stateFile = join(`${c.workdirOf(HOST)}.state`, 'agent-state.json');
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as Record<string, string>;
    expect(state).toMatchObject({ hostname: HOST, environment: 'staging' });
    expect(state.credential).toMatch(/^dba_/);
    expect(state.credential).not.toBe(token);
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
  });

  it('refuses a second agent with the used join token: the controller rejects its handshake', async () => {
    const intruder = startAgentProcess(c, HOST, {
      token: usedToken,
      workdir: join(c.tmp, 'agents', 'intruder'),
    });
    try {
      await intruder.waitForOutput(
        /controller refused the connection: unauthorized: join token unknown, expired, already used, or issued for another hostname/,
      );
      const agents = await listAgents(c);
      expect(agents.map((a) => [a.hostname, a.status])).toEqual([[HOST, 'online']]);
      // The real agent kept its connection and credential: the intruder replaced nothing.
      expect(agent.child.exitCode).toBeNull();
      await new Promise((r) => setTimeout(r, 2 * FLEET_TIMINGS.heartbeatIntervalMs));
      expect((await listAgents(c)).map((a) => [a.hostname, a.status])).toEqual([[HOST, 'online']]);
      expect(intruder.output()).not.toMatch(/connected to the controller/);
    } finally {
      await intruder.kill();
    }
  });

  it('refuses a hostname that is already registered at start, naming the field, issuing no token', async () => {
    const res = await c.api.post('/v1/ai/workflows/start?workflow_name=register_agent', { hostname: HOST });
    expect(res.status, res.text).toBe(400);
    expect(res.body).toEqual({
      error: {
        code: 'validation_failed',
        message: `cannot start register_agent: an agent named ${HOST} is already registered`,
        details: [{ path: 'hostname', message: `an agent named ${HOST} is already registered` }],
      },
    });
    const runs = await c.api.get<{ runs: { name: string }[] }>(
      '/v1/ai/workflows?state=all&name=register_agent',
    );
    expect(runs.body.runs).toHaveLength(1);
  });
});

describe('who can read a join token', () => {
  it('a viewer reading a register_agent run does not get its join token', async () => {
    const created = await c.api.post('/v1/users', {
      username: 'fleet-viewer',
      password: 'viewer-password-123',
      role: 'viewer',
    });
    expect(created.status, created.text).toBe(201);
    const login = await fetch(`${c.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'fleet-viewer', password: 'viewer-password-123' }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const asViewer = (path: string) =>
      c.api.request('GET', path, undefined, { headers: { authorization: '', cookie } });

    const run = await c.api.start('register_agent', { hostname: 'fleet-web-02' });
    try {
      await waitForRun(
        c,
        run.id,
        (r) => stepOf(r, 'validate_hostname').status === 'completed',
        'validate_hostname',
      );
      const token = await revealJoinToken(c, run.id);
      expect(token).toMatch(/^dbj_/);
      // Only the run's starter or an admin may reveal it.
      const revealAsViewer = await c.api.request('POST', `/v1/ai/workflows/${run.id}/reveal`, undefined, {
        headers: { authorization: '', cookie },
      });
      expect(revealAsViewer.status).toBe(403);
      // Anyone holding it can connect an agent of their own as fleet-web-02: it is the admin's to see.
      const seen = await asViewer(`/v1/ai/workflows/${run.id}`);
      expect(seen.status).toBe(200);
      expect((seen.body as { id: string }).id).toBe(run.id);
      expect(seen.text).not.toContain(token);
      const events = await asViewer(`/v1/ai/workflows/${run.id}/events`);
      expect(events.status).toBe(200);
      expect(events.text).not.toContain(token);
    } finally {
      await c.api.post(`/v1/ai/workflows/${run.id}/cancel`, {});
    }
  });
});

describe('deploy_application on the enrolled agent', () => {
  it('deploys main: current points at the new release, the manifest output is in the job log', async () => {
    const sha = await repo.sha('main');
    const run = await startDeploy(c, { repository: REPO, ref: 'main' });
    expect(stepOf(run, 'select_agent').plan!.data).toMatchObject({ chosen: { hostname: HOST } });
    // The ref was resolved before the gate was shown; once the agent is chosen, the title names it.
    expect(stepOf(run, 'validate_repository').status).toBe('completed');
    const chosen = await waitForRun(
      c,
      run.id,
      (r) => stepOf(r, 'select_agent').status !== 'in_progress',
      'target',
    );
    expect(chosen.title).toBe(`Deploy ${REPO}@main → ${HOST}`);

    const atJob = await waitForRun(c, run.id, awaitingApproval('create_job'), 'create_job plan');
    expect(stepOf(atJob, 'validate_repository').data).toEqual({
      repository: REPO,
      url: repo.url,
      ref: 'main',
      sha,
      resolvedFrom: 'refs/heads/main',
    });
    expect(stepOf(atJob, 'create_job').plan!.summary).toBe(
      `Deploy ${REPO}@main (${sha.slice(0, 7)}) → ${HOST}: the agent fetches the commit and runs its deploybot.yml.`,
    );
    await approve(c, run.id, 'create_job', { note: 'ship it' });
    const done = await waitForRun(c, run.id, finished, 'deploy to finish', 30_000);
    expect(done.status, done.error ?? '').toBe('completed');

    const jobId = done.context.job_id as string;
    const releaseDir = join(c.workdirOf(HOST), 'fleet__hello', 'releases', jobId);
    const job = await getJob(c, jobId);
    expect(job).toMatchObject({
      status: 'success',
      exitCode: 0,
      sha,
      ref: 'main',
      repository: REPO,
      agentHostname: HOST,
      runId: run.id,
      releaseDir,
      error: null,
      cause: null,
    });
    expect(stepOf(done, 'monitor_job').summary).toMatch(
      new RegExp(`^Deployed ${sha.slice(0, 7)} to ${HOST} in .+; current → ${releaseDir}\\.$`),
    );

    expect(await currentLink()).toBe(`releases/${jobId}`);
    expect(
      await readFile(join(c.workdirOf(HOST), 'fleet__hello', 'current', 'build', 'VERSION'), 'utf8'),
    ).toBe('1.0.0\n');

    const lines = await jobLogs(c, jobId);
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i));
    const stdout = lines.filter((l) => l.stream === 'stdout').map((l) => l.line);
    expect(stdout).toEqual([
      `building ${REPO} at ${sha}`,
      'ref=main',
      NO_SECRETS,
      `${GREETING}, version 1.0.0`,
    ]);
    expect(lines.map((l) => l.line)).toContain(`current -> releases/${jobId}`);

    const hosts = (await c.api.get<{ hosts: HostDto[] }>('/v1/hosts')).body.hosts;
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toMatchObject({ hostname: HOST, status: 'online' });
    expect(hosts[0]!.currentReleases).toEqual([{ repository: REPO, jobId, sha, deployedAt: job.finishedAt }]);
    deployedJobId = jobId;
  });

  it('refuses a ref that does not exist at start, naming the ref; no run, no job', async () => {
    const before = await listJobs(c);
    const res = await c.api.post('/v1/ai/workflows/start?workflow_name=deploy_application', {
      repository: REPO,
      ref: 'no-such-branch',
    });
    const problem = `ref "no-such-branch" not found in ${repo.url} (branches: broken, main, release/v1.2+build.5, slow)`;
    expect(res.status, res.text).toBe(400);
    expect(res.body).toEqual({
      error: {
        code: 'validation_failed',
        message: `cannot start deploy_application: ${problem}`,
        details: [{ path: 'ref', message: problem }],
      },
    });
    expect(await listJobs(c)).toEqual(before);
  });

  it('a job for a commit the repository does not have fails on the agent with cause ref_not_found', async () => {
    const missing = 'deadbeef'.repeat(5);
    const res = await c.api.post<JobDto>('/v1/jobs', { repository: REPO, ref: missing, agent: HOST });
    expect(res.status, res.text).toBe(201);
    const job = await waitForJob(c, res.body.id, jobFinished, 'to finish');
    expect(job).toMatchObject({ status: 'failed', cause: 'ref_not_found', sha: missing });
    expect(job.error).toContain(missing);
    expect(await currentLink()).toBe(`releases/${deployedJobId}`);
  });

  it('a manifest step that exits 1: monitor_job fails with the job error and last lines; current unchanged', async () => {
    const sha = await repo.sha('broken');
    const done = await deploy(c, { repository: REPO, ref: 'broken' });
    expect(done.status).toBe('failed');
    const jobId = done.context.job_id as string;
    const job = await getJob(c, jobId);
    expect(job).toMatchObject({
      status: 'failed',
      cause: 'step_failed',
      exitCode: 1,
      step: 'smoke-test',
      sha,
      error: 'step smoke-test exited with code 1',
    });
    const monitor = stepOf(done, 'monitor_job');
    expect(monitor.status).toBe('failed');
    const [head, ...tail] = monitor.error!.split('\n');
    expect(head).toBe('job failed at step "smoke-test": step smoke-test exited with code 1');
    expect(tail[0]).toBe('last log lines:');
    expect(tail).toContain('smoke test starting');
    expect(tail).toContain(SMOKE_FAILURE);
    expect(tail.at(-1)).toBe('job failed: step smoke-test exited with code 1');
    expect(done.error).toContain('step smoke-test exited with code 1');

    const lines = await jobLogs(c, jobId);
    expect(lines.find((l) => l.line === SMOKE_FAILURE)?.stream).toBe('stderr');
    expect(lines.map((l) => l.line)).not.toContain('never reached');
    expect(await currentLink()).toBe(`releases/${deployedJobId}`);
  });

  it('a running job shows the manifest step it is in and its release dir', async () => {
    const res = await c.api.post<JobDto>('/v1/jobs', { repository: REPO, ref: 'slow', agent: HOST });
    expect(res.status, res.text).toBe(201);
    const jobId = res.body.id;
    const pids = await stepPids(c, jobId);
    try {
      // The agent reports the step as it enters it (a `running` status update); give it a moment to land.
      const job = await waitForJob(c, jobId, (j) => j.step !== null, 'to show its step', 3_000).catch(() =>
        getJob(c, jobId),
      );
      expect(job.status).toBe('running');
      expect(job.step).toBe('wait-for-traffic');
      expect(job.releaseDir).toBe(join(c.workdirOf(HOST), 'fleet__hello', 'releases', jobId));
    } finally {
      await c.api.post(`/v1/jobs/${jobId}/cancel`);
      await waitForJob(c, jobId, jobFinished, 'to end after cancel');
      await waitFor(
        'step processes gone',
        async () => processRunning(pids.leader),
        (r) => !r,
      );
    }
  });

  it('cancels a running job: the job ends cancelled and the step process group is gone', async () => {
    const run = await startDeploy(c, { repository: REPO, ref: 'slow' });
    await waitForRun(c, run.id, awaitingApproval('create_job'), 'create_job plan');
    await approve(c, run.id, 'create_job');
    const monitoring = await waitForRun(
      c,
      run.id,
      (r) => typeof r.context.job_id === 'string',
      'job to be created',
    );
    const jobId = monitoring.context.job_id as string;
    const pids = await stepPids(c, jobId);
    expect(processRunning(pids.leader)).toBe(true);
    expect(processRunning(pids.grandchild)).toBe(true);
    expect((await getJob(c, jobId)).status).toBe('running');

    const res = await c.api.post<JobDto>(`/v1/jobs/${jobId}/cancel`, { reason: 'traffic spike' });
    expect(res.status, res.text).toBe(200);
    const job = await waitForJob(c, jobId, jobFinished, 'to be cancelled');
    // The person's words, not the agent's "cancelled by the controller".
    expect(job).toMatchObject({
      status: 'cancelled',
      cause: 'cancelled',
      error: 'cancelled by admin: traffic spike',
    });
    await waitFor(
      'the step process group to be gone',
      async () => [processRunning(pids.leader), processRunning(pids.grandchild)],
      (alive) => !alive[0] && !alive[1],
      5_000,
    );

    const done = await waitForRun(c, run.id, finished, 'deploy to end');
    expect(done.status).toBe('failed');
    expect(stepOf(done, 'monitor_job').error).toMatch(
      /^job cancelled at step "wait-for-traffic": cancelled by admin: traffic spike\n/,
    );
    const lines = (await jobLogs(c, jobId)).map((l) => l.line);
    expect(lines).not.toContain('slow step done');
    expect(lines.at(-1)).toBe('[deploybot] cancelled by admin: traffic spike');
    expect(await currentLink()).toBe(`releases/${deployedJobId}`);

    // A second cancel is refused with the one error shape: the job is over.
    const again = await c.api.post(`/v1/jobs/${jobId}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: { code: 'conflict', message: `job ${jobId} is already cancelled` } });
  });

  it("cancelling the run while it monitors the job cancels the job with the operator's reason, in its error and log", async () => {
    const run = await startDeploy(c, { repository: REPO, ref: 'slow' });
    await waitForRun(c, run.id, awaitingApproval('create_job'), 'create_job plan');
    await approve(c, run.id, 'create_job');
    const monitoring = await waitForRun(
      c,
      run.id,
      (r) => typeof r.context.job_id === 'string',
      'job to be created',
    );
    const jobId = monitoring.context.job_id as string;
    const pids = await stepPids(c, jobId);

    const res = await c.api.post(`/v1/ai/workflows/${run.id}/cancel`, {
      reason: 'wrong ref, deploying v1.0.0',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      status: 'cancelled',
      error: 'Cancelled by admin: wrong ref, deploying v1.0.0',
    });

    const job = await waitForJob(c, jobId, jobFinished, 'to be cancelled with the run');
    const why = `cancelled by admin: wrong ref, deploying v1.0.0 (workflow run ${run.id.slice(0, 8)} cancelled)`;
    expect(job).toMatchObject({ status: 'cancelled', cause: 'cancelled', error: why });
    await waitFor(
      'the step process group to be gone',
      async () => processRunning(pids.leader),
      (alive) => !alive,
    );
    await waitFor(
      'the cancel line at the end of the job log',
      async () => (await jobLogs(c, jobId)).map((l) => l.line),
      (lines) => lines.at(-1) === `[deploybot] ${why}`,
    );
    // The run stays as the person left it: cancelled, with the step that was monitoring marked so.
    const after = await c.api.run(run.id);
    expect(after.status).toBe('cancelled');
    expect(stepOf(after, 'monitor_job').status).toBe('cancelled');
    expect(await currentLink()).toBe(`releases/${deployedJobId}`);
  });
});
