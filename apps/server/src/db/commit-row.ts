import type { RunPatch } from '@deploybot/shared';
import type { EventRecord } from '../engine/ports';

/**
 * How one commit's events are stored, at its place in its group commit's `workflow_batches` row (migration 018):
 * a JSON array of `[seq, type, step_id, at, detail, patch]`, `at` in milliseconds since the epoch. Tuples, not
 * objects: the keys of six fields would be a third of a small event's bytes.
 */
export type StoredEvent = [
  seq: number,
  type: EventRecord['type'],
  stepId: string | null,
  atMs: number,
  detail: Record<string, unknown> | null,
  patch: RunPatch | null,
];

/**
 * The events run trends read: a gate's wait beginning, what can end it, and a run's end. A commit holding any of
 * them also lists them in its `marks`, each `[seq, type, step_id, at]`, which a partial index carries.
 */
export const MARKED_EVENT_TYPES: ReadonlySet<EventRecord['type']> = new Set<EventRecord['type']>([
  'step.awaiting_approval',
  'step.approved',
  'step.rejected',
  'step.failed',
  'run.completed',
  'run.failed',
  'run.cancelled',
]);

/** A commit as JSON text: its `events` (for its batch) and its `marks` (for its workflow_commits row; null when none). */
export interface CommitText {
  events: string;
  marks: string | null;
}

/**
 * The row text of a commit's events. `patches` are the events' patches already serialised (the store measures
 * them too), spliced in as they are rather than parsed and serialised again.
 */
export function commitTextOf(
  events: readonly EventRecord[],
  patches: readonly (string | undefined)[],
): CommitText {
  const stored: string[] = [];
  const marks: string[] = [];
  events.forEach((e, i) => {
    const head = `${e.seq},${JSON.stringify(e.type)},${JSON.stringify(e.stepId)},${Date.parse(e.at)}`;
    stored.push(`[${head},${e.detail === null ? 'null' : JSON.stringify(e.detail)},${patches[i] ?? 'null'}]`);
    if (MARKED_EVENT_TYPES.has(e.type)) marks.push(`[${head}]`);
  });
  return { events: `[${stored.join(',')}]`, marks: marks.length > 0 ? `[${marks.join(',')}]` : null };
}

/** The events of stored commits (in seq order) whose seq is above `afterSeq`. */
export function eventsOfCommits(
  runId: string,
  commits: readonly StoredEvent[][],
  afterSeq: number,
): EventRecord[] {
  const out: EventRecord[] = [];
  for (const commit of commits) {
    for (const [seq, type, stepId, atMs, detail, patch] of commit) {
      if (seq <= afterSeq) continue;
      out.push({
        runId,
        seq,
        type,
        stepId,
        at: new Date(atMs).toISOString(),
        detail,
        // A run's first event has no patch: it is the run's whole first state (see EventRecord.patch).
        ...(seq > 1 ? { patch } : {}),
      });
    }
  }
  return out;
}
