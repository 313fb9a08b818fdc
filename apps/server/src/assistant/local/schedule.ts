import { isTimeZone, type TriggerEventType } from '@deploybot/shared';

/**
 * Words to trigger sources for the local assistant: "every weekday at 8:00 Berlin time" → cron `0 8 * * 1-5` in
 * `Europe/Berlin`, "every failed job of myorg/app" → `job.failed` with a filter. Pure functions over the text;
 * whether the expression is usable is checked by the trigger service, like any other proposal.
 */

export interface CronWords {
  expression: string;
  /** IANA time zone; `UTC` when the text names none. */
  timezone: string;
}

export interface EventWords {
  on: TriggerEventType;
  /** A CEL filter over `event` for the repository or agent the text names. */
  filter?: string;
}

/** Names people use for a zone that are not the last part of its IANA name. */
const ZONE_ALIASES: Record<string, string> = {
  utc: 'UTC',
  gmt: 'UTC',
  zulu: 'UTC',
  cet: 'Europe/Berlin',
  cest: 'Europe/Berlin',
  germany: 'Europe/Berlin',
  munich: 'Europe/Berlin',
  frankfurt: 'Europe/Berlin',
  hamburg: 'Europe/Berlin',
  cologne: 'Europe/Berlin',
  uk: 'Europe/London',
  bst: 'Europe/London',
  'new york': 'America/New_York',
  nyc: 'America/New_York',
  boston: 'America/New_York',
  washington: 'America/New_York',
  miami: 'America/New_York',
  eastern: 'America/New_York',
  est: 'America/New_York',
  edt: 'America/New_York',
  central: 'America/Chicago',
  cst: 'America/Chicago',
  cdt: 'America/Chicago',
  austin: 'America/Chicago',
  dallas: 'America/Chicago',
  houston: 'America/Chicago',
  mountain: 'America/Denver',
  mst: 'America/Denver',
  pacific: 'America/Los_Angeles',
  pst: 'America/Los_Angeles',
  pdt: 'America/Los_Angeles',
  'san francisco': 'America/Los_Angeles',
  sf: 'America/Los_Angeles',
  seattle: 'America/Los_Angeles',
  'silicon valley': 'America/Los_Angeles',
  india: 'Asia/Kolkata',
  ist: 'Asia/Kolkata',
  mumbai: 'Asia/Kolkata',
  bangalore: 'Asia/Kolkata',
  bengaluru: 'Asia/Kolkata',
  delhi: 'Asia/Kolkata',
  'new delhi': 'Asia/Kolkata',
  beijing: 'Asia/Shanghai',
  china: 'Asia/Shanghai',
  japan: 'Asia/Tokyo',
  jst: 'Asia/Tokyo',
  aest: 'Australia/Sydney',
};
/** Aliases that are abbreviations: unambiguous anywhere in the text, not only as "… time" or "in …". */
const ABBREVIATIONS = new Set([
  'utc',
  'gmt',
  'cet',
  'cest',
  'bst',
  'est',
  'edt',
  'cst',
  'cdt',
  'mst',
  'pst',
  'pdt',
  'ist',
  'jst',
  'aest',
]);

let cities: Map<string, string> | undefined;
/** The runtime's IANA zones by their city, lower-case with spaces: `new york` → `America/New_York`. */
function zonesByCity(): Map<string, string> {
  if (cities) return cities;
  cities = new Map();
  for (const zone of Intl.supportedValuesOf('timeZone')) {
    const city = zone.split('/').at(-1)!.replace(/_/g, ' ').toLowerCase();
    if (!cities.has(city)) cities.set(city, zone);
  }
  return cities;
}

const TIME_TOKEN = /^(\d{1,2}([:.h]\d{2})?(am|pm)?|am|pm|noon|midnight)$/;

/**
 * The time zone the text names: an IANA name (`Europe/Berlin`), an abbreviation (`UTC`, `CET`), or a city or
 * region from the runtime's zone list or a small alias table, said as "Berlin time", "in Berlin", "8:00 Berlin".
 * A city is only taken in those positions, so a word that happens to be a city elsewhere is not one.
 */
