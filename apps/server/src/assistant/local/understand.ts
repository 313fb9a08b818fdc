import { GIT_REF_RE, HOSTNAME_RE } from '@deploybot/shared';
import { inlineLiteral, plainText } from '../literal';
import { answerOf, type CatalogMatch, checkValues, inputsIn, matchCatalog, nextQuestion } from './catalog';
import { type Intent, normalize, recognizeIntent, type WorkflowIntent, workflowIntentOf } from './intents';
import { type FleetSnapshot, findAgent, resolveEnvironment, resolveRepository } from './resolver';
import { cronOf, eventOf, saysWebhook } from './schedule';
import { clean, extractSlots, type Slots } from './slots';

export type SlotValues = Record<string, string | number>;

/** A question the assistant asks before it can act, and what it remembers for the answer. */
export interface Clarification {
  about: Intent;
  ask: string;
  question: string;
  /** Messages the person can send with one click (each a complete request). */
  options: { label: string; message: string }[];
  /** Slots already known, kept for the next message. */
  known: SlotValues;
}

export type Understanding =
  | { intent: Intent | 'unknown'; slots: SlotValues }
  | { intent: 'clarify'; slots: { about: Intent; ask: string }; clarification: Clarification };

/** State kept between turns when the assistant asked something. */
export interface Pending {
  intent: Intent;
  ask: string;
  known: SlotValues;
}

const clarify = (c: Omit<Clarification, 'known'> & { known?: SlotValues }): Understanding => ({
  intent: 'clarify',
  slots: { about: c.about, ask: c.ask },
  clarification: { ...c, known: c.known ?? {} },
});

/** Drops undefined entries. */
function defined(values: Record<string, string | number | undefined>): SlotValues {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as SlotValues;
}

/**
 * Intent plus slots, resolved against the fleet: what the local assistant will do, or what it must ask.
 * `pending` is the question asked on the previous turn: a short answer ("staging", "myorg/frontend",
 * "web-07") fills it in.
 */
export function understand(text: string, fleet: FleetSnapshot, pending?: Pending | null): Understanding {
  const recognised = recognizeIntent(text);
  const slots = extractSlots(text);
  // An answer to "what should <input> be?" for an operator's workflow, unless the person moved on (a request the
  // rules know, as for the built-ins' questions, or a question of their own).
  if (pending?.intent === 'start_workflow' && recognised.score < 4 && !/\?\s*$/.test(text)) {
    const matched = matchCatalog(text, fleet.workflows ?? []);
    if (matched.length === 0) return continueCatalog(pending, text, fleet);
  }
  // An operator's workflow named by its words, unless what is left of the message asks something else.
  const catalog = matchCatalog(text, fleet.workflows ?? []);
  if (catalog.length > 0 && recognizeIntent(catalog[0]!.rest).score < 8)
    return startCatalog(catalog, text, fleet);
  const continues =
    pending &&
    (recognised.intent === 'unknown' || recognised.intent === pending.intent || recognised.score < 4);
  if (continues) return resolve(pending.intent, slots, fleet, pending, text);
  if (recognised.intent === 'unknown') return { intent: 'unknown', slots: {} };
  return resolve(recognised.intent, slots, fleet, null, text);
}

