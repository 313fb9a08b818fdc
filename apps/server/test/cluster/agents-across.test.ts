/**
 * Agents connect to any controller (issue 15, item 4), with real processes: three controllers on one PostgreSQL,
 * a real agent dialling C first and A second, a real git repository. A job created through A reaches the agent
 * through C; when C is killed mid-job, the agent carries on through A and the job ends as it would have.
 */
import type { JobDto } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentProcess,
  awaitingApproval,
  finished as runFinished,
  waitFor,
} from '../fleet/support/fleet-harness';
import { GREETING } from '../fleet/support/git-repo';
import { WORKFLOWS } from '../helpers/http-client';
import {
  type Cluster,
  type ClusterController,
  enrollClusterAgent,
  jobFinished as finished,
  job,
  logs,
  registerClusterRepo,
  releaseJob,
  startCluster,
  waitForAgentStatus,
} from './support/cluster';

async function approveOn(c: ClusterController, runId: string, stepId: string, extra: object = {}) {
  const res = await c.api.post(`${WORKFLOWS}/${runId}/approve`, {
    approved: true,
    step_id: stepId,
    ...extra,
  });
  if (res.status !== 200)
    throw new Error(`approve ${stepId} on ${c.name} answered ${res.status}: ${res.text}`);
}

describe('agents connect to any controller', () => {
  let cluster: Cluster;
  let A: ClusterController;
  let B: ClusterController;
  let C: ClusterController;
  let agent: AgentProcess;
  const diag = () => `\n--- agent ---\n${agent?.output().slice(-6000)}\n${cluster?.logs().slice(-12000)}`;

  beforeAll(async () => {
    cluster = await startCluster({ size: 3 });
    ({ A, B, C } = cluster.byName as Record<'A' | 'B' | 'C', ClusterController>);
    await registerClusterRepo(cluster, A, 'acme/web');
    // C first, A second: the agent holds a socket on C until C dies.
    ({ agent } = await enrollClusterAgent(cluster, 'web-01', [C, A]));
    await agent.waitForOutput(/connected to the controller/);
  }, 180_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('runs a job created through A on the agent connected to C, and every controller sees it end', async () => {
    // A holds no socket of web-01: it is online there all the same (agent_presence), so jobs are accepted.
    await waitForAgentStatus(A, 'web-01', 'online');
    await waitForAgentStatus(B, 'web-01', 'online');
    const created = await A.api.post<JobDto>('/v1/jobs', {
      repository: 'acme/web',
      ref: 'main',
      agent: 'web-01',
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id;
    const done = await waitFor(`job ${id} to finish`, () => job(A, id), finished, 30_000).catch((err) => {
      throw new Error(`${(err as Error).message}${diag()}`);
    });
    expect(done.status, `${done.error}${diag()}`).toBe('success');
    expect((await job(B, id)).status).toBe('success');
    const text = (await logs(A, id)).map((l) => l.line);
    expect(text).toContain(`${GREETING}, version 1.0.0`);
  }, 60_000);

  it('deploy_application started on A, approved on B, deploys through the agent held by C', async () => {
    const run = await A.api.start('deploy_application', { repository: 'acme/web', ref: 'main' });
    await A.api.waitForRun(run.id, awaitingApproval('select_agent'), 'select_agent plan', 30_000);
    await approveOn(B, run.id, 'select_agent', { user_input: 'web-01' });
    await A.api.waitForRun(
      run.id,
      (r) => awaitingApproval('create_job')(r) || runFinished(r),
      'create_job plan',
      30_000,
    );
    await approveOn(B, run.id, 'create_job');
    const done = await A.api.waitForRun(run.id, runFinished, 'the deploy to finish', 60_000).catch((err) => {
      throw new Error(`${(err as Error).message}${diag()}`);
    });
    expect(done.status, `${done.error}${diag()}`).toBe('completed');
    const jobs = await A.api.get<{ jobs: JobDto[] }>(`/v1/jobs?limit=500`);
    const deployed = jobs.body.jobs.find((j) => j.runId === run.id);
    expect(deployed).toMatchObject({ status: 'success', agentHostname: 'web-01' });
  }, 120_000);

  it('keeps running a job when the controller holding the agent dies: the agent carries on through A', async () => {
    const created = await A.api.post<JobDto>('/v1/jobs', {
      repository: 'acme/web',
      ref: 'long',
      agent: 'web-01',
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id;
    // Running, with some of its lines stored through C.
    await waitFor(
      `job ${id} to run and log through C`,
      async () => ({ job: await job(A, id), lines: await logs(A, id) }),
      (s) => s.job.status === 'running' && s.lines.some((l) => l.line.startsWith('tick')),
      30_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}${diag()}`);
    });

    await C.kill();
    await agent.waitForOutput(/connecting to the next controller/, 20_000);
    // Back online through A (the agent said hello there, and its job is not lost).
    await waitFor(
      'web-01 to say hello to A',
      async () =>
        agent
          .output()
          .split('\n')
          .filter((l) => /connected to the controller"/.test(l)).length,
      (n) => n >= 2,
      30_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}${diag()}`);
    });
    await waitForAgentStatus(A, 'web-01', 'online', 30_000);
    expect((await job(A, id)).status).toBe('running');

    // Let the step finish: the final status and the last lines arrive through A.
    await releaseJob(cluster, id);
    const done = await waitFor(`job ${id} to finish`, () => job(A, id), finished, 30_000).catch((err) => {
      throw new Error(`${(err as Error).message}${diag()}`);
    });
    expect(done.status, `${done.error}${diag()}`).toBe('success');
    const lines = await logs(A, id);
    const text = lines.map((l) => l.line);
    expect(text).toContain('warming up');
    expect(text).toContain('long step done');
    // No line lost across the move (the controller would have added a line saying the log is incomplete).
    expect(text.some((t) => t.includes('this log is incomplete'))).toBe(false);
    const seqs = lines.map((l) => l.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }, 120_000);

  it('a restarted C sees the agent A now holds, and a cancel given to C stops the job on the agent', async () => {
    await C.restart();
    await waitForAgentStatus(C, 'web-01', 'online', 30_000);
    const created = await C.api.post<JobDto>('/v1/jobs', {
      repository: 'acme/web',
      ref: 'long',
      agent: 'web-01',
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id;
    await waitFor(
      `job ${id} to run`,
      async () => ({ job: await job(C, id), lines: await logs(C, id) }),
      (s) => s.job.status === 'running' && s.lines.some((l) => l.line.startsWith('tick')),
      30_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}${diag()}`);
    });
    const cancel = await C.api.post<JobDto>(`/v1/jobs/${id}/cancel`, { reason: 'cluster test' });
    expect(cancel.status, cancel.text).toBe(200);
    const done = await waitFor(`job ${id} to end`, () => job(C, id), finished, 30_000);
    expect(done).toMatchObject({ status: 'cancelled', cause: 'cancelled' });
    expect(done.error).toMatch(/cancelled by .*: cluster test/);
    // The agent stopped it and said so; C did not give up on an unreachable agent.
    const text = (await logs(A, id)).map((l) => l.line);
    expect(
      text.some((t) => t.includes('unreachable')),
      text.join('\n'),
    ).toBe(false);
    expect(text).not.toContain('long step done');
  }, 90_000);
});