export function timeZoneOf(text: string): string | undefined {
  for (const m of text.matchAll(/\b([A-Za-z]+(?:\/[A-Za-z0-9_+-]+){1,2})\b/g)) {
    const exact = Intl.supportedValuesOf('timeZone').find((z) => z.toLowerCase() === m[1]!.toLowerCase());
    if (exact) return exact;
    if (isTimeZone(m[1]!)) return m[1]!;
  }
  const words = text
    .toLowerCase()
    .replace(/[^a-z0-9:.\s]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
  const zones = zonesByCity();
  for (let i = 0; i < words.length; i++) {
    for (let n = 3; n >= 1; n--) {
      if (i + n > words.length) continue;
      const name = words.slice(i, i + n).join(' ');
      const zone = ZONE_ALIASES[name] ?? zones.get(name);
      if (!zone) continue;
      const before = words[i - 1] ?? '';
      const after = words[i + n] ?? '';
      const placed =
        ABBREVIATIONS.has(name) ||
        /^(time|timezone|zone)$/.test(after) ||
        /^(in|for)$/.test(before) ||
        TIME_TOKEN.test(before);
      if (placed) return zone;
    }
  }
  return undefined;
}

const DAY_NUMBERS: Record<string, number> = {
  sun: 0,
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
};
const DAY_WORD =
  /\b(sun|mon|tue|wed|thu|fri|sat)(?:days?|s|\.)?\b|\b(sunday|monday|tuesday|wednesday|thursday|friday|saturday)s?\b/g;

/** The time of day the text names, as [hour, minute]: "at 8:00", "at 2:30 pm", "02:30", "9am", "noon". */
export function timeOfDay(text: string): [number, number] | undefined {
  const t = text.toLowerCase();
  if (/\b(at )?noon\b/.test(t)) return [12, 0];
  if (/\b(at )?midnight\b/.test(t)) return [0, 0];
  const patterns = [
    /\b(?:at)\s*(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|h\b|o'?clock)?/,
    /\b(\d{1,2})[:.](\d{2})\s*(am|pm|a\.m\.|p\.m\.)?/,
    /\b(\d{1,2})\s*(am|pm|a\.m\.|p\.m\.)/,
  ];
  for (const re of patterns) {
    const m = re.exec(t);
    if (!m) continue;
    let hour = Number(m[1]);
    // The third pattern has no minutes group: its suffix is the second.
    const minutes = re === patterns[2] ? undefined : m[2];
    const suffix = (re === patterns[2] ? m[2] : m[3])?.replace(/\./g, '');
    const minute = minutes ? Number(minutes) : 0;
    if (suffix === 'am' || suffix === 'pm') {
      if (hour < 1 || hour > 12) continue;
      hour = (hour % 12) + (suffix === 'pm' ? 12 : 0);
    }
    if (hour > 23 || minute > 59) continue;
    return [hour, minute];
  }
  return undefined;
}

/** The days of the week the text names, as a cron field: `1-5`, `0,6`, `1,4`, or `*`; undefined for none. */
function daysOf(t: string): string | undefined {
  if (
    /\b(week ?days?|working days?|business days?|workdays?|monday (to|through|thru|-) friday|mon ?- ?fri)\b/.test(
      t,
    )
  )
    return '1-5';
  if (/\bweekends?\b/.test(t)) return '0,6';
  const named = new Set<number>();
  for (const m of t.matchAll(DAY_WORD)) named.add(DAY_NUMBERS[(m[1] ?? m[2]!).slice(0, 3)]!);
  if (named.size > 0) return [...named].sort((a, b) => a - b).join(',');
  if (/\b(every|each) (day|night|morning|evening|afternoon)\b|\b(daily|nightly)\b/.test(t)) return '*';
  return undefined;
}

/**
 * A cron expression for the schedule the text says, in its time zone (UTC when it names none), or undefined when
 * it says no schedule. Seconds, minutes and hours as intervals ("every 15 minutes"), days of the week
 * ("every weekday", "on mondays and thursdays", "daily", "weekends"), weeks and months, at a time of day.
 */
export function cronOf(text: string): CronWords | undefined {
  const t = text.toLowerCase().replace(/\s+/g, ' ');
  const expression = expressionOf(t);
  return expression ? { expression, timezone: timeZoneOf(text) ?? 'UTC' } : undefined;
}

function expressionOf(t: string): string | undefined {
  const at = timeOfDay(t);
  const [hour, minute] = at ?? [0, 0];
  const every = (unit: string) => {
    const m = new RegExp(String.raw`\bevery (\d{1,3}) ${unit}s?\b`).exec(t);
    return m ? Number(m[1]) : undefined;
  };
  const seconds = every('second');
  if (seconds) return `*/${seconds} * * * * *`;
  if (/\bevery second\b/.test(t)) return '* * * * * *';
  const minutes = every('(?:minute|min)');
  if (minutes) return `*/${minutes} * * * *`;
  if (/\bevery minute\b/.test(t)) return '* * * * *';
  const hours = every('hour');
  if (hours) return `${at ? minute : 0} */${hours} * * *`;
  if (/\b(every hour|hourly)\b/.test(t)) return '0 * * * *';
  if (/\b(every|each) month\b|\bmonthly\b/.test(t)) return `${minute} ${hour} 1 * *`;
  const days = daysOf(t) ?? (/\b(every|each) week\b|\bweekly\b/.test(t) ? '1' : at ? '*' : undefined);
  return days === undefined ? undefined : `${minute} ${hour} * * ${days}`;
}

const REPOSITORY = /\b([a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*[a-z0-9])\b/i;
const MACHINE = String.raw`(?:agents?|servers?|hosts?|machines?|nodes?)`;

/**
 * The fleet or workflow event the text says ("every failed job of myorg/app", "whenever an agent goes offline",
 * "when a deploy succeeds"), with a filter for the repository or agent it names; undefined for none.
 */
export function eventOf(text: string, agents: readonly string[] = []): EventWords | undefined {
  const t = text.toLowerCase().replace(/\s+/g, ' ');
  const repo = REPOSITORY.exec(text)?.[1]?.toLowerCase();
  const agent = agents.find((a) => new RegExp(`(^|[^a-z0-9.-])${escapeRegExp(a)}($|[^a-z0-9.-])`).test(t));
  const job = '(?:jobs?|deploy(?:ment)?s?|releases?|builds?)';
  const withRepo = (on: TriggerEventType): EventWords =>
    repo
      ? { on, filter: `event.repository == "${repo}"` }
      : agent
        ? { on, filter: `event.agent == "${agent}"` }
        : { on };
  const withAgent = (on: TriggerEventType): EventWords =>
    agent ? { on, filter: `event.agent == "${agent}"` } : { on };
  const machine = agent ? `(?:${MACHINE}|${escapeRegExp(agent)})` : MACHINE;
  if (new RegExp(String.raw`\b${machine}\b.{0,40}\b(offline|down|silent|unreachable|disconnect)`).test(t))
    return withAgent('agent.offline');
  if (
    new RegExp(String.raw`\b${machine}\b.{0,40}\b(online|back up|comes? back|reconnects?|connects?)\b`).test(
      t,
    )
  )
    return withAgent('agent.online');
  if (/\b(runs?|workflows?)\b.{0,20}\b(fail|fails|failed)\b/.test(t) && !new RegExp(job).test(t))
    return { on: 'run.failed' };
  if (/\b(runs?|workflows?)\b.{0,20}\b(complete|completes|completed|finish|finishes|finished)\b/.test(t))
    return { on: 'run.completed' };
  if (
    new RegExp(
      String.raw`\b(fail|fails|failed|failing|failure|failures)\b.{0,20}\b${job}|\b${job}\b.{0,30}\b(fail|fails|failed|failing|failure)\b`,
    ).test(t)
  )
    return withRepo('job.failed');
  if (
    new RegExp(
      String.raw`\b(successful|succeeded|passing)\b.{0,20}\b${job}|\b${job}\b.{0,30}\b(succeeds?|succeeded|passes|passed|goes through|is done)\b`,
    ).test(t)
  )
    return withRepo('job.succeeded');
  return undefined;
}

/** Whether the text asks for a webhook ("on every push", "when CI calls", "webhook"). */
export function saysWebhook(text: string): boolean {
  return /\b(web ?hooks?|on (every |each )?push(es)?|when (ci|github|gitlab|the ci|a git host) (pushes|calls|says)|git push)\b/i.test(
    text,
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
