/** Benchmark settings, all from the environment so CI and people can scale a run without editing code. */

export const DB_KINDS = ['pglite', 'postgres'] as const;
export type DbKind = (typeof DB_KINDS)[number];

export const SCENARIOS = [
  'throughput',
  // The hand-written single-statement floor: beside the throughput scenario with --compare, or alone by name.
  'floor',
  'runsize',
  'fanout',
  'parked',
  'realtime',
  'coldstart',
  'history',
  'trends',
  'cluster',
  // Issue 16: approvals end to end; with --compare, DBOS Transact doing the same right after it on PostgreSQL.
  'approvals',
  'approvals-dbos',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchConfig {
  dbs: DbKind[];
  scenarios: ScenarioName[];
  /** Runs measured in the throughput scenario. */
  runs: number;
  /** Steps of the automatic workflow. */
  steps: number;
  /** Runs in flight at a time in the throughput scenario. */
  inFlight: number;
  /** Runs completed before measuring, so JIT compilation and cold caches are not billed to the engine. */
  warmupRuns: number;
  /** Runs of the fan-out workflow measured per load level. */
  fanoutRuns: number;
  /** Parallel steps between the fan-out step and the join. */
  fanoutWidth: number;
  /**
   * Fan-out runs in flight: one measured pass per level, light load first. 10 by default; `10,100` adds a burst
   * of all 100 runs at once (about 50 s more on a 2-core machine).
   */
  fanoutInFlight: number[];
  /** Runs parked at a gate in the memory scenario. */
  parked: number;
  /** Seconds the parked scenario watches the database's queries once every run is parked. */
  parkedQuietS: number;
  /** The parked runs' gate deadline: far enough away that none is due while watching. */
  parkedDeadlineS: number;
  /** Runs of the 4-step chain and of the 100-step run (50 parallel) measured by the run-size scenario. */
  runsizeSmallRuns: number;
  runsizeLargeRuns: number;
  /** Runs in flight in both passes of the run-size scenario. */
  runsizeInFlight: number;
  /** Run the single-statement floor beside the throughput scenario (`--compare` or BENCH_COMPARE=1). */
  compare: boolean;
  /** Runs observed through Socket.IO in the realtime scenario. */
  realtimeRuns: number;
  /** Runs in flight in the realtime scenario: one measured pass per level, light load first. */
  realtimeInFlight: number[];
  /** Seconds the cold-start scenario keeps sampling the controller's memory after /health answers. */
  coldSettleS: number;
  /** Finished runs written before the history pages are read. */
  historyRuns: number;
  /** Times each history page is read (after one warm-up read). */
  historySamples: number;
  /** Runs (with their event logs) written before the trends are read. */
  trendsRuns: number;
  /** Times each trends range is read (after one warm-up read). */
  trendsSamples: number;
  /** Chain runs measured per throughput pass of the cluster scenario. */
  clusterRuns: number;
  /** bench_slow runs on the controller the cluster scenario kills. */
  clusterFailoverRuns: number;
  /** Run leases of the cluster's controllers (the product's DEPLOYBOT_LEASE_MS, 10 s by default). */
  clusterLeaseMs: number;
  /** How long bench_slow's slow step takes. */
  clusterSlowMs: number;
  databaseUrl: string;
  /** Runs parked at the gate and then approved in the approvals scenario (and in DBOS's). */
  approvalRuns: number;
  /** Approvals whose run is not done yet, at most, at any time. */
  approvalsInFlight: number;
  /** A scenario process still running after this long is killed and reported as an error. */
  timeoutMs: number;
}

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv.slice(2),
): BenchConfig {
  const compare = argv.includes('--compare') || env.BENCH_COMPARE === '1';
  return {
    dbs: listOf(env, 'BENCH_DB', DB_KINDS, 'both'),
    scenarios: withComparisons(listOf(env, 'BENCH_SCENARIOS', SCENARIOS, 'all'), env, compare),
    compare,
    runs: positiveInt(env, 'BENCH_RUNS', 1000),
    steps: positiveInt(env, 'BENCH_STEPS', 10),
    inFlight: positiveInt(env, 'BENCH_IN_FLIGHT', 100),
    warmupRuns: positiveInt(env, 'BENCH_WARMUP', 50, { allowZero: true }),
    fanoutRuns: positiveInt(env, 'BENCH_FANOUT_RUNS', 100),
    fanoutWidth: positiveInt(env, 'BENCH_FANOUT_WIDTH', 50),
    fanoutInFlight: positiveInts(env, 'BENCH_FANOUT_IN_FLIGHT', [10]),
    parked: positiveInt(env, 'BENCH_PARKED', 10_000),
    parkedQuietS: positiveInt(env, 'BENCH_PARKED_QUIET_S', 10, { allowZero: true }),
    parkedDeadlineS: positiveInt(env, 'BENCH_PARKED_DEADLINE_S', 3600),
    runsizeSmallRuns: positiveInt(env, 'BENCH_RUNSIZE_SMALL_RUNS', 1000),
    runsizeLargeRuns: positiveInt(env, 'BENCH_RUNSIZE_LARGE_RUNS', 50),
    runsizeInFlight: positiveInt(env, 'BENCH_RUNSIZE_IN_FLIGHT', 10),
    realtimeRuns: positiveInt(env, 'BENCH_RT_RUNS', 200),
    realtimeInFlight: positiveInts(env, 'BENCH_RT_IN_FLIGHT', [10, 100]),
    coldSettleS: positiveInt(env, 'BENCH_COLD_SETTLE_S', 10, { allowZero: true }),
    historyRuns: positiveInt(env, 'BENCH_HISTORY_RUNS', 100_000),
    historySamples: positiveInt(env, 'BENCH_HISTORY_SAMPLES', 30),
    trendsRuns: positiveInt(env, 'BENCH_TRENDS_RUNS', 100_000),
    trendsSamples: positiveInt(env, 'BENCH_TRENDS_SAMPLES', 20),
    clusterRuns: positiveInt(env, 'BENCH_CLUSTER_RUNS', 400),
    clusterFailoverRuns: positiveInt(env, 'BENCH_CLUSTER_FAILOVER_RUNS', 20),
    clusterLeaseMs: positiveInt(env, 'BENCH_CLUSTER_LEASE_MS', 10_000),
    clusterSlowMs: positiveInt(env, 'BENCH_CLUSTER_SLOW_MS', 500),
    approvalRuns: positiveInt(env, 'BENCH_APPROVAL_RUNS', 1000),
    approvalsInFlight: positiveInt(env, 'BENCH_APPROVALS_IN_FLIGHT', 100),
    databaseUrl: env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    timeoutMs: positiveInt(env, 'BENCH_TIMEOUT_S', 150) * 1000,
  };
}

