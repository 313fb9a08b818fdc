import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DBOS } from '@dbos-inc/dbos-sdk';
import pg from 'pg';
import type { BenchConfig } from '../config';
import { measured } from '../measured';
import { inPool } from '../run-tracker';
import { percentiles } from '../stats';
import type { ApprovalsResult, ApprovalTimes } from './approvals';

const SCHEMA = 'dbos';
/** Measured workflows' ids start with this; the warm-up's do not, so the parked count ignores them. */
const MEASURED = 'measured-';

/**
 * The approvals scenario's shape on DBOS Transact, for issue 16's comparison: a step, `DBOS.recv('approval')`, a
 * step; `approvalRuns` workflows started and left waiting, then one `DBOS.send` each, `approvalsInFlight` at a
 * time, each slot free again once its workflow's outcome is recorded. DBOS's defaults, as its users get them: a
 * system database pool of 10 (DeployBot's pool is 10 too), LISTEN/NOTIFY for messages. PostgreSQL only, in a
 * database of its own on the same server, dropped afterwards.
 */
export async function approvalsDbos(cfg: BenchConfig): Promise<ApprovalsResult> {
  const database = await createScratchDatabase(cfg.databaseUrl);
  // The benchmark's own queries (is everything parked?) go through a connection of their own, not DBOS's pool.
  const monitor = new pg.Client({ connectionString: database.url });
  try {
    await monitor.connect();
    return await measureDbos(cfg, database.url, monitor);
  } finally {
    await monitor.end().catch(() => {});
    await database.drop();
  }
}

async function measureDbos(
  cfg: BenchConfig,
  systemDatabaseUrl: string,
  monitor: pg.Client,
): Promise<ApprovalsResult> {
  const approval = DBOS.registerWorkflow(
    async () => {
      await DBOS.runStep(async () => ({ summary: 'ready', data: { ok: true, note: 'bench' } }), {
        name: 'before',
      });
      // DeployBot's gate has no deadline by default; DBOS's recv always has one (60 s unless told): far off here.
      const decision = await DBOS.recv<{ by: string }>('approval', { timeoutSeconds: 3600 });
      if (!decision) throw new Error('no approval arrived');
      await DBOS.runStep(async () => ({ summary: 'done', data: { ok: true, by: decision.by } }), {
        name: 'after',
      });
      return 'done';
    },
    { name: 'bench_approval' },
  );
  const probe = DBOS.registerWorkflow(async () => DBOS.recv('probe', { timeoutSeconds: 0.001 }), {
    name: 'bench_probe',
  });
  DBOS.setConfig({
    name: 'deploybot-bench',
    systemDatabaseUrl,
    systemDatabaseSchemaName: SCHEMA,
    logLevel: 'warn',
  });
  await DBOS.launch();
  const outcomes = new Map<string, Promise<{ at: number; status: string }>>();
  const park = async (prefix: string, count: number): Promise<string[]> => {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
    // As many starts at a time as DeployBot's scenario keeps in flight.
    await inPool(count, cfg.approvalsInFlight, async (i) => {
      const id = ids[i]!;
      const handle = await DBOS.startWorkflow(approval, { workflowID: id })();
      // Settled once DBOS has recorded the workflow's outcome: the counterpart of DeployBot's run.completed.
      outcomes.set(
        id,
        handle.getResult().then(
          () => ({ at: performance.now(), status: 'completed' }),
          () => ({ at: performance.now(), status: 'failed' }),
        ),
      );
    });
    await waitUntilAllWaiting(monitor, prefix, count);
    await waitForPollBacklog(async (n) => {
      await (await DBOS.startWorkflow(probe, { workflowID: `probe-${prefix}${n}` })()).getResult();
    });
    return ids;
  };
  const statuses: Record<string, number> = {};
  const approveAll = async (ids: string[]): Promise<ApprovalTimes> => {
    const times: ApprovalTimes = { latencies: [], calls: [] };
    await inPool(ids.length, cfg.approvalsInFlight, async (i) => {
      const id = ids[i]!;
      const sent = performance.now();
      await DBOS.send(id, { by: 'approver' }, 'approval');
      times.calls.push(performance.now() - sent);
      const outcome = await outcomes.get(id)!;
      times.latencies.push(outcome.at - sent);
      statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
    });
    return times;
  };

  try {
    await approveAll(await park('warmup-', cfg.warmupRuns));
    for (const key of Object.keys(statuses)) delete statuses[key];

    const parkStarted = performance.now();
    const ids = await park(MEASURED, cfg.approvalRuns);
    const parkSeconds = (performance.now() - parkStarted) / 1000;
    const parkedInDb = await countWaiting(monitor, MEASURED);

    const { value: times, seconds, cpuPercent, longestStallMs } = await measured(() => approveAll(ids));
    return {
      scenario: 'approvals-dbos',
      engine: `DBOS Transact ${dbosVersion()}`,
      runs: cfg.approvalRuns,
      inFlight: cfg.approvalsInFlight,
      parkSeconds,
      parkedInDb,
      seconds,
      approvalsPerSec: cfg.approvalRuns / seconds,
      latencyMs: percentiles(times.latencies),
      approveCallMs: percentiles(times.calls),
      statuses,
      cpuPercent,
      longestStallMs,
    };
  } finally {
    await DBOS.shutdown();
  }
}

