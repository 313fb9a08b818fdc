import { elapsed, formatDuration } from '../fleet/log-groups';
import { TickingDuration } from '../fleet/ticking-duration';

/** How long from `from` to `until`; with `until` null it ticks every second (the thing is still going). */
export function Duration({
  from,
  until,
  testId,
}: {
  from: string | null;
  until: string | null;
  testId?: string;
}) {
  if (!from) return <span data-testid={testId}>—</span>;
  return (
    <span className="tabular-nums" data-testid={testId} data-live={until === null ? 'true' : undefined}>
      {until === null ? (
        <TickingDuration from={from} />
      ) : (
        formatDuration(elapsed(from, until, 0) ?? Number.NaN)
      )}
    </span>
  );
}
