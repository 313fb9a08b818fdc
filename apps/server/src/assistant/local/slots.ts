import { HOSTNAME_RE, type JobStatus } from '@deploybot/shared';

/**
 * Slot extraction for the local assistant: host names, `org/app` repositories, refs (branch, tag, sha),
 * environments, labels, ids and filters, pulled out of one message. Resolution against the fleet happens in
 * resolver.ts; this file only reads the text.
 */
export interface Slots {
  /** A host name named as such ("called web-03", "host db-02", "New server: x"). */
  hostname?: string;
  /**
   * What the person named as the host name when it is not a valid one ("called my web server", "named
   * my_box"): kept as written so the assistant can say why it cannot use it, never shortened to a part of it.
   */
  badHostname?: string;
  /** Every token that looks like a host name, in order. */
  hostnameLike: string[];
  /** `org/app` tokens written out, in order. */
  repositories: string[];
  ref?: string;
  /**
   * How the ref was written: `named` (`org/app@ref`, "branch x", "version 1.2", "the x branch", a sha or
   * version) or `at` ("at x", "from x": a word that could also name something else, e.g. an agent).
   */
  refSource?: 'named' | 'at';
  environment?: string;
  labels?: string;
  minutes?: number;
  jobId?: string;
  runId?: string;
  agentStatus?: 'online' | 'offline' | 'draining' | 'enrolling';
  jobStatus?: JobStatus;
  runState?: 'active' | 'past' | 'all';
  which?: 'last' | 'last_failed';
  /** Lower-case words left once the slots above were taken out: what a repository hint is matched against. */
  words: string[];
}

const ENVIRONMENTS: Record<string, string> = {
  production: 'production',
  prod: 'production',
  staging: 'staging',
  stage: 'staging',
  stg: 'staging',
  development: 'development',
  dev: 'development',
  qa: 'qa',
  test: 'test',
  testing: 'test',
  uat: 'uat',
  preprod: 'preprod',
  'pre-prod': 'preprod',
  sandbox: 'sandbox',
  canary: 'canary',
};
const ENV_ALT = Object.keys(ENVIRONMENTS)
  .sort((a, b) => b.length - a.length)
  .join('|');

/** Words next to "environment" that are not its name: "which environment", "the environment is …". */
const NOT_AN_ENVIRONMENT = new Set([
  'is',
  'the',
  'of',
  'a',
  'an',
  'in',
  'for',
  'to',
  'which',
  'what',
  'same',
  'each',
  'every',
  'any',
  'this',
  'that',
  'my',
  'our',
  'your',
  'new',
  'its',
  'their',
  'whole',
  'target',
  'right',
  'wrong',
]);

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const REF_CHARS = '[A-Za-z0-9._/+-]+';
const COMMON_BRANCHES = new Set(['main', 'master', 'develop', 'trunk']);
const NOT_A_NAME = new Set([
  'a',
  'an',
  'the',
  'new',
  'another',
  'to',
  'in',
  'on',
  'for',
  'with',
  'it',
  'its',
  'me',
  'please',
  'agent',
  'agents',
  'server',
  'servers',
  'host',
  'hosts',
  'machine',
  'machines',
  'node',
  'nodes',
  'box',
  'called',
  'named',
  'fleet',
  'deploybot',
  'as',
  'and',
  'one',
  'up',
  'is',
  'of',
  'that',
  'this',
  'them',
  'there',
  'my',
  'our',
  'your',
  'their',
  'deploy',
  'deploybot',
  ...Object.keys(ENVIRONMENTS),
]);

/** Words after "at" / "from" that are not a ref: "at once", "from the …", "at 5pm". */
const NOT_A_REF = new Set([
  ...NOT_A_NAME,
  'once',
  'now',
  'all',
  'least',
  'last',
  'latest',
  'most',
  'some',
  'any',
  'night',
  'noon',
  'midnight',
  'home',
  'work',
  'scratch',
  'here',
  'where',
  'which',
  'what',
]);

/**
 * Words that end a name written after "called" / "named": what follows them is another slot ("called web-03 in
 * staging", "named db-2 with labels …"), not part of the name.
 */