function resolve(
  intent: Intent,
  s: Slots,
  fleet: FleetSnapshot,
  pending: Pending | null,
  text: string,
): Understanding {
  const known = pending?.known ?? {};
  const bare = normalize(text);
  const bareName = /^[a-z0-9][a-z0-9.-]*$/.test(bare) && HOSTNAME_RE.test(bare) ? bare : undefined;
  const environment = s.environment ? resolveEnvironment(s.environment, fleet) : undefined;

  switch (intent) {
    case 'register_agent': {
      // An answer to "which host name?" that is not one ("my web server") is that bad name, exactly as written.
      const answered =
        pending?.ask === 'hostname' && !bareName && bare.split(/\s+/).length <= 5 ? clean(text) : undefined;
      const badHostname = s.badHostname ?? (s.hostname ? undefined : answered);
      const hostname = badHostname
        ? undefined
        : (s.hostname ?? s.hostnameLike[0] ?? (pending?.ask === 'hostname' ? bareName : undefined));
      const values = defined({
        hostname,
        environment: environment ?? (known.environment as string | undefined),
        labels: s.labels ?? (known.labels as string | undefined),
      });
      if (badHostname) {
        const suggestion = badHostname
          .toLowerCase()
          .replace(/[^a-z0-9.-]+/g, '-')
          .replace(/^[-.]+|[-.]+$/g, '');
        const where = values.environment ? ` in ${values.environment}` : '';
        return clarify({
          about: intent,
          ask: 'hostname',
          question: `${inlineLiteral(badHostname, 80)} is not a valid host name: a host name is letters, digits, hyphens and dots, with no spaces or underscores (RFC 1123), e.g. \`prod-server-03\`. Which host name should the new agent have?`,
          options:
            suggestion && HOSTNAME_RE.test(suggestion) && !findAgent(suggestion, fleet)
              ? [{ label: suggestion, message: `Register a new agent called ${suggestion}${where}` }]
              : [],
          known: values,
        });
      }
      if (!hostname) {
        return clarify({
          about: intent,
          ask: 'hostname',
          question: 'What is the host name of the new server (e.g. `prod-server-03`)?',
          options: [],
          known: values,
        });
      }
      if (findAgent(hostname, fleet)) {
        return clarify({
          about: intent,
          ask: 'hostname',
          question: `An agent named \`${hostname}\` is already registered. Which host name should the new agent have?`,
          options: [],
          known: { ...values, hostname: '' },
        });
      }
      return { intent, slots: values };
    }

    case 'deploy_application': {
      const words = pending?.ask === 'repository' ? [...s.words, ...bare.split(/\s+/)] : s.words;
      const repo = resolveRepository(s.repositories, words, fleet);
      const env = environment ?? (known.environment as string | undefined);
      const answeredRef = pending?.ask === 'ref' && /^\S+$/.test(clean(text)) ? clean(text) : undefined;
      const ref = s.ref ?? answeredRef ?? (known.ref as string | undefined);
      const keep = defined({ ref, environment: env });
      const repoName =
        repo.kind === 'found'
          ? repo.name
          : repo.kind === 'missing' && typeof known.repository === 'string'
            ? known.repository
            : undefined;
      // The ref is used exactly as written, or the assistant asks: never swapped for the default branch.
      const refProblem =
        ref === undefined
          ? null
          : !GIT_REF_RE.test(ref)
            ? `${inlineLiteral(ref, 80)} is not a valid git ref (a branch, tag or commit sha has no spaces, no "..", and does not start with "-").`
            : s.refSource === 'at' && findAgent(ref, fleet)
              ? `\`${ref}\` is an agent, not a ref: the deploy picks its target agent at its first gate, where you can choose another one.`
              : null;
      if (refProblem && repoName) {
        return clarify({
          about: intent,
          ask: 'ref',
          question: `${refProblem} Which branch, tag or commit of \`${repoName}\` should I deploy?`,
          options: [],
          known: defined({ repository: repoName, environment: env }),
        });
      }
      if (repo.kind !== 'found' && typeof known.repository === 'string' && repo.kind === 'missing') {
        const r = fleet.repositories.find((x) => x.name === known.repository);
        if (r)
          return {
            intent,
            slots: defined({ repository: r.name, ref: ref ?? r.defaultRef, environment: env }),
          };
      }
      if (repo.kind === 'found') {
        return {
          intent,
          slots: defined({ repository: repo.name, ref: ref ?? repo.defaultRef, environment: env }),
        };
      }
      const suffix = `${ref ? ` at ${ref}` : ''}${env ? ` to ${env}` : ''}`;
      const options = repo.candidates.slice(0, 6).map((name) => ({
        label: name,
        message: `Deploy ${name}${suffix}`,
      }));
      const question =
        repo.kind === 'unknown'
          ? `\`${repo.name}\` is not a registered repository. Which one do you mean?`
          : repo.kind === 'ambiguous'
            ? `Several repositories match: ${repo.candidates.map((c) => `\`${c}\``).join(', ')}. Which one?`
            : repo.candidates.length > 0
              ? 'Which repository should I deploy?'
              : 'No repository is registered yet: register one with `POST /v1/repositories` first.';
      return clarify({ about: intent, ask: 'repository', question, options, known: keep });
    }

    case 'troubleshoot_failure':
      return { intent, slots: defined({ job_id: s.jobId }) };

    case 'list_triggers':
      return { intent, slots: {} };

    case 'propose_trigger':
      return proposeTrigger(text, s, fleet, environment);

    case 'health_check':
      return { intent, slots: defined({ stuck_after_minutes: s.minutes }) };

    case 'list_agents':
      return {
        intent,
        slots: defined({
          status: s.agentStatus,
          environment: environment ?? fleetEnvironmentWord(text, fleet),
        }),
      };

    case 'agent_details': {
      const hostname =
        s.hostnameLike.find((h) => findAgent(h, fleet)) ??
        s.hostnameLike[0] ??
        (pending?.ask === 'hostname' ? bareName : undefined);
      const options = fleet.agents.slice(0, 6).map((a) => ({
        label: a.hostname,
        message: `What's deployed on ${a.hostname}?`,
      }));
      if (!hostname) {
        return clarify({ about: intent, ask: 'hostname', question: 'Which agent do you mean?', options });
      }
      if (!findAgent(hostname, fleet)) {
        const known = fleet.agents.map((a) => `\`${a.hostname}\``).join(', ');
        return clarify({
          about: intent,
          ask: 'hostname',
          question: `There is no agent \`${hostname}\`.${known ? ` Registered: ${known}.` : ' No agent is registered yet.'} Which one do you mean?`,
          options,
        });
      }
      return { intent, slots: { hostname } };
    }

    case 'list_jobs':
    case 'deployment_history': {
      const hostname = s.hostnameLike.find((h) => findAgent(h, fleet));
      let repository: string | undefined;
      if (s.repositories.length > 0 || s.words.length > 0) {
        const repo = resolveRepository(s.repositories, s.words, fleet);
        if (repo.kind === 'found') repository = repo.name;
        if (repo.kind === 'ambiguous') {
          return clarify({
            about: intent,
            ask: 'repository',
            question: `Several repositories match: ${repo.candidates.map((c) => `\`${c}\``).join(', ')}. Which one?`,
            options: repo.candidates.map((c) => ({
              label: c,
              message: intent === 'list_jobs' ? `Show jobs of ${c}` : `Deployment history of ${c}`,
            })),
          });
        }
      }
      return {
        intent,
        slots: defined({
          status: intent === 'list_jobs' ? s.jobStatus : undefined,
          repository,
          hostname: hostname ?? (repository ? undefined : undefined),
        }),
      };
    }

    case 'last_deploy': {
      const repo =
        s.repositories.length > 0 || s.words.length > 0
          ? resolveRepository(s.repositories, s.words, fleet)
          : null;
      if (repo?.kind === 'ambiguous' || repo?.kind === 'unknown') {
        return clarify({
          about: intent,
          ask: 'repository',
          question:
            repo.kind === 'unknown'
              ? `\`${repo.name}\` is not a registered repository. Which one do you mean?`
              : `Several repositories match: ${repo.candidates.map((c) => `\`${c}\``).join(', ')}. Which one?`,
          options: repo.candidates.slice(0, 6).map((c) => ({ label: c, message: `Who deployed ${c} last?` })),
        });
      }
      return { intent, slots: repo?.kind === 'found' ? { repository: repo.name } : {} };
    }

    case 'job_logs':
      return { intent, slots: s.jobId ? { job_id: s.jobId } : { which: s.which ?? 'last' } };

    case 'list_runs':
      return { intent, slots: { state: s.runState ?? 'active' } };

    case 'workflow_status':
    case 'cancel_workflow':
      return { intent, slots: defined({ run_id: s.runId }) };

    case 'explain_run':
    case 'propose_rollback':
      return pastRun(intent, text, s, fleet);

    case 'start_workflow':
      // Only the catalog starts these (see `understand`); what reaches here (a question instead of the value
      // asked for) is not understood rather than taken as a value.
      return { intent: 'unknown', slots: {} };

    default:
      return { intent, slots: {} };
  }
}

/** "run 3f2a9c1d": the start of a run's id, as cards show it. */
function runPrefixOf(text: string): string | undefined {
  return /\brun\s+(?:id\s+)?#?([0-9a-f]{4}[0-9a-f-]{0,32})(?![\w-])/i.exec(text)?.[1]?.toLowerCase();
}

/**
 * The past run a question or a rollback is about: a run named by (the start of) its id, or the last deploy of a
 * repository. A rollback always names one: without it, the assistant asks which repository.
 */
function pastRun(
  intent: 'explain_run' | 'propose_rollback',
  text: string,
  s: Slots,
  fleet: FleetSnapshot,
): Understanding {
  const runId = s.runId ?? runPrefixOf(text);
  if (runId) return { intent, slots: { run_id: runId } };
  const repo =
    s.repositories.length > 0 || s.words.length > 0
      ? resolveRepository(s.repositories, s.words, fleet)
      : null;
  if (repo?.kind === 'found') return { intent, slots: { repository: repo.name } };
  const verb =
    intent === 'propose_rollback' ? 'Roll back the last deploy of' : 'What happened in the last deploy of';
  if (repo?.kind === 'ambiguous' || repo?.kind === 'unknown' || intent === 'propose_rollback') {
    const candidates = repo ? repo.candidates : fleet.repositories.map((r) => r.name);
    return clarify({
      about: intent,
      ask: 'repository',
      question:
        repo?.kind === 'unknown'
          ? `\`${repo.name}\` is not a registered repository. Which one do you mean?`
          : repo?.kind === 'ambiguous'
            ? `Several repositories match: ${repo.candidates.map((c) => `\`${c}\``).join(', ')}. Which one?`
            : intent === 'propose_rollback'
              ? 'Which repository’s last deploy should I roll back?'
              : 'Which run do you mean?',
      options: candidates.slice(0, 6).map((c) => ({ label: c, message: `${verb} ${c}` })),
    });
  }
  return { intent, slots: {} };
}

/** An operator's workflow named in the message: start it, or ask for its first missing input. */
function startCatalog(matches: CatalogMatch[], text: string, fleet: FleetSnapshot): Understanding {
  if (matches.length > 1) {
    return clarify({
      about: 'start_workflow',
      ask: 'workflow',
      question: `Several workflows match: ${matches.map((m) => `**${plainText(m.workflow.title)}** (\`${m.workflow.name}\`)`).join(', ')}. Which one?`,
      options: matches
        .slice(0, 6)
        .map((m) => ({ label: m.workflow.title, message: `Run ${m.workflow.name}` })),
    });
  }
  const w = matches[0]!.workflow;
  return withInputs(
    w,
    inputsIn(
      text,
      w.inputs,
      fleet.agents.map((a) => a.hostname),
    ),
  );
}

/** The values given so far, checked; the next missing one asked for (secrets never: the form takes them). */
function withInputs(
  w: NonNullable<FleetSnapshot['workflows']>[number],
  raw: Record<string, unknown>,
): Understanding {
  // A value its input refuses is dropped and asked for again, saying why.
  let given = { ...raw };
  let problem: string | undefined;
  let checked = checkValues(w, given);
  while (!checked.ok) {
    problem ??= checked.message;
    given = { ...given, [checked.key]: undefined };
    checked = checkValues(w, given);
  }
  const values = checked.values;
  const next = nextQuestion(w, values, problem);
  if (!next) return { intent: 'start_workflow', slots: { workflow: w.name, ...values } };
  const spec = w.inputs.find((i) => i.key === next.ask)!;
  if (spec.type === 'secret') {
    return clarify({
      about: 'start_workflow',
      ask: '',
      question: `**${plainText(w.title)}** needs **${plainText(spec.label)}**, a secret: I don’t take secrets in the chat. Start it from its form in the Workflows panel.`,
      options: [],
    });
  }
  return clarify({
    about: 'start_workflow',
    ask: next.ask,
    question: next.question,
    options: next.options,
    known: { workflow: w.name, ...values },
  });
}

/** The answer to the input asked last: that input's value, exactly as written, then the next question. */
function continueCatalog(pending: Pending, text: string, fleet: FleetSnapshot): Understanding {
  const w = (fleet.workflows ?? []).find((x) => x.name === pending.known.workflow);
  const { workflow: _name, ...known } = pending.known;
  if (!w) return { intent: 'unknown', slots: {} };
  const spec = w.inputs.find((i) => i.key === pending.ask);
  const given = inputsIn(
    text,
    w.inputs,
    fleet.agents.map((a) => a.hostname),
  );
  return withInputs(w, {
    ...known,
    ...given,
    ...(spec && given[spec.key] === undefined && { [spec.key]: answerOf(text, spec) }),
  });
}

/** How a proposal's one-click answers start: the workflow in words. */
const WORKFLOW_VERB: Record<WorkflowIntent, string> = {
  health_check: 'Run a health check',
  troubleshoot_failure: 'Troubleshoot',
  deploy_application: 'Deploy',
  register_agent: 'Register an agent',
};

/**
 * A trigger in words: the workflow (by the same rules that start one), and its source, an event ("every failed
 * job of myorg/app"), a webhook, or a schedule ("every weekday at 8:00 Berlin time" → cron and IANA zone).
 * The inputs are made by the provider; the trigger service checks everything before the card is shown.
 */
function proposeTrigger(
  text: string,
  s: Slots,
  fleet: FleetSnapshot,
  environment: string | undefined,
): Understanding {
  const named = /\b(deploy_application|troubleshoot_failure|health_check|register_agent)\b/.exec(
    normalize(text),
  );
  const workflow = (named?.[1] as WorkflowIntent | undefined) ?? workflowIntentOf(text);
  const event = eventOf(
    text,
    fleet.agents.map((a) => a.hostname),
  );
  const cron = event ? undefined : cronOf(text);
  const source: SlotValues | undefined = event
    ? defined({ source: 'event', on: event.on, filter: event.filter })
    : saysWebhook(text)
      ? { source: 'webhook' }
      : cron
        ? { source: 'cron', expression: cron.expression, timezone: cron.timezone }
        : undefined;
  const request = clean(text);
  if (!workflow) {
    return clarify({
      about: 'propose_trigger',
      ask: 'workflow',
      question: 'Which workflow should the trigger start?',
      options: (['health_check', 'troubleshoot_failure'] as const).map((w) => ({
        label: WORKFLOW_VERB[w],
        message: `${WORKFLOW_VERB[w]} ${request}`,
      })),
      known: source ?? {},
    });
  }
  if (!source) {
    const verb = WORKFLOW_VERB[workflow];
    return clarify({
      about: 'propose_trigger',
      ask: 'source',
      question: `When should the trigger start it? Say a schedule (“every weekday at 8:00 Berlin time”, “every day at 02:30 UTC”), an event (“every failed job of myorg/app”, “whenever an agent goes offline”) or “on a webhook”.`,
      options: [
        { label: 'Every weekday at 8:00 UTC', message: `${request} every weekday at 8:00 UTC` },
        { label: 'Every day at 02:00 UTC', message: `${request} every day at 02:00 UTC` },
      ].map((o) => (workflowIntentOf(request) ? o : { ...o, message: `${verb} ${o.message}` })),
      known: { workflow },
    });
  }
  if (workflow !== 'deploy_application') return { intent: 'propose_trigger', slots: { workflow, ...source } };
  const repo = resolveRepository(s.repositories, s.words, fleet);
  if (repo.kind !== 'found') {
    return clarify({
      about: 'propose_trigger',
      ask: 'repository',
      question:
        repo.kind === 'unknown'
          ? `\`${repo.name}\` is not a registered repository. Which one should the trigger deploy?`
          : repo.kind === 'ambiguous'
            ? `Several repositories match: ${repo.candidates.map((c) => `\`${c}\``).join(', ')}. Which one should the trigger deploy?`
            : 'Which repository should the trigger deploy?',
      options: repo.candidates.slice(0, 6).map((name) => ({ label: name, message: `${request} (${name})` })),
      known: { workflow, ...source },
    });
  }
  // "at 02:30" is the time of day here, never a ref: only a ref written as one counts.
  const ref = s.refSource === 'named' && s.ref ? s.ref : repo.defaultRef;
  return {
    intent: 'propose_trigger',
    slots: defined({ workflow, ...source, repository: repo.name, ref, environment }),
  };
}

/** "list production agents" names an environment without a preposition. */
function fleetEnvironmentWord(text: string, fleet: FleetSnapshot): string | undefined {
  const words = normalize(text).split(/\s+/);
  const envs = new Set([...fleet.agents.map((a) => a.environment), 'production', 'staging', 'development']);
  return words.find((w) => envs.has(w));
}
