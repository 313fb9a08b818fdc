import type { Db } from '../../src/db/db';
import { SqlWorkflowStore } from '../../src/db/workflow-store';
import { WorkflowEngine } from '../../src/engine/engine';
import type { WorkflowDefinition } from '../../src/engine/types';
import type { BenchConfig } from '../config';
import { failFast } from '../fail-fast';
import type { RunSizePass, RunSizeResult } from '../results';
import { inPool, RunTracker } from '../run-tracker';
import { percentiles } from '../stats';
import { TimedStore } from '../timed-store';
import { startWalMeter } from '../wal';
import { chainWorkflow, wideWorkflow } from '../workflows';

const SMALL_STEPS = 4;
const WIDTH = 50;
/** After the join: 1 + 50 + 1 + 48 = 100 steps. */
const TAIL = 48;

interface Shape {
  label: string;
  definition: WorkflowDefinition;
  steps: number;
  parallel: number;
  runs: number;
  warmupRuns: number;
}

/**
 * Whether a transition costs the same in a small run and in a large one: a 4-step chain, then a 100-step run
 * (50 of its steps parallel), the same runs in flight, each pass measured per transition (Node CPU, WAL, the
 * store write). A cost that grows with the run (rewriting its whole state per step, reading its whole history)
 * shows as the large run's figures over the small run's.
 */
export async function runsize(db: Db, cfg: BenchConfig): Promise<RunSizeResult> {
  const small = chainWorkflow(SMALL_STEPS);
  const large = wideWorkflow(WIDTH, TAIL);
  const shapes: Shape[] = [
    {
      label: `${SMALL_STEPS} steps in a row`,
      definition: small,
      steps: SMALL_STEPS,
      parallel: 1,
      runs: cfg.runsizeSmallRuns,
      warmupRuns: cfg.warmupRuns,
    },
    {
      label: `${large.steps.length} steps, ${WIDTH} parallel`,
      definition: large,
      steps: large.steps.length,
      parallel: WIDTH,
      runs: cfg.runsizeLargeRuns,
      // About as many transitions as the small pass's warm-up.
      warmupRuns: Math.ceil(cfg.warmupRuns / 10),
    },
  ];
  const store = new TimedStore(new SqlWorkflowStore(db));
  const tracker = new RunTracker();
  const { onError, failed } = failFast();
  let transitions = 0;
  const engine = new WorkflowEngine({
    store,
    definitions: [small, large],
    onEvent: (event) => {
      transitions++;
      tracker.observe(event);
    },
    onError,
  });
  const runAll = (name: string, count: number) =>
    Promise.race([
      inPool(count, cfg.runsizeInFlight, async () => {
        const run = await engine.start(name, {}, 'bench');
        await tracker.wait(run.id);
      }),
      failed,
    ]);

  const passes: RunSizePass[] = [];
  try {
    for (const shape of shapes) {
      const name = shape.definition.name;
      await runAll(name, shape.warmupRuns);
      await engine.idle();
      store.reset();
      tracker.clear();
      transitions = 0;

      const wal = await startWalMeter(db);
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      await runAll(name, shape.runs);
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      await engine.idle();
      passes.push({
        label: shape.label,
        steps: shape.steps,
        parallel: shape.parallel,
        runs: shape.runs,
        inFlight: cfg.runsizeInFlight,
        transitions,
        expectedTransitions: shape.runs * (2 * shape.steps + 2),
        seconds,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        commitMs: percentiles(store.commitMs),
        writes: store.commitMs.length,
        wal: await wal.stop(),
        statuses: tracker.statusCounts(),
      });
    }
    return { scenario: 'runsize', passes };
  } finally {
    await engine.stop();
  }
}
