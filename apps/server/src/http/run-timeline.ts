import type {
  Decision,
  RunTimeline,
  StepRecord,
  TimelineEntry,
  TimelineSpan,
  TimelineSpanKind,
  TimelineStep,
  WorkflowRun,
} from '@deploybot/shared';
import type { RunAuditEntry } from '../db/run-history.store';
import type { EventRecord } from '../engine/ports';

export interface TimelineSources {
  /** The run as callers may see it (secrets redacted). */
  run: WorkflowRun;
  /** Its whole event log, oldest first. */
  events: EventRecord[];
  /** The audit log's entries about it (who cancelled it). */
  audit: RunAuditEntry[];
  /** Each step's `with:` as its document wrote it, when the run's definition is a stored document. */
  withOf: (stepId: string) => Record<string, unknown> | null;
  /** When the timeline is built: the end of spans still open. */
  now: string;
}

const WAIT_KIND: Partial<Record<EventRecord['type'], TimelineSpanKind>> = {
  'step.awaiting_approval': 'gate',
  'step.awaiting_input': 'input',
  'step.awaiting_event': 'event',
};
const RESUMES = new Set<EventRecord['type']>(['step.approved', 'step.input_received', 'step.event_received']);
const ENDS_STEP = new Set<EventRecord['type']>([
  'step.completed',
  'step.failed',
  'step.skipped',
  'step.rejected',
]);
const ENDS_RUN = new Set<EventRecord['type']>(['run.completed', 'run.failed', 'run.cancelled']);
const DECIDES: Partial<Record<EventRecord['type'], Decision['decision']>> = {
  'step.approved': 'approved',
  'step.rejected': 'rejected',
  'step.input_received': 'input',
};

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const later = (a: string, b: string) => (Date.parse(a) >= Date.parse(b) ? a : b);

/**
 * A run's timeline replayed from its event log: each transition with who made it and when (decisions from the
 * steps' recorded decisions, a cancel from the audit log, the rest the engine's own), and the bars of a time
 * axis: per step, work, waits at gates, inputs and events, and backoff before retries; the run's time queued.
 */
export function buildTimeline(src: TimelineSources): RunTimeline {
  const { run, events } = src;
  const steps = new Map(run.steps.map((s) => [s.id, s]));
  const entries = events.map((e) => entryOf(e, steps.get(e.stepId ?? ''), src));
  const end = TERMINAL(run) ? later(run.updatedAt, run.createdAt) : later(src.now, run.updatedAt);
  return {
    run,
    entries,
    spans: spansOf(events, end, !TERMINAL(run)),
    steps: run.steps.map((s) => stepOf(s, src.withOf(s.id))),
    start: run.createdAt,
    end,
  };
}

const TERMINAL = (run: WorkflowRun) => ['completed', 'failed', 'cancelled'].includes(run.status);

function entryOf(e: EventRecord, step: StepRecord | undefined, src: TimelineSources): TimelineEntry {
  const base = {
    seq: e.seq,
    type: e.type,
    at: e.at,
    stepId: e.stepId,
    stepTitle: step?.title ?? null,
    detail: e.detail,
  };
  const decided = DECIDES[e.type];
  if (decided && step) {
    // A decision and its event carry the same instant; the n-th such event is the n-th such decision otherwise.
    const same = step.decisions.filter((d) => d.decision === decided);
    const nth = src.events.filter((x) => x.type === e.type && x.stepId === e.stepId && x.seq < e.seq).length;
    const d = same.find((x) => x.at === e.at) ?? same[nth];
    return {
      ...base,
      by: d?.by ?? null,
      text: `${step.title}: ${decided === 'input' ? 'input given' : decided}${d ? ` by ${d.by}` : ''}`,
      note: d?.note ?? str(e.detail?.note),
      ...(d?.input !== undefined && { input: d.input }),
    };
  }
  const title = step?.title ?? e.stepId ?? '';
  const detail = e.detail ?? {};
  switch (e.type) {
    case 'run.started':
      return { ...base, by: src.run.startedBy, text: `Started by ${src.run.startedBy}`, note: null };
    case 'run.queued':
      return {
        ...base,
        by: null,
        text: `Queued behind run ${str(detail.behind) ?? 'another run'}`,
        note: null,
      };
    case 'run.dequeued':
      return { ...base, by: null, text: 'Left the queue', note: null };
    case 'run.cancelled': {
      const who = src.audit.find((a) => a.action === 'workflow.cancel')?.actor ?? null;
      return {
        ...base,
        by: who,
        text: who ? `Cancelled by ${who}` : 'Cancelled',
        note: str(detail.reason),
      };
    }
    case 'run.completed':
      return { ...base, by: null, text: 'Run completed', note: null };
    case 'run.failed':
      return { ...base, by: null, text: `Run failed: ${str(detail.error) ?? 'error'}`, note: null };
    case 'step.started':
      return { ...base, by: null, text: `${title}: started`, note: null };
    case 'step.retrying':
      return {
        ...base,
        by: null,
        text: `${title}: attempt ${String(detail.attempt ?? '?')} after ${String(detail.delayMs ?? 0)} ms (${str(detail.error) ?? 'failed'})`,
        note: null,
      };
    case 'step.completed':
      return { ...base, by: null, text: `${title}: completed`, note: null };
    case 'step.failed':
      return { ...base, by: null, text: `${title}: failed: ${str(detail.error) ?? 'error'}`, note: null };
    case 'step.skipped':
      return {
        ...base,
        by: null,
        text: `${title}: skipped (${str(detail.expression) ?? 'condition'} was false)`,
        note: null,
      };
    case 'step.awaiting_approval':
      return { ...base, by: null, text: `${title}: waiting for approval`, note: null };
    case 'step.awaiting_input':
      return { ...base, by: null, text: `${title}: waiting for input`, note: null };
    case 'step.awaiting_event':
      return {
        ...base,
        by: null,
        text: `${title}: waiting for ${str(detail.key) ?? 'an event'}`,
        note: null,
      };
    case 'step.event_received':
      return { ...base, by: null, text: `${title}: ${str(detail.key) ?? 'event'} arrived`, note: null };
    case 'step.compensated':
      return {
        ...base,
        by: str(detail.by),
        text: `${title}: undone${str(detail.by) ? ` by ${detail.by}` : ''}`,
        note: null,
      };
    default:
      // step.approved / rejected / input_received of a step the run no longer lists
      return { ...base, by: null, text: `${title}: ${e.type}`, note: null };
  }
}

