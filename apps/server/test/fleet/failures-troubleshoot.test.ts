import { readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobDto } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowStats } from '../../src/fleet/fleet-metrics';
import type { AgentHealth } from '../../src/workflows/health-report';
import { stepOf } from '../helpers/http-client';
import {
  AGENT_VERSION,
  agentStatus,
  approve,
  awaitingApproval,
  type Controller,
  deploy,
  type EnrolledAgent,
  enrollAgent,
  FLEET_TIMINGS,
  finished,
  getJob,
  jobFinished,
  jobLogs,
  killGroup,
  listJobs,
  processRunning,
  registerRepository,
  reject,
  startAgentProcess,
  startController,
  startDeploy,
  stepPids,
  waitFor,
  waitForJob,
  waitForRun,
} from './support/fleet-harness';
import { createDeployRepo, type DeployRepo, SMOKE_FAILURE } from './support/git-repo';

const REPO = 'fleet/hello';
/** Runs the slow step for real: the one that gets killed. */
const SLOW = 'fleet-a';
/** Takes the slow step's fast path: the healthy agent a retry goes to. */
const FAST = 'fleet-b';

let c: Controller;
let repo: DeployRepo;
let slow: EnrolledAgent;
let lostJobId: string;
let brokenJobId: string;
/** Step processes orphaned by the SIGKILLed agent, killed in afterAll if still there. */
const orphans: number[] = [];

beforeAll(async () => {
  c = await startController('failures');
  repo = await createDeployRepo(join(c.tmp, 'repos', 'hello'));
  await registerRepository(c, REPO, repo.url);
  slow = await enrollAgent(c, SLOW);
  await enrollAgent(c, FAST, { env: { FLEET_TEST_FAST: '1' } });
});

afterAll(async () => {
  for (const pid of orphans) killGroup(pid);
  await c?.close();
});

const currentOf = (hostname: string) => readlink(join(c.workdirOf(hostname), 'fleet__hello', 'current'));

