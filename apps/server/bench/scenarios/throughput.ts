import type { Db } from '../../src/db/db';
import { SqlWorkflowStore } from '../../src/db/workflow-store';
import { WorkflowEngine } from '../../src/engine/engine';
import type { BenchConfig } from '../config';
import { watchEventLoop } from '../event-loop';
import { failFast } from '../fail-fast';
import type { ThroughputResult } from '../results';
import { inPool, RunTracker } from '../run-tracker';
import { percentiles } from '../stats';
import { TimedStore } from '../timed-store';
import { startWalMeter } from '../wal';
import { CHAIN_WORKFLOW, chainWorkflow } from '../workflows';

/**
 * (1) and (2): `runs` runs of the automatic chain, `inFlight` at a time, counting every transition the engine
 * emits (it emits only after the store committed) and timing every store write.
 */
export async function throughput(db: Db, cfg: BenchConfig): Promise<ThroughputResult> {
  const store = new TimedStore(new SqlWorkflowStore(db));
  const tracker = new RunTracker();
  const { onError, failed } = failFast();
  let transitions = 0;
  const engine = new WorkflowEngine({
    store,
    definitions: [chainWorkflow(cfg.steps)],
    onEvent: (event) => {
      transitions++;
      tracker.observe(event);
    },
    onError,
  });
  const runAll = (count: number) =>
    Promise.race([
      inPool(count, cfg.inFlight, async () => {
        const run = await engine.start(CHAIN_WORKFLOW, {}, 'bench');
        await tracker.wait(run.id);
      }),
      failed,
    ]);

  try {
    await runAll(cfg.warmupRuns);
    await engine.idle();
    store.reset();
    tracker.clear();
    transitions = 0;

    const wal = await startWalMeter(db);
    const loop = watchEventLoop();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await runAll(cfg.runs);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const { longestStallMs } = loop.stop();
    await engine.idle();
    const walBytes = await wal.stop();
    return {
      scenario: 'throughput',
      runs: cfg.runs,
      steps: cfg.steps,
      transitions,
      expectedTransitions: cfg.runs * (2 * cfg.steps + 2),
      seconds,
      transitionsPerSec: transitions / seconds,
      runsPerSec: cfg.runs / seconds,
      stepsPerSec: (cfg.runs * cfg.steps) / seconds,
      writesPerSec: store.commitMs.length / seconds,
      commitMs: percentiles(store.commitMs),
      statuses: tracker.statusCounts(),
      longestStallMs,
      cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      wal: walBytes,
    };
  } finally {
    await engine.stop();
  }
}
