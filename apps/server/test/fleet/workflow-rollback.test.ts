/**
 * Rolling back workflow runs that deployed to a real agent process from a real git repository: the rollback run's
 * gate shows the plan, approving it switches the agent's `current` back to the release live before the deploy (on
 * disk and in GET /v1/hosts), and a template with `on_failure: rollback` undoes its deploy by itself when a later
 * step fails.
 */
import { randomUUID } from 'node:crypto';
import { readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostDto, JobDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, expectError, stepOf, WORKFLOWS } from '../helpers/http-client';
import { createUser } from '../security/support/users';
import {
  approve,
  awaitingApproval,
  type Controller,
  deploy,
  enrollAgent,
  finished,
  getJob,
  listJobs,
  registerRepository,
  startController,
  waitFor,
  waitForRun,
} from './support/fleet-harness';
import { createDeployRepo, type DeployRepo, git } from './support/git-repo';

const HOST = 'undo-web-01';
const REPO = 'fleet/undo-app';
/** A branch of the same repository whose commit ships version 2.0.0 (main ships 1.0.0). */
const NEXT = 'next';

let c: Controller;
let repo: DeployRepo;

beforeAll(async () => {
  c = await startController('workflow-rollback');
  const dir = join(c.tmp, 'repos', 'undo-app');
  repo = await createDeployRepo(dir);
  await git(dir, 'checkout', '--quiet', '-b', NEXT, 'main');
  await writeFile(join(dir, 'VERSION'), '2.0.0\n');
  await git(dir, 'commit', '--quiet', '-am', 'hello 2.0.0');
  await git(dir, 'checkout', '--quiet', 'main');
  await registerRepository(c, REPO, repo.url);
  await enrollAgent(c, HOST);
}, 60_000);

afterAll(async () => {
  await c?.close();
});

const repoDir = () => join(c.workdirOf(HOST), 'fleet__undo-app');
const currentLink = () => readlink(join(repoDir(), 'current'));
const liveVersion = async () =>
  (await readFile(join(repoDir(), 'current', 'build', 'VERSION'), 'utf8')).trim();

async function hostRelease(): Promise<HostDto['currentReleases'][number] | undefined> {
  const res = await c.api.get<{ hosts: HostDto[] }>('/v1/hosts');
  if (res.status !== 200) throw new Error(`GET /v1/hosts answered ${res.status}: ${res.text}`);
  return res.body.hosts.find((h) => h.hostname === HOST)?.currentReleases.find((r) => r.repository === REPO);
}

const rollback = (runId: string, client = c.api) =>
  client.post<WorkflowRun>(`${WORKFLOWS}/${runId}/rollback`, {});

/** The rollback runs that undo `runId` (there is at most one unless someone asked twice). */
async function rollbacksOf(runId: string): Promise<WorkflowRun[]> {
  const res = await c.api.get<{ runs: WorkflowRun[] }>(`${WORKFLOWS}?state=all&name=rollback&limit=500`);
  if (res.status !== 200) throw new Error(`GET runs answered ${res.status}: ${res.text}`);
  return res.body.runs.filter((r) => r.rollbackOf === runId);
}

/** deploy_application through both gates; fails the test unless the deploy succeeded. */
async function deployed(ref: string): Promise<{ run: WorkflowRun; job: JobDto }> {
  const run = await deploy(c, { repository: REPO, ref });
  expect(run.status, run.error ?? '').toBe('completed');
  const job = await getJob(c, run.context.job_id as string);
  expect(job).toMatchObject({ status: 'success', action: 'deploy', sha: await repo.sha(ref) });
  return { run, job };
}

/** The first deploy (main, 1.0.0): what every rollback below goes back to. */
let a: { run: WorkflowRun; job: JobDto };

