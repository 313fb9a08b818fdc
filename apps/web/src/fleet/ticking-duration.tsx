import { useNow } from '../lib/use-now';
import { elapsed, formatDuration } from './log-groups';

/** Time since `from`, re-rendered every second: something still going (a step, a run, a log group). */
export function TickingDuration({ from }: { from: string }) {
  const now = useNow(1000);
  return <>{formatDuration(elapsed(from, null, now) ?? Number.NaN)}</>;
}
