import type { JobDto } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStepWait, type StepResult, type StepWait } from '../../engine/types';
import { deployJobKind, type SelectPlan, selectAgentKind } from './deploy.kinds';
import { cancelAwaitedJob, switchReleaseKind, waitJobKind } from './jobs.kinds';
import { resolveRefKind } from './repository.kinds';
import type { FakeAgent, FleetFixture } from './testing/fleet-fixture';
import { planOf, startFleetFixture } from './testing/fleet-fixture';

const REPO = 'demo/app';
let f: FleetFixture;
let sha: string;
let web: { agent: FakeAgent; agentId: string };
let stage: { agent: FakeAgent; agentId: string };

beforeAll(async () => {
  f = await startFleetFixture();
  ({ sha } = await f.repository(REPO));
  web = await f.enroll('web-1', 'production');
  stage = await f.enroll('stage-1', 'staging');
});

afterAll(async () => {
  await f?.close();
});

const result = (r: StepResult | StepWait): StepResult => {
  if (isStepWait(r)) throw new Error(`expected a result, got a wait under ${r.wait.key}`);
  return r;
};
const parked = (r: StepResult | StepWait): StepWait['wait'] => {
  if (!isStepWait(r)) throw new Error(`expected a wait, got "${r.summary}"`);
  return r.wait;
};
/** The decision a gate's `run` gets: who approved which plan (as stored: data null when there was none). */
const approved = (plan: StepResult, by = 'bob', input?: unknown) => ({
  by,
  note: null,
  input,
  plan: { summary: plan.summary, data: plan.data ?? null },
});

/** A deploy job created through fleet.deploy_job, as run `runId` would. */
async function deployJob(runId = crypto.randomUUID(), agent = web.agentId): Promise<JobDto> {
  const kind = deployJobKind(f.fleet);
  const params = kind.params.parse({ repository: REPO, ref: 'main', sha, agent });
  const r = result(await kind.run(f.ctx({ runId, stepId: 'create_job' }), params, null));
  return f.fleet.jobs.get(r.outputs!.job_id as string);
}

describe('fleet.resolve_ref', () => {
  it('resolves a branch to its commit before any gate', async () => {
    const kind = resolveRefKind(f.fleet);
    expect(kind.defaultTimeoutMs).toBe(60_000);
    const r = result(await kind.run(f.ctx(), kind.params.parse({ repository: REPO, ref: 'main' }), null));
    expect(r.summary).toBe(`${REPO}@main → ${sha.slice(0, 7)} (refs/heads/main).`);
    expect(r.data).toEqual({
      repository: REPO,
      url: expect.stringContaining('demo__app'),
      ref: 'main',
      sha,
      resolvedFrom: 'refs/heads/main',
    });
    expect(r.outputs).toEqual({ sha });
  });

  it('start check: refuses an unregistered repository or a missing ref, naming the param', async () => {
    const kind = resolveRefKind(f.fleet);
    const check = (repository: string, ref: string) =>
      kind.startCheck!(kind.params.parse({ repository, ref }), AbortSignal.timeout(10_000));
    expect(await check(REPO, 'main')).toEqual([]);
    expect(await check('demo/other', 'main')).toEqual([
      { param: 'repository', message: 'repository demo/other is not registered (registered: demo/app)' },
    ]);
    const missing = await check(REPO, 'no-such-branch');
    expect(missing).toEqual([
      { param: 'ref', message: expect.stringMatching(/^ref "no-such-branch" not found in /) },
    ]);
  });

  it('params refuse what the job API would refuse', () => {
    const kind = resolveRefKind(f.fleet);
    expect(kind.params.safeParse({ repository: 'Demo/App', ref: 'main' }).success).toBe(false);
    expect(kind.params.safeParse({ repository: REPO, ref: '-x' }).success).toBe(false);
  });
});

