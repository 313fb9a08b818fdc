import type { WorkflowStore } from '../engine/ports';

/**
 * The same store, with each `commit` timed into `observe` (seconds, failed commits too: a slow refusal is still
 * a slow database). A Proxy rather than a class that forwards every method, so methods added to the store
 * later pass through untimed instead of missing.
 */
export function timeCommits(store: WorkflowStore, observe: (seconds: number) => void): WorkflowStore {
  // Every argument passes on: the options carry ownership fencing (a commit of a run another controller took).
  const commit: WorkflowStore['commit'] = async (run, events, opts) => {
    const started = performance.now();
    try {
      return await store.commit(run, events, opts);
    } finally {
      observe((performance.now() - started) / 1000);
    }
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'commit') return commit;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
