/** The run's progress: share of steps done (see progressOf), with the counts behind it in words when given. */
export function ProgressBar({ value, label, detail }: { value: number; label: string; detail?: string }) {
  const pct = Math.round(Math.max(0, Math.min(100, value)));
  return (
    <div>
      <div className="flex items-center gap-2">
        <div
          role="progressbar"
          aria-label={label}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
          aria-valuetext={detail ? `${pct}%, ${detail}` : undefined}
          data-testid="progress-bar"
          className="h-2 flex-1 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-700"
        >
          <div
            className="h-full bg-blue-600 transition-[width] duration-300 dark:bg-blue-400"
            style={{ width: `${pct}%` }}
          />
        </div>
        <span className="w-10 text-right text-sm tabular-nums" data-testid="progress-text">
          {pct}%
        </span>
      </div>
      {detail && (
        <p className="mt-0.5 text-xs text-slate-600 dark:text-slate-400" data-testid="progress-detail">
          {detail}
        </p>
      )}
    </div>
  );
}
