/** The run's progress: share of steps completed or skipped. */
export function ProgressBar({ value, label }: { value: number; label: string }) {
  const pct = Math.round(Math.max(0, Math.min(100, value)));
  return (
    <div className="flex items-center gap-2">
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
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
  );
}
