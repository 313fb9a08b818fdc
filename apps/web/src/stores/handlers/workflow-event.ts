import type { WorkflowEventMessage } from '@deploybot/shared';
import { applyEvent, type RunSyncDeps } from '../run-sync';
import type { AppStore } from '../types';

/** `workflow:event`: buffered until the runs snapshot is in, then applied by seq (see run-sync): its run or its patch. */
export function onWorkflowEvent(store: AppStore, event: WorkflowEventMessage, deps: RunSyncDeps): void {
  if (!store.getState().runsSynced) {
    store.setState((s) => ({ bufferedEvents: [...s.bufferedEvents, event] }));
    return;
  }
  applyEvent(store, event, deps);
}
