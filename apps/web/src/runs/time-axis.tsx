import type { RunTimeline, TimelineSpan, TimelineSpanKind } from '@deploybot/shared';
import type { CSSProperties } from 'react';
import { formatDuration } from '../fleet/log-groups';
import { formatTime } from '../lib/format';

const stripes = (colour: string): CSSProperties => ({
  backgroundImage: `repeating-linear-gradient(135deg, ${colour} 0 4px, transparent 4px 8px)`,
});

/** Work is solid; waiting is striped (for a person) or outlined (for the world), so waits stand out from work. */
export const SPAN_STYLE: Record<
  TimelineSpanKind,
  { label: string; className: string; style?: CSSProperties }
> = {
  running: { label: 'working', className: 'bg-blue-600 dark:bg-blue-500' },
  gate: {
    label: 'waiting for approval',
    className: 'border border-amber-600 bg-amber-100 dark:bg-amber-950',
    style: stripes('rgb(217 119 6 / 0.7)'),
  },
  input: {
    label: 'waiting for input',
    className: 'border border-violet-600 bg-violet-100 dark:bg-violet-950',
    style: stripes('rgb(124 58 237 / 0.6)'),
  },
  event: {
    label: 'waiting for an event',
    className: 'border-2 border-dotted border-sky-600 bg-sky-50 dark:bg-sky-950',
  },
  backoff: {
    label: 'backing off before a retry',
    className: 'border border-red-600 bg-red-50 dark:bg-red-950',
    style: stripes('rgb(220 38 38 / 0.5)'),
  },
  queued: {
    label: 'queued behind another run',
    className: 'border border-slate-500 bg-slate-100 dark:bg-slate-800',
    style: stripes('rgb(100 116 139 / 0.5)'),
  },
};

const TICKS = [0, 0.25, 0.5, 0.75, 1];

interface Row {
  key: string;
  label: string;
  spans: TimelineSpan[];
}

function rowsOf(timeline: RunTimeline): Row[] {
  const rows: Row[] = [];
  const queued = timeline.spans.filter((s) => s.stepId === null);
  if (queued.length > 0) rows.push({ key: '(run)', label: 'Run', spans: queued });
  for (const step of timeline.run.steps) {
    const spans = timeline.spans.filter((s) => s.stepId === step.id);
    if (spans.length > 0) rows.push({ key: step.id, label: step.title, spans });
  }
  return rows;
}

/**
 * Each step's time as bars on one axis, from the run's start to its end: steps that ran in parallel overlap,
 * and time spent waiting at a gate, for input or for an event is drawn apart from the work.
 */
export function TimeAxis({ timeline }: { timeline: RunTimeline }) {
  const start = Date.parse(timeline.start);
  const total = Math.max(1, Date.parse(timeline.end) - start);
  const at = (iso: string) => Math.min(1, Math.max(0, (Date.parse(iso) - start) / total));
  const rows = rowsOf(timeline);
  const kinds = [...new Set(timeline.spans.map((s) => s.kind))];

  return (
    <figure className="flex flex-col gap-2" aria-labelledby="time-axis-caption" data-testid="time-axis">
      <figcaption id="time-axis-caption" className="text-sm font-semibold">
        Time axis{' '}
        <span className="font-normal text-slate-600 dark:text-slate-400">
          ({formatDuration(total)} from {formatTime(timeline.start)})
        </span>
      </figcaption>
      {rows.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No step has started yet.</p>
      ) : (
        <ol className="flex flex-col gap-1">
          {rows.map((row) => (
            <li
              key={row.key}
              className="flex items-center gap-2"
              data-testid="time-axis-row"
              data-step={row.key}
            >
              <span className="w-40 shrink-0 truncate text-xs" title={row.label}>
                {row.label}
              </span>
              <span className="relative h-5 flex-1 rounded bg-slate-100 dark:bg-slate-900">
                {row.spans.map((span) => {
                  const look = SPAN_STYLE[span.kind];
                  const took = formatDuration(Date.parse(span.to) - Date.parse(span.from));
                  const what = `${row.label}: ${look.label}${span.attempt > 1 ? ` (attempt ${span.attempt})` : ''}, ${took}${span.open ? ' so far' : ''}, from ${formatTime(span.from)}`;
                  return (
                    <span
                      key={`${span.kind}-${span.from}`}
                      role="img"
                      aria-label={what}
                      title={what}
                      className={`absolute inset-y-0.5 rounded-sm ${look.className} ${span.open ? 'animate-pulse' : ''}`}
                      style={{
                        ...look.style,
                        left: `${at(span.from) * 100}%`,
                        width: `${(at(span.to) - at(span.from)) * 100}%`,
                        minWidth: 3,
                      }}
                      data-testid="time-axis-bar"
                      data-kind={span.kind}
                      data-step={span.stepId ?? ''}
                      data-from={span.from}
                      data-to={span.to}
                    />
                  );
                })}
              </span>
            </li>
          ))}
        </ol>
      )}
      <div
        className="ml-42 flex justify-between text-xs text-slate-600 tabular-nums dark:text-slate-400"
        aria-hidden="true"
      >
        {TICKS.map((t) => (
          <span key={t}>+{formatDuration(t * total)}</span>
        ))}
      </div>
      {kinds.length > 0 && (
        <ul
          className="flex flex-wrap gap-x-4 gap-y-1 text-xs"
          aria-label="Legend"
          data-testid="time-axis-legend"
        >
          {kinds.map((kind) => (
            <li key={kind} className="flex items-center gap-1">
              <span
                aria-hidden="true"
                className={`inline-block h-3 w-6 rounded-sm ${SPAN_STYLE[kind].className}`}
                style={SPAN_STYLE[kind].style}
              />
              {SPAN_STYLE[kind].label}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}
