import type { JobDto } from '@deploybot/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app';
import type { PgliteDb } from '../../src/db/pglite-db';
import { DEFAULT_FLEET_OPTIONS, type FleetOptions } from '../../src/fleet/fleet';
import { createPgliteTestDb } from '../../src/testing/test-db';
import { TEST_ADMIN_TOKEN, TEST_SECURITY } from '../../src/testing/test-security';
import { builtInWorkflows } from '../../src/workflows';
import { type ApiClient, apiClient, isStatus, stepOf, WORKFLOWS } from '../helpers/http-client';
import { AGENT_INFO, enrollFakeAgent, FakeAgent } from '../security/support/fake-agent';
import { createGitRepo } from '../security/support/fleet';
import { eventually } from '../security/support/runs';

/**
 * A controller restart is not the agents leaving. Right after a start, deployments wait (within the reconnect
 * grace) for the agents that were connected to the previous process, and jobs on them are not declared lost
 * meanwhile; once the grace is over, an agent still missing is offline like any other.
 */

const HOST = 'rs-web';
const GONE = 'rs-gone';

let db: PgliteDb;
let app: App | null = null;
let url: string;
let api: ApiClient;
let credential: string;
let jobId: string;
let removeRepo: () => Promise<void> = async () => {};
const sockets: FakeAgent[] = [];

/** Starts a controller on the shared database, as a restart would. */
async function start(fleet: Partial<FleetOptions>): Promise<void> {
  const options: FleetOptions = {
    ...DEFAULT_FLEET_OPTIONS,
    // A job whose agent is offline fails at the next sweep: any "lost" marking shows at once.
    jobLostGraceMs: 0,
    ...fleet,
    publicUrl: 'http://127.0.0.1:0',
  };
  app = createApp({
    db,
    logger: pino({ level: 'silent' }),
    workflows: (f) =>
      builtInWorkflows({
        fleet: f,
        enrollCommand: (hostname, token) => `deploybot-agent --hostname ${hostname} --token ${token}`,
        connectTimeoutMs: 60_000,
        agentReturnTimeoutMs: 60_000,
      }),
    fleet: options,
    version: '0.0.0-restart-test',
    fleetSweepMs: 100,
    security: TEST_SECURITY,
  });
  const port = await app.listen(0, '127.0.0.1');
  url = `http://127.0.0.1:${port}`;
  options.publicUrl = url;
  await app.auth.bootstrap(TEST_ADMIN_TOKEN);
  api = apiClient(url);
}

async function stop(): Promise<void> {
  await app?.close();
  app = null;
}

const settled = isStatus('waiting', 'failed', 'completed', 'cancelled');
const getJob = async () => (await api.get<JobDto>(`/v1/jobs/${jobId}`)).body;

beforeAll(async () => {
  db = await createPgliteTestDb();
  const repo = await createGitRepo();
  removeRepo = repo.remove;
  await start({});
  const reg = await api.post('/v1/repositories', { name: 'restart/app', url: repo.dir });
  expect(reg.status, reg.text).toBe(201);
  // One agent connected when the controller stops, running a job; one that left cleanly before.
  for (const hostname of [HOST, GONE]) {
    const { token } = await app!.fleet.agents.issueJoinToken(hostname, 'admin', null);
    const { agent } = await enrollFakeAgent(app!, url, token, hostname);
    sockets.push(agent);
    if (hostname === HOST) credential = agent.credential!;
    else agent.close();
  }
  await eventually(
    `${GONE} marked gone`,
    async () => (await api.get<{ status: string }>(`/v1/agents/${GONE}`)).body.status,
    (s) => s === 'offline',
  );
  const job = await api.post<JobDto>('/v1/jobs', { repository: 'restart/app', ref: 'main', agent: HOST });
  expect(job.status, job.text).toBe(201);
  jobId = job.body.id;
  const agent = sockets[0]!;
  await eventually(
    'the job assigned',
    async () => agent.assigned.length,
    (n) => n === 1,
  );
  expect(await agent.ask('job:status', { jobId, status: 'running' })).toEqual({ data: { ok: true } });
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await stop();
  await db?.close();
  await removeRepo();
});

describe('after a controller restart', () => {
  it('select_agent waits for the agents connected before; their running jobs are not declared lost meanwhile', async () => {
    await stop();
    // A grace far longer than this test: the step can only get past it by the agent coming back.
    await start({ reconnectGraceMs: 10 * 60_000 });
    const run = await api.start('deploy_application', { repository: 'restart/app', ref: 'main' });

    // Sweeps while the agent is away: with no grace for lost jobs, a job marked lost would fail right here.
    await app!.fleet.sweep();
    await app!.fleet.sweep();
    expect(await getJob()).toMatchObject({ status: 'running', error: null });

    const back = await FakeAgent.connect(url, credential, HOST);
    sockets.push(back);
    const hello = await back.hello({ ...AGENT_INFO, runningJobs: [jobId] });
    expect(hello).toMatchObject({ data: { agentId: expect.any(String) } });

    // GONE left before the restart: it is not waited for (with a 10-minute grace, waiting would time out).
    const planned = await api.waitForRun(run.id, settled);
    expect(planned.status, planned.error ?? '').toBe('waiting');
    expect(stepOf(planned, 'select_agent').plan!.data).toMatchObject({ chosen: { hostname: HOST } });
    expect(await getJob()).toMatchObject({ status: 'running', error: null });
    await api.post(`${WORKFLOWS}/${run.id}/cancel`, {});
  });

  it('once the reconnect grace is over, an agent still missing is offline: no online agent, its job is lost', async () => {
    // Restarted again with the agent connected; this time it does not come back.
    await stop();
    await start({ reconnectGraceMs: 500 });
    const run = await api.start('deploy_application', { repository: 'restart/app', ref: 'main' });
    const failed = await api.waitForRun(run.id, settled);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^no online agent to deploy to \(registered: .*rs-web offline/);
    const job = await eventually('the job failed as lost', getJob, (j) => j.status !== 'running');
    expect(job).toMatchObject({ status: 'failed', cause: 'agent_lost' });
  });
});