describe('an agent killed mid-job', () => {
  it('fails the job with "agent lost" once the grace period has passed', async () => {
    const run = await startDeploy(c, { repository: REPO, ref: 'slow' }, SLOW);
    expect(stepOf(run, 'select_agent').decisions[0]).toMatchObject({ decision: 'approved', input: SLOW });
    await waitForRun(c, run.id, awaitingApproval('create_job'), 'create_job plan');
    await approve(c, run.id, 'create_job');
    const monitoring = await waitForRun(
      c,
      run.id,
      (r) => typeof r.context.job_id === 'string',
      'job created',
    );
    lostJobId = monitoring.context.job_id as string;
    expect(monitoring.context.agent_hostname).toBe(SLOW);
    const pids = await stepPids(c, lostJobId);
    orphans.push(pids.leader);
    // Mid-step, with its output already streamed to the controller.
    await waitFor(
      'the slow step to log',
      async () => (await jobLogs(c, lostJobId)).map((l) => l.line),
      (lines) => lines.includes('waiting for traffic to drain'),
      30_000,
    );

    const killedAt = Date.now();
    await slow.agent.kill('SIGKILL');
    await waitFor(
      `${SLOW} offline`,
      () => agentStatus(c, SLOW),
      (s) => s === 'offline',
      30_000,
    );
    // Within the grace period the job is not given up yet: the agent might come back.
    const during = await getJob(c, lostJobId);
    if (Date.now() - killedAt < FLEET_TIMINGS.jobLostGraceMs - 200) expect(during.status).toBe('running');

    const job = await waitForJob(c, lostJobId, jobFinished, 'to fail as lost', 30_000);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(FLEET_TIMINGS.jobLostGraceMs);
    expect(job).toMatchObject({
      status: 'failed',
      cause: 'agent_lost',
      agentHostname: SLOW,
      error: `agent lost: ${SLOW} disconnected mid-job and did not come back within 2 s`,
    });

    const done = await waitForRun(c, run.id, finished, 'deploy to fail');
    expect(done.status).toBe('failed');
    expect(stepOf(done, 'monitor_job').error).toMatch(
      new RegExp(`^job failed( at step "wait-for-traffic")?: agent lost: ${SLOW} disconnected mid-job`),
    );
    // A SIGKILLed agent cannot stop its steps; the orphaned group is cleaned up here.
    killGroup(pids.leader);
    await waitFor(
      'orphaned step gone',
      async () => processRunning(pids.leader),
      (alive) => !alive,
      30_000,
    );
  });

  it('troubleshoot_failure finds the agent offline, retries on the healthy agent and verifies the fix', async () => {
    const started = await c.api.start('troubleshoot_failure', { job_id: lostJobId });
    const atFix = await waitForRun(c, started.id, awaitingApproval('suggest_fix'), 'suggest_fix plan');

    const identify = stepOf(atFix, 'identify_issue');
    expect(identify.data).toMatchObject({
      failures: 1,
      groups: [
        {
          cause: 'agent_offline',
          label: 'agent offline',
          count: 1,
          jobIds: [lostJobId],
          agents: [SLOW],
          repositories: [REPO],
        },
      ],
      target: { id: lostJobId, cause: 'agent_lost', diagnosedCause: 'agent_offline' },
    });
    expect(identify.summary).toContain(
      `1 unresolved failed job(s) in the last 24 h: 1 × agent offline (${REPO} on ${SLOW}).`,
    );

    const gather = stepOf(atFix, 'gather_logs');
    const gathered = gather.data as { agentStatus: string; heartbeats: unknown[]; tail: { line: string }[] };
    expect(gathered.agentStatus).toBe('offline');
    expect(gathered.heartbeats.length).toBeGreaterThan(0);
    expect(gathered.tail.map((l) => l.line)).toContain('waiting for traffic to drain');
    expect(gather.summary).toContain(`Agent ${SLOW} is offline, last heartbeat `);

    const plan = stepOf(atFix, 'suggest_fix').plan!;
    const reason = `${SLOW} went away mid-job; retry on healthy agent ${FAST}`;
    expect(plan.data).toEqual({
      remedy: { action: 'retry', agent: FAST, reason },
      jobId: lostJobId,
      cause: 'agent_offline',
    });
    expect(plan.summary).toBe(`Retry job ${lostJobId} on ${FAST}: ${reason}.`);

    await approve(c, started.id, 'suggest_fix', { note: 'move it' });
    const done = await waitForRun(c, started.id, finished, 'troubleshoot to finish', 30_000);
    expect(done.status, done.error ?? '').toBe('completed');
    const retryId = done.context.retry_job_id as string;
    const retry = await getJob(c, retryId);
    expect(retry).toMatchObject({
      status: 'success',
      retryOf: lostJobId,
      agentHostname: FAST,
      sha: await repo.sha('slow'),
      ref: 'slow',
      runId: started.id,
    });
    expect(stepOf(done, 'verify_fix').summary).toBe(
      `Fixed: retried job ${retryId} succeeded on ${FAST} (now online).`,
    );
    expect(await currentOf(FAST)).toBe(`releases/${retryId}`);
    expect((await jobLogs(c, retryId)).map((l) => l.line)).toContain('fast path, nothing to wait for');
    // The lost agent's job is no longer an open problem: its retry succeeded.
    const again = await c.api.start('troubleshoot_failure', {});
    const none = await waitForRun(c, again.id, finished, 'troubleshoot with nothing to do');
    expect(none.status).toBe('completed');
    expect(stepOf(none, 'identify_issue').summary).toBe(
      'No failed jobs in the last 24 h that are not already fixed: nothing to troubleshoot.',
    );
    expect(none.steps.slice(1).map((s) => s.status)).toEqual(['skipped', 'skipped', 'skipped']);
  });
});