interface Open {
  kind: TimelineSpanKind;
  from: string;
  attempt: number;
}

/** The bars: one open span per step at most, closed by the event that moves the step on or ends the run. */
export function spansOf(events: EventRecord[], end: string, live: boolean): TimelineSpan[] {
  const spans: TimelineSpan[] = [];
  const open = new Map<string | null, Open>();
  const close = (key: string | null, to: string, stillOpen = false) => {
    const o = open.get(key);
    if (!o) return;
    open.delete(key);
    spans.push({
      stepId: key,
      kind: o.kind,
      from: o.from,
      to: later(to, o.from),
      open: stillOpen,
      attempt: o.attempt,
    });
  };
  const attemptOf = (key: string | null) => open.get(key)?.attempt ?? 1;
  for (const e of events) {
    const key = e.stepId;
    const wait = WAIT_KIND[e.type];
    if (e.type === 'run.queued') open.set(null, { kind: 'queued', from: e.at, attempt: 1 });
    else if (e.type === 'run.dequeued') close(null, e.at);
    else if (e.type === 'step.started') {
      close(key, e.at);
      open.set(key, { kind: 'running', from: e.at, attempt: 1 });
    } else if (wait) {
      const attempt = attemptOf(key);
      close(key, e.at);
      open.set(key, { kind: wait, from: e.at, attempt });
    } else if (RESUMES.has(e.type)) {
      const attempt = attemptOf(key);
      close(key, e.at);
      open.set(key, { kind: 'running', from: e.at, attempt });
    } else if (e.type === 'step.retrying') {
      const attempt = Number(e.detail?.attempt ?? attemptOf(key) + 1);
      const delay = Number(e.detail?.delayMs ?? 0);
      close(key, e.at);
      const resume = new Date(Date.parse(e.at) + (Number.isFinite(delay) ? delay : 0)).toISOString();
      spans.push({ stepId: key, kind: 'backoff', from: e.at, to: resume, open: false, attempt: attempt - 1 });
      open.set(key, { kind: 'running', from: resume, attempt });
    } else if (ENDS_STEP.has(e.type)) close(key, e.at);
    else if (ENDS_RUN.has(e.type)) for (const k of [...open.keys()]) close(k, e.at);
  }
  for (const k of [...open.keys()]) close(k, end, live);
  return spans;
}

function stepOf(s: StepRecord, withParams: Record<string, unknown> | null): TimelineStep {
  return {
    id: s.id,
    title: s.title,
    uses: s.uses ?? null,
    status: s.status,
    attempts: s.attempt,
    with: withParams,
    condition: s.condition ?? null,
    ...(s.wait?.received !== undefined && { received: s.wait.received.payload }),
    decisions: s.decisions,
    summary: s.summary,
    outputs: s.outputs ?? null,
    data: s.data,
    error: s.error,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
  };
}
