/**
 * Several controllers on one PostgreSQL (issue 15), with real processes: bench/cluster-controller.ts spawned with
 * `node --import tsx`, driven from this process over REST (runs started alternately on each controller) and
 * watched by one Socket.IO client per controller subscribed to every run.
 *
 * 1. The same throughput pass against one controller (two clients on it), then against two (A and B): total
 *    transitions/s, and for each event the latency from its `at` (the transition's time, stamped just before the
 *    commit, on the machine's one clock) to the handler of the client on the run's owner and of the client on the
 *    other controller. CPU of each controller, of this process and of PostgreSQL over the pass says where the
 *    time goes.
 * 2. Failover: runs of bench_slow started on A, SIGKILL of A while their slow steps run, and the time until B owns
 *    them all in the database, until each has a new event at B's client, and until all are completed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type {
  ClientToServerEvents,
  ServerToClientEvents,
  WorkflowEventMessage,
  WorkflowRun,
} from '@deploybot/shared';
import { io, type Socket } from 'socket.io-client';
import { migrate } from '../../src/db/migrate';
import { PostgresDb } from '../../src/db/postgres-db';
import type { BenchConfig } from '../config';
import {
  machineBusySeconds,
  mainThreadSchedule,
  postgresCpuSeconds,
  postgresDelta,
  processCpuSeconds,
} from '../cpu-usage';
import { wallClockMs } from '../event-loop';
import type { ClusterCpu, ClusterFailover, ClusterPass, ClusterResult } from '../results';
import { inPool, RunTracker } from '../run-tracker';
import { type Percentiles, percentiles } from '../stats';
import { CHAIN_WORKFLOW, SLOW_STEP, SLOW_WORKFLOW } from '../workflows';
import { observeStatus } from './realtime';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const SERVER_DIR = fileURLToPath(new URL('../..', import.meta.url));
const CONTROLLER_ENTRY = 'bench/cluster-controller.ts';
/** Runs completed before each throughput pass, not counted: JIT, pools and connections warm up. */
const WARMUP_CAP = 20;

/** A controller process. */
interface Controller {
  name: string;
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

/** A Socket.IO client subscribed to every run, on one controller, and what it has seen. */
interface Client {
  on: Controller;
  socket: ClientSocket;
  /** Settled runs, as this client saw them. */
  tracker: RunTracker;
  /** Each event's latency: its `at` → this client's handler, in ms. */
  latencies: { runId: string; ms: number }[];
  /** The highest seq this client got per run. */
  lastSeq: Map<string, number>;
  /** The JSON size of every tenth event it got. */
  sizes: number[];
  /** Called on every event too (the failover pass listens here). */
  onEvent?: (event: WorkflowEventMessage) => void;
}

interface Rig {
  cfg: BenchConfig;
  token: string;
  /** The benchmark's own connection to the cluster's schema. */
  db: PostgresDb;
}

export async function cluster(cfg: BenchConfig): Promise<ClusterResult> {
  const schema = `bench_cluster_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  let db: PostgresDb;
  try {
    db = await PostgresDb.open(cfg.databaseUrl, { schema });
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${cfg.databaseUrl} (set BENCH_DATABASE_URL): ${(err as Error).message}`,
    );
  }
  const rig: Rig = { cfg, token: `dbt_bench-${randomBytes(16).toString('hex')}`, db };
  const controllers: Controller[] = [];
  const clients: Client[] = [];
  const env = controllerEnv(cfg, schema, rig.token);
  const warmup = Math.min(cfg.warmupRuns, WARMUP_CAP);
  try {
    await migrate(db);
    const startController = async (name: string) => {
      const c = await spawnController(name, env, cfg.timeoutMs);
      controllers.push(c);
      return c;
    };
    const connect = async (on: Controller) => {
      const client = await subscribedClient(on, rig.token);
      clients.push(client);
      return client;
    };
    // One controller alone on the schema, both clients on it; then B joins and each has one client.
    const A = await startController('A');
    const onA = await connect(A);
    const alsoOnA = await connect(A);
    await throughputPass(rig, [A], [onA, alsoOnA], warmup);
    const one = await throughputPass(rig, [A], [onA, alsoOnA], cfg.clusterRuns);
    alsoOnA.socket.disconnect();

    const B = await startController('B');
    const onB = await connect(B);
    await throughputPass(rig, [A, B], [onA, onB], warmup);
    const two = await throughputPass(rig, [A, B], [onA, onB], cfg.clusterRuns);

    const failover = await failoverPass(rig, A, onB);
    return {
      scenario: 'cluster',
      leaseMs: cfg.clusterLeaseMs,
      steps: cfg.steps,
      runs: cfg.clusterRuns,
      inFlight: cfg.inFlight,
      warmupRuns: warmup,
      cores: cpus().length,
      passes: [one, two],
      failover,
    };
  } catch (err) {
    for (const c of controllers) console.error(`--- controller ${c.name} ---\n${c.stderr().slice(-3000)}`);
    throw err;
  } finally {
    for (const c of clients) c.socket.disconnect();
    await Promise.all(controllers.map((c) => killHard(c.child)));
    try {
      await db.exec(`DROP SCHEMA ${schema} CASCADE`);
    } finally {
      await db.close();
    }
  }
}

