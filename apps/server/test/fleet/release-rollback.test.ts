/**
 * Undoing deploys on a real agent process with a real git repository: the agent switches `current` back to the
 * release that was live before, and GET /v1/hosts says so.
 */
import { existsSync } from 'node:fs';
import { readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostDto, JobDto } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeployUndoError,
  describeDeployUndo,
  startDeployUndo,
  undoDeploy,
} from '../../src/fleet/release-rollback';
import {
  type Controller,
  enrollAgent,
  getJob,
  jobFinished,
  jobLogs,
  listJobs,
  registerRepository,
  startController,
  waitForJob,
} from './support/fleet-harness';
import { createDeployRepo, type DeployRepo, git } from './support/git-repo';

const HOST = 'rollback-web-01';
const REPO = 'fleet/rollback';
const NEXT = 'next';

let c: Controller;
let repo: DeployRepo;

beforeAll(async () => {
  c = await startController('rollback');
  const dir = join(c.tmp, 'repos', 'rollback');
  repo = await createDeployRepo(dir);
  // Version 2.0.0 on its own branch: a second deploy that differs from the first in what it ships.
  await git(dir, 'checkout', '--quiet', '-b', NEXT, 'main');
  await writeFile(join(dir, 'VERSION'), '2.0.0\n');
  await git(dir, 'commit', '--quiet', '-am', 'hello 2.0.0');
  await git(dir, 'checkout', '--quiet', 'main');
  await registerRepository(c, REPO, repo.url);
  await enrollAgent(c, HOST);
});

afterAll(async () => {
  await c?.close();
});

const repoDir = () => join(c.workdirOf(HOST), 'fleet__rollback');
const currentLink = () => readlink(join(repoDir(), 'current'));
const liveVersion = async () =>
  (await readFile(join(repoDir(), 'current', 'build', 'VERSION'), 'utf8')).trim();
const undo = (jobId: string, key: string) =>
  undoDeploy(c.app.fleet, jobId, {
    by: 'admin',
    reason: 'the release misbehaves',
    signal: AbortSignal.timeout(30_000),
    idempotencyKey: key,
  });

async function deployJob(ref: string): Promise<JobDto> {
  const res = await c.api.post<JobDto>('/v1/jobs', { repository: REPO, ref, agent: HOST });
  if (res.status !== 201) throw new Error(`POST /v1/jobs answered ${res.status}: ${res.text}`);
  const done = await waitForJob(c, res.body.id, jobFinished, 'to finish', 30_000);
  expect(done.status, done.error ?? '').toBe('success');
  return done;
}

async function hostRelease(): Promise<HostDto['currentReleases'][number] | undefined> {
  const hosts = (await c.api.get<{ hosts: HostDto[] }>('/v1/hosts')).body.hosts;
  return hosts.find((h) => h.hostname === HOST)?.currentReleases.find((r) => r.repository === REPO);
}