/** What each comparison is measured against: it runs right after that scenario, on the same database. */
const COMPARED_WITH: Partial<Record<ScenarioName, ScenarioName>> = {
  floor: 'throughput',
  'approvals-dbos': 'approvals',
};

/**
 * A comparison (the single-statement floor, DBOS Transact) runs when asked for by name, or with --compare beside
 * the scenario it is compared with (right after it, on the same database, so both see the machine in the same
 * state); `all` alone does not include it.
 */
function withComparisons(
  scenarios: ScenarioName[],
  env: NodeJS.ProcessEnv,
  compare: boolean,
): ScenarioName[] {
  const named = new Set((env.BENCH_SCENARIOS ?? '').split(',').map((s) => s.trim()));
  const comparisons = Object.entries(COMPARED_WITH) as [ScenarioName, ScenarioName][];
  let result = scenarios.filter((s) => !(s in COMPARED_WITH));
  for (const [comparison, base] of comparisons) {
    if (!named.has(comparison) && !(compare && scenarios.includes(base))) continue;
    const at = result.indexOf(base);
    result =
      at < 0 ? [comparison, ...result] : [...result.slice(0, at + 1), comparison, ...result.slice(at + 1)];
  }
  return result;
}

function positiveInt(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  opts: { allowZero?: boolean } = {},
): number {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : parseCount(name, raw, opts.allowZero ? 0 : 1);
}

function positiveInts(env: NodeJS.ProcessEnv, name: string, fallback: number[]): number[] {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw.split(',').map((part) => parseCount(name, part, 1));
}

/** An integer ≥ `min`; `10_000` is accepted as people write it. */
function parseCount(name: string, raw: string, min: number): number {
  const value = Number(raw.trim().replaceAll('_', ''));
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

/** A comma-separated subset of `allowed`; `everything` (e.g. "both", "all") or nothing means all of them. */
function listOf<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  allowed: readonly T[],
  everything: string,
): T[] {
  const raw = env[name]?.trim();
  if (!raw || raw === everything) return [...allowed];
  const picked = raw.split(',').map((s) => s.trim());
  const unknown = picked.filter((p) => !allowed.includes(p as T));
  if (unknown.length > 0) {
    throw new Error(`${name}: unknown ${unknown.join(', ')}; use ${[...allowed, everything].join(' | ')}`);
  }
  return allowed.filter((a) => picked.includes(a));
}
