import {
  type RollbackPlan,
  type RunHistoryQuery,
  type RunSummary,
  type RunTimeline,
  runHistoryQuerySchema,
} from '@deploybot/shared';
import type { RunHistoryStore } from '../db/run-history.store';
import { ROLLBACK_WORKFLOW, type WorkflowEngine } from '../engine/engine';
import { buildTimeline } from '../http/run-timeline';

/**
 * What the assistant reads about past runs: the history (find a run by the start of its id, the last deploy of a
 * repository), a run's timeline replayed from its event log, and what a rollback would undo. Read-only: a
 * rollback is started by a person's click on the REST route, never from here.
 */
export interface AssistantRunRecords {
  find(query: Partial<RunHistoryQuery>): Promise<RunSummary[]>;
  timeline(runId: string): Promise<RunTimeline>;
  rollbackPlan(runId: string): Promise<RollbackPlan>;
}

/** The records as the REST routes compute them (GET …/history, …/{id}/timeline, …/{id}/rollback-plan). */
export function runRecords(engine: WorkflowEngine, history: RunHistoryStore): AssistantRunRecords {
  return {
    async find(query) {
      return (await history.page(runHistoryQuerySchema.parse(query))).runs;
    },
    async timeline(runId) {
      const run = await engine.get(runId);
      const [events, audit] = await Promise.all([engine.events(runId), history.auditOf(runId)]);
      // The steps' `with:` is not needed to tell what happened; the run page shows it.
      return buildTimeline({ run, events, audit, withOf: () => null, now: new Date().toISOString() });
    },
    async rollbackPlan(runId) {
      const run = await engine.get(runId);
      const reason =
        run.name === ROLLBACK_WORKFLOW
          ? 'a rollback run cannot be rolled back'
          : run.status !== 'completed' && run.status !== 'failed'
            ? `run is ${run.status}: only a completed or failed run can be rolled back`
            : null;
      return {
        runId: run.id,
        possible: reason === null,
        reason,
        items: reason ? [] : engine.rollbackPlan(run),
      };
    },
  };
}