describe('rolling back a deploy_application run', () => {
  let b: { run: WorkflowRun; job: JobDto };
  let undoRun: WorkflowRun;

  it('deploys main, then the next branch of the same repository: the host shows the second', async () => {
    a = await deployed('main');
    expect(await currentLink()).toBe(`releases/${a.job.id}`);
    b = await deployed(NEXT);
    expect(b.job).toMatchObject({ release: b.job.id, previousRelease: a.job.id });
    expect(await currentLink()).toBe(`releases/${b.job.id}`);
    expect(await liveVersion()).toBe('2.0.0');
    expect(await hostRelease()).toMatchObject({ jobId: b.job.id, sha: await repo.sha(NEXT) });
  });

  it('POST rollback starts a rollback run that waits at review_plan with the plan, most recent first', async () => {
    const res = await rollback(b.run.id);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ name: 'rollback', rollbackOf: b.run.id, startedBy: 'admin' });
    undoRun = res.body;

    const waiting = await waitForRun(
      c,
      undoRun.id,
      awaitingApproval('review_plan'),
      'the rollback plan',
      30_000,
    );
    const undoCreateJob = `switch ${HOST}'s ${REPO} back to the release that was live before job ${b.job.id}, if that job went live`;
    const plan = stepOf(waiting, 'review_plan').plan!;
    expect(plan.summary).toBe(
      [
        `Undo 1 step of run ${b.run.id.slice(0, 8)} (Deploy ${REPO}@${NEXT} → ${HOST}), most recent first:`,
        '1. Monitor deployment: nothing to undo',
        `2. Create deployment job: ${undoCreateJob}`,
        '3. Select target agent: nothing to undo',
        '4. Validate repository: nothing to undo',
      ].join('\n'),
    );
    expect(plan.data).toEqual({
      runId: b.run.id,
      items: [
        { stepId: 'monitor_job', title: 'Monitor deployment', undo: null },
        { stepId: 'create_job', title: 'Create deployment job', undo: undoCreateJob },
        { stepId: 'select_agent', title: 'Select target agent', undo: null },
        { stepId: 'validate_repository', title: 'Validate repository', undo: null },
      ],
    });

    // Nothing is undone before the approval: the agent still runs the second deploy, and no job was made.
    expect(await currentLink()).toBe(`releases/${b.job.id}`);
    expect(await hostRelease()).toMatchObject({ jobId: b.job.id, sha: await repo.sha(NEXT) });
    expect((await listJobs(c)).filter((j) => j.action === 'activate')).toEqual([]);
    expect(stepOf(await c.api.run(b.run.id), 'create_job').status).toBe('completed');
  });

  it('approved, it switches the agent back to the first release, on disk and in GET /v1/hosts', async () => {
    await approve(c, undoRun.id, 'review_plan');
    const done = await waitForRun(c, undoRun.id, finished, 'the rollback run', 60_000);
    expect(done.status, done.error ?? '').toBe('completed');

    // The switch is an activation job on the agent: release A live again, B's release kept beside it.
    const activations = (await listJobs(c)).filter((j) => j.action === 'activate');
    expect(activations).toHaveLength(1);
    const activation = activations[0]!;
    expect(activation).toMatchObject({
      status: 'success',
      release: a.job.id,
      previousRelease: b.job.id,
      repository: REPO,
      agentHostname: HOST,
      sha: await repo.sha('main'),
      releaseDir: join(repoDir(), 'releases', a.job.id),
    });
    expect(stepOf(done, 'undo').summary).toBe(
      `Undid create_job (Switched ${HOST}'s ${REPO} back to release ${a.job.id} (job ${activation.id}).).`,
    );

    expect(await currentLink()).toBe(`releases/${a.job.id}`);
    expect(await liveVersion()).toBe('1.0.0');
    expect(await hostRelease()).toEqual({
      repository: REPO,
      jobId: activation.id,
      sha: await repo.sha('main'),
      deployedAt: activation.finishedAt,
    });

    // The original run says which of its steps were undone.
    const original = await c.api.run(b.run.id);
    expect(original.status).toBe('completed');
    expect(stepOf(original, 'create_job').status).toBe('compensated');
    expect(stepOf(original, 'create_job').summary).toContain(
      `Undone: Switched ${HOST}'s ${REPO} back to release ${a.job.id} (job ${activation.id}).`,
    );
    for (const id of ['validate_repository', 'select_agent', 'monitor_job'])
      expect(stepOf(original, id).status, id).toBe('completed');
    expect((await c.api.events(b.run.id)).map((e) => [e.type, e.stepId]).at(-1)).toEqual([
      'step.compensated',
      'create_job',
    ]);
  });

  it('refuses what cannot be rolled back: a run still waiting, a rollback run, an unknown run, a viewer', async () => {
    // A deploy waiting at its first gate.
    const waiting = await c.api.start('deploy_application', { repository: REPO, ref: 'main' });
    try {
      await waitForRun(c, waiting.id, awaitingApproval('select_agent'), 'select_agent plan');
      const refused = expectError(await rollback(waiting.id), 409, 'conflict');
      expect(refused.message).toBe(
        `run ${waiting.id} is waiting: only a completed or failed run can be rolled back`,
      );
    } finally {
      await c.api.post(`${WORKFLOWS}/${waiting.id}/cancel`, {});
    }
    const cancelled = await waitForRun(c, waiting.id, finished, 'the cancelled deploy');
    expect(cancelled.status).toBe('cancelled');
    expect(expectError(await rollback(waiting.id), 409, 'conflict').message).toBe(
      `run ${waiting.id} is cancelled: only a completed or failed run can be rolled back`,
    );

    expect(expectError(await rollback(undoRun.id), 409, 'conflict').message).toBe(
      'a rollback run cannot be rolled back',
    );
    expectError(await rollback(randomUUID()), 404, 'not_found');

    const viewer = await createUser(c.url, 'undo-viewer', 'viewer');
    expectError(await rollback(b.run.id, apiClient(c.url, viewer.token)), 403, 'forbidden');

    // None of these started anything.
    expect((await rollbacksOf(waiting.id)).length + (await rollbacksOf(undoRun.id)).length).toBe(0);
    expect(await rollbacksOf(b.run.id)).toHaveLength(1);
    expect(await currentLink()).toBe(`releases/${a.job.id}`);
  });

  it('rolling back a failed deploy: its job never went live, so there is nothing to switch back', async () => {
    const broken = await deploy(c, { repository: REPO, ref: 'broken' });
    expect(broken.status).toBe('failed');
    const jobId = broken.context.job_id as string;
    const activationsBefore = (await listJobs(c)).filter((j) => j.action === 'activate').length;

    const res = await rollback(broken.id);
    expect(res.status, res.text).toBe(201);
    const waiting = await waitForRun(c, res.body.id, awaitingApproval('review_plan'), 'the rollback plan');
    // monitor_job failed: only the steps that completed are listed.
    expect((stepOf(waiting, 'review_plan').plan!.data as { items: { stepId: string }[] }).items).toEqual([
      expect.objectContaining({ stepId: 'create_job' }),
      expect.objectContaining({ stepId: 'select_agent' }),
      expect.objectContaining({ stepId: 'validate_repository' }),
    ]);
    await approve(c, res.body.id, 'review_plan');
    const done = await waitForRun(c, res.body.id, finished, 'the rollback run', 60_000);
    expect(done.status, done.error ?? '').toBe('completed');
    expect(stepOf(done, 'undo').summary).toBe(
      `Undid create_job (Nothing to undo: job ${jobId} failed, so it never switched current.).`,
    );
    expect(stepOf(await c.api.run(broken.id), 'create_job').status).toBe('compensated');
    expect((await listJobs(c)).filter((j) => j.action === 'activate')).toHaveLength(activationsBefore);
    expect(await currentLink()).toBe(`releases/${a.job.id}`);
  });
});

