import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStepWait, type StepResult, type StepWait } from '../../engine/types';
import { configureAgentKind, registerAgentKind } from './agents.kinds';
import {
  awaitEnrollmentKind,
  type ConnectivityData,
  checkConnectivityKind,
  issueJoinTokenKind,
  JOIN_TOKEN_PLACEHOLDER,
} from './enroll.kinds';
import { AGENT_INFO, FakeAgent, type FleetFixture, planOf, startFleetFixture } from './testing/fleet-fixture';

let f: FleetFixture;
const agents: FakeAgent[] = [];

beforeAll(async () => {
  f = await startFleetFixture({ connectTimeoutMs: 120_000 });
});

afterAll(async () => {
  for (const a of agents) a.close();
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

describe('fleet.issue_join_token', () => {
  it('issues a sealed one-time token with the command that starts the agent', async () => {
    const kind = issueJoinTokenKind(f.fleet, f.deps.enrollCommand);
    const params = kind.params.parse({ hostname: 'Web-01', labels: 'region=eu, tier=web' });
    expect(params.hostname).toBe('web-01');
    const ctx = f.ctx();
    const r = result(await kind.run(ctx, params, null));
    expect(r.summary).toMatch(
      /^web-01 is a valid host name and not registered yet\. Start the agent on web-01 with the command shown \(reveal its one-time join token first\); the token expires at \d{4}-/,
    );
    expect(r.data).toEqual({
      hostname: 'web-01',
      command: `deploybot-agent --controller ${f.url} --hostname web-01 --token ${JOIN_TOKEN_PLACEHOLDER}`,
      expiresAt: expect.any(String),
      secret: 'join_token',
      placeholder: '{{join_token}}',
    });
    expect(r.secrets?.join_token).toMatch(/^dbj_/);
    expect(JSON.stringify(r.data)).not.toContain(r.secrets!.join_token);
    expect(r.outputs).toBeUndefined();
    expect(Object.keys(kind.outputs.shape)).toEqual(['join_token']);
    expect(await f.fleet.agents.joinTokenId(r.secrets!.join_token!)).toEqual(expect.any(String));
  });

  it('start check: labels that do not parse and a name already registered, each naming its param', async () => {
    const kind = issueJoinTokenKind(f.fleet, f.deps.enrollCommand);
    await f.enroll('taken-01');
    expect(
      await kind.startCheck!(
        kind.params.parse({ hostname: 'free-01', labels: 'region=eu' }),
        AbortSignal.timeout(5000),
      ),
    ).toEqual([]);
    expect(
      await kind.startCheck!(
        kind.params.parse({ hostname: 'taken-01', labels: 'region' }),
        AbortSignal.timeout(5000),
      ),
    ).toEqual([
      { param: 'labels', message: 'labels must look like "key=value, key2=value2"; "region" does not' },
      { param: 'hostname', message: 'an agent named taken-01 is already registered' },
    ]);
    // The step refuses them too, before a token exists.
    await expect(kind.run(f.ctx(), kind.params.parse({ hostname: 'taken-01' }), null)).rejects.toThrow(
      'an agent named taken-01 is already registered',
    );
  });
});

describe('enrolling an agent, step by step: wait, check, register, configure', () => {
  it('waits durably for the agent, reviews its connection, registers and configures it; undo revokes it', async () => {
    const runId = crypto.randomUUID();
    const issued = result(
      await issueJoinTokenKind(f.fleet, f.deps.enrollCommand).run(
        f.ctx({ runId }),
        { hostname: 'web-02', labels: undefined },
        null,
      ),
    );
    const token = issued.secrets!.join_token!;
    const joinTokenId = (await f.fleet.agents.joinTokenId(token))!;

    // Check connectivity's plan waits durably for the agent, then the check is what the gate shows.
    const check = checkConnectivityKind(f.fleet, 120_000);
    const checkParams = check.params.parse({ hostname: 'web-02', join_token: token });
    const parked = await check.plan!(f.ctx({ runId }), checkParams);
    expect(parked).toEqual({
      wait: {
        key: `enrollment:${joinTokenId}`,
        summary: 'Waiting for the agent of web-02 to connect with its join token.',
        deadlineMs: 120_000,
        atDeadline: 'fail',
        deadlineError: 'no agent connected as web-02 with the join token within 2 min',
      },
    });
    expect(await check.recheck!(f.ctx({ runId }), checkParams, `enrollment:${joinTokenId}`)).toBeNull();

    const agent = await FakeAgent.connect(f.url, token, 'web-02');
    agents.push(agent);
    expect(await agent.hello()).toMatchObject({ data: { agentId: 'enrolling' } });
    const found = await check.recheck!(f.ctx({ runId }), checkParams, `enrollment:${joinTokenId}`);
    expect(found).toEqual({ payload: { enrollmentId: expect.any(String) } });
    const plan = await check.resume!(f.ctx({ runId }), checkParams, found!.payload, null);
    expect(plan.summary).toMatch(/^Connected from 127\.0\.0\.1: ping [\d.]+ ms;/);
    expect(plan.outputs).toEqual({ enrollment_id: expect.any(String), address: '127.0.0.1' });
    const conn = plan.data as ConnectivityData;
    expect(conn).toEqual({
      joinTokenId,
      enrollmentId: plan.outputs!.enrollment_id,
      hostname: 'web-02',
      address: '127.0.0.1',
      rttMs: expect.any(Number),
      agentVersion: AGENT_INFO.version,
      gitVersion: AGENT_INFO.gitVersion,
      workdir: AGENT_INFO.workdir,
      workdirWritable: true,
      platform: AGENT_INFO.platform,
    });
    expect(plan.summary).toBe(
      `Connected from 127.0.0.1: ping ${conn.rttMs} ms; agent test, git version 2.39.5, work dir /var/lib/deploybot writable.`,
    );
    const reviewed = result(await check.run(f.ctx({ runId }), checkParams, approved(plan)));
    expect(reviewed.summary).toBe(`Connectivity of web-02 reviewed: ${plan.summary}`);
    expect(reviewed.outputs).toEqual({ enrollment_id: conn.enrollmentId, address: '127.0.0.1' });

    const register = registerAgentKind(f.fleet);
    const registerParams = register.params.parse({
      hostname: 'web-02',
      environment: 'staging',
      labels: 'region=eu, tier=web',
      enrollment_id: conn.enrollmentId,
      address: '127.0.0.1',
    });
    const registerPlan = planOf(await register.plan!(f.ctx({ runId }), registerParams));
    expect(registerPlan).toEqual({
      summary:
        'Will store agent web-02 (environment staging, labels region=eu, tier=web, address 127.0.0.1), use up its join token and issue a long-lived credential (stored hashed).',
      data: {
        hostname: 'web-02',
        environment: 'staging',
        labels: { region: 'eu', tier: 'web' },
        address: '127.0.0.1',
      },
    });
    const registered = result(
      await register.run(f.ctx({ runId }), registerParams, approved(registerPlan, 'carol')),
    );
    const agentId = registered.outputs!.agent_id as string;
    expect(registered.summary).toBe(
      `Registered web-02 (agent ${agentId}); it now authenticates with its own credential.`,
    );
    expect(registered.data).toEqual({ agentId, hostname: 'web-02', environment: 'staging' });
    expect(agent.credential).toMatch(/^dba_/);
    expect(await f.fleet.agents.get('web-02')).toMatchObject({
      id: agentId,
      status: 'online',
      environment: 'staging',
      labels: { region: 'eu', tier: 'web' },
      registeredBy: 'carol',
    });

    const configure = configureAgentKind(f.fleet);
    const configured = result(
      await configure.run(
        f.ctx({ runId }),
        configure.params.parse({ agent_id: agentId, environment: 'staging' }),
        null,
      ),
    );
    // The fake agent reports no installation checks.
    expect(configured.summary).toBe('Configured for staging. Installation verified: .');

    const record = { outputs: registered.outputs!, data: registered.data };
    expect(register.compensate!.describe(registerParams, record)).toBe(`revoke agent web-02 (${agentId})`);
    const undone = await register.compensate!.run(f.ctx(), registerParams, record);
    expect(undone.summary).toBe(`Revoked agent web-02 (${agentId}).`);
    await expect(f.fleet.agents.get('web-02')).rejects.toThrow('no agent web-02');
    expect((await register.compensate!.run(f.ctx(), registerParams, record)).summary).toBe(
      'Nothing to undo: agent web-02 is already revoked.',
    );
  });

  it('registers only the connection reviewed: once it is gone, nothing is registered', async () => {
    const register = registerAgentKind(f.fleet);
    const params = register.params.parse({ hostname: 'web-03', enrollment_id: 'gone', address: null });
    const plan = planOf(await register.plan!(f.ctx(), params));
    expect(plan.data).toEqual({ hostname: 'web-03', environment: 'production', labels: {}, address: null });
    await expect(register.run(f.ctx(), params, approved(plan))).rejects.toThrow(
      /^the connection of web-03 reviewed at check_connectivity \(from an unknown address\) is gone; nothing was registered/,
    );
  });

  it('a used or expired join token is refused before waiting; a connection gone before the check fails it', async () => {
    const check = checkConnectivityKind(f.fleet, 60_000);
    await expect(check.plan!(f.ctx(), { hostname: 'web-04', join_token: 'dbj_nope' })).rejects.toThrow(
      'the join token has expired or was used; start register_agent again',
    );
    const waitKind = awaitEnrollmentKind(f.fleet, 60_000);
    await expect(waitKind.run(f.ctx(), { hostname: 'web-04', join_token: 'dbj_nope' }, null)).rejects.toThrow(
      'the join token has expired or was used; start register_agent again',
    );
  });
});
