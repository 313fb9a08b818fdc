import type { TrendBucket, TrendFigures } from '@deploybot/shared';
import { formatDuration } from '../../fleet/log-groups';

/** `67%`, or `—` when nothing completed or failed. */
export const percentText = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)}%`);

/** `4.2 s`, or `—` when there is nothing to measure. */
export const durationText = (ms: number | null) => (ms === null ? '—' : formatDuration(ms));

/** A bucket's label: `1 Nov` for a day, `week of 26 Oct` for a week (UTC, as the server groups them). */
export function bucketLabel(start: string, bucket: TrendBucket): string {
  const day = new Date(start).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });
  return bucket === 'week' ? `week of ${day}` : day;
}

/** The range's figures in sentences: what a screen reader hears instead of the charts, and what everyone reads. */
export function summaryLines(t: TrendFigures): string[] {
  if (t.runs === 0) return ['No runs in this range.'];
  const decided = t.completed + t.failed;
  return [
    `${t.runs} runs: ${t.completed} completed, ${t.failed} failed, ${t.cancelled} cancelled.`,
    decided === 0
      ? 'Success rate: none completed or failed yet.'
      : `Success rate: ${percentText(t.successRate)} (${t.completed} of ${decided} completed or failed).`,
    decided === 0
      ? 'Duration: no finished runs.'
      : `Duration: p50 ${durationText(t.durationP50Ms)}, p95 ${durationText(t.durationP95Ms)}.`,
    t.gateWaits === 0
      ? 'Waiting at gates: no finished waits.'
      : `Waiting at gates: ${durationText(t.gateWaitTotalMs)} in all over ${t.gateWaits} waits, median ${durationText(t.gateWaitP50Ms)}.`,
  ];
}
