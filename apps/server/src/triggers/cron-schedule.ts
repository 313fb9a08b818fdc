import type { CronSource } from '@deploybot/shared';
import { Cron } from 'croner';

/**
 * A cron expression in a time zone, parsed and stepped by croner: five fields (minute precision) or six (seconds
 * first), nicknames such as `@daily`, DST handled by the library. Only computes times; the trigger scheduler
 * owns the timers.
 */
export class CronSchedule {
  private constructor(private readonly cron: Cron) {}

  /** Parses `source`; throws with the library's reason when it is not a valid expression or never fires. */
  static of(source: Pick<CronSource, 'expression' | 'timezone'>): CronSchedule {
    const cron = new Cron(source.expression, {
      timezone: source.timezone,
      mode: '5-or-6-parts',
      paused: true,
    });
    const schedule = new CronSchedule(cron);
    if (schedule.next(new Date()) === null) throw new Error('the expression never fires');
    return schedule;
  }

  /** Why `source` is not a usable schedule, or null when it is. */
  static problemOf(source: Pick<CronSource, 'expression' | 'timezone'>): string | null {
    try {
      CronSchedule.of(source);
      return null;
    } catch (err) {
      return (err as Error).message.replace(/^CronPattern: /, '');
    }
  }

  /** The first slot strictly after `after`, or null when there is none. */
  next(after: Date): Date | null {
    return this.cron.nextRun(after);
  }

  /** The next `n` slots strictly after `after`. */
  nextTimes(n: number, after: Date): Date[] {
    return this.cron.nextRuns(n, after);
  }

  /** The latest slot at or before `at`, or null. */
  latestAtOrBefore(at: Date): Date | null {
    // croner counts a slot earlier in the same second as the reference; one millisecond on makes `at` itself count.
    return this.cron.previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
  }

  /** How many slots lie in (`after`, `until`], counting up to `cap`. */
  countBetween(after: Date, until: Date, cap: number): number {
    let count = 0;
    for (let slot = this.next(after); slot && slot <= until && count < cap; slot = this.next(slot)) count++;
    return count;
  }
}
