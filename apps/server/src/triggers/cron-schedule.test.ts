import { describe, expect, it } from 'vitest';
import { CronSchedule } from './cron-schedule';

const at = (iso: string) => new Date(iso);
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('cron schedules', () => {
  it('steps seconds when the expression has six fields', () => {
    const s = CronSchedule.of({ expression: '*/15 * * * * *', timezone: 'UTC' });
    expect(iso(s.nextTimes(3, at('2025-03-01T10:00:07.500Z')))).toEqual([
      '2025-03-01T10:00:15.000Z',
      '2025-03-01T10:00:30.000Z',
      '2025-03-01T10:00:45.000Z',
    ]);
  });

  it('reads times in its time zone, across a daylight-saving change', () => {
    const s = CronSchedule.of({ expression: '0 8 * * *', timezone: 'Europe/Berlin' });
    // Berlin moves from UTC+1 to UTC+2 on 2025-03-30.
    expect(iso(s.nextTimes(3, at('2025-03-28T12:00:00Z')))).toEqual([
      '2025-03-29T07:00:00.000Z',
      '2025-03-30T06:00:00.000Z',
      '2025-03-31T06:00:00.000Z',
    ]);
  });

  it('finds the latest slot at or before a time, and counts the slots in between', () => {
    const s = CronSchedule.of({ expression: '* * * * * *', timezone: 'UTC' });
    expect(s.latestAtOrBefore(at('2025-03-01T10:00:05.000Z'))?.toISOString()).toBe(
      '2025-03-01T10:00:05.000Z',
    );
    expect(s.latestAtOrBefore(at('2025-03-01T10:00:05.999Z'))?.toISOString()).toBe(
      '2025-03-01T10:00:05.000Z',
    );
    expect(s.next(at('2025-03-01T10:00:05.000Z'))?.toISOString()).toBe('2025-03-01T10:00:06.000Z');
    expect(s.countBetween(at('2025-03-01T10:00:00Z'), at('2025-03-01T10:00:05Z'), 1000)).toBe(5);
    expect(s.countBetween(at('2025-03-01T10:00:00Z'), at('2025-03-01T11:00:00Z'), 100)).toBe(100);
  });

  it('says why an expression is no schedule', () => {
    expect(CronSchedule.problemOf({ expression: '61 * * * *', timezone: 'UTC' })).toMatch(/minute/);
    expect(CronSchedule.problemOf({ expression: '* * * * * * *', timezone: 'UTC' })).toMatch(/5 or 6 parts/);
    expect(CronSchedule.problemOf({ expression: '0 0 30 2 *', timezone: 'UTC' })).toBe(
      'the expression never fires',
    );
    expect(CronSchedule.problemOf({ expression: '@daily', timezone: 'UTC' })).toBeNull();
  });
});