const NAME_END = new Set([
  'in',
  'into',
  'on',
  'onto',
  'for',
  'to',
  'with',
  'label',
  'labels',
  'and',
  'at',
  'please',
  'as',
  'environment',
  'env',
  'from',
  'which',
  'that',
  'so',
  'then',
  'thanks',
  'now',
]);

/** Straight quotes, single spaces, no trailing sentence punctuation; case kept (refs are case-sensitive). */
export function clean(text: string): string {
  return text
    .replace(/[’‘`]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.!?…]+$/, '')
    .trim();
}

/** A token without the punctuation that ends a clause. */
function trimToken(token: string): string {
  return token.replace(/^["'(]+/, '').replace(/[,;:!?)"'.]+$/, '');
}

const isHostname = (s: string) => HOSTNAME_RE.test(s) && !NOT_A_NAME.has(s) && !/^\d+$/.test(s);
const isSemver = (s: string) => /^v?\d+(\.\d+){1,3}([-+][0-9a-z.-]+)?$/i.test(s);
const isSha = (s: string) => /^[0-9a-f]{7,40}$/.test(s) && /\d/.test(s) && /[a-f]/.test(s);
/** Host-like: letters and digits with a hyphen or a dot, or a name ending in digits (web01); not a version or sha. */
const looksLikeHost = (s: string) =>
  isHostname(s) &&
  !isSemver(s) &&
  !isSha(s) &&
  (/[a-z][a-z0-9]*[-.][a-z0-9]/.test(s) || /^[a-z]+\d+$/.test(s)) &&
  /[a-z]/.test(s);

export function extractSlots(text: string): Slots {
  let rest = clean(text);
  const slots: Slots = { hostnameLike: [], repositories: [], words: [] };
  const take = (re: RegExp, fn: (m: RegExpExecArray) => boolean | undefined): void => {
    const flags = re.flags.includes('g') ? re.flags : `${re.flags}g`;
    const global = new RegExp(re.source, flags);
    rest = rest.replace(global, (...args) => {
      const match = args.slice(0, -2) as unknown as RegExpExecArray;
      return fn(match) === false ? match[0] : ' ';
    });
  };

  // Ids: "job <uuid>", "run <uuid>"; a bare uuid is a job unless the message talks about runs or workflows.
  take(
    /\b(job|run|workflow)?\s*(?:id\s*)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/i,
    (m) => {
      const id = m[2]!.toLowerCase();
      const kind = m[1]?.toLowerCase() ?? (/\b(run|workflow)\b/i.test(text) ? 'run' : 'job');
      if (kind === 'job') slots.jobId ??= id;
      else slots.runId ??= id;
    },
  );
  UUID.lastIndex = 0;

  // Labels: "labels region=eu, tier=web".
  take(
    /\blabels?\s*[:=]?\s*((?:[a-z][a-z0-9_.-]*\s*=\s*[^,\s=]+(?:\s*,\s*(?=[a-z][a-z0-9_.-]*\s*=))?)+)/i,
    (m) => {
      slots.labels = m[1]!
        .split(',')
        .map((p) => p.trim().replace(/\s*=\s*/, '='))
        .filter(Boolean)
        .join(', ')
        .toLowerCase();
    },
  );

  // Refs first, so "branch feature/login" is not read as a repository.
  take(/([a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*)@([A-Za-z0-9._/+-]+)/i, (m) => {
    slots.repositories.push(m[1]!.toLowerCase());
    slots.ref ??= trimToken(m[2]!);
  });
  if (slots.ref) slots.refSource = 'named';
  take(
    new RegExp(
      String.raw`\b(?:branch|tag|ref|commit|sha|revision)\s+(?:named\s+|called\s+)?(${REF_CHARS})`,
      'i',
    ),
    (m) => {
      const ref = trimToken(m[1]!);
      if (NOT_A_NAME.has(ref.toLowerCase()) || ref.toLowerCase() === 'of') return false;
      slots.ref ??= ref;
      slots.refSource ??= 'named';
    },
  );
  take(/\b(?:version|release)\s+(v?\d[A-Za-z0-9._/+-]*)/i, (m) => {
    slots.ref ??= trimToken(m[1]!);
    slots.refSource ??= 'named';
  });
  take(new RegExp(String.raw`\b(?:the\s+)?(${REF_CHARS})\s+branch\b`, 'i'), (m) => {
    const ref = trimToken(m[1]!);
    if (NOT_A_NAME.has(ref.toLowerCase()) || /^(from|of|at)$/i.test(ref)) return false;
    slots.ref ??= ref;
    slots.refSource ??= 'named';
  });

  // After "at" / "from", a word with a slash is a ref ("at release/v1.2+build.5"), not a repository.
  if (!slots.ref) {
    take(new RegExp(String.raw`\b(?:at|from)\s+([A-Za-z0-9._+-]+\/${REF_CHARS})`, 'i'), (m) => {
      slots.ref ??= trimToken(m[1]!);
      slots.refSource ??= 'at';
    });
  }

  // Repositories written out as org/app.
  take(/(?<![\w./-])([a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*)/i, (m) => {
    slots.repositories.push(trimToken(m[1]!).toLowerCase());
  });

  // Environment: "to production", "in staging", "staging environment", "env=qa".
  // The keyword is a whole word and so is its value: "environment" must never be read as "env" + "ironment".
  take(/\b(?:environment|env)\b\s*[:=]?\s*([a-z][a-z0-9-]{0,31})(?![-.\w])/i, (m) => {
    const word = m[1]!.toLowerCase();
    if (NOT_AN_ENVIRONMENT.has(word)) return false;
    slots.environment ??= ENVIRONMENTS[word] ?? word;
  });
  take(
    new RegExp(String.raw`\b(?:to|in|on|into|onto|for|at)\s+(?:the\s+)?(${ENV_ALT})(?![-.\w])`, 'i'),
    (m) => {
      slots.environment ??= ENVIRONMENTS[m[1]!.toLowerCase()];
    },
  );
  take(
    new RegExp(
      String.raw`(?<![-.\w])(${ENV_ALT})\s+(?=(?:environment|env|agents?|servers?|hosts?|machines?|cluster|deploy|deployment)\b)`,
      'i',
    ),
    (m) => {
      slots.environment ??= ENVIRONMENTS[m[1]!.toLowerCase()];
    },
  );
  // Any name before the word: "the perf environment" is environment `perf`, even one the extractor does not know.
  take(/(?<![-.\w])([a-z][a-z0-9-]{0,31})\s+(?:environment|env)\b/i, (m) => {
    const word = m[1]!.toLowerCase();
    // Already named ("for the qa environment"): the word before is something else (a name, a repository).
    if (slots.environment || NOT_AN_ENVIRONMENT.has(word)) return false;
    slots.environment ??= ENVIRONMENTS[word] ?? word;
  });

  // Durations: "10 minutes", "2 hour".
  take(/\b(\d{1,5})\s*(minutes?|mins?|m|hours?|hrs?|h)\b/i, (m) => {
    const n = Number(m[1]);
    slots.minutes ??= /^h/i.test(m[2]!) ? n * 60 : n;
  });

  // Host names. A name written after "called" / "named" is everything up to the next slot, exactly as written:
  // several words, or one with characters a host name cannot have, is a bad name to explain, never a part of it.
  const namedAs =
    /\b(?:called|named|name is|hostname(?: is)?|host name(?: is)?)\s+(.+?)(?=\s*(?:[,;(]|$))/i.exec(rest);
  if (namedAs) {
    const words: string[] = [];
    for (const w of namedAs[1]!.split(/\s+/)) {
      if (NAME_END.has(w.toLowerCase()) || /^(an?|the)$/i.test(w)) break;
      words.push(trimToken(w));
    }
    const name = words.join(' ').toLowerCase();
    if (words.length === 1 && isHostname(name) && !isSemver(name)) slots.hostname = name;
    else if (words.length > 0 && !(words.length === 1 && NOT_A_NAME.has(name)))
      slots.badHostname = words.join(' ');
  }
  const guessed = [
    /\b(?:agent|server|host|machine|node|box)\s*:\s*(\S+)/i,
    new RegExp(
      String.raw`\b(?:register|registre|enrol+|onboard|add|connect|provision|set ?up|hook up)\s+(?:(?:${[...NOT_A_NAME].join('|')})\s+)*(\S+)`,
      'i',
    ),
    /\b(?:host|agent|server|machine|node)\s+(\S+)/i,
  ];
  for (const re of slots.hostname || slots.badHostname ? [] : guessed) {
    const m = re.exec(rest);
    if (!m) continue;
    const token = trimToken(m[1]!);
    const name = token.toLowerCase();
    // "register the web server": a word before a machine noun describes it, it does not name it.
    const describes = /^\s*(?:agents?|servers?|hosts?|machines?|nodes?|box(?:es)?)\b/i.test(
      rest.slice(m.index + m[0].length),
    );
    if (describes) continue;
    if (isHostname(name) && !isSemver(name)) {
      slots.hostname = name;
      break;
    }
    // A token with a character no host name has (my_box, web#1): the person named it; say why it cannot be used.
    if (/^[\w.-]+$/.test(token) && /[_]/.test(token)) {
      slots.badHostname = token;
      break;
    }
  }
  for (const token of rest.split(/[\s,;]+/)) {
    const t = trimToken(token).toLowerCase();
    if (t && looksLikeHost(t) && !slots.hostnameLike.includes(t)) slots.hostnameLike.push(t);
  }

  // Bare refs: versions, shas, well-known branch names.
  for (const token of rest.split(/\s+/)) {
    const t = trimToken(token);
    if (slots.ref) break;
    if (isSemver(t) || isSha(t)) slots.ref = t;
  }
  if (slots.ref) slots.refSource ??= 'named';
  // "at broken", "from feature-x": the word after is the ref, exactly as written, whatever it looks like (the
  // deploy asks when it is an agent's name). Only words that cannot be a ref ("at once", "at 5pm") are passed.
  if (!slots.ref) {
    const at = new RegExp(String.raw`\b(?:at|from)\s+(${REF_CHARS})`, 'i').exec(rest);
    const candidate = at ? trimToken(at[1]!) : '';
    const isTime = /^\d{1,2}([:.]\d{2})?\s*(am|pm|h)?$/i.test(candidate) && !isSemver(candidate);
    if (candidate && !NOT_A_REF.has(candidate.toLowerCase()) && !isTime) {
      slots.ref = candidate;
      slots.refSource = 'at';
    }
  }
  if (!slots.ref) {
    const branch = rest
      .split(/\s+/)
      .map(trimToken)
      .find((t) => COMMON_BRANCHES.has(t));
    if (branch) {
      slots.ref = branch;
      slots.refSource = 'named';
    }
  }

  const lower = ` ${clean(text).toLowerCase()} `;
  // Filters.
  if (/\b(offline|down|unreachable|disconnected|dead)\b/.test(lower)) slots.agentStatus = 'offline';
  else if (/\b(draining)\b/.test(lower)) slots.agentStatus = 'draining';
  else if (/\b(enrolling)\b/.test(lower)) slots.agentStatus = 'enrolling';
  else if (/\b(online|connected|alive)\b/.test(lower) || /\bare (up)\b/.test(lower))
    slots.agentStatus = 'online';

  if (/\b(running|in progress)\b/.test(lower)) slots.jobStatus = 'running';
  else if (/\b(pending|queued)\b/.test(lower)) slots.jobStatus = 'pending';
  else if (/\b(failed|failing)\b/.test(lower)) slots.jobStatus = 'failed';
  else if (/\b(succeeded|successful|passed)\b/.test(lower)) slots.jobStatus = 'success';
  else if (/\b(cancelled|canceled)\b/.test(lower)) slots.jobStatus = 'cancelled';

  if (/\b(past|finished|completed|previous|old|earlier|done)\b/.test(lower)) slots.runState = 'past';
  else if (/\ball (workflows|runs)\b/.test(lower)) slots.runState = 'all';
  else slots.runState = 'active';

  slots.which = /\b(fail|failed|failing|failure|error|errors|broken)\b/.test(lower) ? 'last_failed' : 'last';

  slots.words = rest
    .toLowerCase()
    .split(/[^a-z0-9._-]+/)
    .map((w) => w.replace(/^[._-]+|[._-]+$/g, '').replace(/'s$/, ''))
    .filter(Boolean);
  return slots;
}

/** Environment words the extractor knows, normalised (prod → production). */
export function normalizeEnvironment(word: string): string {
  return ENVIRONMENTS[word.toLowerCase()] ?? word.toLowerCase();
}
