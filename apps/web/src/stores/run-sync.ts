import type { WorkflowEvent, WorkflowRun } from '@deploybot/shared';
import type { AppStore } from './types';

/** What the store needs from outside to resynchronise one run: a REST refetch (the handler never fetches itself). */
export interface RunSyncDeps {
  refetchRun: (runId: string) => void;
}

/** Keeps `run` unless the store already holds the same or a later seq of it. */
export function mergeRun(store: AppStore, run: WorkflowRun): void {
  const known = store.getState().runs[run.id];
  if (known && known.seq >= run.seq) return;
  store.setState((s) => ({ runs: { ...s.runs, [run.id]: run } }));
}

/**
 * The reconnect rule for one event, once the snapshot is in: drop seq ≤ the known seq, apply the next seq, and
 * on a gap (or an unknown run past its first event) buffer and ask for a refetch.
 */
export function applyEvent(store: AppStore, event: WorkflowEvent, deps: RunSyncDeps): void {
  const state = store.getState();
  const waiting = state.refetching[event.runId];
  if (waiting) {
    store.setState((s) => ({ refetching: { ...s.refetching, [event.runId]: [...waiting, event] } }));
    return;
  }
  const knownSeq = state.runs[event.runId]?.seq ?? 0;
  if (event.seq <= knownSeq) return;
  if (event.seq > knownSeq + 1) {
    store.setState((s) => ({ refetching: { ...s.refetching, [event.runId]: [event] } }));
    deps.refetchRun(event.runId);
    return;
  }
  store.setState((s) => ({ runs: { ...s.runs, [event.runId]: event.run } }));
}

/** A refetched run (after a gap): adopt it, then replay what arrived meanwhile by the same rule. */
export function finishRefetch(
  store: AppStore,
  runId: string,
  run: WorkflowRun | null,
  deps: RunSyncDeps,
): void {
  const buffered = store.getState().refetching[runId] ?? [];
  store.setState((s) => {
    const { [runId]: _done, ...rest } = s.refetching;
    return { refetching: rest };
  });
  const ordered = [...buffered].sort((a, b) => a.seq - b.seq);
  // Without a refetched run (the request failed), the newest buffered event carries the whole run as of its seq.
  const adopted = run ?? ordered.at(-1)?.run;
  if (adopted) mergeRun(store, adopted);
  for (const event of ordered) applyEvent(store, event, deps);
}
