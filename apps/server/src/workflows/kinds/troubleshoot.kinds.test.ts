import type { JobDto } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStepWait, type StepResult, type StepWait } from '../../engine/types';
import { FakeAgent, type FleetFixture, planOf, startFleetFixture } from './testing/fleet-fixture';
import { gatherLogsKind, identifyIssueKind, suggestFixKind } from './troubleshoot.kinds';

const REPO = 'demo/app';
let f: FleetFixture;
let sha: string;
let one: { agent: FakeAgent; agentId: string };
let two: { agent: FakeAgent; agentId: string };
const explained: unknown[] = [];

beforeAll(async () => {
  f = await startFleetFixture({
    agentReturnTimeoutMs: 300_000,
    explain: async (topic, facts) => {
      explained.push(facts);
      return { text: `explained ${topic}`, source: 'template' };
    },
  });
  ({ sha } = await f.repository(REPO));
  one = await f.enroll('tr-1');
  two = await f.enroll('tr-2');
});

afterAll(async () => {
  await f?.close();
});

const result = (r: StepResult | StepWait): StepResult => {
  if (isStepWait(r)) throw new Error(`expected a result, got a wait under ${r.wait.key}`);
  return r;
};
/** The decision a gate's `run` gets: who approved which plan (as stored: data null when there was none). */
const approved = (plan: StepResult, by = 'bob') => ({
  by,
  note: null,
  input: undefined,
  plan: { summary: plan.summary, data: plan.data ?? null },
});

async function job(agentId: string): Promise<JobDto> {
  return f.fleet.jobs.create({ repository: REPO, ref: 'main', sha, agent: agentId, createdBy: 'alice' });
}

