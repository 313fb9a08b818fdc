import { TERMINAL_RUN_STATUSES, type WorkflowEvent, type WorkflowRun } from '@deploybot/shared';

/**
 * Lets a driver wait until a run reaches a state, fed by whatever sees the events (the engine's sink or a
 * Socket.IO client). It remembers runs that got there already, because a run can finish before the code that
 * started it gets around to waiting.
 */
export class RunTracker {
  private readonly reached = new Map<string, WorkflowRun['status']>();
  private readonly waiters = new Map<string, () => void>();

  constructor(private readonly isSettled: (run: WorkflowRun) => boolean = isTerminal) {}

  observe(event: WorkflowEvent): void {
    if (this.isSettled(event.run)) this.reached.set(event.runId, event.run.status);
    this.wake(event.runId);
  }

  /**
   * What a client that sees only a run's status (a `workflow:event` message sets it) reports. Only for trackers
   * whose rule reads nothing but the status (the default: finished).
   */
  settle(runId: string, status: WorkflowRun['status']): void {
    if (TERMINAL_RUN_STATUSES.includes(status)) this.reached.set(runId, status);
    this.wake(runId);
  }

  private wake(runId: string): void {
    if (!this.reached.has(runId)) return;
    this.waiters.get(runId)?.();
    this.waiters.delete(runId);
  }

  wait(runId: string): Promise<void> {
    if (this.reached.has(runId)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(runId, resolve));
  }

  /** How many settled runs ended in each status. */
  statusCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const status of this.reached.values()) counts[status] = (counts[status] ?? 0) + 1;
    return counts;
  }

  /** Forgets everything, so parked runs are not kept alive by the benchmark itself. */
  clear(): void {
    this.reached.clear();
    this.waiters.clear();
  }
}

export const isTerminal = (run: WorkflowRun) => TERMINAL_RUN_STATUSES.includes(run.status);

/** Calls `task` for 0‥total-1 with at most `inFlight` calls pending at any time. */
export async function inPool(
  total: number,
  inFlight: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < total) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, worker));
}
