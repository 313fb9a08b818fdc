import { join } from 'node:path';
import type { FiringDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentStatus,
  approve,
  awaitingApproval,
  type Controller,
  deploy,
  type EnrolledAgent,
  enrollAgent,
  finished,
  getJob,
  registerRepository,
  startController,
  waitFor,
  waitForRun,
} from '../fleet/support/fleet-harness';
import { createDeployRepo, SMOKE_FAILURE } from '../fleet/support/git-repo';
import { expectError, stepOf, WORKFLOWS } from '../helpers/http-client';
import { createTrigger, firingsOf, sendHook, waitForFirings } from './support';

/**
 * Triggers on a real fleet: a real agent process, a real git repository. A push webhook, signed like GitHub's,
 * starts a deploy whose gates still wait for a person; a deploy that really fails (the `broken` branch) fires
 * an event trigger on `job.failed` that starts troubleshoot_failure for that job.
 */

const REPO = 'fleet/hello';
const AGENT = 'trig-a';

let c: Controller;
let agent: EnrolledAgent;

beforeAll(async () => {
  c = await startController('triggers');
  const repo = await createDeployRepo(join(c.tmp, 'repos', 'hello'));
  await registerRepository(c, REPO, repo.url);
  agent = await enrollAgent(c, AGENT, { env: { FLEET_TEST_FAST: '1' } });
}, 120_000);

afterAll(async () => {
  await c?.close();
});

/** What GitHub sends on a push (the fields the trigger reads, and some it does not). */
const push = (branch: string) => ({
  ref: `refs/heads/${branch}`,
  before: '0'.repeat(40),
  repository: { full_name: REPO, default_branch: 'main' },
  pusher: { name: 'octocat' },
  commits: [{ id: 'abc', message: 'a change' }],
});

const deployRuns = async (): Promise<WorkflowRun[]> => {
  const res = await c.api.get<{ runs: WorkflowRun[] }>(
    `${WORKFLOWS}?state=all&name=deploy_application&limit=500`,
  );
  return res.body.runs;
};

describe('a push webhook starts a deploy', () => {
  it('a signed delivery starts deploy_application with the pushed branch; its gates wait for a person', async () => {
    const hook = await createTrigger(c.api, {
      name: 'push-deploy',
      workflow: 'deploy_application',
      inputs: {
        repository: '${{ event.body.repository.full_name }}',
        ref: '${{ event.body.ref.substring(11) }}',
      },
      source: { type: 'webhook' },
    });
    const before = (await deployRuns()).length;

    // Refused: nothing started.
    const unsigned = await sendHook(c.url, hook.id, {
      body: push('main'),
      delivery: 'gh-unsigned',
      event: 'push',
    });
    expectError(unsigned, 401, 'unauthorized');
    const forged = await sendHook(c.url, hook.id, {
      body: push('main'),
      secret: 'guessed',
      delivery: 'gh-forged',
      event: 'push',
    });
    expectError(forged, 401, 'unauthorized');
    expect((await deployRuns()).length).toBe(before);

    const res = await sendHook(c.url, hook.id, {
      body: push('main'),
      secret: hook.secret,
      delivery: 'gh-1',
      event: 'push',
    });
    expect(res.status, res.text).toBe(202);
    const { firing } = res.body as { firing: FiringDto };
    expect(firing).toMatchObject({ outcome: 'started', eventId: 'gh-1' });
    // GitHub redelivers: the same delivery id starts nothing new.
    const again = await sendHook(c.url, hook.id, {
      body: push('main'),
      secret: hook.secret,
      delivery: 'gh-1',
      event: 'push',
    });
    expect((again.body as { firing: FiringDto }).firing).toMatchObject({
      outcome: 'deduplicated',
      runId: firing.runId,
    });
    expect((await deployRuns()).length).toBe(before + 1);

    // The first gate waits for a person: a trigger never approves.
    const atGate = await waitForRun(
      c,
      firing.runId!,
      awaitingApproval('select_agent'),
      'select_agent plan',
      30_000,
    );
    expect(atGate).toMatchObject({
      startedBy: 'trigger:push-deploy',
      context: expect.objectContaining({ repository: REPO, ref: 'main' }),
    });
    expect(stepOf(atGate, 'select_agent').decisions).toEqual([]);
    await approve(c, firing.runId!, 'select_agent');
    await waitForRun(c, firing.runId!, awaitingApproval('create_job'), 'create_job plan', 30_000);
    expect(stepOf(await c.api.run(firing.runId!), 'create_job').decisions).toEqual([]);
    await approve(c, firing.runId!, 'create_job');
    const done = await waitForRun(c, firing.runId!, finished, 'the deploy', 60_000);
    expect(done.status, done.error ?? '').toBe('completed');
    expect(await getJob(c, done.context.job_id as string)).toMatchObject({
      status: 'success',
      agentHostname: AGENT,
      ref: 'main',
      runId: firing.runId,
    });
  }, 120_000);
});