describe('fleet.select_agent', () => {
  it('scores the online agents; a person may pick another candidate; without a gate the best is taken', async () => {
    const kind = selectAgentKind(f.fleet);
    const params = kind.params.parse({ environment: 'staging' });
    const plan = planOf(await kind.plan!(f.ctx(), params));
    const data = plan.data as SelectPlan;
    expect(data.chosen).toMatchObject({ hostname: 'stage-1', agentId: stage.agentId });
    expect(data.candidates.map((c) => c.hostname)).toEqual(['stage-1', 'web-1']);
    expect(plan.summary).toBe(
      `Deploy to stage-1 (score ${data.chosen.score}: environment staging matches, no recent jobs, idle). Other candidates: web-1 (${data.candidates[1]!.score}).`,
    );
    expect(kind.approvalInput!(f.ctx(), params, approved(plan).plan)).toEqual({
      key: 'agent',
      label: 'Deploy to another agent instead',
      type: 'choice',
      required: false,
      choices: ['stage-1', 'web-1'],
    });

    const taken = result(await kind.run(f.ctx(), params, approved(plan)));
    expect(taken).toEqual({
      summary: 'Target: stage-1.',
      data: { agentId: stage.agentId, hostname: 'stage-1', overridden: false },
      outputs: { agent_id: stage.agentId, agent_hostname: 'stage-1' },
    });
    const overridden = result(await kind.run(f.ctx(), params, approved(plan, 'bob', 'web-1')));
    expect(overridden.summary).toBe('Target: web-1, picked by bob instead of stage-1.');
    expect(overridden.outputs).toEqual({ agent_id: web.agentId, agent_hostname: 'web-1' });

    const ungated = result(await kind.run(f.ctx(), kind.params.parse({ environment: 'production' }), null));
    expect(ungated.summary).toBe('Target: web-1.');
    // An absent environment (an optional input not given) scores no environment at all.
    expect(kind.params.parse({})).toEqual({ environment: undefined });
  });
});

