import type { DbKind, ScenarioName } from './config';
import type { MemorySample, Percentiles } from './stats';
import type { WalBytes } from './wal';

export interface ThroughputResult {
  scenario: 'throughput';
  runs: number;
  /** Steps of each run. */
  steps: number;
  transitions: number;
  /** Transitions each run should commit: run.started, step.started + step.completed per step, run.completed. */
  expectedTransitions: number;
  seconds: number;
  transitionsPerSec: number;
  runsPerSec: number;
  /** Steps completed per second (runs × steps / seconds): the figure other engines report. */
  stepsPerSec: number;
  /**
   * Store writes per second: a step's completion and the next step's start share one write, so there are
   * fewer writes than transitions.
   */
  writesPerSec: number;
  /** Time of each store write (one write may carry several transitions of a run), by the timing decorator. */
  commitMs: Percentiles;
  /** Final status of each measured run, e.g. { completed: 1000 }. */
  statuses: Record<string, number>;
  /** Longest time the event loop ran no timer while the runs were driven. */
  longestStallMs: number;
  /** CPU this process used while measuring, as % of one core: near 100 means it, not the database, is the limit. */
  cpuPercent: number;
  /** WAL written over the measured pass. */
  wal: WalBytes;
}

/**
 * The fastest durable step a hand-written program makes on the same database and driver: the throughput
 * scenario's runs × steps and runs in flight, each step one SQL statement (update the run's row, insert its event).
 */
export interface FloorResult {
  scenario: 'floor';
  runs: number;
  steps: number;
  inFlight: number;
  /** Statements issued: one per run (its row) and one per step. */
  statements: number;
  seconds: number;
  stepsPerSec: number;
  /** Time of each statement, from the call to its promise resolving. */
  statementMs: Percentiles;
  /** Node CPU (process.cpuUsage) over the pass; on PGlite the database's work is in it too. */
  cpuSeconds: number;
  wal: WalBytes;
  /** Runs whose row says `completed` after the pass (should be all). */
  completedRuns: number;
}

/** One pass of the run-size scenario: one shape of run, measured per transition. */
export interface RunSizePass {
  label: string;
  steps: number;
  /** The most steps of one run that may run at once. */
  parallel: number;
  runs: number;
  inFlight: number;
  transitions: number;
  expectedTransitions: number;
  seconds: number;
  cpuSeconds: number;
  commitMs: Percentiles;
  /** Store writes: fewer than transitions (a completion carries the starts it allows). */
  writes: number;
  wal: WalBytes;
  statuses: Record<string, number>;
}

export interface RunSizeResult {
  scenario: 'runsize';
  /** A 4-step chain, then a 100-step run with 50 parallel steps. */
  passes: RunSizePass[];
}

export interface FanoutResult {
  scenario: 'fanout';
  /** Runs measured per pass. */
  runs: number;
  /** Parallel steps between the fan-out step and the join. */
  width: number;
  /** One measured pass per load level. */
  passes: FanoutPass[];
}

export interface FanoutPass {
  inFlight: number;
  transitions: number;
  /** run.started, step.started + step.completed per step (width + 2 of them), run.completed. */
  expectedTransitions: number;
  /** Steps that reached `completed`. */
  stepsCompleted: number;
  seconds: number;
  transitionsPerSec: number;
  stepsPerSec: number;
  commitMs: Percentiles;
  statuses: Record<string, number>;
  /**
   * Per run, from the store resolving the fan-out step's `step.completed` commit to it resolving the commit that
   * put the last branch `in_progress`. All from the timed store's commit times.
   */
  fanOutAllMs: Percentiles;
  /** The same, to the first branch's `step.started` commit. */
  fanOutFirstMs: Percentiles;
  /** From the last branch's `step.completed` commit to the join's `step.started` commit. */
  fanInMs: Percentiles;
  /** Runs whose branches were all `in_progress` at once in the state the last `step.started` committed. */
  allInProgressAtOnce: number;
  longestStallMs: number;
  cpuPercent: number;
}

export interface ParkedResult {
  scenario: 'parked';
  runs: number;
  /** Runs the database holds as `waiting` once every driver has stopped. */
  waitingInDb: number;
  seconds: number;
  gcForced: boolean;
  before: MemorySample;
  after: MemorySample;
  /** The parked steps' deadline, seconds after they parked. */
  deadlineS: number;
  /** Seconds watched with every run parked and nothing due. */
  quietSeconds: number;
  /** Statements the engine sent to the database meanwhile (transactions' statements included). */
  quietStatements: number;
  /** Transactions it opened meanwhile. */
  quietTransactions: number;
  /** Statements the engine sent to start and park the runs (the counter at work). */
  parkingStatements: number;
  /** Waiting runs whose row holds a deadline. */
  withDeadlineInDb: number;
}

export interface RealtimeResult {
  scenario: 'realtime';
  runs: number;
  /** One measured pass per load level. */
  passes: RealtimePass[];
}

export interface RealtimePass {
  inFlight: number;
  committed: number;
  received: number;
  /** From the store's commit resolving to the Socket.IO client's handler running. */
  latencyMs: Percentiles;
  longestStallMs: number;
}

