/**
 * DeployBot controller benchmark (`pnpm bench`). Runs each scenario against each database in a child process
 * and prints one table. Settings come from the environment; see config.ts:
 *   BENCH_DB=pglite|postgres|both  BENCH_SCENARIOS=throughput,fanout,parked,realtime  BENCH_RUNS=1000
 *   BENCH_STEPS=10  BENCH_IN_FLIGHT=100  BENCH_WARMUP=50  BENCH_FANOUT_RUNS=100  BENCH_FANOUT_WIDTH=50
 *   BENCH_FANOUT_IN_FLIGHT=10 (10,100: then also all 100 at once)  BENCH_PARKED=10000  BENCH_RT_RUNS=200
 *   BENCH_RT_IN_FLIGHT=10,100  BENCH_HISTORY_RUNS=100000  BENCH_HISTORY_SAMPLES=30
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test  BENCH_TIMEOUT_S=150  BENCH_COLD_SETTLE_S=10
 * `pnpm bench --compare` (or BENCH_COMPARE=1) runs the hand-written single-statement floor right after the
 *   throughput scenario on each database and prints them side by side (steps/s, Node CPU and WAL per step).
 * BENCH_SCENARIOS=runsize: per-transition cost of a 4-step run against a 100-step run with 50 parallel steps;
 *   BENCH_RUNSIZE_SMALL_RUNS=1000  BENCH_RUNSIZE_LARGE_RUNS=50  BENCH_RUNSIZE_IN_FLIGHT=10
 * The parked scenario then watches the engine's queries for BENCH_PARKED_QUIET_S=10 s (gates due in
 *   BENCH_PARKED_DEADLINE_S=3600 s): the target is none.
 * BENCH_SCENARIOS=coldstart BENCH_DB=pglite measures only the controller's first start and restart.
 * BENCH_SCENARIOS=history reads run history pages (first and deep, filtered) at 100,000 runs.
 * BENCH_SCENARIOS=cluster BENCH_DB=postgres: two controller processes on one PostgreSQL (vs one), and a failover;
 *   BENCH_CLUSTER_RUNS=400  BENCH_CLUSTER_FAILOVER_RUNS=20  BENCH_CLUSTER_LEASE_MS=10000  BENCH_CLUSTER_SLOW_MS=500
 * BENCH_SCENARIOS=approvals: runs parked at a gate, then approved as the REST route does; approvals/s and
 *   approval → run done p50/p99. BENCH_APPROVAL_RUNS=1000  BENCH_APPROVALS_IN_FLIGHT=100. With --compare, DBOS
 *   Transact (step → DBOS.recv → step, DBOS.send) right after it on PostgreSQL, in a database of its own.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BenchConfig, type DbKind, loadConfig, type ScenarioName } from './config';
import { createPgliteTemplate, PGLITE_TEMPLATE_ENV } from './databases';
import { renderHeader, renderReport } from './report';
import type { Outcome, ScenarioResult } from './results';
import { cluster } from './scenarios/cluster';
import { coldStart } from './scenarios/cold-start';

const SCENARIO_PROCESS = fileURLToPath(new URL('./scenario-process.ts', import.meta.url));

/**
 * Runs one scenario in a fresh Node process. It inherits this process's flags (tsx's loader) and gets
 * --expose-gc so the memory scenario can measure what is retained, not what is merely uncollected.
 */
function runInProcess(
  scenario: ScenarioName,
  db: DbKind,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = fork(SCENARIO_PROCESS, [scenario, db], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env,
    });
    let outcome: Outcome | undefined;
    const fail = (error: string): Outcome => ({ db, scenario, ok: false, error });
    const timer = setTimeout(() => {
      outcome ??= fail(`no result within ${timeoutMs / 1000} s (BENCH_TIMEOUT_S); killed`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (message) => {
      outcome ??= message as Outcome;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(outcome ?? fail(`scenario process exited (${signal ?? `code ${code}`}) without a result`));
    });
  });
}

/**
 * The cold start and the cluster spawn controllers themselves: they run from this process, which takes no part
 * in what is measured (the cluster's REST and Socket.IO clients run here; their CPU is reported apart).
 */
async function runHere(
  scenario: ScenarioName,
  db: DbKind,
  measure: () => Promise<ScenarioResult>,
): Promise<Outcome> {
  try {
    return { db, scenario, ok: true, result: await measure() };
  } catch (err) {
    console.error(err);
    return { db, scenario, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

async function runAll(cfg: BenchConfig, env: NodeJS.ProcessEnv): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const db of cfg.dbs) {
    for (const scenario of cfg.scenarios) {
      // The embedded database is the one that lives in the controller's process; the others start elsewhere.
      if (scenario === 'coldstart' && db !== 'pglite') continue;
      // Several controllers need a database they can share.
      if (scenario === 'cluster' && db !== 'postgres') continue;
      // DBOS Transact keeps its state in PostgreSQL only.
      if (scenario === 'approvals-dbos' && db !== 'postgres') continue;
      const started = performance.now();
      // Whole lines only: the scenario process may write its own (an error's stack) in between.
      process.stderr.write(`… ${scenario} on ${db}\n`);
      const outcome =
        scenario === 'coldstart'
          ? await runHere(scenario, db, () => coldStart(cfg))
          : scenario === 'cluster'
            ? await runHere(scenario, db, () => cluster(cfg))
            : await runInProcess(scenario, db, cfg.timeoutMs, env);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      process.stderr.write(`  ${outcome.ok ? 'done' : 'FAILED'} in ${seconds} s\n`);
      outcomes.push(outcome);
    }
  }
  return outcomes;
}

async function main(): Promise<void> {
  const cfg = loadConfig();
  console.log(renderHeader(cfg));
  const engineScenarios = cfg.scenarios.some((s) => s !== 'coldstart' && s !== 'cluster');
  const template = engineScenarios && cfg.dbs.includes('pglite') ? await createPgliteTemplate() : undefined;
  let outcomes: Outcome[];
  try {
    outcomes = await runAll(cfg, { ...process.env, [PGLITE_TEMPLATE_ENV]: template?.dir });
  } finally {
    await template?.dispose();
  }
  console.log(renderReport(cfg, outcomes));
  // A missed target is a finding; a scenario that could not run at all is a failure of the benchmark.
  if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