describe('fleet.deploy_job and fleet.wait_job', () => {
  it('plans, creates the job once per step, and waits durably for its end', async () => {
    const kind = deployJobKind(f.fleet);
    const params = kind.params.parse({ repository: REPO, ref: 'main', sha, agent: web.agentId });
    const plan = planOf(await kind.plan!(f.ctx(), params));
    expect(plan).toEqual({
      summary: `Deploy ${REPO}@main (${sha.slice(0, 7)}) → web-1: the agent fetches the commit and runs its deploybot.yml.`,
      data: { repository: REPO, ref: 'main', sha, agent: 'web-1' },
    });
    const ctx = f.ctx({ stepId: 'create_job' });
    const created = result(await kind.run(ctx, params, approved(plan, 'carol')));
    const jobId = created.outputs!.job_id as string;
    expect(created).toEqual({
      summary: `Job ${jobId} queued on web-1.`,
      data: { jobId },
      outputs: { job_id: jobId, agent_hostname: 'web-1' },
    });
    // A re-run after a crash (same step, same key) finds the job instead of deploying twice.
    expect(result(await kind.run(ctx, params, approved(plan, 'carol'))).outputs!.job_id).toBe(jobId);
    expect(await f.fleet.jobs.get(jobId)).toMatchObject({ createdBy: 'carol', runId: ctx.runId, sha });
    expect(web.agent.assigned.map((j) => j.jobId)).toContain(jobId);

    const wait = waitJobKind(f.fleet);
    const waitParams = wait.params.parse({ job_id: jobId });
    expect(waitParams.purpose).toBe('deploy');
    expect(parked(await wait.run(f.ctx(), waitParams, null))).toEqual({
      key: `job:${jobId}`,
      summary: `Waiting for job ${jobId} on web-1 to end.`,
      atDeadline: 'fail',
    });
    expect(await wait.recheck!(f.ctx(), waitParams, `job:${jobId}`)).toBeNull();

    const releaseDir = `/var/lib/deploybot/demo__app/releases/${jobId}`;
    await f.report(web.agent, { jobId, status: 'running', releaseDir });
    const done = await f.report(web.agent, {
      jobId,
      status: 'success',
      exitCode: 0,
      releaseDir,
      previousRelease: null,
    });
    const found = await wait.recheck!(f.ctx(), waitParams, `job:${jobId}`);
    expect(found).toEqual({ payload: expect.objectContaining({ id: jobId, status: 'success' }) });
    const ended = await wait.resume!(f.ctx(), waitParams, found!.payload);
    expect(ended.summary).toMatch(
      new RegExp(`^Deployed ${sha.slice(0, 7)} to web-1 in .+; current → ${releaseDir}\\.$`),
    );
    expect(ended.data).toEqual({ job: done, lastLines: [] });
    expect(ended.outputs).toEqual({ status: 'success', release_dir: releaseDir });
    // A job already over when the step starts: no wait at all.
    expect(result(await wait.run(f.ctx(), waitParams, null)).summary).toBe(ended.summary);
  });

  it('a failed job fails the step with its error and last log lines', async () => {
    const job = await deployJob();
    const at = new Date().toISOString();
    await f.report(web.agent, { jobId: job.id, status: 'running' });
    await web.agent.ask('job:logs', {
      jobId: job.id,
      lines: [
        { seq: 0, stream: 'stdout', line: 'smoke test starting', at },
        { seq: 1, stream: 'stderr', line: 'curl: (7) connection refused', at },
      ],
    });
    await f.report(web.agent, {
      jobId: job.id,
      status: 'failed',
      exitCode: 1,
      step: 'smoke-test',
      cause: 'step_failed',
      error: 'step smoke-test exited with code 1',
    });
    const wait = waitJobKind(f.fleet);
    const error = await wait.resume!(f.ctx(), wait.params.parse({ job_id: job.id }), null).then(
      () => null,
      (err: Error) => err.message,
    );
    const [head, ...tail] = error!.split('\n');
    expect(head).toBe('job failed at step "smoke-test": step smoke-test exited with code 1');
    expect(tail.slice(0, 3)).toEqual([
      'last log lines:',
      'smoke test starting',
      'curl: (7) connection refused',
    ]);

    const verify = await wait.resume!(
      f.ctx(),
      wait.params.parse({ job_id: job.id, purpose: 'verify_fix' }),
      null,
    ).catch((err: Error) => err.message);
    expect(verify).toBe(`the retried job ${job.id} failed too: step smoke-test exited with code 1`);
  });

  it('verify_fix: a retried job that succeeded says how its agent is now', async () => {
    const job = await deployJob();
    await f.report(web.agent, { jobId: job.id, status: 'success', exitCode: 0 });
    const wait = waitJobKind(f.fleet);
    const r = await wait.resume!(f.ctx(), wait.params.parse({ job_id: job.id, purpose: 'verify_fix' }), null);
    expect(r.summary).toBe(`Fixed: retried job ${job.id} succeeded on web-1 (now online).`);
    expect(r.data).toEqual({ job: await f.fleet.jobs.get(job.id), agentStatus: 'online' });
  });

  it('a run cancelled while it waits cancels the job in the canceller’s name and words', async () => {
    const job = await deployJob();
    const runId = job.runId!;
    const wait = waitJobKind(f.fleet);
    const ctx = { runId } as Parameters<NonNullable<typeof wait.cancelWait>>[0];
    await wait.cancelWait!(ctx, { job_id: job.id, purpose: 'deploy' }, `job:${job.id}`, {
      by: 'admin',
      reason: 'wrong ref',
    });
    expect(await f.fleet.jobs.get(job.id)).toMatchObject({
      status: 'cancelled',
      cause: 'cancelled',
      error: `cancelled by admin: wrong ref (workflow run ${runId.slice(0, 8)} cancelled)`,
    });
    // Over already: nothing more to do, and no error for the person cancelling.
    await cancelAwaitedJob(f.fleet, `job:${job.id}`, { runId, by: null, reason: null });
    const other = await deployJob();
    await cancelAwaitedJob(f.fleet, `job:${other.id}`, { runId: other.runId!, by: null, reason: null });
    expect((await f.fleet.jobs.get(other.id)).error).toBe(
      `cancelled by workflow run ${other.runId!.slice(0, 8)}: workflow run ${other.runId!.slice(0, 8)} cancelled`,
    );
  });
});