describe('troubleshoot kinds', () => {
  it('identify_issue with nothing failed: nothing to troubleshoot, no target', async () => {
    const kind = identifyIssueKind(f.fleet, f.deps.explain);
    const r = result(await kind.run(f.ctx(), kind.params.parse({}), null));
    expect(r).toEqual({
      summary: 'No failed jobs in the last 24 h that are not already fixed: nothing to troubleshoot.',
      data: { groups: [], failures: 0 },
    });
    expect(kind.params.parse({ job_id: '' })).toEqual({ job_id: undefined });
  });

  it('a manifest step that exited 1: diagnosed, its logs gathered, retried on its agent once approved', async () => {
    const failed = await job(one.agentId);
    const at = new Date().toISOString();
    await f.report(one.agent, { jobId: failed.id, status: 'running' });
    await one.agent.ask('job:logs', {
      jobId: failed.id,
      lines: [
        { seq: 0, stream: 'stdout', line: 'smoke test starting', at },
        { seq: 1, stream: 'stderr', line: 'curl: (7) connection refused', at },
      ],
    });
    await f.report(one.agent, {
      jobId: failed.id,
      status: 'failed',
      exitCode: 1,
      step: 'smoke-test',
      cause: 'step_failed',
      error: 'step smoke-test exited with code 1',
    });

    const identify = identifyIssueKind(f.fleet, f.deps.explain);
    const check = (job_id: string) =>
      identify.startCheck!(identify.params.parse({ job_id }), AbortSignal.timeout(5000));
    expect(await check(failed.id)).toEqual([]);
    const missing = crypto.randomUUID();
    expect(await check(missing)).toEqual([{ param: 'job_id', message: `no job ${missing}` }]);
    const pending = await job(two.agentId);
    expect(await check(pending.id)).toEqual([
      { param: 'job_id', message: `job ${pending.id} did not fail (it is pending)` },
    ]);
    expect(await identify.startCheck!(identify.params.parse({}), AbortSignal.timeout(5000))).toEqual([]);

    const found = result(await identify.run(f.ctx(), identify.params.parse({ job_id: failed.id }), null));
    expect(found.summary).toBe(
      `1 unresolved failed job(s) in the last 24 h: 1 × a manifest step exited non-zero (${REPO} on tr-1). Looking into job ${failed.id} (${REPO}@main on tr-1): step smoke-test exited with code 1.`,
    );
    expect(found.outputs).toEqual({ target_job_id: failed.id });
    expect(found.data).toMatchObject({
      failures: 1,
      groups: [
        { cause: 'step_failed', count: 1, jobIds: [failed.id], agents: ['tr-1'], repositories: [REPO] },
      ],
      target: { id: failed.id, diagnosedCause: 'step_failed' },
      explanation: { text: 'explained troubleshoot', source: 'template' },
    });
    expect(explained).toHaveLength(1);

    const gather = gatherLogsKind(f.fleet);
    const gathered = result(await gather.run(f.ctx(), gather.params.parse({ job_id: failed.id }), null));
    expect(gathered.summary).toMatch(
      /^Collected 2 log line\(s\); first error: "curl: \(7\) connection refused"\. Agent tr-1 is online, last heartbeat .+ ago\.$/,
    );
    expect(gathered.data).toMatchObject({
      relevant: [{ line: 'curl: (7) connection refused', stream: 'stderr' }],
      tail: [{ line: 'smoke test starting' }, { line: 'curl: (7) connection refused' }],
      agentStatus: 'online',
    });
    expect(gathered.outputs).toEqual({ agent_status: 'online' });

    const fix = suggestFixKind(f.fleet, 300_000);
    expect(fix.rejectSummary).toBe('left for manual resolution');
    const params = fix.params.parse({ job_id: failed.id });
    const plan = planOf(await fix.plan!(f.ctx(), params));
    const reason =
      'step "smoke-test" exited 1; retry on tr-1 in case it was transient (if it fails again, fix the code or manifest)';
    expect(plan).toEqual({
      summary: `Retry job ${failed.id} on tr-1: ${reason}.`,
      data: { remedy: { action: 'retry', agent: 'tr-1', reason }, jobId: failed.id, cause: 'step_failed' },
    });
    const ctx = f.ctx({ stepId: 'suggest_fix' });
    const applied = result(await fix.run(ctx, params, approved(plan, 'carol')));
    const retryId = applied.outputs!.retry_job_id as string;
    expect(applied).toEqual({
      summary: `Retrying as job ${retryId} on tr-1.`,
      data: { remedy: { action: 'retry', agent: 'tr-1', reason }, retryJobId: retryId },
      outputs: { retry_job_id: retryId },
    });
    expect(await f.fleet.jobs.get(retryId)).toMatchObject({
      retryOf: failed.id,
      createdBy: 'carol',
      runId: ctx.runId,
    });
    // The same step again (a crash before its result was committed) does not retry twice.
    expect(result(await fix.run(ctx, params, approved(plan, 'carol'))).outputs).toEqual({
      retry_job_id: retryId,
    });
  });

  it('a job failed for a reason a retry cannot fix: nothing applied automatically', async () => {
    const broken = await job(one.agentId);
    await f.report(one.agent, {
      jobId: broken.id,
      status: 'failed',
      cause: 'manifest_invalid',
      error: 'deploybot.yml: steps must be a list',
    });
    const fix = suggestFixKind(f.fleet, 300_000);
    const params = fix.params.parse({ job_id: broken.id });
    const plan = planOf(await fix.plan!(f.ctx(), params));
    const reason = `deploybot.yml in ${REPO}@main is invalid; fix it in the repository and deploy again`;
    expect(plan.summary).toBe(`Manual remedy needed: ${reason}.`);
    expect(result(await fix.run(f.ctx(), params, approved(plan)))).toEqual({
      summary: `Nothing applied automatically: ${reason}.`,
      data: { remedy: { action: 'manual', reason } },
    });
  });

  it('an agent lost mid-job with no other agent online: waits durably for it to come back, then retries', async () => {
    const lost = await job(two.agentId);
    await f.report(two.agent, { jobId: lost.id, status: 'running' });
    const credential = two.agent.credential!;
    one.agent.close();
    two.agent.close();
    await expect
      .poll(async () => (await f.fleet.agents.list()).map((a) => a.status))
      .toEqual(['offline', 'offline']);
    await expect
      .poll(async () => {
        await f.fleet.jobs.markStaleAgentsLost([two.agentId]);
        await f.fleet.jobs.failLostJobs(0);
        return (await f.fleet.jobs.get(lost.id)).cause;
      })
      .toBe('agent_lost');

    const fix = suggestFixKind(f.fleet, 300_000);
    const params = fix.params.parse({ job_id: lost.id });
    const plan = planOf(await fix.plan!(f.ctx(), params));
    const reason =
      'tr-2 went away mid-job and no other agent is online; wait for tr-2 to come back, then retry';
    expect(plan).toEqual({
      summary: `Wait for tr-2, then retry job ${lost.id}: ${reason}.`,
      data: {
        remedy: { action: 'wait_and_retry', agent: 'tr-2', reason },
        jobId: lost.id,
        cause: 'agent_offline',
      },
    });
    const ctx = f.ctx({ stepId: 'suggest_fix' });
    const approval = approved(plan, 'carol');
    const waited = await fix.run(ctx, params, approval);
    expect(waited).toEqual({
      wait: {
        key: 'agent:tr-2',
        summary: `Waiting for tr-2 to come back, then retrying job ${lost.id}.`,
        data: { remedy: { action: 'wait_and_retry', agent: 'tr-2', reason }, jobId: lost.id },
        deadlineMs: 300_000,
        atDeadline: 'fail',
        deadlineError: 'tr-2 did not come back within 5 min',
      },
    });
    expect(await fix.recheck!(ctx, params, 'agent:tr-2')).toBeNull();

    const back = await FakeAgent.connect(f.url, credential, 'tr-2');
    try {
      await back.hello();
      const found = await fix.recheck!(ctx, params, 'agent:tr-2');
      expect(found).toEqual({ payload: expect.objectContaining({ hostname: 'tr-2', status: 'online' }) });
      // The engine hands the decision back with the wait's end, as it gives it to run.
      const resume = fix.resume as unknown as (
        c: typeof ctx,
        p: typeof params,
        payload: unknown,
        a: typeof approval,
      ) => Promise<StepResult>;
      const retried = await resume(ctx, params, found!.payload, approval);
      const retryId = retried.outputs!.retry_job_id as string;
      expect(retried.summary).toBe(`Retrying as job ${retryId} on tr-2.`);
      expect(await f.fleet.jobs.get(retryId)).toMatchObject({
        retryOf: lost.id,
        createdBy: 'carol',
        agentHostname: 'tr-2',
      });
    } finally {
      back.close();
    }
  });
});
