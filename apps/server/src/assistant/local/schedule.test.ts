import { describe, expect, it } from 'vitest';
import { CronSchedule } from '../../triggers/cron-schedule';
import { cronOf, eventOf, saysWebhook, timeOfDay, timeZoneOf } from './schedule';

describe('cronOf: schedules in words → cron expression and IANA time zone', () => {
  const cases: [string, string, string][] = [
    ['run a health check every weekday at 8:00 Berlin time', '0 8 * * 1-5', 'Europe/Berlin'],
    ['every day at 02:30 UTC deploy myorg/app', '30 2 * * *', 'UTC'],
    ['health check every monday at 9am', '0 9 * * 1', 'UTC'],
    ['on mondays and thursdays at 14:15 in Tokyo', '15 14 * * 1,4', 'Asia/Tokyo'],
    ['every weekend at noon New York time', '0 12 * * 0,6', 'America/New_York'],
    ['nightly at 2:30 pm CET', '30 14 * * *', 'Europe/Berlin'],
    ['daily', '0 0 * * *', 'UTC'],
    ['every night at midnight in Europe/London', '0 0 * * *', 'Europe/London'],
    ['monday to friday at 7.45 Sydney time', '45 7 * * 1-5', 'Australia/Sydney'],
    ['every 15 minutes', '*/15 * * * *', 'UTC'],
    ['every minute', '* * * * *', 'UTC'],
    ['every 2 hours', '0 */2 * * *', 'UTC'],
    ['hourly', '0 * * * *', 'UTC'],
    ['every second', '* * * * * *', 'UTC'],
    ['every 10 seconds', '*/10 * * * * *', 'UTC'],
    ['weekly', '0 0 * * 1', 'UTC'],
    ['every month at 6:00 pacific time', '0 6 1 * *', 'America/Los_Angeles'],
    ['at 23:05 Lisbon time', '5 23 * * *', 'Europe/Lisbon'],
  ];
  for (const [text, expression, timezone] of cases) {
    it(`"${text}" → ${expression} (${timezone}), a schedule croner accepts`, () => {
      const got = cronOf(text);
      expect(got).toEqual({ expression, timezone });
      expect(CronSchedule.problemOf(got!)).toBeNull();
    });
  }

  it('says nothing for text without a schedule', () => {
    expect(cronOf('run a health check')).toBeUndefined();
    expect(cronOf('is everything ok')).toBeUndefined();
    expect(cronOf('deploy myorg/app')).toBeUndefined();
  });
});

describe('timeOfDay', () => {
  it('reads 24-hour and 12-hour times, noon and midnight, and refuses impossible ones', () => {
    expect(timeOfDay('at 8:00')).toEqual([8, 0]);
    expect(timeOfDay('at 12 am')).toEqual([0, 0]);
    expect(timeOfDay('at 12pm')).toEqual([12, 0]);
    expect(timeOfDay('at 7 p.m.')).toEqual([19, 0]);
    expect(timeOfDay('02:30')).toEqual([2, 30]);
    expect(timeOfDay('at noon')).toEqual([12, 0]);
    expect(timeOfDay('at 25:00')).toBeUndefined();
    expect(timeOfDay('at 13 pm')).toBeUndefined();
    expect(timeOfDay('every 15 minutes')).toBeUndefined();
  });
});

describe('timeZoneOf', () => {
  it('takes IANA names, abbreviations, and cities said as a place or a time', () => {
    expect(timeZoneOf('at 8 europe/berlin')).toBe('Europe/Berlin');
    expect(timeZoneOf('at 8:00 Berlin time')).toBe('Europe/Berlin');
    expect(timeZoneOf('at 8 in Berlin')).toBe('Europe/Berlin');
    expect(timeZoneOf('at 8 in san francisco')).toBe('America/Los_Angeles');
    expect(timeZoneOf('at 8 São Paulo time')).toBeUndefined();
    expect(timeZoneOf('at 8 Sao Paulo time')).toBe('America/Sao_Paulo');
    expect(timeZoneOf('02:30 UTC')).toBe('UTC');
    expect(timeZoneOf('9am PST')).toBe('America/Los_Angeles');
  });

  it('does not take a city-like word that is not said as a place or time', () => {
    // Antarctica/Troll and America/Regina exist: a word is only a zone where a zone is expected.
    expect(timeZoneOf('the troll deploys regina every day')).toBeUndefined();
    expect(timeZoneOf('every weekday at 8:00')).toBeUndefined();
  });
});

describe('eventOf', () => {
  it('reads job, agent and run events with a filter for the repository or agent named', () => {
    expect(eventOf('troubleshoot every failed job of myorg/app')).toEqual({
      on: 'job.failed',
      filter: 'event.repository == "myorg/app"',
    });
    expect(eventOf('when a deploy fails, troubleshoot it')).toEqual({ on: 'job.failed' });
    expect(eventOf('whenever an agent goes offline run a health check')).toEqual({ on: 'agent.offline' });
    expect(eventOf('health check when web-01 server goes down', ['web-01'])).toEqual({
      on: 'agent.offline',
      filter: 'event.agent == "web-01"',
    });
    expect(eventOf('when an agent comes back online')).toEqual({ on: 'agent.online' });
    expect(eventOf('every successful deploy of acme/shop')).toEqual({
      on: 'job.succeeded',
      filter: 'event.repository == "acme/shop"',
    });
    expect(eventOf('whenever a workflow run fails')).toEqual({ on: 'run.failed' });
    expect(eventOf('every day at 8')).toBeUndefined();
  });

  it('tells a webhook request', () => {
    expect(saysWebhook('deploy myorg/app on every push')).toBe(true);
    expect(saysWebhook('deploy myorg/app via a webhook')).toBe(true);
    expect(saysWebhook('deploy myorg/app every day')).toBe(false);
  });
});