describe('troubleshooting a manifest step that exits 1', () => {
  it('retries on the agent, and verify_fix reports that the retry failed too', async () => {
    const deployed = await deploy(c, { repository: REPO, ref: 'broken' }, FAST);
    expect(deployed.status).toBe('failed');
    brokenJobId = deployed.context.job_id as string;
    expect(await getJob(c, brokenJobId)).toMatchObject({
      cause: 'step_failed',
      exitCode: 1,
      step: 'smoke-test',
    });

    const started = await c.api.start('troubleshoot_failure', { job_id: brokenJobId });
    const atFix = await waitForRun(c, started.id, awaitingApproval('suggest_fix'), 'suggest_fix plan');
    expect(stepOf(atFix, 'identify_issue').data).toMatchObject({
      target: { id: brokenJobId, diagnosedCause: 'step_failed' },
    });
    const gather = stepOf(atFix, 'gather_logs');
    expect(gather.summary).toContain(`first error: "${SMOKE_FAILURE}"`);
    expect((gather.data as { relevant: { line: string; stream: string }[] }).relevant).toContainEqual(
      expect.objectContaining({ line: SMOKE_FAILURE, stream: 'stderr' }),
    );
    const reason = `step "smoke-test" exited 1; retry on ${FAST} in case it was transient (if it fails again, fix the code or manifest)`;
    expect(stepOf(atFix, 'suggest_fix').plan!.data).toMatchObject({
      remedy: { action: 'retry', agent: FAST, reason },
      cause: 'step_failed',
    });

    await approve(c, started.id, 'suggest_fix');
    const done = await waitForRun(c, started.id, finished, 'troubleshoot to finish', 30_000);
    expect(done.status).toBe('failed');
    const retryId = done.context.retry_job_id as string;
    expect(await getJob(c, retryId)).toMatchObject({
      status: 'failed',
      retryOf: brokenJobId,
      cause: 'step_failed',
    });
    expect(stepOf(done, 'verify_fix').error).toBe(
      `the retried job ${retryId} failed too: step smoke-test exited with code 1`,
    );
    // The failed deploys never moved current.
    expect(await currentOf(FAST)).not.toBe(`releases/${retryId}`);
  });

  it('a fix rejected at suggest_fix ends cancelled, left for manual resolution, and creates no job', async () => {
    const before = (await listJobs(c)).length;
    const started = await c.api.start('troubleshoot_failure', { job_id: brokenJobId });
    await waitForRun(c, started.id, awaitingApproval('suggest_fix'), 'suggest_fix plan');
    await reject(c, started.id, 'suggest_fix', 'needs a code fix');
    const done = await waitForRun(c, started.id, finished, 'troubleshoot to end');
    expect(done.status).toBe('cancelled');
    expect(done.error).toBe(
      'Rejected by admin at step "Suggest fix": needs a code fix — left for manual resolution',
    );
    expect(stepOf(done, 'suggest_fix')).toMatchObject({
      status: 'cancelled',
      summary: 'left for manual resolution',
    });
    expect(stepOf(done, 'verify_fix').status).toBe('cancelled');
    expect(done.context.retry_job_id).toBeUndefined();
    expect((await listJobs(c)).length).toBe(before);
  });
});

