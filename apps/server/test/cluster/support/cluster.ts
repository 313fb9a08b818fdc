/**
 * Several real controller processes on one fresh PostgreSQL schema, and real agent processes that dial them.
 * Controllers are test/fixtures/cluster-server.ts (spawned by child-server.ts); agents are the real CLI
 * (fleet-harness.ts's spawnAgent) with several `--controller` flags.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentDto, JobDto, LogLine } from '@deploybot/shared';
import type { Db } from '../../../src/db/db';
import type { PostgresDb } from '../../../src/db/postgres-db';
import { AGENT_BIN } from '../../../src/demo/demo-agent';
import { createPostgresTestDb, TEST_DATABASE_URL } from '../../../src/testing/test-db';
import { type AgentProcess, killAllAgents, spawnAgent, waitFor } from '../../fleet/support/fleet-harness';
import { createDeployRepo, git } from '../../fleet/support/git-repo';
import {
  type ChildServer,
  CLUSTER_ENTRY,
  killHard,
  spawnServer,
  stopGracefully,
} from '../../helpers/child-server';
import { type ApiClient, apiClient } from '../../helpers/http-client';

/**
 * Fleet timings for clusters: agents heartbeat often; a controller notices a silent agent within seconds; a job
 * whose agent vanished survives long enough for it to come back through another controller (a reconnect waits for
 * the dead controller's hold to be probed, a few seconds).
 */
export const CLUSTER_ENV: Record<string, string> = {
  DEPLOYBOT_HEARTBEAT_MS: '250',
  DEPLOYBOT_OFFLINE_AFTER_MS: '4000',
  DEPLOYBOT_JOB_LOST_GRACE_MS: '30000',
  DEPLOYBOT_RECONNECT_GRACE_MS: '0',
  DEPLOYBOT_DEMO: 'false',
  LOG_LEVEL: 'info',
};

export interface ClusterController {
  /** A, B, C… */
  name: string;
  /** `http://127.0.0.1:<port>`; the same port after a restart. */
  url: string;
  api: ApiClient;
  /** Whether its process runs. */
  readonly alive: boolean;
  /** Its log (stderr), for failure messages. */
  stderr(): string;
  /** kill -9. */
  kill(): Promise<void>;
  /** Starts it again (after kill) on the same port, with the same environment. */
  restart(): Promise<void>;
}

export interface Cluster {
  controllers: ClusterController[];
  /** The controllers by name. */
  byName: Record<string, ClusterController>;
  /** The test's own connection to the cluster's schema (to look at what the controllers stored). */
  db: Db;
  /** A temp dir of the cluster's own: agents' work dirs, repositories, pid files. */
  tmp: string;
  /** Handed to agents as FLEET_TEST_PIDS (test manifests write and read files there). */
  pidDir: string;
  /** Every controller's log, for failure messages. */
  logs(): string;
  close(): Promise<void>;
}

const NAMES = 'ABCDEFGH';

