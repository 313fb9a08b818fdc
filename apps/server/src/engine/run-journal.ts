import {
  diffRun,
  type StepRecord,
  TERMINAL_RUN_STATUSES,
  type WorkflowEventType,
  type WorkflowRun,
} from '@deploybot/shared';
import { EngineError } from './errors';
import { KeyedMutex } from './keyed-mutex';
import { type EventRecord, LeaseLostError, StaleRunError, type WorkflowStore } from './ports';

/** One transition: the run's state after it, and what its event says. */
export interface Transition {
  run: WorkflowRun;
  type: WorkflowEventType;
  stepId: string | null;
  detail: Record<string, unknown> | null;
}

export interface JournalOptions {
  /**
   * Several controllers share the database and a run is driven by its owner: this journal fences the commits
   * of the runs it owns, announces only those (the owner announces every event of its runs, in seq order, so
   * a client anywhere sees them in order), and leaves the others to their owners. Default false: one
   * controller owns every run.
   */
  leased?: boolean;
  /** A fenced commit found the run taken over by another controller: stop driving it. */
  onLeaseLost?: (runId: string, err: LeaseLostError) => void;
}

/** How often a commit is tried again on a fresh read after another controller committed first. */
const STALE_RETRIES = 5;

/**
 * Where runs change: one lock per run, the latest state of runs being driven, and the one place a transition
 * is made durable and then announced. Waiting and finished runs are read from the store, not held in memory.
 */
export class RunJournal {
  private readonly locks = new KeyedMutex();
  private readonly cache = new Map<string, WorkflowRun>();
  /** Runs this controller owns (leased mode), with the seq of the last event it announced for each. */
  private readonly owned = new Map<string, number>();
  private readonly leased: boolean;
  private readonly onLeaseLost: (runId: string, err: LeaseLostError) => void;

  constructor(
    private readonly store: WorkflowStore,
    /** Called after each commit, never before. */
    private readonly announce: (event: EventRecord, run: WorkflowRun) => void,
    /**
     * Fields that follow from the run's new state: its title (which can name what a step chose, such as the
     * target agent) and the outputs its definition declares.
     */
    private readonly derive: (run: WorkflowRun) => WorkflowRun = (run) => run,
    options: JournalOptions = {},
  ) {
    this.leased = options.leased ?? false;
    this.onLeaseLost = options.onLeaseLost ?? (() => {});
  }

  /** Whether this controller drives (and announces) the run. Always, with one controller. */
  owns(runId: string): boolean {
    return !this.leased || this.owned.has(runId);
  }

  /** The run is this controller's from now on; its events up to `seq` were announced by whoever made them. */
  own(runId: string, seq: number): void {
    if (this.leased) this.owned.set(runId, seq);
  }

  /** The run is no longer this controller's (it ended, or another took it over). */
  disown(runId: string): void {
    if (!this.leased) return;
    this.owned.delete(runId);
    this.cache.delete(runId);
  }

  ownedIds(): string[] {
    return [...this.owned.keys()];
  }

  /**
   * Announces, in seq order, the events another controller committed to a run this one owns (a command, a
   * wake-up) since the last one announced here. `run` is the run as it stands now: relayed events carry it.
   * Call under the run's lock.
   */
  async catchUp(run: WorkflowRun): Promise<void> {
    const last = this.owned.get(run.id);
    if (last === undefined || last >= run.seq) return;
    for (const event of await this.store.eventsAfter(run.id, last)) {
      if (event.seq > run.seq) break;
      this.announce(event, run);
      this.owned.set(run.id, event.seq);
    }
  }

