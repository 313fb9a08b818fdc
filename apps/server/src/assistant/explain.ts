import OpenAI from 'openai';
import type { WindowStats } from '../fleet/fleet-metrics';
import type { AgentHealth, JobHealth } from '../workflows/health-report';
import { describeFailure } from './openai/errors';
import type { OpenAiOptions } from './openai/openai-provider';
import { safeForModel } from './redact';

export type ExplainTopic = 'troubleshoot' | 'health';
export interface Explanation {
  text: string;
  source: 'model' | 'template';
}
/** Writes a short explanation of a step's measured facts (added next to them, never instead). */
export type Explain = (topic: ExplainTopic, facts: unknown, signal: AbortSignal) => Promise<Explanation>;

interface FailureGroupFacts {
  label: string;
  count: number;
  agents: string[];
  repositories: string[];
}
interface TroubleshootFacts {
  failures: number;
  groups: FailureGroupFacts[];
  target?: {
    id: string;
    repository: string;
    ref: string;
    agentHostname: string;
    error: string | null;
    diagnosedCause: string;
  } | null;
}
interface HealthFacts {
  agents: AgentHealth[];
  jobs: JobHealth;
  metrics: WindowStats[];
  recommendations: string[];
}

const CAUSE_ADVICE: Record<string, string> = {
  agent_lost:
    'the agent disconnected in the middle of the job, so the job never finished; once the agent is back (or on a healthy agent) a retry usually succeeds',
  agent_offline:
    'the agent was not connected to take the job; bring it back or retry on another online agent',
  ref_not_found:
    'the branch, tag or commit does not exist in the repository; check the ref name before retrying',
  clone_failed:
    'the agent could not fetch the repository; check the URL, credentials and network from that agent',
  manifest_invalid: 'the repository’s deploybot.yml could not be read; fix the manifest and deploy again',
  step_failed:
    'a command of deploybot.yml exited with an error; the gathered log lines show which one and why',
  timeout: 'the job ran past its time limit; look for a step that hangs, or raise the timeout',
  internal: 'the controller hit an internal error; check its log',
};

/** A plain explanation built only from the facts: what `local` uses, and the fallback when a model fails. */
export function templateExplanation(topic: ExplainTopic, facts: unknown): string {
  if (topic === 'troubleshoot') {
    const f = facts as TroubleshootFacts;
    if (!f.failures || !f.target)
      return 'No unresolved failures in the last 24 hours, so there is nothing to fix.';
    const t = f.target;
    const top = f.groups[0];
    const spread =
      f.groups.length > 1
        ? ` Failures fall into ${f.groups.length} groups; the largest is “${top?.label}” (${top?.count}).`
        : top && top.count > 1
          ? ` All ${top.count} share that cause${top.agents.length === 1 ? `, all on ${top.agents[0]}` : ''}.`
          : '';
    const advice =
      CAUSE_ADVICE[t.diagnosedCause] ?? 'the cause is unclear from the job alone; read the gathered logs';
    return `${f.failures} deployment${f.failures === 1 ? '' : 's'} failed in the last 24 hours without a successful retry. The most recent, ${t.repository}@${t.ref} on ${t.agentHostname}, failed${t.error ? ` with “${t.error.slice(0, 200)}”` : ''}: ${advice}.${spread}`;
  }
  const f = facts as HealthFacts;
  const online = f.agents.filter((a) => a.status === 'online').length;
  const troubled = f.agents.filter((a) => a.problems.length > 0).map((a) => a.hostname);
  const day = f.metrics.find((m) => m.window === '24h');
  const parts = [
    f.agents.length === 0
      ? 'No agents are registered yet.'
      : `${online} of ${f.agents.length} agent${f.agents.length === 1 ? ' is' : 's are'} online${troubled.length ? `; ${troubled.join(', ')} need${troubled.length === 1 ? 's' : ''} attention` : ' and none reports a problem'}.`,
    `${f.jobs.running} job${f.jobs.running === 1 ? ' is' : 's are'} running${f.jobs.stuck.length ? `, ${f.jobs.stuck.length} of them stuck` : ''}${f.jobs.waiting.length ? `, and ${f.jobs.waiting.length} wait for an agent` : ''}.`,
    day && day.successRate !== null
      ? `In the last 24 hours ${day.successRate}% of ${day.succeeded + day.failed} finished deployments succeeded.`
      : 'No deployment finished in the last 24 hours.',
  ];
  if (f.recommendations[0]) parts.push(`First thing to do: ${f.recommendations[0]}`);
  return parts.join(' ');
}

export const templateExplainer: Explain = async (topic, facts) => ({
  text: templateExplanation(topic, facts),
  source: 'template',
});

const INSTRUCTIONS =
  'You explain measured facts about a deployment fleet to an operator in 2 to 4 plain sentences: what is wrong (or that nothing is), the likely reason, and the first thing to do. Use only the JSON facts given; do not invent hosts, numbers or causes; no headings, no lists.';

/**
 * With a model configured, the model writes the explanation from the facts; if it fails (or is slow), the
 * template stands in and says that the model could not be reached.
 */
export function modelExplainer(opts: OpenAiOptions, timeoutMs = Math.min(opts.timeoutMs, 30_000)): Explain {
  const client = new OpenAI({
    apiKey: opts.apiKey,
    baseURL: opts.baseURL,
    timeout: timeoutMs,
    maxRetries: opts.maxRetries ?? 1,
  });
  return async (topic, facts, signal) => {
    const abort = new AbortController();
    const onAbort = () => abort.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(new Error('timeout'));
    }, timeoutMs);
    try {
      const res = await client.chat.completions.create(
        {
          model: opts.model,
          messages: [
            { role: 'system', content: INSTRUCTIONS },
            {
              role: 'user',
              content: `Topic: ${topic === 'troubleshoot' ? 'diagnosis of failed deployments' : 'fleet health report'}.\nFacts: ${JSON.stringify(safeForModel(facts, 6000))}`,
            },
          ],
          stream: false,
        },
        { signal: abort.signal },
      );
      const text = res.choices?.[0]?.message?.content?.trim();
      if (!text) throw new Error('empty answer');
      return { text: text.slice(0, 2000), source: 'model' };
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      const reason =
        err instanceof Error && err.message === 'empty answer'
          ? 'it answered nothing'
          : describeFailure(err, { ...opts, timeoutMs, timedOut }).message;
      return {
        text: `${templateExplanation(topic, facts)} (The model could not write this explanation — ${reason} — so this is the built-in summary of the facts.)`,
        source: 'template',
      };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  };
}