describe('health_check on a fleet with an offline agent', () => {
  it('reports the offline agent with a recommendation, and the success rate', async () => {
    const jobs = await listJobs(c);
    const succeeded = jobs.filter((j) => j.status === 'success').length;
    const failed = jobs.filter((j) => j.status === 'failed').length;
    // This file's history: the lost job and its successful retry, the broken deploy and its failed retry.
    expect([succeeded, failed]).toEqual([1, 3]);

    const run = await c.api.start('health_check', {});
    const done = await waitForRun(c, run.id, finished, 'health_check');
    expect(done.status, done.error ?? '').toBe('completed');

    const agents = (stepOf(done, 'check_agents').data as { agents: AgentHealth[] }).agents;
    expect(agents.map((a) => [a.hostname, a.status, a.version])).toEqual([
      [SLOW, 'offline', AGENT_VERSION],
      [FAST, 'online', AGENT_VERSION],
    ]);
    expect(agents[0]!.problems).toHaveLength(1);
    expect(agents[0]!.problems[0]).toMatch(/^offline, last heartbeat \d+(\.\d)? (ms|s) ago$/);
    expect(agents[1]!.problems).toEqual([]);
    expect(stepOf(done, 'check_agents').summary).toMatch(
      new RegExp(`^2 agent\\(s\\), 1 online\\. ${SLOW}: offline`),
    );
    expect(stepOf(done, 'check_jobs').data).toEqual({ running: 0, stuck: [], waiting: [] });

    const windows = (stepOf(done, 'analyse_metrics').data as { windows: WindowStats[] }).windows;
    const day = windows.find((w) => w.window === '24h')!;
    expect(day).toMatchObject({
      succeeded: 1,
      failed: 3,
      successRate: 25,
      failuresByCause: { step_failed: 2, agent_lost: 1 },
    });
    expect(day.durationMs.p50).toBeGreaterThan(0);

    const report = stepOf(done, 'generate_report').data as {
      markdown: string;
      json: { recommendations: string[]; agents: AgentHealth[]; metrics: WindowStats[] };
    };
    const bringBack = `Bring ${SLOW} back (restart deploybot-agent on it) or revoke it with DELETE /v1/agents/${SLOW}.`;
    const lowRate =
      'Only 25% of jobs succeeded in 24 h (mostly step_failed: 2): run the troubleshoot_failure workflow.';
    expect(report.json.recommendations).toEqual([bringBack, lowRate]);
    expect(report.json.agents).toEqual(agents);
    expect(report.json.metrics).toEqual(windows);
    expect(report.markdown).toContain(`| ${SLOW} | offline | ${AGENT_VERSION} |`);
    expect(report.markdown).toContain(`| ${FAST} | online | ${AGENT_VERSION} |`);
    expect(report.markdown).toContain(`- ${bringBack}`);
    expect(report.markdown).toMatch(/\| 24h \| 4 \| 25% \|/);
    expect(done.steps[3]!.summary).toBe(`Report ready with 2 recommendation(s): ${bringBack}`);
  });
});

describe('the offline agent', () => {
  it('a job created for it waits, then fails with "agent offline" after the grace period', async () => {
    const res = await c.api.post<JobDto>('/v1/jobs', { repository: REPO, ref: 'main', agent: SLOW });
    expect(res.status, res.text).toBe(201);
    expect(res.body.status).toBe('pending');
    const job = await waitForJob(c, res.body.id, jobFinished, 'to fail as offline', 30_000);
    expect(job).toMatchObject({
      status: 'failed',
      cause: 'agent_offline',
      error: `agent offline: ${SLOW} was not connected to take the job within 2 s`,
      startedAt: null,
    });
  });

  it('restarted, it reconnects with its stored credential (no token) and deploys again', async () => {
    const restarted = startAgentProcess(c, SLOW);
    await restarted.waitForOutput(/using the stored credential/);
    await waitFor(
      `${SLOW} online again`,
      () => agentStatus(c, SLOW),
      (s) => s === 'online',
      30_000,
    );
    expect(restarted.output()).not.toMatch(/controller refused the connection/);

    const res = await c.api.post<JobDto>('/v1/jobs', { repository: REPO, ref: 'main', agent: SLOW });
    expect(res.status, res.text).toBe(201);
    const job = await waitForJob(c, res.body.id, jobFinished, 'to deploy', 20_000);
    expect(job).toMatchObject({ status: 'success', agentHostname: SLOW, sha: await repo.sha('main') });
    expect(await currentOf(SLOW)).toBe(`releases/${job.id}`);
  });
});
