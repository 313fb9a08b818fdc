import type { RunPatch, WorkflowEvent, WorkflowEventType, WorkflowRun } from '@deploybot/shared';
import { DeployBotError } from '../errors/deploybot-error';

/** One appended row of the events table. */
export interface EventRecord {
  runId: string;
  seq: number;
  type: WorkflowEventType;
  stepId: string | null;
  at: string;
  detail: Record<string, unknown> | null;
  /** What the transition changed in the run; absent on the run's first event (the run is inserted whole). */
  patch?: RunPatch | null;
}

export interface RunFilter {
  state: 'active' | 'past' | 'all';
  name?: string;
  limit: number;
}

/** Durable storage of runs and their events. Implemented in `db/`; the engine only sees this. */
export interface WorkflowStore {
  /**
   * Inserts a new run with its first event (seq 1), atomically. Throws `ConcurrencyConflict` when the run is
   * active and another active run holds its concurrency key. `onDurable` as for `commit`.
   */
  insertRun(run: WorkflowRun, event: EventRecord, opts?: Pick<CommitOptions, 'onDurable'>): Promise<void>;
  /**
   * Writes the run's new state and appends its events (consecutive seqs, the last one `run.seq`) atomically,
   * only if the stored seq is the first event's seq - 1. Throws `StaleRunError` when another writer got there
   * first.
   */
  commit(run: WorkflowRun, events: readonly EventRecord[], opts?: CommitOptions): Promise<void>;
  getRun(id: string): Promise<WorkflowRun | null>;
  listRuns(filter: RunFilter): Promise<WorkflowRun[]>;
  /** Runs whose status is `running` or `waiting`: on start-up these are looked at again. */
  listUnfinished(): Promise<WorkflowRun[]>;
  /** Ids of unfinished runs (this controller's, when runs have owners) with a parked step whose deadline is at or before `now`. */
  listExpired(now: string): Promise<string[]>;
  /** The earliest deadline of the unfinished runs (this controller's, when runs have owners), or null. */
  nextDeadline(): Promise<string | null>;
  /** Ids of unfinished runs with a step parked on the durable wait `key`. */
  listWaiting(key: string): Promise<string[]>;
  /** The oldest run queued behind concurrency `key`, if no active run holds it. */
  oldestQueued(key: string): Promise<string | null>;
  /** Concurrency keys with queued runs and no active run (after a restart). */
  freeQueueKeys(): Promise<string[]>;
  eventsAfter(runId: string, seq: number): Promise<EventRecord[]>;
}

export interface CommitOptions {
  /**
   * Fenced by ownership: the commit lands only while this controller still owns the run, else it throws
   * `LeaseLostError`. Commands (approve, cancel, a wake-up) are not fenced: any controller may record them.
   */
  asOwner?: boolean;
  /**
   * Called as soon as the transition is durable, with the rest of its group commit and before any of their
   * callers resume: the journal announces there, so a batch's events go out together rather than each after the
   * work its caller does next. The callers resume an event-loop turn later, so what the callbacks started (the
   * socket writes of those events) finishes first. If it throws, the commit's promise rejects with that error
   * (the write stands).
   */
  onDurable?: () => void;
}

/**
 * Which controller drives which run, when several share one database. Each controller owns the runs it started
 * or claimed and renews one lease for all of them; a run whose owner's lease ran out is claimed by another.
 */
export interface RunLeases {
  /** This controller's id (the `owner` its runs carry). */
  readonly controllerId: string;
  /**
   * Takes up to `limit` unfinished runs that nobody drives (no owner, or an owner whose lease ran out), each
   * with the controller it was taken from (null: nobody).
   */
  claim(limit: number): Promise<{ run: WorkflowRun; takenFrom: string | null }[]>;
  /** Tells the run's owner that its run changed here (a command, a wake-up): it drives and announces it. */
  notifyOwner(runId: string): Promise<void>;
}

/** Another writer committed first: the caller's view of the run is stale, and reading it again may succeed. */
export class StaleRunError extends DeployBotError {
  constructor(runId: string) {
    super('conflict', `run ${runId} was changed by another writer meanwhile; reload it and try again`, {
      retryable: true,
    });
  }
}

/**
 * The run was taken over by another controller (this one's lease ran out while it was paused or cut off): this
 * controller must stop driving it, and what it was about to write is dropped.
 */
export class LeaseLostError extends DeployBotError {
  constructor(runId: string) {
    super('conflict', `run ${runId} is now driven by another controller`, { retryable: false });
  }
}

/** Another active run holds the concurrency key (enforced by a unique index, so concurrent starts cannot both win). */
export class ConcurrencyConflict extends Error {
  constructor(
    readonly concurrencyKey: string,
    readonly activeRunId: string | null,
  ) {
    super(`another run holds concurrency key ${concurrencyKey}`);
  }
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Receives every transition after it is committed. */
export type EventSink = (event: WorkflowEvent) => void;
