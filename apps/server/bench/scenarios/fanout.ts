import { TERMINAL_RUN_STATUSES, type WorkflowEvent } from '@deploybot/shared';
import type { Db } from '../../src/db/db';
import { SqlWorkflowStore } from '../../src/db/workflow-store';
import { WorkflowEngine } from '../../src/engine/engine';
import type { BenchConfig } from '../config';
import { watchEventLoop } from '../event-loop';
import { failFast } from '../fail-fast';
import type { FanoutPass, FanoutResult } from '../results';
import { inPool, RunTracker } from '../run-tracker';
import { percentiles } from '../stats';
import { eventKey, TimedStore } from '../timed-store';
import { FANOUT_JOIN, FANOUT_ROOT, FANOUT_WORKFLOW, fanoutBranchId, fanoutWorkflow } from '../workflows';

/** Warm-up runs before the first pass: about as many transitions as the throughput scenario's warm-up. */
const WARMUP_RUNS = 10;

/** What one run's events have shown so far, as commit times (wallClockMs) of the transitions that matter. */
interface RunMarks {
  rootCompletedAt?: number;
  branchesStarted: number;
  branchesCompleted: number;
  lastBranchCompletedAt?: number;
}

/** The samples of one pass, fed by the engine's event sink. */
class FanoutObserver {
  transitions = 0;
  stepsCompleted = 0;
  allInProgressAtOnce = 0;
  readonly fanOutAllMs: number[] = [];
  readonly fanOutFirstMs: number[] = [];
  readonly fanInMs: number[] = [];
  private readonly runs = new Map<string, RunMarks>();
  private readonly branches: Set<string>;

  constructor(
    private readonly width: number,
    /** When the store resolved the commit of this event. */
    private readonly committedAt: (event: WorkflowEvent) => number,
  ) {
    this.branches = new Set(Array.from({ length: width }, (_, i) => fanoutBranchId(i)));
  }

  observe(event: WorkflowEvent): void {
    this.transitions++;
    if (event.type === 'step.completed') this.stepsCompleted++;
    if (TERMINAL_RUN_STATUSES.includes(event.run.status)) {
      this.runs.delete(event.runId);
      return;
    }
    if (event.stepId === null) return;
    const marks = this.marksOf(event.runId);
    const isBranch = this.branches.has(event.stepId);
    if (event.type === 'step.completed' && event.stepId === FANOUT_ROOT) {
      marks.rootCompletedAt = this.committedAt(event);
    } else if (event.type === 'step.started' && isBranch && marks.rootCompletedAt !== undefined) {
      marks.branchesStarted++;
      const sinceRoot = this.committedAt(event) - marks.rootCompletedAt;
      if (marks.branchesStarted === 1) this.fanOutFirstMs.push(sinceRoot);
      if (marks.branchesStarted === this.width) {
        this.fanOutAllMs.push(sinceRoot);
        const inProgress = event.run.steps.filter(
          (s) => this.branches.has(s.id) && s.status === 'in_progress',
        ).length;
        if (inProgress === this.width) this.allInProgressAtOnce++;
      }
    } else if (event.type === 'step.completed' && isBranch) {
      marks.branchesCompleted++;
      if (marks.branchesCompleted === this.width) marks.lastBranchCompletedAt = this.committedAt(event);
    } else if (
      event.type === 'step.started' &&
      event.stepId === FANOUT_JOIN &&
      marks.lastBranchCompletedAt !== undefined
    ) {
      this.fanInMs.push(this.committedAt(event) - marks.lastBranchCompletedAt);
    }
  }

  private marksOf(runId: string): RunMarks {
    let marks = this.runs.get(runId);
    if (!marks) {
      marks = { branchesStarted: 0, branchesCompleted: 0 };
      this.runs.set(runId, marks);
    }
    return marks;
  }
}

/**
 * `fanoutRuns` runs of one step → `fanoutWidth` parallel steps → one join, once per load level in
 * `fanoutInFlight`. Besides throughput it times, per run, how long after the fan-out step's completion was
 * committed the last branch's start was committed: every branch start is its own durable transition.
 */
export async function fanout(db: Db, cfg: BenchConfig): Promise<FanoutResult> {
  const store = new TimedStore(new SqlWorkflowStore(db), { recordCommitTimes: true });
  const tracker = new RunTracker();
  const { onError, failed } = failFast();
  const committedAt = (event: WorkflowEvent) => {
    const at = store.committedAt.get(eventKey(event.runId, event.seq));
    if (at === undefined) throw new Error(`no commit time for ${event.type} #${event.seq} of ${event.runId}`);
    return at;
  };
  let observer = new FanoutObserver(cfg.fanoutWidth, committedAt);
  const engine = new WorkflowEngine({
    store,
    definitions: [fanoutWorkflow(cfg.fanoutWidth)],
    onEvent: (event) => {
      observer.observe(event);
      tracker.observe(event);
    },
    onError,
  });
  const runAll = (count: number, inFlight: number) =>
    Promise.race([
      inPool(count, inFlight, async () => {
        const run = await engine.start(FANOUT_WORKFLOW, {}, 'bench');
        await tracker.wait(run.id);
      }),
      failed,
    ]);

  try {
    await runAll(Math.min(cfg.warmupRuns, WARMUP_RUNS), cfg.fanoutInFlight[0] ?? 1);
    await engine.idle();
    const passes: FanoutPass[] = [];
    for (const inFlight of cfg.fanoutInFlight) {
      store.reset();
      tracker.clear();
      observer = new FanoutObserver(cfg.fanoutWidth, committedAt);
      const loop = watchEventLoop();
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      await runAll(cfg.fanoutRuns, inFlight);
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const { longestStallMs } = loop.stop();
      await engine.idle();
      passes.push({
        inFlight,
        transitions: observer.transitions,
        expectedTransitions: cfg.fanoutRuns * (2 * (cfg.fanoutWidth + 2) + 2),
        stepsCompleted: observer.stepsCompleted,
        seconds,
        transitionsPerSec: observer.transitions / seconds,
        stepsPerSec: observer.stepsCompleted / seconds,
        commitMs: percentiles(store.commitMs),
        statuses: tracker.statusCounts(),
        fanOutAllMs: percentiles(observer.fanOutAllMs),
        fanOutFirstMs: percentiles(observer.fanOutFirstMs),
        fanInMs: percentiles(observer.fanInMs),
        allInProgressAtOnce: observer.allInProgressAtOnce,
        longestStallMs,
        cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      });
    }
    return { scenario: 'fanout', runs: cfg.fanoutRuns, width: cfg.fanoutWidth, passes };
  } finally {
    await engine.stop();
  }
}
