import { HOSTNAME_RE, type JobStatus } from '@deploybot/shared';

/**
 * Slot extraction for the local assistant: host names, `org/app` repositories, refs (branch, tag, sha),
 * environments, labels, ids and filters, pulled out of one message. Resolution against the fleet happens in
 * resolver.ts; this file only reads the text.
 */
export interface Slots {
  /** A host name named as such ("called web-03", "host db-02", "New server: x"). */
  hostname?: string;
  /** Every token that looks like a host name, in order. */
  hostnameLike: string[];
  /** `org/app` tokens written out, in order. */
  repositories: string[];
  ref?: string;
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
  ...Object.keys(ENVIRONMENTS),
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
  take(
    new RegExp(
      String.raw`\b(?:branch|tag|ref|commit|sha|revision)\s+(?:named\s+|called\s+)?(${REF_CHARS})`,
      'i',
    ),
    (m) => {
      const ref = trimToken(m[1]!);
      if (NOT_A_NAME.has(ref.toLowerCase()) || ref.toLowerCase() === 'of') return false;
      slots.ref ??= ref;
    },
  );
  take(/\b(?:version|release)\s+(v?\d[A-Za-z0-9._/+-]*)/i, (m) => {
    slots.ref ??= trimToken(m[1]!);
  });
  take(new RegExp(String.raw`\b(?:the\s+)?(${REF_CHARS})\s+branch\b`, 'i'), (m) => {
    const ref = trimToken(m[1]!);
    if (NOT_A_NAME.has(ref.toLowerCase()) || /^(from|of|at)$/i.test(ref)) return false;
    slots.ref ??= ref;
  });

  // Repositories written out as org/app.
  take(/(?<![\w./-])([a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*)/i, (m) => {
    slots.repositories.push(trimToken(m[1]!).toLowerCase());
  });

  // Environment: "to production", "in staging", "staging environment", "env=qa".
  take(/\b(?:environment|env)\s*[:=]?\s*([a-z][a-z0-9-]{0,31})(?![-.\w])/i, (m) => {
    const word = m[1]!.toLowerCase();
    if (['is', 'the', 'of'].includes(word)) return false;
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

  // Durations: "10 minutes", "2 hour".
  take(/\b(\d{1,5})\s*(minutes?|mins?|m|hours?|hrs?|h)\b/i, (m) => {
    const n = Number(m[1]);
    slots.minutes ??= /^h/i.test(m[2]!) ? n * 60 : n;
  });

  // Host names: named explicitly, then anything that looks like one.
  const named = [
    /\b(?:called|named|name is|hostname(?: is)?|host name(?: is)?)\s+([A-Za-z0-9][A-Za-z0-9.-]*)/i,
    /\b(?:agent|server|host|machine|node|box)\s*:\s*([A-Za-z0-9][A-Za-z0-9.-]*)/i,
    /\b(?:register|enrol+|onboard|add|connect|provision|set ?up)\s+(?:(?:a|an|the|new|another|agent|server|host|machine|node|box|please)\s+)*(?:(?:on|for|as)\s+)?([A-Za-z0-9][A-Za-z0-9.-]*)/i,
    /\b(?:host|agent|server|machine|node)\s+([A-Za-z0-9][A-Za-z0-9.-]*)/i,
  ];
  for (const re of named) {
    const m = re.exec(rest);
    const name = m ? trimToken(m[1]!).toLowerCase() : '';
    if (name && isHostname(name) && !isSemver(name) && !slots.hostname) slots.hostname = name;
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
  if (!slots.ref) {
    const at = new RegExp(String.raw`\b(?:at|from)\s+(${REF_CHARS})`, 'i').exec(rest);
    const candidate = at ? trimToken(at[1]!) : '';
    if (candidate && (COMMON_BRANCHES.has(candidate) || /[\d/]/.test(candidate)) && !looksLikeHost(candidate))
      slots.ref = candidate;
  }
  if (!slots.ref) {
    const branch = rest
      .split(/\s+/)
      .map(trimToken)
      .find((t) => COMMON_BRANCHES.has(t));
    if (branch) slots.ref = branch;
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
