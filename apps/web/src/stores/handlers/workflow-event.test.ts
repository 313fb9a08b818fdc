import { diffRun, type WorkflowEventMessage, type WorkflowRun } from '@deploybot/shared';
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

/** The message the controller sends for the transition from `prev` to `next`: what changed, not the run. */
const patchMessage = (prev: WorkflowRun, next: WorkflowRun, seq = prev.seq + 1): WorkflowEventMessage => ({
  runId: next.id,
  seq,
  type: 'step.completed',
  at: next.updatedAt,
  stepId: next.currentStep,
  patch: diffRun(prev, next),
});

/** `run` as it stands after a transition at `seq` that set `changes`. */
const moved = (run: WorkflowRun, seq: number, changes: Partial<WorkflowRun>): WorkflowRun => ({
  ...run,
  ...changes,
  seq,
  updatedAt: `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`,
});

const completed = (run: WorkflowRun, seq: number): WorkflowRun =>
  moved(run, seq, {
    progress: 100,
    steps: [
      { ...run.steps[0]!, status: 'completed', summary: 'done', finishedAt: '2026-01-01T00:01:00.000Z' },
    ],
  });

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

  it('adopts a brand-new run from its first event, and refetches an unknown run seen mid-way', () => {
    const { store, deps } = setup();
    onRunsSnapshot(store, [], deps);
    const fresh = makeRun({ id: '22222222-2222-4222-8222-222222222222' });
    onWorkflowEvent(store, makeEvent(fresh, 1, 'run.started'), deps);
    expect(store.getState().runs[fresh.id]?.seq).toBe(1);

    const unknown = makeRun({ id: '33333333-3333-4333-8333-333333333333', seq: 6 });
    onWorkflowEvent(store, patchMessage(unknown, moved(unknown, 7, { progress: 70 })), deps);
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

  it('without a refetched run, adopts the newest buffered event that carries the whole run', () => {
    const { store, deps } = setup();
    const run = makeRun({ seq: 1 });
    onRunsSnapshot(store, [run], deps);
    onWorkflowEvent(store, patchMessage(moved(run, 2, {}), moved(run, 3, { progress: 50 })), deps);
    onWorkflowEvent(store, makeEvent({ ...run, progress: 60 }, 3), deps);
    expect(store.getState().refetching[run.id]).toHaveLength(2);
    finishRefetch(store, run.id, null, deps);
    expect(store.getState().runs[run.id]?.seq).toBe(3);
    expect(store.getState().runs[run.id]?.progress).toBe(60);
  });
});