describe('undoing deploys on a real agent', () => {
  let a: JobDto;
  let b: JobDto;
  let undoB: JobDto;

  it('a first deploy has nothing to undo', async () => {
    a = await deployJob('main');
    expect(a).toMatchObject({ action: 'deploy', release: a.id, previousRelease: null });
    expect(describeDeployUndo(a)).toBeNull();
    expect(await undo(a.id, 'undo-first')).toBeNull();
    // Nothing was created and nothing moved.
    expect((await listJobs(c)).map((j) => j.id)).toEqual([a.id]);
    expect(await currentLink()).toBe(`releases/${a.id}`);
  });

  it('the next deploy records the release it replaced', async () => {
    b = await deployJob(NEXT);
    expect(b).toMatchObject({ action: 'deploy', release: b.id, previousRelease: a.id });
    expect(await liveVersion()).toBe('2.0.0');
    expect(describeDeployUndo(b)).toBe(`switch ${HOST}'s ${REPO} back to release ${a.id}`);
    expect(await jobLogs(c, b.id)).toContainEqual(
      expect.objectContaining({
        line: `previous release: releases/${a.id} (undoing this job goes back to it)`,
      }),
    );
  });

  it('undoing it switches current back to the first release, on disk and in GET /v1/hosts', async () => {
    undoB = (await undo(b.id, 'undo-b'))!;
    expect(undoB).toMatchObject({
      action: 'activate',
      status: 'success',
      release: a.id,
      previousRelease: b.id,
      repository: REPO,
      agentHostname: HOST,
      ref: 'main',
      sha: await repo.sha('main'),
      releaseDir: join(repoDir(), 'releases', a.id),
      createdBy: 'admin',
    });

    expect(await currentLink()).toBe(`releases/${a.id}`);
    expect(await liveVersion()).toBe('1.0.0');
    expect(await hostRelease()).toEqual({
      repository: REPO,
      jobId: undoB.id,
      sha: await repo.sha('main'),
      deployedAt: undoB.finishedAt,
    });

    // The jobs list tells the switch from the deploys.
    const listed = await listJobs(c);
    expect(listed.map((j) => [j.id, j.action])).toEqual([
      [undoB.id, 'activate'],
      [b.id, 'deploy'],
      [a.id, 'deploy'],
    ]);
    const lines = (await jobLogs(c, undoB.id)).map((l) => l.line);
    expect(lines).toEqual(
      expect.arrayContaining([
        `job ${undoB.id}: activate ${REPO} release ${a.id} (main @ ${await repo.sha('main')})`,
        `current points at releases/${b.id}`,
        `current -> releases/${a.id}`,
      ]),
    );
    // The release switched away from stays, so the undo can itself be undone.
    expect(existsSync(join(repoDir(), 'releases', b.id))).toBe(true);
  });

  it('asked again with the same key, answers with the same switch instead of making another', async () => {
    const again = await undo(b.id, 'undo-b');
    expect(again?.id).toBe(undoB.id);
    expect((await listJobs(c)).filter((j) => j.action === 'activate')).toHaveLength(1);
  });

  it('an undo is undone like a deploy: back to the second release', async () => {
    expect(describeDeployUndo(undoB)).toBe(`switch ${HOST}'s ${REPO} back to release ${b.id}`);
    const redo = (await undo(undoB.id, 'undo-undo-b'))!;
    expect(redo).toMatchObject({
      action: 'activate',
      status: 'success',
      release: b.id,
      sha: await repo.sha(NEXT),
    });
    expect(await currentLink()).toBe(`releases/${b.id}`);
    expect(await liveVersion()).toBe('2.0.0');
    expect((await hostRelease())?.sha).toBe(await repo.sha(NEXT));
  });

  it('never replaces a later deploy: the undo fails with current_moved and current stays', async () => {
    const c3 = await deployJob('main');
    let failure: unknown;
    try {
      await undo(b.id, 'undo-b-after-c');
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(DeployUndoError);
    const { job, retryable, message } = failure as DeployUndoError;
    expect(job).toMatchObject({ action: 'activate', status: 'failed', cause: 'current_moved' });
    expect(retryable).toBe(false);
    expect(message).toBe(
      `could not switch ${HOST}'s ${REPO} back to release ${a.id} (job ${job.id} failed): current points at releases/${c3.id}, not at releases/${b.id}: something was deployed since, and switching back would replace it; not switching`,
    );
    expect(await currentLink()).toBe(`releases/${c3.id}`);
    expect((await hostRelease())?.jobId).toBe(c3.id);
  });

  it('refuses to undo a job still running, and to activate a release no deploy of this agent made', async () => {
    const slow = await c.api.post<JobDto>('/v1/jobs', { repository: REPO, ref: 'slow', agent: HOST });
    await waitForJob(c, slow.body.id, (j) => j.status === 'running', 'to run');
    await expect(startDeployUndo(c.app.fleet, slow.body.id, { by: 'admin' })).rejects.toThrow(
      `job ${slow.body.id} is still running: cancel it or wait for its end before undoing it`,
    );
    await c.api.post(`/v1/jobs/${slow.body.id}/cancel`, {});
    await waitForJob(c, slow.body.id, jobFinished, 'to end cancelled');
    await expect(startDeployUndo(c.app.fleet, slow.body.id, { by: 'admin' })).resolves.toBeNull();

    await expect(
      c.app.fleet.jobs.activateRelease({
        agent: HOST,
        repository: REPO,
        release: undoB.id,
        createdBy: 'admin',
      }),
    ).rejects.toThrow(`release ${undoB.id} was not made by a deploy of ${REPO} on ${HOST}`);
    expect((await getJob(c, undoB.id)).status).toBe('success');
  });
});
