import { randomUUID } from 'node:crypto';
import type { WorkflowEvent, WorkflowRun } from '@deploybot/shared';
import type { Db } from '../db/db';
import { SqlRunLeases } from '../db/run-leases';
import { SqlWorkflowStore } from '../db/workflow-store';
import { WorkflowEngine } from '../engine/engine';
import type { WorkflowDefinition } from '../engine/types';

export interface HarnessOptions {
  /** One of several controllers on one PostgreSQL: runs are leased (see SqlRunLeases) for this long. */
  leaseMs?: number;
}

/** A real engine on a real store, recording every event it emits, with a way to wait for a run's state. */
export function createEngineHarness(db: Db, definitions: WorkflowDefinition[], options: HarnessOptions = {}) {
  const events: WorkflowEvent[] = [];
  const waiters = new Set<() => void>();
  const errors: unknown[] = [];
  const leases =
    options.leaseMs === undefined
      ? undefined
      : new SqlRunLeases(db, { controllerId: randomUUID(), leaseMs: options.leaseMs });
  const store = new SqlWorkflowStore(db, { owner: leases?.controllerId });
  const engine = new WorkflowEngine({
    store,
    leases,
    definitions,
    onEvent: (e) => {
      events.push(e);
      for (const w of waiters) w();
    },
    onError: (err) => errors.push(err),
  });

  /** Resolves with the run once an event shows `predicate` true; rejects after `timeoutMs`. */
  async function waitFor(
    runId: string,
    predicate: (run: WorkflowRun) => boolean,
    timeoutMs = 5000,
  ): Promise<WorkflowRun> {
    const current = await engine.get(runId);
    if (predicate(current)) return current;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        const last = events.filter((e) => e.runId === runId).at(-1);
        reject(
          new Error(`timed out waiting on run ${runId}; last event ${last?.type} status ${last?.run.status}`),
        );
      }, timeoutMs);
      const check = () => {
        const last = events.filter((e) => e.runId === runId).at(-1);
        if (last && predicate(last.run)) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(last.run);
        }
      };
      waiters.add(check);
    });
  }

  const eventsOf = (runId: string) => events.filter((e) => e.runId === runId);
  return { engine, store, leases, events, eventsOf, waitFor, errors };
}

export const isStatus =
  (...statuses: WorkflowRun['status'][]) =>
  (run: WorkflowRun) =>
    statuses.includes(run.status);
