import {
  applyRunPatch,
  RunPatchMismatch,
  type WorkflowEventMessage,
  type WorkflowRun,
} from '@deploybot/shared';
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

/** What one message did to the store's copy of its run; `needs-run` when only a refetch can tell the run. */
type Outcome = 'applied' | 'stale' | 'needs-run';

/**
 * A message's run after it, from the message alone (it carries the whole run) or from the held run at seq - 1 and
 * the message's patch; null when neither fits (a gap, a run never held, a patch naming what the run lacks).
 */
function runAfter(known: WorkflowRun | undefined, message: WorkflowEventMessage): WorkflowRun | null {
  if (message.run) return message.run;
  if (!known || message.patch === undefined || known.seq !== message.seq - 1) return null;
  try {
    return applyRunPatch(known, message, message.patch);
  } catch (err) {
    if (err instanceof RunPatchMismatch) return null;
    throw err;
  }
}

/** Applies one message to the store's copy of its run if it can, without asking for anything. */
function applyMessage(store: AppStore, message: WorkflowEventMessage): Outcome {
  const known = store.getState().runs[message.runId];
  if (known && message.seq <= known.seq) return 'stale';
  const next = runAfter(known, message);
  if (!next) return 'needs-run';
  store.setState((s) => ({ runs: { ...s.runs, [message.runId]: next } }));
  return 'applied';
}

/**
 * The reconnect rule for one message, once the snapshot is in: drop seq ≤ the known seq, take a whole run, apply
 * the patch of the next seq; anything else (a gap, a run the store does not hold, a patch that does not fit)
 * buffers that run's messages and asks for a refetch.
 */
export function applyEvent(store: AppStore, message: WorkflowEventMessage, deps: RunSyncDeps): void {
  const waiting = store.getState().refetching[message.runId];
  if (waiting) {
    store.setState((s) => ({ refetching: { ...s.refetching, [message.runId]: [...waiting, message] } }));
    return;
  }
  if (applyMessage(store, message) !== 'needs-run') return;
  store.setState((s) => ({ refetching: { ...s.refetching, [message.runId]: [message] } }));
  deps.refetchRun(message.runId);
}

/**
 * A refetched run: adopt it, then replay what arrived meanwhile by the same rule. Without one (the request
 * failed) the newest buffered whole run stands in, and what still does not fit is dropped rather than refetched
 * at once: the run's next message finds the gap and asks again.
 */
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
  const adopted = run ?? ordered.findLast((m) => m.run)?.run;
  if (adopted) mergeRun(store, adopted);
  for (const message of ordered) {
    if (run) applyEvent(store, message, deps);
    else applyMessage(store, message);
  }
}
