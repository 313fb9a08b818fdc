import type { FiringOutcome } from '@deploybot/shared';

/** `Mon 7 Dec, 08:00` (seconds when the slot has them) in the trigger's time zone, where it is meant. */
export function formatFireTime(iso: string, timeZone: string): string {
  const withSeconds = iso.slice(17, 19) !== '00';
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      ...(withSeconds && { second: '2-digit' }),
    }).format(new Date(iso));
  } catch {
    return iso;
  }
}

/** An outcome in words, for the firings table. */
export const OUTCOME_TEXT: Record<FiringOutcome, string> = {
  started: 'Started',
  queued: 'Queued',
  deduplicated: 'Deduplicated',
  conflict: 'Skipped: conflict',
  disabled: 'Skipped: disabled',
  filtered: 'Skipped: filtered',
  loop: 'Skipped: loop guard',
  rate_limited: 'Skipped: rate limit',
  missed: 'Missed',
  failed: 'Failed',
};

const GOOD: ReadonlySet<FiringOutcome> = new Set(['started', 'queued']);
const BAD: ReadonlySet<FiringOutcome> = new Set(['failed', 'rate_limited', 'conflict']);

export function outcomeClass(outcome: FiringOutcome): string {
  if (GOOD.has(outcome)) return 'text-green-800 dark:text-green-300';
  if (BAD.has(outcome)) return 'text-red-700 dark:text-red-400';
  return 'text-amber-800 dark:text-amber-300';
}
