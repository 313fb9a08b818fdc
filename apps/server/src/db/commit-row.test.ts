import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../engine/ports';
import { commitTextOf, eventsOfCommits, type StoredEvent } from './commit-row';

const runId = '7d1c1f56-3a57-4a4f-9a53-2f0f4b3c9e10';
const at = '2026-12-02T07:06:55.382Z';

function event(
  seq: number,
  type: EventRecord['type'],
  stepId: string | null,
  extra: Partial<EventRecord> = {},
) {
  return { runId, seq, type, stepId, at, detail: null, ...extra } satisfies EventRecord;
}

describe('a commit row', () => {
  const events: EventRecord[] = [
    event(4, 'step.completed', 'build', { patch: { steps: { build: { status: 'completed' } } } }),
    event(5, 'step.started', 'say "hi"', {
      detail: { note: 'quotes " and \\ survive', n: 1 },
      patch: { steps: { 'say "hi"': { status: 'in_progress' } } },
    }),
    event(6, 'run.completed', null, { patch: { set: { status: 'completed' } } }),
  ];
  const text = commitTextOf(
    events,
    events.map((e) => JSON.stringify(e.patch)),
  );

  it('reads back as the events it was made of, patches, details and times included', () => {
    const stored = JSON.parse(text.events) as StoredEvent[];
    expect(eventsOfCommits(runId, [stored], 0)).toEqual(events);
  });

  it('lists in its marks only the events trends read', () => {
    expect(JSON.parse(text.marks!)).toEqual([[6, 'run.completed', null, Date.parse(at)]]);
    expect(commitTextOf([event(2, 'step.started', 'a')], [undefined]).marks).toBeNull();
  });

  it('gives the events after a seq, one that falls inside a commit too', () => {
    const later = commitTextOf([event(7, 'run.cancelled', null)], ['{}']);
    const commits = [text.events, later.events].map((t) => JSON.parse(t) as StoredEvent[]);
    expect(eventsOfCommits(runId, commits, 4).map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(eventsOfCommits(runId, commits, 7)).toEqual([]);
  });

  it("leaves a run's first event without a patch: it is the whole first state", () => {
    const first = commitTextOf([event(1, 'run.started', null)], [undefined]);
    const [read] = eventsOfCommits(runId, [JSON.parse(first.events) as StoredEvent[]], 0);
    expect(read).toEqual(event(1, 'run.started', null));
    expect(read).not.toHaveProperty('patch');
  });
});