/**
 * `runs` chain runs started over REST, alternately on each of `targets`, `inFlight` at a time; a run is done once
 * every client has seen it end, so by then every event it committed has reached every client.
 */
async function throughputPass(
  rig: Rig,
  targets: Controller[],
  clients: Client[],
  runs: number,
): Promise<ClusterPass> {
  for (const c of clients) forget(c);
  const ownerOf = new Map<string, Controller>();
  const attachmentsBefore = await lastAttachment(rig.db);
  const roundTrips = sampleRoundTrips(rig.db);
  const before = await sampleCpu(targets);
  const started = performance.now();
  await inPool(runs, rig.cfg.inFlight, async (i) => {
    const target = targets[i % targets.length]!;
    const run = await startRun(rig, target, CHAIN_WORKFLOW);
    ownerOf.set(run.id, target);
    await Promise.all(clients.map((c) => c.tracker.wait(run.id)));
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = await cpuSince(before, targets, seconds);
  const roundTripMs = await roundTrips.stop();
  const attachments = (await lastAttachment(rig.db)) - attachmentsBefore;
  // Every client saw every run end, so a run's highest seq is its number of committed transitions.
  let transitions = 0;
  for (const id of ownerOf.keys()) transitions += clients[0]!.lastSeq.get(id) ?? 0;
  const own: number[] = [];
  const other: number[] = [];
  for (const c of clients) {
    for (const l of c.latencies) {
      const owner = ownerOf.get(l.runId);
      if (!owner) continue; // a run of an earlier pass
      (owner === c.on ? own : other).push(l.ms);
    }
  }
  return {
    controllers: targets.length,
    runs,
    transitions,
    expectedTransitions: runs * (2 * rig.cfg.steps + 2),
    seconds,
    transitionsPerSec: transitions / seconds,
    stepsPerSec: (runs * rig.cfg.steps) / seconds,
    statuses: clients[0]!.tracker.statusCounts(),
    ownerClientMs: percentiles(own),
    otherClientMs: targets.length > 1 ? percentiles(other) : null,
    received: clients.map((c) => c.latencies.filter((l) => ownerOf.has(l.runId)).length),
    eventBytes: percentiles(clients[0]!.sizes),
    attachments,
    roundTripMs,
    cpu,
  };
}

/**
 * `clusterFailoverRuns` runs of bench_slow started on A; once every slow step has started (as B's client saw),
 * SIGKILL A. A's id comes from the `controllers` table (by its pid) before the kill; the runs still unfinished
 * in the database right after it are the orphans whose move to B is timed.
 */
async function failoverPass(rig: Rig, A: Controller, onB: Client): Promise<ClusterFailover> {
  const { cfg, db } = rig;
  forget(onB);
  const [self] = await db.query<{ id: string }>('SELECT id FROM controllers WHERE pid = $1', [A.child.pid]);
  if (!self) throw new Error(`controller A (pid ${A.child.pid}) is not in the controllers table`);
  const slowStarted = new Set<string>();
  let killedAt = Number.POSITIVE_INFINITY;
  /** Per run: when B's client got its first event stamped after the kill (so committed by the new owner). */
  const movedAt = new Map<string, number>();
  const completedAt = new Map<string, number>();
  onB.onEvent = (event) => {
    const now = wallClockMs();
    if (event.type === 'step.started' && event.stepId === SLOW_STEP) slowStarted.add(event.runId);
    if (killedAt === Number.POSITIVE_INFINITY) return;
    // `at` has millisecond precision, and A stamps nothing once dead: an event stamped after the kill's
    // millisecond was committed by whoever took the run over.
    if (Date.parse(event.at) > Math.floor(killedAt) && !movedAt.has(event.runId))
      movedAt.set(event.runId, now);
    if (event.type === 'run.completed') completedAt.set(event.runId, now);
  };
  try {
    const runs = await Promise.all(
      Array.from({ length: cfg.clusterFailoverRuns }, () => startRun(rig, A, SLOW_WORKFLOW)),
    );
    const ids = runs.map((r) => r.id);
    await until(() => ids.every((id) => slowStarted.has(id)), 'every slow step to start', cfg.timeoutMs);

    A.child.kill('SIGKILL');
    killedAt = wallClockMs();
    await exited(A.child);
    const orphans = (
      await db.query<{ id: string }>(
        `SELECT id FROM workflow_runs WHERE id = ANY($1) AND status IN ('queued', 'running', 'waiting')`,
        [ids],
      )
    ).map((r) => r.id);
    if (orphans.length === 0)
      throw new Error('every bench_slow run finished before A was killed: raise BENCH_CLUSTER_SLOW_MS');

    const deadline = cfg.clusterLeaseMs + cfg.timeoutMs;
    let ownedAt = Number.NaN;
    await until(
      async () => {
        const [row] = await db.query<{ n: string }>(
          'SELECT count(*) AS n FROM workflow_runs WHERE id = ANY($1) AND owner <> $2',
          [orphans, self.id],
        );
        if (Number(row!.n) < orphans.length) return false;
        ownedAt = wallClockMs();
        return true;
      },
      'B to own every orphaned run',
      deadline,
      25,
    );
    await until(() => orphans.every((id) => movedAt.has(id)), 'every orphaned run to move again', deadline);
    await until(() => orphans.every((id) => completedAt.has(id)), 'every orphaned run to complete', deadline);
    const last = (at: Map<string, number>) => Math.max(...orphans.map((id) => at.get(id)!)) - killedAt;
    const statuses: Record<string, number> = {};
    const rows = await db.query<{ status: string }>('SELECT status FROM workflow_runs WHERE id = ANY($1)', [
      ids,
    ]);
    for (const r of rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    return {
      runs: ids.length,
      slowMs: cfg.clusterSlowMs,
      orphans: orphans.length,
      ownedMs: ownedAt - killedAt,
      movingMs: last(movedAt),
      completedMs: last(completedAt),
      statuses,
    };
  } finally {
    onB.onEvent = undefined;
  }
}

/** Starts a run over REST, as a person or a script would; the controller that answers owns it. */
async function startRun(rig: Rig, on: Controller, workflow: string): Promise<WorkflowRun> {
  const res = await fetch(`${on.url}/v1/ai/workflows/start?workflow_name=${workflow}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rig.token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  if (res.status !== 201)
    throw new Error(`start ${workflow} on ${on.name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as WorkflowRun;
}

/** A client subscribed to every run's transitions, WebSocket only (as a browser is after its first second). */
async function subscribedClient(on: Controller, token: string): Promise<Client> {
  const socket: ClientSocket = io(on.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { token },
  });
  const client: Client = {
    on,
    socket,
    tracker: new RunTracker(),
    latencies: [],
    lastSeq: new Map(),
    sizes: [],
  };
  socket.on('workflow:event', (event) => {
    client.latencies.push({ runId: event.runId, ms: wallClockMs() - Date.parse(event.at) });
    // What the adapter publishes is this event and a few hundred bytes of envelope.
    if (client.latencies.length % 10 === 0) client.sizes.push(Buffer.byteLength(JSON.stringify(event)));
    client.lastSeq.set(event.runId, Math.max(client.lastSeq.get(event.runId) ?? 0, event.seq));
    observeStatus(client.tracker, event);
    client.onEvent?.(event);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const ack = await socket.timeout(30_000).emitWithAck('workflows:subscribe', {});
  if ('error' in ack && ack.error) throw new Error(`workflows:subscribe refused: ${ack.error.message}`);
  return client;
}

function forget(client: Client): void {
  client.tracker.clear();
  client.latencies.length = 0;
  client.lastSeq.clear();
  client.sizes.length = 0;
}

/**
 * The last id of the Socket.IO PostgreSQL adapter's table: a message over NOTIFY's payload limit (8,000 bytes by
 * the adapter's default) is written there first, then notified by id, and each receiver reads it back.
 */
async function lastAttachment(db: PostgresDb): Promise<number> {
  const [row] = await db.query<{ id: string | null }>('SELECT max(id) AS id FROM socket_io_attachments');
  return Number(row?.id ?? 0);
}

/**
 * What the adapter does for each event, timed from this process every 20 ms while a pass runs: one
 * `SELECT pg_notify(channel, ~4 KB)` (on a channel nobody listens to). The adapter publishes one message at a
 * time, in order, and a broadcast reaches even the local sockets only once published, so one controller
 * delivers at most about 1000 / (this in ms) events per second.
 */
function sampleRoundTrips(db: PostgresDb): { stop(): Promise<Percentiles> } {
  const samples: number[] = [];
  const payload = 'x'.repeat(4096);
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      await db.query('SELECT pg_notify($1, $2)', ['deploybot_bench_probe', payload]);
      samples.push(performance.now() - t);
      await sleep(20);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return percentiles(samples);
    },
  };
}

/** What every controller gets: the shared schema, the admin token, the lease, the workflows' shape. */
function controllerEnv(cfg: BenchConfig, schema: string, token: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('DEPLOYBOT_')) delete env[name];
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS; // tsx's loader flags of this process: the controller gets --import tsx itself
  return {
    ...env,
    BENCH_DATABASE_URL: cfg.databaseUrl,
    BENCH_CLUSTER_SCHEMA: schema,
    BENCH_ADMIN_TOKEN: token,
    BENCH_CLUSTER_LEASE_MS: String(cfg.clusterLeaseMs),
    BENCH_STEPS: String(cfg.steps),
    BENCH_CLUSTER_SLOW_MS: String(cfg.clusterSlowMs),
  };
}

/** `node --import tsx bench/cluster-controller.ts`, so the pid is the controller itself; resolves once it listens. */
async function spawnController(name: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Controller> {
  const child = spawn(process.execPath, ['--import', 'tsx', CONTROLLER_ENTRY], {
    cwd: SERVER_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const lines = createInterface({ input: child.stdout! });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`did not listen within ${timeoutMs} ms`)), timeoutMs);
      lines.on('line', (line) => {
        const match = /^LISTENING (\d+)$/.exec(line);
        if (!match) return;
        clearTimeout(timer);
        resolve(Number(match[1]));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited (code ${code}, signal ${signal}) before listening`));
      });
    });
    return { name, child, url: `http://127.0.0.1:${port}`, stderr: () => stderr };
  } catch (err) {
    await killHard(child);
    throw new Error(`controller ${name}: ${(err as Error).message}\n${stderr}`);
  }
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await exited(child);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Polls `condition` until it holds; fails after `timeoutMs`. */
async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  everyMs = 10,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

interface CpuSample {
  controllers: number[];
  /** Main threads of the controllers, then of this process. */
  schedules: { running: number; waiting: number }[];
  bench: number;
  postgres: Map<number, number>;
  machine: number;
}

async function sampleCpu(controllers: Controller[]): Promise<CpuSample> {
  return {
    controllers: await Promise.all(controllers.map((c) => processCpuSeconds(c.child.pid!))),
    schedules: await Promise.all(
      [...controllers.map((c) => c.child.pid!), process.pid].map(mainThreadSchedule),
    ),
    bench: await processCpuSeconds(process.pid),
    postgres: await postgresCpuSeconds(),
    machine: await machineBusySeconds(),
  };
}

/** CPU seconds used since `before`, by whom. */
async function cpuSince(before: CpuSample, controllers: Controller[], seconds: number): Promise<ClusterCpu> {
  const after = await sampleCpu(controllers);
  return {
    seconds,
    controllers: after.controllers.map((s, i) => s - before.controllers[i]!),
    mainThreads: after.schedules.map((s, i) => ({
      running: s.running - before.schedules[i]!.running,
      waiting: s.waiting - before.schedules[i]!.waiting,
    })),
    bench: after.bench - before.bench,
    postgres: postgresDelta(before.postgres, after.postgres),
    machineBusy: after.machine - before.machine,
  };
}