/**
 * Workflows started all at once (DBOS runs each as its own promise; there is no bound to keep) are parked once
 * their recv has recorded its timeout, which it does just before it waits for the message.
 */
async function waitUntilAllWaiting(monitor: pg.Client, prefix: string, count: number): Promise<void> {
  const giveUpAt = Date.now() + 120_000;
  while ((await countWaiting(monitor, prefix)) < count) {
    if (Date.now() > giveUpAt)
      throw new Error(`DBOS: fewer than ${count} workflows waiting in recv after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A recv that has recorded its timeout still queues its first reads (is it cancelled? is a message there?) behind
 * DBOS's polling limiter (first in, first out; half the pool), and so does a recv woken by its message: right after
 * 1,000 workflows park, that queue holds about 2,000 reads, and an approval sent then waits for all of them — a
 * start-up backlog, not what waiting costs. Settled once a probe (a recv that times out at once, queued behind
 * whatever is there) finishes quickly; steady polling (each recv every 10 s) stays.
 */
async function waitForPollBacklog(runProbe: (n: number) => Promise<void>): Promise<void> {
  for (let n = 0; n < 50; n++) {
    const started = performance.now();
    await runProbe(n);
    if (performance.now() - started < 100) return;
  }
  throw new Error('DBOS: its polling backlog did not drain (50 probes each took 100 ms or more)');
}

/** Pending workflows whose recv has started waiting (its durable timeout is recorded). */
async function countWaiting(monitor: pg.Client, prefix: string): Promise<number> {
  const { rows } = await monitor.query<{ n: number }>(
    `SELECT count(*)::int AS n
       FROM ${SCHEMA}.operation_outputs o JOIN ${SCHEMA}.workflow_status w USING (workflow_uuid)
      WHERE o.function_name = 'DBOS.sleep' AND w.status = 'PENDING' AND o.workflow_uuid LIKE $1`,
    [`${prefix}%`],
  );
  return rows[0]?.n ?? 0;
}

/** The installed SDK's version (its package.json is not among the files its exports map lets one import). */
function dbosVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@dbos-inc/dbos-sdk');
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '../../package.json'), 'utf8'));
  return String(manifest.version);
}

/** A database of DBOS's own on the benchmark's server, so its system tables start empty and leave nothing behind. */
async function createScratchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bench_dbos_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  try {
    await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  } catch (err) {
    throw new Error(
      `PostgreSQL at ${serverUrl}: cannot create a database for DBOS: ${(err as Error).message}`,
    );
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // FORCE: a connection DBOS did not close in time must not leave the database behind.
    drop: async () => {
      await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
