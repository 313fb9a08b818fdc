/**
 * Enrolling through any controller, with real processes: an agent that connects with its join token to C is
 * listed, reviewed and registered by the others (its connection stays on C), through REST and through the
 * register_agent workflow; it then takes jobs like any other agent.
 */
import type { AgentDto, ConfigureResult, JobDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, awaitingApproval, finished, waitFor } from '../fleet/support/fleet-harness';
import { WORKFLOWS } from '../helpers/http-client';
import {
  type Cluster,
  type ClusterController,
  job,
  jobFinished,
  registerClusterRepo,
  startCluster,
  startClusterAgent,
  waitForAgentStatus,
} from './support/cluster';

describe('agents enroll through any controller', () => {
  let cluster: Cluster;
  let A: ClusterController;
  let B: ClusterController;
  let C: ClusterController;
  const agents: AgentProcess[] = [];
  const diag = () =>
    `\n${agents.map((a) => `--- agent ${a.hostname} ---\n${a.output().slice(-3000)}`).join('\n')}\n${cluster?.logs().slice(-10000)}`;
  const explain = (err: unknown) => {
    throw new Error(`${(err as Error).message}${diag()}`);
  };

  beforeAll(async () => {
    cluster = await startCluster({ size: 3 });
    ({ A, B, C } = cluster.byName as Record<'A' | 'B' | 'C', ClusterController>);
    await registerClusterRepo(cluster, A, 'acme/shop');
  }, 180_000);

  afterAll(async () => {
    await cluster?.close();
  });

  const deployOn = async (hostname: string) => {
    const created = await A.api.post<JobDto>('/v1/jobs', {
      repository: 'acme/shop',
      ref: 'main',
      agent: hostname,
    });
    expect(created.status, created.text).toBe(201);
    const done = await waitFor(
      `job on ${hostname}`,
      () => job(A, created.body.id),
      jobFinished,
      30_000,
    ).catch(explain);
    expect(done.status, `${done.error}`).toBe('success');
  };

  it('a join token from A, the agent connected to C, the enrollment approved on B', async () => {
    const issued = await A.api.post<{ token: string }>('/v1/agents/join-tokens', { hostname: 'shop-01' });
    expect(issued.status, issued.text).toBe(201);
    agents.push(startClusterAgent(cluster, 'shop-01', [C], { token: issued.body.token }));
    // Listed on every controller, not only on the one holding the connection.
    const seen = await waitFor(
      'the enrollment listed on B',
      async () =>
        (await B.api.get<{ enrollments: { id: string; hostname: string }[] }>('/v1/agents/enrollments')).body
          .enrollments,
      (list) => list.some((e) => e.hostname === 'shop-01'),
      20_000,
    ).catch(explain);
    const onA = (await A.api.get<{ enrollments: { id: string }[] }>('/v1/agents/enrollments')).body
      .enrollments;
    expect(onA.map((e) => e.id)).toEqual(seen.map((e) => e.id));

    const approved = await B.api.post<{ agent: AgentDto; checks: ConfigureResult['checks'] }>(
      `/v1/agents/enrollments/${seen[0]!.id}/approve`,
      { environment: 'production', labels: { tier: 'web' } },
    );
    expect(approved.status, approved.text).toBe(201);
    // The configuration went to the agent through C, and its installation checks came back.
    expect(approved.body.checks.find((c) => c.name === 'configure')).toBeUndefined();
    expect(
      approved.body.checks.every((c) => c.ok),
      JSON.stringify(approved.body.checks),
    ).toBe(true);
    for (const c of [A, B, C]) await waitForAgentStatus(c, 'shop-01', 'online');
    expect((await B.api.get<{ enrollments: unknown[] }>('/v1/agents/enrollments')).body.enrollments).toEqual(
      [],
    );
    await deployOn('shop-01');
  }, 120_000);

  it('register_agent started on A registers an agent that connected to C', async () => {
    const started = await A.api.start('register_agent', { hostname: 'shop-02' });
    await A.api.waitForRun(
      started.id,
      (r) => r.steps[0]!.status === 'completed' || finished(r),
      'token',
      30_000,
    );
    const revealed = await A.api.post<{ secrets: { join_token?: string } }>(
      `${WORKFLOWS}/${started.id}/reveal`,
    );
    expect(revealed.status, revealed.text).toBe(200);
    agents.push(startClusterAgent(cluster, 'shop-02', [C], { token: revealed.body.secrets.join_token! }));
    await A.api
      .waitForRun(started.id, awaitingApproval('check_connectivity'), 'the connectivity check', 30_000)
      .catch(explain);
    for (const step of ['check_connectivity', 'register']) {
      if (step === 'register')
        await A.api.waitForRun(started.id, awaitingApproval('register'), 'register', 30_000);
      const res = await A.api.post<WorkflowRun>(`${WORKFLOWS}/${started.id}/approve`, {
        approved: true,
        step_id: step,
      });
      expect(res.status, res.text).toBe(200);
    }
    const done = await A.api
      .waitForRun(started.id, finished, 'register_agent to finish', 60_000)
      .catch(explain);
    expect(done.status, `${done.error}${diag()}`).toBe('completed');
    for (const c of [A, B, C]) await waitForAgentStatus(c, 'shop-02', 'online');
    await deployOn('shop-02');
  }, 120_000);
});
