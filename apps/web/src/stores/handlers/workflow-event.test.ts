import { describe, expect, it, vi } from 'vitest';
import { makeEvent, makeRun } from '../../testing/fixtures';
import { finishRefetch } from '../run-sync';
import { createAppStore } from '../store';
import { beginRunsSync, onRunsSnapshot } from './runs-snapshot';
import { onWorkflowEvent } from './workflow-event';

const setup = () => {
  const store = createAppStore();
  const deps = { refetchRun: vi.fn() };
  return { store, deps };
};

describe('workflow:event and the reconnect rule', () => {
  it('buffers events until the snapshot ack, then drops seq ≤ snapshot and applies the rest', () => {
    const { store, deps } = setup();
    const run = makeRun({ seq: 5, progress: 20 });
    beginRunsSync(store);
    onWorkflowEvent(store, makeEvent(run, 4), deps);
    onWorkflowEvent(store, makeEvent({ ...run, progress: 40 }, 6), deps);
    expect(store.getState().runs).toEqual({});
    expect(store.getState().bufferedEvents).toHaveLength(2);

    onRunsSnapshot(store, [run], deps);
    expect(store.getState().runs[run.id]?.seq).toBe(6);
    expect(store.getState().runs[run.id]?.progress).toBe(40);
    expect(store.getState().bufferedEvents).toEqual([]);
    expect(deps.refetchRun).not.toHaveBeenCalled();
  });

  it('ignores duplicates and stale events', () => {
    const { store, deps } = setup();
    const run = makeRun({ seq: 3, progress: 50 });
    onRunsSnapshot(store, [run], deps);
    onWorkflowEvent(store, makeEvent({ ...run, progress: 10 }, 2), deps);
    onWorkflowEvent(store, makeEvent({ ...run, progress: 10 }, 3), deps);
    expect(store.getState().runs[run.id]?.progress).toBe(50);
  });

  it('on a gap asks for a refetch and buffers that run until it lands', () => {
    const { store, deps } = setup();
    const run = makeRun({ seq: 2 });
    onRunsSnapshot(store, [run], deps);
    onWorkflowEvent(store, makeEvent(run, 4), deps);
    onWorkflowEvent(store, makeEvent(run, 5), deps);
    expect(deps.refetchRun).toHaveBeenCalledTimes(1);
    expect(deps.refetchRun).toHaveBeenCalledWith(run.id);
    expect(store.getState().runs[run.id]?.seq).toBe(2);

    finishRefetch(store, run.id, { ...run, seq: 4, progress: 75 }, deps);
    expect(store.getState().runs[run.id]?.seq).toBe(5);
    expect(store.getState().refetching[run.id]).toBeUndefined();
  });

  it('adopts a brand-new run from its first event, and refetches an unknown run seen mid-way', () => {
    const { store, deps } = setup();
    onRunsSnapshot(store, [], deps);
    const fresh = makeRun({ id: '22222222-2222-4222-8222-222222222222' });
    onWorkflowEvent(store, makeEvent(fresh, 1, 'run.started'), deps);
    expect(store.getState().runs[fresh.id]?.seq).toBe(1);

    const unknown = makeRun({ id: '33333333-3333-4333-8333-333333333333' });
    onWorkflowEvent(store, makeEvent(unknown, 7), deps);
    expect(deps.refetchRun).toHaveBeenCalledWith(unknown.id);
  });

  it('refetches runs it held as active that a new snapshot no longer lists (they ended while offline)', () => {
    const { store, deps } = setup();
    const run = makeRun({ seq: 3, status: 'waiting' });
    onRunsSnapshot(store, [run], deps);
    beginRunsSync(store);
    onRunsSnapshot(store, [], deps);
    expect(deps.refetchRun).toHaveBeenCalledWith(run.id);
  });

  it('without a refetched run, adopts the newest buffered event', () => {
    const { store, deps } = setup();
    const run = makeRun({ seq: 1 });
    onRunsSnapshot(store, [run], deps);
    onWorkflowEvent(store, makeEvent({ ...run, progress: 60 }, 3), deps);
    finishRefetch(store, run.id, null, deps);
    expect(store.getState().runs[run.id]?.seq).toBe(3);
    expect(store.getState().runs[run.id]?.progress).toBe(60);
  });
});
