import { TERMINAL_RUN_STATUSES, type WorkflowRun } from '@deploybot/shared';
import { applyEvent, mergeRun, type RunSyncDeps } from '../run-sync';
import type { AppStore } from '../types';

/** Before (re)subscribing to every run: buffer events until the ack. */
export function beginRunsSync(store: AppStore): void {
  store.setState({ runsSynced: false, bufferedEvents: [] });
}

/**
 * Ack of `workflows:subscribe`: adopt the active runs, replay the buffered events (dropping seq ≤ snapshot),
 * and refetch the runs we thought active that the snapshot no longer lists (they finished while we were away).
 */
export function onRunsSnapshot(store: AppStore, runs: WorkflowRun[], deps: RunSyncDeps): void {
  for (const run of runs) mergeRun(store, run);
  const listed = new Set(runs.map((r) => r.id));
  for (const run of Object.values(store.getState().runs)) {
    if (!listed.has(run.id) && !TERMINAL_RUN_STATUSES.includes(run.status)) deps.refetchRun(run.id);
  }
  const buffered = store.getState().bufferedEvents;
  store.setState({ runsSynced: true, bufferedEvents: [] });
  for (const event of buffered) applyEvent(store, event, deps);
}
