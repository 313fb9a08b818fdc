import type { StatusView } from './step-status';

/** The mark and its colour; screen readers hear the label instead of the glyph. */
export function StatusIcon({ view, className = '' }: { view: StatusView; className?: string }) {
  return (
    <span
      className={`inline-flex w-5 shrink-0 justify-center font-bold ${view.tone} ${className}`}
      title={view.label}
    >
      <span aria-hidden="true" data-testid="status-icon">
        {view.icon}
      </span>
      <span className="sr-only">{view.label}</span>
    </span>
  );
}
