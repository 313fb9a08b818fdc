import type { WorkflowEvent, WorkflowEventType, WorkflowRun } from '@deploybot/shared';

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
  /** Inserts a new run with its first event (seq 1), atomically. */
  insertRun(run: WorkflowRun, event: EventRecord): Promise<void>;
  /**
   * Writes the run's new state and appends its event atomically, only if the stored seq is `event.seq - 1`.
   * Throws `StaleRunError` when another writer got there first.
   */
  commit(run: WorkflowRun, event: EventRecord): Promise<void>;
  getRun(id: string): Promise<WorkflowRun | null>;
  listRuns(filter: RunFilter): Promise<WorkflowRun[]>;
  /** Runs whose status is `running`: on start-up these are driven again. */
  listRunning(): Promise<WorkflowRun[]>;
  /** Ids of waiting runs whose deadline is at or before `now`. */
  listExpired(now: string): Promise<string[]>;
  eventsAfter(runId: string, seq: number): Promise<EventRecord[]>;
}

export class StaleRunError extends Error {
  constructor(runId: string) {
    super(`run ${runId} was changed by another writer`);
  }
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Receives every transition after it is committed. */
export type EventSink = (event: WorkflowEvent) => void;
