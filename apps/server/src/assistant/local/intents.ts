import { clean } from './slots';
/**
 * Intent recognition for the local assistant: weighted patterns over the normalised message, highest total
 * wins, ties go to the intent listed first. Deterministic, no model, no network.
 */

export const INTENTS = [
  'propose_rollback',
  'explain_run',
  'list_triggers',
  'propose_trigger',
  'register_agent',
  'deploy_application',
  'troubleshoot_failure',
  'health_check',
  'cancel_workflow',
  'job_logs',
  'agent_details',
  'list_agents',
  'list_jobs',
  'recent_failures',
  'deployment_stats',
  'last_deploy',
  'deployment_history',
  'show_workflows',
  'list_runs',
  'workflow_status',
  'list_repositories',
  'approval_request',
  'help',
  /** An operator's own workflow of the catalog, found by its words (catalog.ts), not by these rules. */
  'start_workflow',
] as const;
export type Intent = (typeof INTENTS)[number];

type Rule = [pattern: RegExp, weight: number];

const HOSTNAME_LIKE = String.raw`[a-z0-9]+(?:[-.][a-z0-9]+)*-?\d+[a-z0-9.-]*|[a-z0-9]+(?:-[a-z0-9]+)+`;
const MACHINE = '(?:agents?|servers?|hosts?|machines?|nodes?|box(?:es)?|runners?|workers?)';
const FLEET_NOUN = '(?:agents|servers|hosts|machines|nodes|boxes|fleet)';

const DAY_NAME = '(?:mon|tues|wednes|thurs|fri|satur|sun)days?';
const PERIOD = String.raw`(?:day|weekday|week ?day|working day|business day|weekend|night|morning|evening|hour|minute|second|week|month|${DAY_NAME}|\d{1,3} (?:seconds?|minutes?|mins?|hours?))`;

