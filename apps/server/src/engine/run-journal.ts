import type { StepRecord, WorkflowEventType, WorkflowRun } from '@deploybot/shared';
import { EngineError } from './errors';
import { KeyedMutex } from './keyed-mutex';
import type { EventRecord, WorkflowStore } from './ports';

/** One transition: the run's state after it, and what its event says. */
export interface Transition {
  run: WorkflowRun;
  type: WorkflowEventType;
  stepId: string | null;
  detail: Record<string, unknown> | null;
}

/**
 * Where runs change: one lock per run, the latest state of runs being driven, and the one place a transition
 * is made durable and then announced. Waiting and finished runs are read from the store, not held in memory.
 */
export class RunJournal {
  private readonly locks = new KeyedMutex();
  private readonly cache = new Map<string, WorkflowRun>();

  constructor(
    private readonly store: WorkflowStore,
    /** Called after each commit, never before. */
    private readonly announce: (event: EventRecord, run: WorkflowRun) => void,
    /**
     * Fields that follow from the run's new state: its title (which can name what a step chose, such as the
     * target agent) and the outputs its definition declares.
     */
    private readonly derive: (run: WorkflowRun) => WorkflowRun = (run) => run,
  ) {}

  /** Serialises `fn` with every other change to the run. */
  withLock<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(runId, fn);
  }

  async load(runId: string): Promise<WorkflowRun> {
    const run = this.cache.get(runId) ?? (await this.store.getRun(runId));
    if (!run) throw new EngineError('not_found', `no workflow run ${runId}`);
    return run;
  }

  /** Holds a run that is about to be driven (recovery), so its driver does not read it again. */
  hold(run: WorkflowRun): void {
    this.cache.set(run.id, run);
  }

  release(runId: string): void {
    this.cache.delete(runId);
  }

  async insert(run: WorkflowRun, event: EventRecord): Promise<void> {
    await this.store.insertRun(run, event);
    this.cache.set(run.id, run);
    this.announce(event, run);
  }

  /** Makes a transition durable, then announces it. Call under the run's lock. */
  commit(
    prev: WorkflowRun,
    next: WorkflowRun,
    type: WorkflowEventType,
    stepId: string | null,
    detail: Record<string, unknown> | null,
  ): Promise<WorkflowRun> {
    return this.commitAll(prev, [{ run: next, type, stepId, detail }]);
  }

  /**
   * Makes transitions that follow one another durable in one write (a step's completion and the starts it
   * allows, say), then announces each with the run as it stood after it. Call under the run's lock.
   */
  async commitAll(prev: WorkflowRun, transitions: readonly Transition[]): Promise<WorkflowRun> {
    let seq = prev.seq;
    const committed = transitions.map((t) => {
      seq += 1;
      const run: WorkflowRun = { ...this.derive(t.run), seq };
      // The transition's time is the one its builder stamped (patchStep / completeStep / finishRun), so a
      // decision's `at` and its event's `at` are the same instant.
      const event: EventRecord = {
        runId: run.id,
        seq,
        type: t.type,
        stepId: t.stepId,
        at: t.run.updatedAt,
        detail: t.detail,
      };
      return { run, event };
    });
    const last = committed[committed.length - 1];
    if (!last) return prev;
    try {
      await this.store.commit(
        last.run,
        committed.map((c) => c.event),
      );
    } catch (err) {
      this.cache.delete(prev.id); // whatever we held may be stale now; the store is the truth
      throw err;
    }
    if (last.run.status === 'running') this.cache.set(last.run.id, last.run);
    else this.cache.delete(last.run.id);
    for (const c of committed) this.announce(c.event, c.run);
    return last.run;
  }

  /**
   * Commits `change` if the run is still running and the step still has `expected` status; otherwise the run
   * moved on (cancelled, say) while the handler worked, and its result is dropped. Returns the new run or null.
   */
  commitIf(
    runId: string,
    stepId: string,
    expected: StepRecord['status'],
    change: (run: WorkflowRun) => WorkflowRun,
    type: WorkflowEventType,
    detail: Record<string, unknown> | null = null,
    /** What follows at once from the new state (steps it lets start), committed in the same write. */
    followUps: (run: WorkflowRun) => Transition[] = () => [],
  ): Promise<WorkflowRun | null> {
    return this.withLock(runId, async () => {
      const run = await this.load(runId);
      const step = run.steps.find((s) => s.id === stepId);
      if ((run.status !== 'running' && run.status !== 'waiting') || step?.status !== expected) return null;
      const next = change(run);
      return this.commitAll(run, [{ run: next, type, stepId, detail }, ...followUps(next)]);
    });
  }
}
