/**
 * DeployBot controller benchmark (`pnpm bench`). Runs each scenario against each database in a child process
 * and prints one table. Settings come from the environment; see config.ts:
 *   BENCH_DB=pglite|postgres|both  BENCH_SCENARIOS=throughput,fanout,parked,realtime  BENCH_RUNS=1000
 *   BENCH_STEPS=10  BENCH_IN_FLIGHT=100  BENCH_WARMUP=50  BENCH_FANOUT_RUNS=100  BENCH_FANOUT_WIDTH=50
 *   BENCH_FANOUT_IN_FLIGHT=10 (10,100: then also all 100 at once)  BENCH_PARKED=10000  BENCH_RT_RUNS=200
 *   BENCH_RT_IN_FLIGHT=10,100  BENCH_HISTORY_RUNS=100000  BENCH_HISTORY_SAMPLES=30
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test  BENCH_TIMEOUT_S=150  BENCH_COLD_SETTLE_S=10
 * BENCH_SCENARIOS=coldstart BENCH_DB=pglite measures only the controller's first start and restart.
 * BENCH_SCENARIOS=history reads run history pages (first and deep, filtered) at 100,000 runs.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BenchConfig, type DbKind, loadConfig, type ScenarioName } from './config';
import { createPgliteTemplate, PGLITE_TEMPLATE_ENV } from './databases';
import { renderHeader, renderReport } from './report';
import type { Outcome } from './results';
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

/** The cold start spawns controllers itself: it runs from this process, which takes no part in what is measured. */
async function runColdStart(cfg: BenchConfig): Promise<Outcome> {
  try {
    return { db: 'pglite', scenario: 'coldstart', ok: true, result: await coldStart(cfg) };
  } catch (err) {
    console.error(err);
    return {
      db: 'pglite',
      scenario: 'coldstart',
      ok: false,
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

async function runAll(cfg: BenchConfig, env: NodeJS.ProcessEnv): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const db of cfg.dbs) {
    for (const scenario of cfg.scenarios) {
      // The embedded database is the one that lives in the controller's process; the others start elsewhere.
      if (scenario === 'coldstart' && db !== 'pglite') continue;
      const started = performance.now();
      // Whole lines only: the scenario process may write its own (an error's stack) in between.
      process.stderr.write(`… ${scenario} on ${db}\n`);
      const outcome =
        scenario === 'coldstart'
          ? await runColdStart(cfg)
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
  const engineScenarios = cfg.scenarios.some((s) => s !== 'coldstart');
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
