import type { WorkflowRun } from '@deploybot/shared';
import type { CommitOptions, EventRecord, RunFilter, WorkflowStore } from '../src/engine/ports';
import { wallClockMs } from './event-loop';

export const eventKey = (runId: string, seq: number) => `${runId}:${seq}`;

/**
 * A decorator around the real store that times every write the engine makes durable (insertRun carries
 * run.started, commit every later transition). Reads pass straight through: they are not transitions.
 */
export class TimedStore implements WorkflowStore {
  /** How long each write took, in ms, from the engine's call to the store's promise resolving. */
  readonly commitMs: number[] = [];
  /** runId:seq → wallClockMs() when that write resolved; filled only when asked, as it grows with every event. */
  readonly committedAt = new Map<string, number>();

  constructor(
    private readonly inner: WorkflowStore,
    private readonly opts: { recordCommitTimes?: boolean } = {},
  ) {}

  /** Forgets the samples so far (after a warm-up). */
  reset(): void {
    this.commitMs.length = 0;
    this.committedAt.clear();
  }

  insertRun(run: WorkflowRun, event: EventRecord, opts?: Pick<CommitOptions, 'onDurable'>): Promise<void> {
    return this.timed([event], () => this.inner.insertRun(run, event, this.stamping([event], opts)));
  }

  commit(run: WorkflowRun, events: readonly EventRecord[], opts?: CommitOptions): Promise<void> {
    return this.timed(events, () => this.inner.commit(run, events, this.stamping(events, opts)));
  }

  /** Durable is when the store says so, which is before its caller resumes (and before it announces). */
  private stamping<T extends Pick<CommitOptions, 'onDurable'>>(
    events: readonly EventRecord[],
    opts: T | undefined,
  ): T | undefined {
    const onDurable = opts?.onDurable;
    if (!onDurable) return opts;
    return {
      ...opts,
      onDurable: () => {
        this.stamp(events, wallClockMs());
        onDurable();
      },
    };
  }

  private stamp(events: readonly EventRecord[], at: number): void {
    if (!this.opts.recordCommitTimes) return;
    for (const event of events) {
      const key = eventKey(event.runId, event.seq);
      if (!this.committedAt.has(key)) this.committedAt.set(key, at);
    }
  }

  getRun(id: string): Promise<WorkflowRun | null> {
    return this.inner.getRun(id);
  }

  listRuns(filter: RunFilter): Promise<WorkflowRun[]> {
    return this.inner.listRuns(filter);
  }

  listUnfinished(): Promise<WorkflowRun[]> {
    return this.inner.listUnfinished();
  }

  listWaiting(key: string): Promise<string[]> {
    return this.inner.listWaiting(key);
  }

  oldestQueued(key: string): Promise<string | null> {
    return this.inner.oldestQueued(key);
  }

  freeQueueKeys(): Promise<string[]> {
    return this.inner.freeQueueKeys();
  }

  listExpired(now: string): Promise<string[]> {
    return this.inner.listExpired(now);
  }

  nextDeadline(): Promise<string | null> {
    return this.inner.nextDeadline();
  }

  eventsAfter(runId: string, seq: number): Promise<EventRecord[]> {
    return this.inner.eventsAfter(runId, seq);
  }

  /** One sample per write (a write may carry several transitions of one run); a commit time per transition. */
  private async timed(events: readonly EventRecord[], write: () => Promise<void>): Promise<void> {
    const started = wallClockMs();
    await write(); // a failed write (e.g. StaleRunError) is not a committed transition: no sample
    const resolved = wallClockMs();
    this.commitMs.push(resolved - started);
    this.stamp(events, resolved);
  }
}
