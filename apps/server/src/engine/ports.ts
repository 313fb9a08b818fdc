import type { WorkflowEvent, WorkflowEventType, WorkflowRun } from '@deploybot/shared';
import { DeployBotError } from '../errors/deploybot-error';

/** One appended row of the events table. */
export interface EventRecord {
  runId: string;
  seq: number;
  type: WorkflowEventType;
  stepId: string | null;
  at: string;
  detail: Record<string, unknown> | null;
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
   * active and another active run holds its concurrency key.
   */
  insertRun(run: WorkflowRun, event: EventRecord): Promise<void>;
  /**
   * Writes the run's new state and appends its events (consecutive seqs, the last one `run.seq`) atomically,
   * only if the stored seq is the first event's seq - 1. Throws `StaleRunError` when another writer got there
   * first.
   */
  commit(run: WorkflowRun, events: readonly EventRecord[]): Promise<void>;
  getRun(id: string): Promise<WorkflowRun | null>;
  listRuns(filter: RunFilter): Promise<WorkflowRun[]>;
  /** Runs whose status is `running` or `waiting`: on start-up these are looked at again. */
  listUnfinished(): Promise<WorkflowRun[]>;
  /** Ids of unfinished runs with a parked step whose deadline is at or before `now`. */
  listExpired(now: string): Promise<string[]>;
  /** Ids of unfinished runs with a step parked on the durable wait `key`. */
  listWaiting(key: string): Promise<string[]>;
  /** The oldest run queued behind concurrency `key`, if no active run holds it. */
  oldestQueued(key: string): Promise<string | null>;
  /** Concurrency keys with queued runs and no active run (after a restart). */
  freeQueueKeys(): Promise<string[]>;
  eventsAfter(runId: string, seq: number): Promise<EventRecord[]>;
}

/** Another writer committed first: the caller's view of the run is stale, and reading it again may succeed. */
export class StaleRunError extends DeployBotError {
  constructor(runId: string) {
    super('conflict', `run ${runId} was changed by another writer meanwhile; reload it and try again`, {
      retryable: true,
    });
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
