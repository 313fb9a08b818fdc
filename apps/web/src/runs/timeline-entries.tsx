import type { TimelineEntry } from '@deploybot/shared';
import { formatDuration } from '../fleet/log-groups';
import { formatTime } from '../lib/format';
import { JsonView } from '../workflows/json-view';

const DECISIONS = new Set(['step.approved', 'step.rejected', 'step.input_received']);

/** Every committed transition, oldest first: when, after how long, who, what, and a decision's note and input. */
export function TimelineEntries({ entries, start }: { entries: TimelineEntry[]; start: string }) {
  const t0 = Date.parse(start);
  return (
    <ol className="flex flex-col text-sm" aria-label="Transitions" data-testid="timeline-entries">
      {entries.map((e) => {
        const decision = DECISIONS.has(e.type);
        return (
          <li
            key={e.seq}
            className={`grid grid-cols-[5.5rem_4.5rem_1fr] gap-x-2 border-l-2 py-1 pl-2 ${decision ? 'border-amber-600' : 'border-slate-300 dark:border-slate-600'}`}
            data-testid="timeline-entry"
            data-type={e.type}
            data-step={e.stepId ?? ''}
          >
            <time dateTime={e.at} className="text-xs text-slate-600 tabular-nums dark:text-slate-400">
              {formatTime(e.at)}
            </time>
            <span className="text-xs text-slate-600 tabular-nums dark:text-slate-400">
              +{formatDuration(Date.parse(e.at) - t0)}
            </span>
            <div className="min-w-0">
              <span className={decision ? 'font-medium' : ''} data-testid="timeline-text">
                {e.text}
              </span>
              <span className="ml-2 text-xs text-slate-600 dark:text-slate-400" data-testid="timeline-by">
                {e.by ? `by ${e.by}` : 'by DeployBot'}
              </span>
              {e.note && (
                <p className="text-xs break-words italic" data-testid="timeline-note">
                  Note: “{e.note}”
                </p>
              )}
              {e.input !== undefined && <JsonView label="Input given" value={e.input} />}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