describe('an event trigger on job.failed', () => {
  it('a real failed deploy starts troubleshoot_failure for that job, whose fix waits for a person', async () => {
    const trigger = await createTrigger(c.api, {
      name: 'troubleshoot-failures',
      workflow: 'troubleshoot_failure',
      inputs: { job_id: '${{ event.job_id }}' },
      source: { type: 'event', on: 'job.failed', filter: `event.repository == "${REPO}"` },
    });
    const deployed = await deploy(c, { repository: REPO, ref: 'broken' }, AGENT);
    expect(deployed.status).toBe('failed');
    const jobId = deployed.context.job_id as string;
    expect(await getJob(c, jobId)).toMatchObject({
      status: 'failed',
      cause: 'step_failed',
      step: 'smoke-test',
    });

    const firings = await waitForFirings(
      c.api,
      trigger.id,
      (f) => f.some((x) => x.eventId === `job.failed:${jobId}`),
      'the job.failed firing',
    );
    const firing = firings.find((f) => f.eventId === `job.failed:${jobId}`)!;
    expect(firing).toMatchObject({
      outcome: 'started',
      eventType: 'job.failed',
      key: `event:${trigger.id}:job.failed:${jobId}`,
    });
    const atFix = await waitForRun(
      c,
      firing.runId!,
      awaitingApproval('suggest_fix'),
      'suggest_fix plan',
      30_000,
    );
    expect(atFix).toMatchObject({
      name: 'troubleshoot_failure',
      startedBy: 'trigger:troubleshoot-failures',
      context: expect.objectContaining({ job_id: jobId }),
      trigger: { name: 'troubleshoot-failures', depth: 1 },
    });
    expect(stepOf(atFix, 'identify_issue').data).toMatchObject({
      target: { id: jobId, diagnosedCause: 'step_failed' },
    });
    expect(stepOf(atFix, 'gather_logs').summary).toContain(`first error: "${SMOKE_FAILURE}"`);
    expect(stepOf(atFix, 'suggest_fix').decisions).toEqual([]);

    // The person says no; nothing else fired for this job.
    const rejected = await c.api.post<WorkflowRun>(`${WORKFLOWS}/${firing.runId}/approve`, {
      approved: false,
      step_id: 'suggest_fix',
      note: 'not now',
    });
    expect(rejected.status, rejected.text).toBe(200);
    await c.app.triggers.idle();
    expect((await firingsOf(c.api, trigger.id)).filter((f) => f.outcome === 'started')).toHaveLength(1);
  }, 120_000);
});

describe('an event trigger on agent.offline', () => {
  it('an agent that really goes silent starts a health check, once', async () => {
    const trigger = await createTrigger(c.api, {
      name: 'agent-down',
      workflow: 'health_check',
      source: { type: 'event', on: 'agent.offline', filter: `event.agent == "${AGENT}"` },
    });
    await agent.agent.kill('SIGKILL');
    await waitFor(
      `${AGENT} offline`,
      () => agentStatus(c, AGENT),
      (st) => st === 'offline',
      30_000,
    );
    const firings = await waitForFirings(
      c.api,
      trigger.id,
      (f) => f.some((x) => x.outcome === 'started'),
      'the agent.offline firing',
      30_000,
    );
    const firing = firings.find((f) => f.outcome === 'started')!;
    expect(firing.eventType).toBe('agent.offline');
    expect(firing.eventId).toMatch(new RegExp(`^agent\\.offline:${agent.agentId}:`));
    const report = await waitForRun(c, firing.runId!, finished, 'the health check', 30_000);
    expect(report).toMatchObject({
      name: 'health_check',
      status: 'completed',
      startedBy: 'trigger:agent-down',
    });
    expect(stepOf(report, 'check_agents').summary).toContain(`${AGENT}: offline`);
    // The fleet announces the agent again as time passes; the trigger fired once for this silence.
    await c.app.triggers.idle();
    expect((await firingsOf(c.api, trigger.id)).filter((f) => f.outcome === 'started')).toHaveLength(1);
  }, 90_000);
});