describe('asking again after a rollback failed on the agent', () => {
  it('a second rollback makes a new switch instead of answering with the one that failed', async () => {
    const c3 = await deployed(NEXT);
    expect(c3.job.previousRelease).toBe(a.job.id);
    // The agent's record of release A is damaged: it names another commit, so the agent refuses to switch to it
    // (a failure another attempt may not repeat, unlike a pruned release or a later deploy).
    const history = join(repoDir(), 'releases.json');
    const intact = await readFile(history, 'utf8');
    const sha = await repo.sha('main');
    await writeFile(history, intact.replaceAll(sha, '0'.repeat(40)));

    const first = await rollback(c3.run.id);
    expect(first.status, first.text).toBe(201);
    await waitForRun(c, first.body.id, awaitingApproval('review_plan'), 'the first rollback plan');
    await approve(c, first.body.id, 'review_plan');
    const failed = await waitForRun(c, first.body.id, finished, 'the first rollback', 60_000);
    expect(failed.status).toBe('failed');
    const [failedSwitch] = (await listJobs(c)).filter(
      (j) => j.action === 'activate' && j.status === 'failed',
    );
    expect(failedSwitch).toMatchObject({ release: a.job.id, cause: 'internal' });
    expect(stepOf(failed, 'undo').error).toContain(
      `could not switch ${HOST}'s ${REPO} back to release ${a.job.id} (job ${failedSwitch!.id} failed): releases/${a.job.id} holds commit ${'0'.repeat(40)}, not ${sha}`,
    );
    expect(stepOf(await c.api.run(c3.run.id), 'create_job').status).toBe('completed');
    expect(await currentLink()).toBe(`releases/${c3.job.id}`);

    // Repaired, the operator asks again: a new activation switches back.
    await writeFile(history, intact);
    const second = await rollback(c3.run.id);
    expect(second.status, second.text).toBe(201);
    await waitForRun(c, second.body.id, awaitingApproval('review_plan'), 'the second rollback plan');
    await approve(c, second.body.id, 'review_plan');
    const done = await waitForRun(c, second.body.id, finished, 'the second rollback', 60_000);
    expect(done.status, done.error ?? '').toBe('completed');
    const switched = (await listJobs(c)).filter(
      (j) => j.action === 'activate' && j.previousRelease === c3.job.id,
    );
    expect(switched).toHaveLength(1);
    expect(switched[0]).toMatchObject({ status: 'success', release: a.job.id });
    expect(switched[0]!.id).not.toBe(failedSwitch!.id);
    expect(await currentLink()).toBe(`releases/${a.job.id}`);
    expect(await hostRelease()).toMatchObject({ jobId: switched[0]!.id, sha });
    expect(stepOf(await c.api.run(c3.run.id), 'create_job').status).toBe('compensated');
  });
});

