import { elapsed, formatDuration, type LogGroup } from './log-groups';
import { TickingDuration } from './ticking-duration';

const MARK: Record<NonNullable<LogGroup['outcome']>, { icon: string; tone: string; label: string }> = {
  success: { icon: '✓', tone: 'text-green-400', label: 'succeeded' },
  failure: { icon: '✗', tone: 'text-red-400', label: 'failed' },
  cancelled: { icon: '⊘', tone: 'text-amber-300', label: 'ended with the job' },
  running: { icon: '●', tone: 'text-sky-300 motion-safe:animate-pulse', label: 'running' },
};

/** A step's header row: open/close, how it ended, its name and how long it took (ticking while it runs). */
export function LogGroupHeader({
  group,
  open,
  matches,
  live,
  onToggle,
}: {
  group: LogGroup;
  open: boolean;
  matches: number | null;
  /** The job is running and this is its newest group: its duration is still growing. */
  live: boolean;
  onToggle: () => void;
}) {
  const mark = group.outcome ? MARK[group.outcome] : null;
  const running = live && !group.ended;
  return (
    <button
      type="button"
      className="flex w-full items-center gap-2 border-t border-slate-800 bg-slate-900 px-2 text-left text-slate-200 hover:bg-slate-800"
      style={{ height: 20, lineHeight: '20px' }}
      aria-expanded={open}
      onClick={onToggle}
      data-testid="log-group"
      data-step={group.kind === 'step' ? group.title : undefined}
      data-outcome={group.outcome ?? undefined}
    >
      <span aria-hidden="true">{open ? '▾' : '▸'}</span>
      {mark && (
        <span className={mark.tone} role="img" aria-label={mark.label}>
          {mark.icon}
        </span>
      )}
      <span className="min-w-0 flex-1 truncate font-semibold">{group.title}</span>
      {matches !== null && <span className="text-slate-400">{matches} match(es)</span>}
      <span className="text-slate-400 tabular-nums" data-testid="log-group-duration">
        {running ? (
          <TickingDuration from={group.startedAt} />
        ) : (
          formatDuration(elapsed(group.startedAt, group.endedAt, 0) ?? Number.NaN)
        )}
      </span>
    </button>
  );
}
