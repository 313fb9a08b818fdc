import { JOB_STATUSES, type WorkflowEvent } from '@deploybot/shared';
import type { Logger } from 'pino';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Queryable } from '../db/db';
import type { Clock, WorkflowStore } from '../engine/ports';
import { RunMetrics } from './run-metrics';
import { timeCommits } from './timed-store';

/** Run leases this controller holds now, and how many it has taken over from controllers that stopped renewing. */
export interface LeaseStats {
  held: number;
  takenOver: number;
}

export interface MetricsOptions {
  /** Read at scrape time for agents online and jobs by status. */
  db: Queryable;
  clock: Clock;
  /** An agent whose last heartbeat is older than this is not online (the fleet's own rule). */
  offlineAfterMs: number;
  /** Sockets connected to this controller, by namespace (`/` web clients, `/agents`). */
  socketCounts?: () => Iterable<readonly [string, number]>;
  /** Run leases; absent until leases exist: both report 0. */
  leaseStats?: () => LeaseStats;
  /** Where a failed scrape-time query is reported. */
  logger?: Logger;
  /** Node's own metrics (event-loop lag, heap, GC, CPU). Default true. */
  processMetrics?: boolean;
}

/** A controller's metrics: its own registry (never the global one, so one process may hold several apps). */
export interface ControllerMetrics {
  readonly registry: Registry;
  /** Feed every committed workflow event here (the engine's onEvent). */
  observe(event: WorkflowEvent): void;
  /** The workflow store with its commits timed. */
  timeCommits(store: WorkflowStore): WorkflowStore;
  /** The Prometheus text exposition (format 0.0.4) and its content type. */
  exposition(): Promise<{ contentType: string; body: string }>;
}

const STEP_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const GATE_BUCKETS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 72 * 3600];
const COMMIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createMetrics(opts: MetricsOptions): ControllerMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const runs = new RunMetrics({
    runsStarted: new Counter({
      name: 'deploybot_runs_started_total',
      help: 'Workflow runs started (queued ones included), by workflow.',
      labelNames: ['workflow'],
      registers,
    }),
    runsFinished: new Counter({
      name: 'deploybot_runs_finished_total',
      help: 'Workflow runs finished, by workflow and outcome (completed, failed, cancelled).',
      labelNames: ['workflow', 'outcome'],
      registers,
    }),
    stepDuration: new Histogram({
      name: 'deploybot_step_duration_seconds',
      help: 'Time from a step starting to it completing or failing, by workflow, step kind and outcome.',
      labelNames: ['workflow', 'kind', 'outcome'],
      buckets: STEP_BUCKETS,
      registers,
    }),
    gateWait: new Histogram({
      name: 'deploybot_gate_wait_seconds',
      help: 'Time a step waited for an approval or an input until a person decided, by workflow.',
      labelNames: ['workflow'],
      buckets: GATE_BUCKETS,
      registers,
    }),
    transitions: new Counter({
      name: 'deploybot_transitions_committed_total',
      help: 'Workflow transitions (events) this controller committed.',
      registers,
    }),
  });
  const commitDuration = new Histogram({
    name: 'deploybot_commit_duration_seconds',
    help: "Time of one workflow store commit (a run's new state and its events, in one transaction).",
    buckets: COMMIT_BUCKETS,
    registers,
  });

  const warn = (err: unknown, what: string) => opts.logger?.warn({ err }, `metrics: could not count ${what}`);
  new Gauge({
    name: 'deploybot_sockets_connected',
    help: 'Socket.IO connections to this controller, by namespace (/ web clients, /agents agents).',
    labelNames: ['namespace'],
    registers,
    collect() {
      this.reset();
      for (const [namespace, n] of opts.socketCounts?.() ?? []) this.set({ namespace }, n);
    },
  });
  new Gauge({
    name: 'deploybot_agents_online',
    help: 'Agents not revoked, not draining, whose last heartbeat is recent and who have not said goodbye since.',
    registers,
    async collect() {
      try {
        const since = new Date(opts.clock.now().getTime() - opts.offlineAfterMs);
        const [row] = await opts.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM agents
            WHERE revoked_at IS NULL AND NOT draining AND last_heartbeat_at >= $1
              AND (disconnected_at IS NULL OR disconnected_at < last_heartbeat_at)`,
          [since],
        );
        this.set(row?.n ?? 0);
      } catch (err) {
        warn(err, 'agents online');
      }
    },
  });
  new Gauge({
    name: 'deploybot_jobs',
    help: 'Jobs in the database, by status.',
    labelNames: ['status'],
    registers,
    async collect() {
      try {
        const rows = await opts.db.query<{ status: string; n: number }>(
          'SELECT status, count(*)::int AS n FROM jobs GROUP BY status',
        );
        const counts = new Map(rows.map((r) => [r.status, r.n]));
        // Every status, 0 included: a series that vanishes cannot be told from one that was never scraped.
        for (const status of JOB_STATUSES) this.set({ status }, counts.get(status) ?? 0);
      } catch (err) {
        warn(err, 'jobs');
      }
    },
  });
  new Gauge({
    name: 'deploybot_leases_held',
    help: 'Run leases this controller holds.',
    registers,
    collect() {
      this.set(opts.leaseStats?.().held ?? 0);
    },
  });
  new Counter({
    name: 'deploybot_leases_taken_over_total',
    help: 'Run leases this controller took over from a controller that stopped renewing them.',
    registers,
    collect() {
      this.reset();
      this.inc(opts.leaseStats?.().takenOver ?? 0);
    },
  });

  return {
    registry,
    observe(event) {
      // Metrics must never fail the engine's event sink, whatever an event looks like.
      try {
        runs.observe(event);
      } catch (err) {
        warn(err, `workflow event ${event.type}`);
      }
    },
    timeCommits: (store) => timeCommits(store, (s) => commitDuration.observe(s)),
    async exposition() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