/** `size` controllers (A, B, C…) on one fresh PostgreSQL schema, sharing one sealing key; dropped by close(). */
export async function startCluster(
  opts: { size?: number; env?: Record<string, string> } = {},
): Promise<Cluster> {
  const size = opts.size ?? 3;
  const db = await createPostgresTestDb();
  const schema = /search_path=([a-z0-9_]+)/.exec(
    String((db as PostgresDb).connectionConfig.options ?? ''),
  )?.[1];
  if (!schema) throw new Error('the test database has no schema of its own');
  const tmp = await mkdtemp(join(tmpdir(), 'deploybot-cluster-'));
  const pidDir = join(tmp, 'pids');
  await mkdir(pidDir);
  const shared = {
    ...CLUSTER_ENV,
    DATABASE_URL: TEST_DATABASE_URL,
    DEPLOYBOT_TEST_PG_SCHEMA: schema,
    // What one controller seals (repository credentials, secret inputs) every other opens.
    DEPLOYBOT_SECRET_KEY: randomBytes(32).toString('base64'),
    ...opts.env,
  };
  const controllers: RunningController[] = [];
  const start = async (name: string) => {
    const dataDir = join(tmp, `controller-${name}`);
    await mkdir(dataDir, { recursive: true });
    const controller = await spawnController(name, { ...shared, DEPLOYBOT_DATA_DIR: dataDir });
    controllers.push(controller);
  };
  try {
    // The first one alone: it stores the built-in workflows and the admin user that the others then find.
    await start(NAMES[0]!);
    await Promise.all([...NAMES.slice(1, size)].map((name) => start(name)));
  } catch (err) {
    await Promise.all(controllers.map((c) => c.kill()));
    await db.close();
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  controllers.sort((a, b) => a.name.localeCompare(b.name));
  return {
    controllers,
    byName: Object.fromEntries(controllers.map((c) => [c.name, c])),
    db,
    tmp,
    pidDir,
    logs: () => controllers.map((c) => `--- controller ${c.name} ---\n${c.stderr()}`).join('\n'),
    async close() {
      await killAllAgents();
      await Promise.all(controllers.map((c) => c.stop()));
      await db.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

type RunningController = ClusterController & { stop(): Promise<void> };

async function spawnController(name: string, env: Record<string, string>): Promise<RunningController> {
  let server: ChildServer | null = await spawnServer(env, 120_000, CLUSTER_ENTRY);
  const port = server.port;
  let lastStderr = '';
  const url = `http://127.0.0.1:${port}`;
  return {
    name,
    url,
    api: apiClient(url),
    get alive() {
      return server !== null;
    },
    stderr: () => lastStderr + (server?.stderr() ?? ''),
    async kill() {
      if (!server) return;
      lastStderr += server.stderr();
      await killHard(server.child);
      server = null;
    },
    async restart() {
      if (server) throw new Error(`controller ${name} is running`);
      server = await spawnServer({ ...env, PORT: String(port) }, 120_000, CLUSTER_ENTRY);
    },
    async stop() {
      if (!server) return;
      await stopGracefully(server.child);
      server = null;
    },
  };
}

// ------------------------------------------------------------------ agents

/**
 * A real agent process dialling `controllers` in that order (one `--controller` flag each), its work dir in the
 * cluster's temp dir. FLEET_TEST_PIDS is the cluster's pid dir.
 */
export function startClusterAgent(
  cluster: Cluster,
  hostname: string,
  controllers: ClusterController[],
  opts: { token?: string } = {},
): AgentProcess {
  const workdir = join(cluster.tmp, 'agents', hostname);
  return spawnAgent(
    [
      AGENT_BIN,
      ...controllers.flatMap((c) => ['--controller', c.url]),
      '--hostname',
      hostname,
      '--workdir',
      workdir,
      '--log-level',
      'info',
    ],
    {
      hostname,
      workdir,
      env: { FLEET_TEST_PIDS: cluster.pidDir, ...(opts.token && { DEPLOYBOT_TOKEN: opts.token }) },
    },
  );
}

/**
 * Enrolls `hostname` through the first of `controllers` with a join token (POST /v1/agents/join-tokens, then the
 * enrollment approved on that controller, which holds the enrolling connection), and waits until it is online.
 */
export async function enrollClusterAgent(
  cluster: Cluster,
  hostname: string,
  controllers: ClusterController[],
): Promise<{ agent: AgentProcess; agentId: string }> {
  const via = controllers[0]!;
  const issued = await via.api.post<{ token: string }>('/v1/agents/join-tokens', { hostname });
  if (issued.status !== 201) throw new Error(`join token answered ${issued.status}: ${issued.text}`);
  const agent = startClusterAgent(cluster, hostname, controllers, { token: issued.body.token });
  const pending = await waitFor(
    `${hostname} to connect to ${via.name} with its join token`,
    async () =>
      (await via.api.get<{ enrollments: { id: string; hostname: string }[] }>('/v1/agents/enrollments')).body
        .enrollments,
    (list) => list.some((e) => e.hostname === hostname),
    20_000,
  );
  const enrollment = pending.find((e) => e.hostname === hostname)!;
  const approved = await via.api.post<{ agent: AgentDto }>(
    `/v1/agents/enrollments/${enrollment.id}/approve`,
    {
      environment: 'production',
    },
  );
  if (approved.status !== 201) throw new Error(`approve answered ${approved.status}: ${approved.text}`);
  await waitForAgentStatus(via, hostname, 'online');
  return { agent, agentId: approved.body.agent.id };
}

/** The agent as `controller` sees it, once `status` holds. */
export function waitForAgentStatus(
  controller: ClusterController,
  hostname: string,
  status: AgentDto['status'],
  timeoutMs = 20_000,
): Promise<AgentDto> {
  return waitFor(
    `${hostname} ${status} on ${controller.name}`,
    async () => {
      const res = await controller.api.get<{ agents: AgentDto[] }>('/v1/agents');
      return res.body.agents?.find((a) => a.hostname === hostname) ?? null;
    },
    (agent): agent is AgentDto => agent?.status === status,
    timeoutMs,
  ) as Promise<AgentDto>;
}

// ------------------------------------------------------------------ a repository and its jobs

/**
 * A deploy that holds its job until the test lets it go (releaseJob): it writes a line every 100 ms until the
 * file $FLEET_TEST_PIDS/<job>.go exists (at most 60 s), then finishes.
 */
const LONG_MANIFEST = `steps:
  - name: warm-up
    run: echo "warming up"
  - name: drain
    timeout: 120
    run: |
      i=0
      while [ ! -e "$FLEET_TEST_PIDS/$DEPLOYBOT_JOB_ID.go" ] && [ $i -lt 600 ]; do
        i=$((i+1)); echo "tick $i"; sleep 0.1
      done
      echo "long step done"
`;

/**
 * Registers (through `via`) a real git repository: fleet-harness's `main` (a quick deploy that prints GREETING)
 * plus a `long` branch whose deploy runs until releaseJob.
 */
export async function registerClusterRepo(cluster: Cluster, via: ClusterController, name: string) {
  const repo = await createDeployRepo(join(cluster.tmp, 'repos', name.replaceAll('/', '-')));
  await git(repo.url, 'checkout', '--quiet', '-b', 'long', 'main');
  await writeFile(join(repo.url, 'deploybot.yml'), LONG_MANIFEST);
  await git(repo.url, 'commit', '--quiet', '-am', 'long manifest');
  await git(repo.url, 'checkout', '--quiet', 'main');
  const res = await via.api.post('/v1/repositories', { name, url: repo.url, default_ref: 'main' });
  if (res.status !== 201) throw new Error(`POST /v1/repositories answered ${res.status}: ${res.text}`);
}

/** Lets a job of the `long` branch finish. */
export async function releaseJob(cluster: Cluster, jobId: string): Promise<void> {
  await writeFile(join(cluster.pidDir, `${jobId}.go`), '');
}

export async function job(c: ClusterController, id: string): Promise<JobDto> {
  const res = await c.api.get<JobDto>(`/v1/jobs/${id}`);
  if (res.status !== 200) throw new Error(`GET job ${id} on ${c.name} answered ${res.status}: ${res.text}`);
  return res.body;
}

/** Every stored line of a job (the test jobs log far less than a page). */
export async function logs(c: ClusterController, id: string): Promise<LogLine[]> {
  const res = await c.api.get<{ lines: LogLine[] }>(`/v1/jobs/${id}/logs?after=-1&limit=10000`);
  if (res.status !== 200) throw new Error(`GET logs ${id} on ${c.name} answered ${res.status}: ${res.text}`);
  return res.body.lines;
}

export const jobFinished = (j: JobDto) =>
  j.status === 'success' || j.status === 'failed' || j.status === 'cancelled';