  /**
   * Runs `fn` under the run's lock, again on a fresh read when another controller committed to the run first
   * (`fn` loads the run itself; a failed commit drops what was cached). A command whose run was just taken over
   * is tried again too: it is then recorded as any controller records one, for the new owner to carry on.
   */
  withLockRetrying<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    return this.retrying(runId, fn, true);
  }

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

  /** Inserts a new run, which is this controller's. */
  async insert(run: WorkflowRun, event: EventRecord): Promise<void> {
    let published = false;
    // Announced the moment it is durable, with the rest of its group commit (see commitAll).
    const publish = () => {
      published = true;
      this.cache.set(run.id, run);
      this.own(run.id, event.seq);
      this.announce(event, run);
    };
    await this.store.insertRun(run, event, { onDurable: publish });
    if (!published) publish();
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
  async commitAll(
    prev: WorkflowRun,
    transitions: readonly Transition[],
    /** `asDriver`: the run's driver commits; refused with LeaseLostError unless this controller owns the run. */
    opts: { asDriver?: boolean } = {},
  ): Promise<WorkflowRun> {
    if (opts.asDriver && !this.owns(prev.id)) throw new LeaseLostError(prev.id);
    let seq = prev.seq;
    let before = prev;
    const committed = transitions.map((t) => {
      seq += 1;
      const run: WorkflowRun = { ...this.derive(t.run), seq };
      // What changed is what is stored and sent: a transition costs what it changed, not the size of the run.
      const patch = diffRun(before, run);
      before = run;
      // The transition's time is the one its builder stamped (patchStep / completeStep / finishRun), so a
      // decision's `at` and its event's `at` are the same instant.
      const event: EventRecord = {
        runId: run.id,
        seq,
        type: t.type,
        stepId: t.stepId,
        at: t.run.updatedAt,
        detail: t.detail,
        patch,
      };
      return { run, event };
    });
    const last = committed[committed.length - 1];
    if (!last) return prev;
    const asOwner = this.owns(prev.id);
    // Who announces: the owner, and whoever commits to a run that already ended (a compensation); the owner
    // announces another controller's commits too, told by the caller (see owns).
    const announces = asOwner || TERMINAL_RUN_STATUSES.includes(prev.status);
    let published = false;
    const publish = () => {
      published = true;
      if (asOwner) {
        // Kept while its driver will read it back (its next turn, a parked step's turn, the turn that sees the run
        // ended) and releases it as it leaves: unfinished, or ended by the driver itself. Not a run a command ended.
        if (opts.asDriver || !TERMINAL_RUN_STATUSES.includes(last.run.status))
          this.cache.set(last.run.id, last.run);
        else this.cache.delete(last.run.id);
      }
      for (const c of committed) {
        this.announce(c.event, c.run);
        if (this.owned.has(prev.id)) this.owned.set(prev.id, c.event.seq);
      }
    };
    // With nothing of another controller's to relay first, the events go out the moment they are durable.
    const early = announces && (this.owned.get(prev.id) ?? prev.seq) >= prev.seq;
    try {
      await this.store.commit(
        last.run,
        committed.map((c) => c.event),
        early ? { asOwner, onDurable: publish } : { asOwner },
      );
    } catch (err) {
      this.cache.delete(prev.id); // whatever we held may be stale now; the store is the truth
      if (err instanceof LeaseLostError) {
        this.disown(prev.id);
        this.onLeaseLost(prev.id, err);
      }
      throw err;
    }
    if (!announces) return last.run;
    if (!early) {
      // Another controller's commits since our last announcement go out first: clients see seq order.
      await this.catchUp(prev);
    }
    // A store (or a wrapper of one) that does not call onDurable still gets its events announced, now.
    if (!published) publish();
    // A finished run has no driver; compensations committed to it later are announced by whoever commits them.
    if (asOwner && TERMINAL_RUN_STATUSES.includes(last.run.status)) this.disown(prev.id);
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
    // A driver's work on a run it no longer owns is dropped, never recorded as a command would be.
    return this.retrying(
      runId,
      async () => {
        const run = await this.load(runId);
        const step = run.steps.find((s) => s.id === stepId);
        if ((run.status !== 'running' && run.status !== 'waiting') || step?.status !== expected) return null;
        const next = change(run);
        return this.commitAll(run, [{ run: next, type, stepId, detail }, ...followUps(next)], {
          asDriver: true,
        });
      },
      false,
    );
  }

  /** `fn` under the lock, again after a stale read (and after a lost lease, when `afterLostLease`). */
  private async retrying<T>(runId: string, fn: () => Promise<T>, afterLostLease: boolean): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.withLock(runId, fn);
      } catch (err) {
        const again = err instanceof StaleRunError || (afterLostLease && err instanceof LeaseLostError);
        if (!again || attempt >= STALE_RETRIES) throw err;
      }
    }
  }
}