describe('workflow:event carrying a patch', () => {
  it('applies the patch of the next seq to the held run: the store ends with exactly the run after it', () => {
    const { store, deps } = setup();
    const run = makeRun({ seq: 3, context: { service: 'web', old: 1 } });
    onRunsSnapshot(store, [run], deps);
    const { old: _gone, ...context } = run.context;
    const next = moved(completed(run, 4), 4, { context: { ...context, region: 'eu' } });

    onWorkflowEvent(store, patchMessage(run, next), deps);

    expect(store.getState().runs[run.id]).toEqual(next);
    expect(deps.refetchRun).not.toHaveBeenCalled();
  });

  it('a null patch (nothing but seq and time changed) moves the run to the message’s seq and time', () => {
    const { store, deps } = setup();
    const run = makeRun({ seq: 2 });
    onRunsSnapshot(store, [run], deps);
    const message: WorkflowEventMessage = {
      runId: run.id,
      seq: 3,
      type: 'run.dequeued',
      at: '2026-01-01T00:00:03.000Z',
      stepId: null,
      patch: null,
    };
    onWorkflowEvent(store, message, deps);
    expect(store.getState().runs[run.id]).toEqual({ ...run, seq: 3, updatedAt: message.at });
  });

  it('drops a patch the held run already contains (seq ≤ held)', () => {
    const { store, deps } = setup();
    const run = makeRun({ seq: 5, progress: 80 });
    onRunsSnapshot(store, [run], deps);
    const before = moved(run, 4, { progress: 10 });
    onWorkflowEvent(store, patchMessage(before, moved(run, 5, { progress: 20 })), deps);
    expect(store.getState().runs[run.id]).toBe(run);
    expect(deps.refetchRun).not.toHaveBeenCalled();
  });

  it('on a gap refetches, buffers the run’s patches meanwhile and applies those after the refetched seq', () => {
    const { store, deps } = setup();
    const run = makeRun({ seq: 2 });
    onRunsSnapshot(store, [run], deps);
    const four = moved(run, 4, { progress: 40 });
    const five = moved(four, 5, { progress: 50 });
    const six = completed(five, 6);

    onWorkflowEvent(store, patchMessage(four, five), deps);
    onWorkflowEvent(store, patchMessage(five, six), deps);
    expect(deps.refetchRun).toHaveBeenCalledTimes(1);
    expect(deps.refetchRun).toHaveBeenCalledWith(run.id);
    expect(store.getState().runs[run.id]).toBe(run);
    expect(store.getState().refetching[run.id]?.map((m) => m.seq)).toEqual([5, 6]);

    finishRefetch(store, run.id, four, deps);
    expect(store.getState().runs[run.id]).toEqual(six);
    expect(store.getState().refetching[run.id]).toBeUndefined();
    expect(deps.refetchRun).toHaveBeenCalledTimes(1);
  });

  it('a run the store does not hold, seen mid-way by a patch, is refetched and then appears with it applied', () => {
    const { store, deps } = setup();
    onRunsSnapshot(store, [], deps);
    const elsewhere = makeRun({ id: '44444444-4444-4444-8444-444444444444', seq: 7 });
    const eight = moved(elsewhere, 8, { progress: 70 });

    onWorkflowEvent(store, patchMessage(elsewhere, eight), deps);
    expect(deps.refetchRun).toHaveBeenCalledWith(elsewhere.id);
    expect(store.getState().runs[elsewhere.id]).toBeUndefined();

    // The REST read may already hold the buffered transition: it is dropped, not applied twice.
    finishRefetch(store, elsewhere.id, eight, deps);
    expect(store.getState().runs[elsewhere.id]).toEqual(eight);
  });

  it('a patch that does not fit the held run (a step it lacks) is not applied half-way: the run is refetched', () => {
    const { store, deps } = setup();
    const run = makeRun({ seq: 3 });
    onRunsSnapshot(store, [run], deps);
    const misfit: WorkflowEventMessage = {
      ...patchMessage(run, moved(run, 4, { progress: 30 })),
      patch: { set: { progress: 30 }, steps: { step_nobody_has: { status: 'completed' } } },
    };
    onWorkflowEvent(store, misfit, deps);
    expect(deps.refetchRun).toHaveBeenCalledWith(run.id);
    expect(store.getState().runs[run.id]).toBe(run);
  });

  it('a message carrying the whole run is taken even past a gap, without a refetch', () => {
    const { store, deps } = setup();
    const run = makeRun({ seq: 2 });
    onRunsSnapshot(store, [run], deps);
    const later = completed(run, 9);
    onWorkflowEvent(store, makeEvent(later, 9, 'run.completed'), deps);
    expect(store.getState().runs[run.id]).toEqual(later);
    expect(deps.refetchRun).not.toHaveBeenCalled();
  });

  it('patches buffered before the runs snapshot are applied on top of it, those it contains dropped', () => {
    const { store, deps } = setup();
    const three = makeRun({ seq: 3 });
    const four = moved(three, 4, { progress: 40 });
    const five = completed(four, 5);
    beginRunsSync(store);
    onWorkflowEvent(store, patchMessage(three, four), deps);
    onWorkflowEvent(store, patchMessage(four, five), deps);
    expect(store.getState().runs).toEqual({});

    onRunsSnapshot(store, [four], deps);
    expect(store.getState().runs[four.id]).toEqual(five);
    expect(deps.refetchRun).not.toHaveBeenCalled();
  });

  it('when the refetch fails, keeps the held run and asks again on the run’s next message, not at once', () => {
    const { store, deps } = setup();
    const run = makeRun({ seq: 2 });
    onRunsSnapshot(store, [run], deps);
    const four = moved(run, 4, { progress: 40 });
    const five = moved(four, 5, { progress: 50 });
    onWorkflowEvent(store, patchMessage(moved(run, 3, {}), four), deps);
    finishRefetch(store, run.id, null, deps);
    expect(store.getState().runs[run.id]).toBe(run);
    expect(store.getState().refetching[run.id]).toBeUndefined();
    expect(deps.refetchRun).toHaveBeenCalledTimes(1);

    onWorkflowEvent(store, patchMessage(four, five), deps);
    expect(deps.refetchRun).toHaveBeenCalledTimes(2);
  });
});