export interface ColdStartResult {
  scenario: 'coldstart';
  /** How long memory was sampled after /health first answered. */
  settleSeconds: number;
  /** On an empty data directory: creates the cluster, migrates, creates the admin user. */
  first: ColdStartPhase;
  /** On what the first start left. */
  restart: ColdStartPhase;
}

export interface ColdStartPhase {
  /** From spawning the process to the first 200 from /health. */
  healthSeconds: number;
  /** Resident memory (VmRSS) of the controller process when /health first answered. */
  atHealthMb: number;
  /** The most VmRSS seen from /health to the end of the settling window. */
  maxMb: number;
  /** VmRSS at the end of the settling window. */
  endMb: number;
  /** VmHWM: the most the process was ever resident, start-up included. */
  peakMb: number;
}

export interface HistoryResult {
  scenario: 'history';
  /** Finished runs in the table. */
  runs: number;
  /** Writing them (batched SQL) and ANALYZE. */
  insertSeconds: number;
  queries: HistoryQueryResult[];
}

export interface HistoryQueryResult {
  label: string;
  /** Rows the page held (50 unless the filter matches fewer). */
  rows: number;
  /** Time to read one page through RunHistoryStore, as the API does. */
  ms: Percentiles;
}

export interface TrendsResult {
  scenario: 'trends';
  /** Runs in the table, and their events. */
  runs: number;
  events: number;
  /** Writing them (batched SQL) and ANALYZE. */
  insertSeconds: number;
  queries: TrendsQueryResult[];
}

export interface TrendsQueryResult {
  label: string;
  /** Runs of the workflow in the range (what the statement aggregated). */
  runs: number;
  /** Time to compute one range's trends through RunTrendsStore, as the API does. */
  ms: Percentiles;
}

export interface ClusterResult {
  scenario: 'cluster';
  /** Run leases of every controller (BENCH_CLUSTER_LEASE_MS): what a failover waits out. */
  leaseMs: number;
  steps: number;
  /** Runs measured per throughput pass, and in flight at a time. */
  runs: number;
  inFlight: number;
  /** Runs completed before each throughput pass, not counted. */
  warmupRuns: number;
  cores: number;
  /** One controller, then two. */
  passes: ClusterPass[];
  failover: ClusterFailover;
}

export interface ClusterPass {
  controllers: number;
  runs: number;
  /** The sum of the runs' final seq. */
  transitions: number;
  expectedTransitions: number;
  seconds: number;
  transitionsPerSec: number;
  stepsPerSec: number;
  statuses: Record<string, number>;
  /** From an event's `at` (stamped just before its commit) to the handler of a client on the run's owner. */
  ownerClientMs: Percentiles;
  /** The same for the client on the other controller (null with one controller). */
  otherClientMs: Percentiles | null;
  /** Events of the measured runs each client got (each should equal `transitions`). */
  received: number[];
  /** JSON size of one event in ten, as the first client got them: the adapter's payload, give or take. */
  eventBytes: Percentiles;
  /** Messages the Socket.IO PostgreSQL adapter stored in its table because they exceeded NOTIFY's payload limit. */
  attachments: number;
  /** One `pg_notify` of ~4 KB (what the adapter sends per event), from the benchmark process every 20 ms. */
  roundTripMs: Percentiles;
  cpu: ClusterCpu;
}

/** CPU seconds used over a pass, by whom. */
export interface ClusterCpu {
  /** Wall time of the pass. */
  seconds: number;
  /** Each controller process (utime + stime from /proc/<pid>/stat). */
  controllers: number[];
  /**
   * The main thread (the event loop) of each controller, then of the benchmark process: seconds on a CPU, and
   * seconds runnable but waiting for one (/proc/<pid>/schedstat); the rest of the pass it waited for I/O.
   */
  mainThreads: { running: number; waiting: number }[];
  /** The benchmark process: REST requests and both Socket.IO clients. */
  bench: number;
  /** Every `postgres` process (the server and its backends, whoever they serve). */
  postgres: number;
  /** The whole machine, all cores (/proc/stat, all but idle and iowait). */
  machineBusy: number;
}

export interface ClusterFailover {
  /** bench_slow runs started on A. */
  runs: number;
  slowMs: number;
  /** Runs still unfinished in the database right after A was killed. */
  orphans: number;
  /** SIGKILL → every orphan owned by another controller in the database (polled every 25 ms). */
  ownedMs: number;
  /** SIGKILL → every orphan's first event stamped after the kill has reached B's client. */
  movingMs: number;
  /** SIGKILL → every orphan's run.completed has reached B's client. */
  completedMs: number;
  statuses: Record<string, number>;
}

export type ScenarioResult =
  | ClusterResult
  | HistoryResult
  | TrendsResult
  | ThroughputResult
  | FloorResult
  | RunSizeResult
  | FanoutResult
  | ParkedResult
  | RealtimeResult
  | ColdStartResult;

/** What a scenario process reports back: its figures, or why it could not produce them. */
export type Outcome = { db: DbKind; scenario: ScenarioName } & (
  | { ok: true; result: ScenarioResult }
  | { ok: false; error: string }
);