/**
 * A template of an operator's: deploy a ref without any gate, then deploy the repository's smoke-test ref (a
 * branch whose manifest fails on purpose) and wait for it. `on_failure: rollback` undoes the first deploy when the
 * smoke test fails.
 */
const DEPLOY_THEN_SMOKE = `
name: deploy_then_smoke
title: Deploy, then smoke-test
description: Deploys a ref, then runs the smoke-test branch on the same agent; a failed smoke test undoes the deploy.
on_failure: rollback
inputs:
  - { key: repository, label: Repository, type: text, required: true }
  - { key: ref, label: Ref, type: text, required: true }
  - { key: smoke_ref, label: Smoke-test ref, type: text, required: true }
steps:
  - id: resolve
    title: Resolve the ref
    uses: fleet.resolve_ref
    with:
      repository: "\${{ inputs.repository }}"
      ref: "\${{ inputs.ref }}"
  - id: select
    title: Pick the agent
    uses: fleet.select_agent
  - id: deploy
    title: Deploy the release
    uses: fleet.deploy_job
    with:
      repository: "\${{ inputs.repository }}"
      ref: "\${{ inputs.ref }}"
      sha: "\${{ steps.resolve.outputs.sha }}"
      agent: "\${{ steps.select.outputs.agent_id }}"
  - id: deployed
    title: Wait for the deploy
    uses: fleet.wait_job
    with:
      job_id: "\${{ steps.deploy.outputs.job_id }}"
  - id: resolve_smoke
    title: Resolve the smoke-test ref
    uses: fleet.resolve_ref
    with:
      repository: "\${{ inputs.repository }}"
      ref: "\${{ inputs.smoke_ref }}"
  - id: smoke
    title: Run the smoke test
    uses: fleet.deploy_job
    with:
      repository: "\${{ inputs.repository }}"
      ref: "\${{ inputs.smoke_ref }}"
      sha: "\${{ steps.resolve_smoke.outputs.sha }}"
      agent: "\${{ steps.select.outputs.agent_id }}"
  - id: smoke_passed
    title: Wait for the smoke test
    uses: fleet.wait_job
    with:
      job_id: "\${{ steps.smoke.outputs.job_id }}"
`;