const RULES: Record<Intent, Rule[]> = {
  // "roll back the last deploy of myorg/app": the plan and a button; only the person's click starts it.
  propose_rollback: [
    [/\b(roll ?back|rollback|revert|undo)\b/, 10],
    [/\b(go|get) back to\b.{0,30}\b(previous|last|old|earlier)\b/, 8],
  ],
  // "what happened in run 3f2a9c1d", "timeline of the last deploy of myorg/app": from the run's timeline.
  explain_run: [
    [/\bwhat (happened|went on)\b.{0,20}\b(in|to|with|during|on)\b.{0,15}\b(run|workflow run)\b/, 10],
    [/\b(timeline|story|history|events) of (the |that |this )?(run|workflow run)\b/, 10],
    [
      /\b(what happened|timeline)\b.{0,30}\b(last|latest|previous|most recent) (deploy|deployment|release|run)\b/,
      10,
    ],
    [/\bexplain (run|the run|that run|this run)\b/, 10],
    [/\bwalk me through (run|the run|the last)\b/, 10],
  ],
  // Triggers: listed, or proposed from a schedule or an event in words ("every weekday at 8:00 Berlin time",
  // "every failed job of myorg/app"); the proposal is only shown, a person's click creates it.
  list_triggers: [
    [
      /\b(list|show|which|what|any|all|my|our|existing|current|active)\b.{0,30}\b(triggers|schedules|scheduled (workflows|runs|jobs))\b/,
      12,
    ],
    [/^(triggers|schedules)$/, 12],
    [/\btriggers\b.{0,20}\b(are there|exist|do we have|configured|set up)\b/, 12],
  ],
  propose_trigger: [
    [new RegExp(String.raw`\b(every|each) ${PERIOD}\b`), 10],
    [/\b(daily|nightly|hourly|weekly|monthly)\b/, 10],
    [new RegExp(String.raw`\bon (weekdays|weekends|${DAY_NAME})\b`), 10],
    [/\b(every|each)\b.{0,20}\b(failed|failing|successful)\b.{0,20}\b(jobs?|deploy(ment)?s?)\b/, 10],
    [/\b(whenever|every time|each time)\b/, 10],
    [/\b(create|add|set ?up|make|new|propose|schedule)\b.{0,20}\b(trigger|schedule|cron)\b/, 12],
    [/\bschedule (a |an |the )?(deploy|deployment|health|troubleshoot|run)/, 10],
    [/\bcron\b/, 8],
    [/\b(web ?hooks?|on (every |each )?push(es)?)\b/, 10],
    [/\bwhen(ever)?\b.{0,40}\b(goes|go|went) (offline|down|silent)\b/, 10],
    [
      /\bwhen\b.{0,40}\b(agent|server|host|machine|node)s?\b.{0,20}\b(goes|go|went|is|are) (offline|down|silent)\b/,
      10,
    ],
  ],
  register_agent: [
    [/\b(register|registre|enrol+|onboard|provision)\b/, 4],
    [
      new RegExp(
        String.raw`\b(add|connect|set ?up|hook up|join|attach|bring)\b.{0,30}\b(new |another )?${MACHINE}\b`,
      ),
      4,
    ],
    [new RegExp(String.raw`\b(new|another)\s+${MACHINE}\b`), 2],
    [/\bnew (agent|server|host|machine|node)\s*:/, 2],
  ],
  deploy_application: [
    // With the typos people make typing fast.
    [/\b(deploy|redeploy|ship|roll ?out|promote|depoly|deploi|delpoy|dpeloy|deplyo)\b/, 4],
    [/\brelease\b(?! notes)/, 3],
    [/\b(push|put)\b.{0,40}\b(to|on|onto|into)\b/, 3],
    [/\bgo live\b/, 4],
    [/\b(need|want|get|have|like)\b.{0,40}\bdeployed\b/, 4],
    [/\bget\b.{0,40}\bout to\b/, 4],
  ],
  troubleshoot_failure: [
    [/\bwhy\b.{0,60}\b(fail|failed|failing|fails|broke|broken|crash|crashed|error|errored)\b/, 7],
    [/\b(fail|failed|failing|broke|broken|crash|crashed)\b.{0,60}\bwhy\b/, 7],
    [/\b(troubleshoot|diagnose|debug|investigate)\b/, 6],
    [/\broot cause\b/, 6],
    [/\b(went wrong|figure out why|what happened)\b/, 6],
    [/\bfix\b.{0,40}\b(fail|failed|failing|failure|broken|deploy)/, 6],
    [/\b(fail|failed|failing|broke|broken|crashed)\b.{0,60}\b(look into|look at|check|dig into)\b/, 6],
  ],
  health_check: [
    [/\bhealth ?(check|report|status)\b/, 8],
    [/\bcheck\b.{0,30}\bhealth\b/, 8],
    [/\bsanity check\b/, 6],
    [/\b(system|fleet|cluster|platform|overall) health\b/, 8],
    [
      /\bhow (is|are) (the |our )?(fleet|system|systems|things|everything|infrastructure|infra|cluster|platform)\b/,
      6,
    ],
    [/\bis everything (ok|okay|fine|healthy|alright|all right|good|working)\b/, 6],
    [/\b(all|every) (systems?|agents?|servers?) (healthy|ok|okay|fine|up)\b/, 6],
    [/\bsystem (check|status)\b/, 5],
  ],
  cancel_workflow: [
    [/\b(cancel|abort|terminate|halt)\b/, 6],
    [/\bstop\b.{0,30}\b(it|that|this|run|workflow|deploy|deployment|registration|check)\b/, 6],
  ],
  job_logs: [
    [/(?<![-.\w])logs?(?![-.\w])/, 6],
    [/\b(output|stderr|stdout)\b.{0,40}\b(job|deploy|deployment|run|failure)\b/, 6],
    [/\b(job|deploy|deployment|run)\b.{0,20}\b(print|printed|output|say|said|write|wrote)\b/, 6],
  ],
  agent_details: [
    [
      new RegExp(
        String.raw`\bwhat('?s| is| was)? (deployed |running |installed )?on (${HOSTNAME_LIKE}|the (server|agent|host|machine|box))\b`,
      ),
      6,
    ],
    [
      new RegExp(
        String.raw`\b(tell me about|details (of|for|about)|info (on|about)|describe|status of) (${HOSTNAME_LIKE})\b`,
      ),
      6,
    ],
    [
      new RegExp(
        String.raw`\bis (${HOSTNAME_LIKE}) (online|offline|up|down|healthy|ok|okay|alive|connected|reachable|draining)\b`,
      ),
      6,
    ],
  ],
  list_agents: [
    [new RegExp(String.raw`\b(which|what|list|show|all|how many|any)\b.{0,30}\b${FLEET_NOUN}\b`), 4],
    [new RegExp(String.raw`\b${FLEET_NOUN}\b.{0,20}\b(offline|online|down|up|draining|unreachable)\b`), 2],
    [/^(agents|servers|hosts)$/, 4],
  ],
  list_jobs: [
    [/\b(list|show|which|what|recent|running|pending|active|current|queued)\b.{0,30}\bjobs\b/, 5],
    [/\bjobs\b.{0,20}\b(running|pending|queued)\b/, 5],
    [/^jobs (on|for|of)\b/, 5],
  ],
  recent_failures: [
    [/\b(failures|failed (jobs|deployments|deploys))\b/, 4],
    [/\bwhat (failed|broke)\b/, 5],
    [/\b(anything|something) fail(ed)?\b/, 5],
  ],
  deployment_stats: [
    [/\b(success|failure|error) rate\b/, 8],
    // Whole words only: `metrics-02` is a host name, not a question about metrics.
    [/(?<![-.\w])(stats|statistics|metrics|kpis?|p50|p95|p99)(?![-.\w])/, 7],
    [/\bhow (long|fast|slow) (do|does|are|is)\b/, 6],
    [/\bhow many (deployments|deploys|jobs|releases)\b/, 6],
  ],
  // Who approved, who deployed, when: answered from the deploy runs and the decisions at their gates.
  last_deploy: [
    [/\bwho\b.{0,30}\b(approved|rejected|signed off|okayed|ok'?d|green-?lit)\b/, 9],
    [/\bwho\b.{0,30}\b(deployed|released|shipped|pushed|rolled out|promoted|did|ran|started)\b/, 9],
    [/\bwhen (was|were|did)\b.{0,40}\b(deploy|release|ship|roll)/, 8],
    [/\blast deployed\b/, 6],
  ],
  deployment_history: [
    [/\b(deployment|deploy|release) history\b/, 8],
    [/\bhistory of\b/, 6],
    [/\b(recently|previously) deployed\b/, 6],
    [/\b(past|previous|earlier) (deployments|deploys|releases)\b/, 7],
  ],
  show_workflows: [
    [/\bworkflows?\b.{0,30}\b(available|templates?|definitions?|exist|there|can i|can you|start)\b/, 6],
    [/\b(show|list|available|which|what)\b.{0,12}\bworkflows?( templates?| definitions?)?\s*\??$/, 6],
    [/\bworkflow (templates|definitions|types)\b/, 6],
  ],
  list_runs: [
    [
      /\b(active|running|open|waiting|ongoing|current|past|finished|completed|previous|recent) (workflows|workflow runs|runs)\b/,
      7,
    ],
    [/\bwhat('?s| is) (running|going on|happening)( right)?( now)?\b/, 6],
    [/\b(list|show)\b.{0,20}\bruns\b/, 6],
    [/\bworkflows?\b.{0,20}\b(running|active|in progress|waiting|going on)\b/, 7],
  ],
  workflow_status: [
    [
      /\b(status|progress|state)\b.{0,30}\b(my|the|this|that|our) (deploy|deployment|registration|run|workflow|check|troubleshooting|health check)\b/,
      7,
    ],
    [/\bstatus of (run|workflow)\b/, 7],
    [
      /\bhow('?s| is| are)\b.{0,20}\b(registration|deployment|deploy|rollout|run|workflow|troubleshooting) (going|doing|coming)\b/,
      7,
    ],
    [/\bwhere are we\b/, 6],
    [/\bis it (done|finished|complete)\b/, 6],
  ],
  list_repositories: [
    [/\b(repositories|repos)\b/, 5],
    [/\b(which|what|list|show)\b.{0,20}\b(apps|applications|projects|services)\b/, 4],
    [/\bwhat can i deploy\b/, 6],
  ],
  approval_request: [
    [/\b(waiting|pending|needs?)\b.{0,30}\b(my )?(approval|decision|sign[- ]?off)\b/, 8],
    [/\b(can|should|may|could) (i|we) (approve|reject)\b/, 8],
    [/\b(waiting|pending) (on|for) (me|us)\b/, 8],
    [/\b(approve|approved|reject|rejected|approval)\b/, 5],
  ],
  start_workflow: [],
  help: [
    [/^(hi|hello|hey|hiya|good (morning|afternoon|evening)|yo)\b/, 3],
    [/^(help|\?|menu|commands|usage)\b/, 4],
    [/\bwhat can you do\b/, 6],
    [/\bhow (do i|can i) use you\b/, 6],
  ],
};

export interface IntentScore {
  intent: Intent | 'unknown';
  score: number;
  /** Runner-up score, for callers that want to know how clear the choice was. */
  runnerUp: number;
}

/** `clean` (straight quotes, single spaces, no trailing punctuation), lower-cased. */
export function normalize(text: string): string {
  return clean(text).toLowerCase();
}

/** The workflows a trigger can be proposed for, as the intents that start them. */
const WORKFLOW_INTENTS = [
  'deploy_application',
  'troubleshoot_failure',
  'health_check',
  'register_agent',
] as const;
export type WorkflowIntent = (typeof WORKFLOW_INTENTS)[number];

/** The workflow a message names ("run a health check every …" → health_check), by the same rules; ties to the first. */
export function workflowIntentOf(text: string): WorkflowIntent | undefined {
  const t = normalize(text);
  let best: WorkflowIntent | undefined;
  let bestScore = 0;
  for (const intent of WORKFLOW_INTENTS) {
    const score = RULES[intent].reduce((sum, [re, w]) => sum + (re.test(t) ? w : 0), 0);
    if (score > bestScore) [best, bestScore] = [intent, score];
  }
  return best;
}

export function recognizeIntent(text: string): IntentScore {
  const t = normalize(text);
  const scores = INTENTS.map((intent) => ({
    intent,
    score: RULES[intent].reduce((sum, [re, w]) => sum + (re.test(t) ? w : 0), 0),
  }));
  // Stable sort keeps INTENTS order for ties.
  const sorted = [...scores].sort((a, b) => b.score - a.score);
  const [best, second] = sorted;
  if (!best || best.score === 0) return { intent: 'unknown', score: 0, runnerUp: 0 };
  return { intent: best.intent, score: best.score, runnerUp: second?.score ?? 0 };
}