describe('undoing a deploy: fleet.switch_release and fleet.deploy_job’s compensation', () => {
  it('switches the agent back to the release live before the deploy, waiting durably for the switch', async () => {
    const first = await deployJob(undefined, stage.agentId);
    await f.report(stage.agent, { jobId: first.id, status: 'success', exitCode: 0, previousRelease: null });
    const second = await deployJob(undefined, stage.agentId);
    await f.report(stage.agent, {
      jobId: second.id,
      status: 'success',
      exitCode: 0,
      previousRelease: first.id,
    });

    const deploy = deployJobKind(f.fleet);
    const deployParams = deploy.params.parse({ repository: REPO, ref: 'main', sha, agent: stage.agentId });
    expect(
      deploy.compensate!.describe(deployParams, {
        outputs: { job_id: second.id, agent_hostname: 'stage-1' },
        data: { jobId: second.id },
      }),
    ).toBe(
      `switch stage-1's ${REPO} back to the release that was live before job ${second.id}, if that job went live`,
    );
    // The first deploy had nothing before it: undoing it changes nothing.
    const nothing = await deploy.compensate!.run(f.ctx(), deployParams, {
      outputs: { job_id: first.id, agent_hostname: 'stage-1' },
      data: { jobId: first.id },
    });
    expect(nothing.summary).toBe(
      `Nothing to undo: job ${first.id} made the first release of ${REPO} on stage-1 (or its agent did not say which was live before).`,
    );

    const kind = switchReleaseKind(f.fleet);
    const params = kind.params.parse({ job_id: second.id });
    const plan = planOf(await kind.plan!(f.ctx(), params));
    expect(plan.summary).toBe(`Will switch stage-1's ${REPO} back to release ${first.id}.`);
    const wait = parked(await kind.run(f.ctx({ startedBy: 'dave' }), params, null));
    const activation = stage.agent.assigned.at(-1)!;
    expect(activation).toMatchObject({ action: 'activate', release: first.id });
    expect(wait).toEqual({
      key: `job:${activation.jobId}`,
      summary: `Waiting for job ${activation.jobId} on stage-1 to end.`,
      atDeadline: 'fail',
    });
    expect(await f.fleet.jobs.get(activation.jobId)).toMatchObject({ createdBy: 'dave', action: 'activate' });
    const switched = await f.report(stage.agent, {
      jobId: activation.jobId,
      status: 'success',
      exitCode: 0,
      previousRelease: second.id,
    });
    const found = await kind.recheck!(f.ctx(), params, wait.key);
    expect(found).toEqual({ payload: switched });
    const r = await kind.resume!(f.ctx(), params, found!.payload);
    expect(r).toEqual({
      summary: `Switched stage-1's ${REPO} back to release ${first.id} (job ${activation.jobId}).`,
      data: { activationJobId: activation.jobId, release: first.id },
      outputs: { activation_job_id: activation.jobId, release: first.id },
    });
  });

  it('deploy_job’s compensation switches back and waits for the agent to confirm', async () => {
    const first = await deployJob(undefined, web.agentId);
    await f.report(web.agent, { jobId: first.id, status: 'success', exitCode: 0, previousRelease: null });
    const second = await deployJob(undefined, web.agentId);
    await f.report(web.agent, {
      jobId: second.id,
      status: 'success',
      exitCode: 0,
      previousRelease: first.id,
    });
    const deploy = deployJobKind(f.fleet);
    const params = deploy.params.parse({ repository: REPO, ref: 'main', sha, agent: web.agentId });
    const before = web.agent.assigned.length;
    const undoing = deploy.compensate!.run(f.ctx({ startedBy: 'erin' }), params, {
      outputs: { job_id: second.id, agent_hostname: 'web-1' },
      data: { jobId: second.id },
    });
    await expect.poll(() => web.agent.assigned.length).toBe(before + 1);
    const activation = web.agent.assigned.at(-1)!;
    await f.report(web.agent, {
      jobId: activation.jobId,
      status: 'success',
      exitCode: 0,
      previousRelease: second.id,
    });
    expect(await undoing).toEqual({
      summary: `Switched web-1's ${REPO} back to release ${first.id} (job ${activation.jobId}).`,
      data: { jobId: second.id, undone: true, activationJobId: activation.jobId, release: first.id },
    });
  });
});