describe('on_failure: rollback', () => {
  it('a template whose smoke test fails undoes its deploy by itself, with no gate: the agent is back on main', async () => {
    const saved = await c.api.post<{ name: string; version: number }>(`${WORKFLOWS}/definitions`, undefined, {
      raw: DEPLOY_THEN_SMOKE,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(saved.status, saved.text).toBe(201);
    expect(saved.body).toMatchObject({ name: 'deploy_then_smoke', version: 1 });
    const activationsBefore = (await listJobs(c)).filter((j) => j.action === 'activate');

    const run = await c.api.start('deploy_then_smoke', {
      repository: REPO,
      ref: NEXT,
      smoke_ref: 'broken',
    });
    const failed = await waitForRun(c, run.id, finished, 'the template run to fail', 60_000);
    expect(failed.status).toBe('failed');
    expect(stepOf(failed, 'smoke_passed')).toMatchObject({ status: 'failed' });
    expect(stepOf(failed, 'smoke_passed').error).toMatch(/^job failed at step "smoke-test": /);
    const deployJob = await getJob(c, stepOf(failed, 'deploy').outputs!.job_id as string);
    const smokeJob = await getJob(c, stepOf(failed, 'smoke').outputs!.job_id as string);
    // The deploy went live over the release the earlier rollback re-activated (main's).
    expect(deployJob).toMatchObject({
      status: 'success',
      sha: await repo.sha(NEXT),
      previousRelease: a.job.id,
    });
    expect(smokeJob).toMatchObject({ status: 'failed', cause: 'step_failed', step: 'smoke-test' });

    // The rollback run starts by itself and runs without stopping at its gate.
    const [auto] = await waitFor(
      `a rollback of run ${run.id}`,
      () => rollbacksOf(run.id),
      (runs) => runs.length > 0 && finished(runs[0]!),
      60_000,
      (runs) => JSON.stringify(runs.map((r) => [r.id, r.status, r.steps.map((s) => `${s.id}:${s.status}`)])),
    );
    expect(auto!.status, auto!.error ?? '').toBe('completed');
    expect(auto!.startedBy).toBe(`rollback of ${run.id.slice(0, 8)}`);
    const audit = await c.api.get<{ entries: Array<{ action: string; actor: string; target: string }> }>(
      '/v1/audit?limit=200',
    );
    expect(audit.body.entries.filter((e) => e.target === auto!.id)).toEqual([
      expect.objectContaining({ action: 'workflow.rollback', actor: `rollback of ${run.id.slice(0, 8)}` }),
    ]);
    // One failure, one rollback: the undone steps' own commits (to a run that already ended) start no other.
    // Another one would have started while this one undid the deploy, before it completed.
    await c.app.engine.idle();
    expect((await rollbacksOf(run.id)).map((r) => r.id)).toEqual([auto!.id]);
    expect(stepOf(auto!, 'review_plan')).toMatchObject({ status: 'skipped', decisions: [] });

    const activations = (await listJobs(c)).filter((j) => j.action === 'activate');
    expect(activations).toHaveLength(activationsBefore.length + 1);
    const activation = activations.find((j) => !activationsBefore.some((x) => x.id === j.id))!;
    expect(activation).toMatchObject({
      status: 'success',
      release: a.job.id,
      previousRelease: deployJob.id,
      sha: await repo.sha('main'),
    });
    // Most recent first: the smoke test (which never went live) is looked at before the deploy.
    expect(stepOf(auto!, 'undo').summary).toBe(
      `Undid smoke (Nothing to undo: job ${smokeJob.id} failed, so it never switched current.); ` +
        `deploy (Switched ${HOST}'s ${REPO} back to release ${a.job.id} (job ${activation.id}).).`,
    );

    expect(await currentLink()).toBe(`releases/${a.job.id}`);
    expect(await liveVersion()).toBe('1.0.0');
    expect(await hostRelease()).toEqual({
      repository: REPO,
      jobId: activation.id,
      sha: await repo.sha('main'),
      deployedAt: activation.finishedAt,
    });
    const after = await c.api.run(run.id);
    expect(after.status).toBe('failed');
    expect(stepOf(after, 'deploy').status).toBe('compensated');
    expect(stepOf(after, 'smoke').status).toBe('compensated');
    expect(stepOf(after, 'smoke_passed').status).toBe('failed');
  });
});
