import { TERMINAL_RUN_STATUSES } from '@deploybot/shared';
import { inlineLiteral, plainText } from '../literal';
import type {
  ChatProvider,
  ConversationRun,
  ProviderEvent,
  ProviderRequest,
  SendAction,
  ToolOutcome,
} from '../provider';
import { matchCatalog } from './catalog';
import { recognizeIntent } from './intents';
import {
  agentReply,
  agentsReply,
  explainReply,
  failuresReply,
  HELP,
  jobsReply,
  lastDeployReply,
  logsReply,
  proposalReply,
  rollbackReply,
  runReply,
  runsReply,
  statsReply,
  triggersReply,
  workflowsReply,
} from './replies';
import type { FleetSnapshot } from './resolver';
import { type Pending, type SlotValues, understand } from './understand';

type Json = Record<string, unknown>;

const SUGGESTIONS: SendAction[] = [
  { kind: 'send', label: 'Run a health check', message: 'Run a system health check' },
  { kind: 'send', label: 'Show workflows', message: 'Show workflows' },
  { kind: 'send', label: 'Offline agents', message: 'Which agents are offline?' },
  { kind: 'send', label: 'Last failure', message: 'Why did my last deployment fail?' },
];

const WORKFLOW_INTRO: Record<string, (s: SlotValues) => string> = {
  register_agent: (s) =>
    `Starting **Register a deploy agent** for \`${s.hostname}\`${s.environment ? ` in ${s.environment}` : ''}. The first step checks the name and issues a one-time join token with the command to start the agent; I’ll post each step here and ask you before anything is registered.`,
  deploy_application: (s) =>
    `Deploying \`${s.repository}\` at \`${s.ref}\`${s.environment ? ` to ${s.environment}` : ''}. First I pick a target agent and show you why; nothing runs before you approve.`,
  troubleshoot_failure: (s) =>
    `Troubleshooting ${s.job_id ? `job \`${String(s.job_id).slice(0, 8)}\`` : 'the most recent failure'}: I’ll group recent failures by cause, gather the logs and suggest a fix, which waits for your approval.`,
  health_check: (s) =>
    `Running a system health check: agents, running jobs${s.stuck_after_minutes ? ` (stuck after ${s.stuck_after_minutes} min)` : ''}, success rates and durations, then a report.`,
};

/**
 * The embedded assistant: deterministic intent recognition and slot filling against the real fleet, acting
 * through the same tool registry a model uses. Works offline and answers at once.
 */
export class LocalProvider implements ChatProvider {
  readonly name = 'local' as const;
  readonly model = null;

  constructor(private readonly snapshot: () => Promise<FleetSnapshot>) {}

  async *stream(req: ProviderRequest): AsyncIterable<ProviderEvent> {
    const out: ProviderEvent[] = [];
    const emit = (e: ProviderEvent) => out.push(e);
    let callSeq = 0;
    const tool = async (name: string, args: Json): Promise<ToolOutcome> => {
      const id = `local_${++callSeq}`;
      emit({ type: 'tool_call', id, name, arguments: args });
      const outcome = await req.tools.run(name, args);
      emit({
        type: 'tool_result',
        id,
        name,
        result: outcome.ok ? outcome.result : null,
        error: outcome.ok ? null : outcome.error,
      });
      return outcome;
    };
    const say = (text: string) => emit({ type: 'text', delta: text });

    await this.answer(req, tool, say, emit);
    for (const e of out) {
      if (req.signal.aborted) return;
      yield e;
    }
    yield { type: 'done' };
  }

  private async answer(
    req: ProviderRequest,
    tool: (name: string, args: Json) => Promise<ToolOutcome>,
    say: (text: string) => void,
    emit: (e: ProviderEvent) => void,
  ): Promise<void> {
    const active = req.runs.filter((r) => !TERMINAL_RUN_STATUSES.includes(r.status));
    const waitingInput = active.filter((r) => r.waiting?.kind === 'input');
    const recognised = recognizeIntent(req.message);
    const snapshot = await this.snapshot();

    // A value for the one step of this conversation that waits for input (not a request to run a saved workflow).
    if (
      waitingInput.length === 1 &&
      recognised.score < 4 &&
      matchCatalog(req.message, snapshot.workflows ?? []).length === 0
    ) {
      const run = waitingInput[0]!;
      const value = req.message.trim().replace(/^(use|it'?s|it is|take)\s+/i, '');
      const res = await tool('submit_step_input', { run_id: run.id, value, step_id: run.waiting!.stepId });
      say(
        res.ok
          ? `Sent ${inlineLiteral(value)} as **${run.waiting!.input?.label ?? run.waiting!.title}** to **${plainText(run.title)}**.`
          : `That value was not accepted: ${inlineLiteral(res.error)}`,
      );
      return;
    }

    const u = understand(req.message, snapshot, pendingOf(req));
    if (u.intent === 'clarify') {
      const c = u.clarification;
      say(c.question);
      if (c.options.length)
        emit({ type: 'suggestions', actions: c.options.map((o) => ({ kind: 'send', ...o })) });
      // Nothing to wait for (e.g. a secret, which the chat never takes): the next message starts afresh.
      if (c.ask === '') return;
      const pending: Pending = { intent: c.about, ask: c.ask, known: c.known };
      emit({ type: 'meta', meta: { pending } });
      return;
    }
    const s = u.slots;
    switch (u.intent) {
      case 'register_agent':
      case 'deploy_application':
      case 'troubleshoot_failure':
      case 'health_check': {
        const res = await tool('start_workflow', { workflow: u.intent, context: s });
        say(res.ok ? WORKFLOW_INTRO[u.intent]!(s) : `I couldn’t start it: ${inlineLiteral(res.error)}`);
        return;
      }
      case 'start_workflow': {
        // An operator's own workflow, found by its words; its inputs were asked for like a built-in's.
        const { workflow, ...context } = s;
        const res = await tool('start_workflow', { workflow, context });
        if (!res.ok) return say(`I couldn’t start it: ${inlineLiteral(res.error)}`);
        const given = Object.entries(context).map(([k, v]) => `${k} ${inlineLiteral(String(v), 80)}`);
        say(
          `Starting **${plainText((res.result as Json).title)}**${given.length ? ` with ${given.join(', ')}` : ''}. I’ll post each step here; steps that run in parallel show side by side, and every gate waits for a person.`,
        );
        return;
      }
      case 'explain_run': {
        let args: Json = s;
        if (!s.run_id && !s.repository) {
          const [latest] = req.runs;
          if (!latest)
            return say(
              'Which run? Give its id (the first 8 characters are enough), e.g. “what happened in run 3f2a9c1d”, or ask about “the last deploy of myorg/app”.',
            );
          args = { run_id: latest.id };
        }
        const res = await tool('explain_run', args);
        say(res.ok ? explainReply(res.result as Json) : failure(res.error));
        return;
      }
      case 'propose_rollback': {
        const res = await tool('propose_rollback', s);
        say(
          res.ok
            ? rollbackReply(res.result as Json)
            : `I can’t offer that rollback: ${inlineLiteral(res.error)}`,
        );
        return;
      }
      case 'list_triggers': {
        const res = await tool('list_triggers', {});
        say(res.ok ? triggersReply(res.result as Json) : failure(res.error));
        return;
      }
      case 'propose_trigger': {
        const res = await tool('propose_trigger', proposalArgs(s));
        say(
          res.ok
            ? proposalReply(res.result as Json)
            : `I couldn’t propose that trigger: ${inlineLiteral(res.error)}`,
        );
        return;
      }
      case 'list_agents': {
        const res = await tool('list_agents', s);
        say(res.ok ? agentsReply(res.result as Json, s as Json) : failure(res.error));
        return;
      }
      case 'agent_details': {
        const res = await tool('get_agent', { agent: s.hostname });
        say(res.ok ? agentReply(res.result as Json) : failure(res.error));
        return;
      }
      case 'list_jobs': {
        const res = await tool('list_jobs', {
          ...(s.status && { status: s.status }),
          ...(s.repository && { repository: s.repository }),
          ...(s.hostname && { agent: s.hostname }),
        });
        say(res.ok ? jobsReply(res.result as Json, 'No jobs match.') : failure(res.error));
        return;
      }
      case 'job_logs':
        return this.logs(s, tool, say);
      case 'recent_failures': {
        const res = await tool('recent_failures', {});
        say(res.ok ? failuresReply(res.result as Json) : failure(res.error));
        return;
      }
      case 'deployment_stats': {
        const res = await tool('deployment_stats', {});
        say(
          res.ok
            ? `Deployments of the whole fleet:\n\n${statsReply(res.result as Json)}`
            : failure(res.error),
        );
        return;
      }
      case 'deployment_history': {
        const res = await tool('deployment_history', {
          ...(s.repository && { repository: s.repository }),
          ...(s.hostname && { agent: s.hostname }),
        });
        say(res.ok ? jobsReply(res.result as Json, 'No finished deployments yet.') : failure(res.error));
        return;
      }
      case 'last_deploy': {
        // From the runs (who started, who decided at each gate, when), not from this conversation.
        const repository = s.repository as string | undefined;
        const res = await tool('deploy_runs', { ...(repository && { repository }), limit: 1 });
        if (!res.ok) return say(failure(res.error));
        const last = res.result as Json;
        const newest = ((last.runs as Json[]) ?? [])[0];
        let ok: Json | null = null;
        if (newest && newest.status !== 'completed') {
          const more = await tool('deploy_runs', {
            ...(repository && { repository }),
            status: 'completed',
            limit: 1,
          });
          if (more.ok) ok = more.result as Json;
        }
        say(lastDeployReply(last, ok));
        return;
      }
      case 'show_workflows': {
        const res = await tool('list_workflow_definitions', {});
        say(res.ok ? workflowsReply(res.result as Json) : failure(res.error));
        return;
      }
      case 'list_runs': {
        const res = await tool('list_workflows', { state: s.state });
        say(res.ok ? runsReply(res.result as Json, String(s.state)) : failure(res.error));
        return;
      }
      case 'workflow_status': {
        if (!s.run_id && req.runs.length === 0) {
          say(
            'No workflow was started from this conversation yet. Say “show active workflows” to see all runs.',
          );
          return;
        }
        const res = await tool('workflow_status', s.run_id ? { run_id: s.run_id } : {});
        say(res.ok ? runReply(res.result as Json) : failure(res.error));
        return;
      }
      case 'cancel_workflow':
        return this.cancel(s, active, tool, say, emit);
      case 'approval_request':
        return this.approvals(active, tool, say);
      case 'list_repositories': {
        const res = await tool('list_repositories', {});
        if (!res.ok) return say(failure(res.error));
        const repos = (res.result as { repositories: { name: string; defaultRef: string }[] }).repositories;
        say(
          repos.length
            ? [
                '**Repositories you can deploy:**',
                ...repos.map((r) => `- \`${r.name}\` (default \`${r.defaultRef}\`)`),
              ].join('\n')
            : 'No repository is registered yet (POST /v1/repositories).',
        );
        return;
      }
      case 'help':
        say(HELP);
        emit({ type: 'suggestions', actions: SUGGESTIONS });
        return;
      default:
        say(
          'I’m not sure what you mean. I can register agents, deploy repositories, troubleshoot failures, run health checks and answer questions about the fleet.',
        );
        emit({ type: 'suggestions', actions: SUGGESTIONS });
    }
  }

  private async logs(
    s: SlotValues,
    tool: (name: string, args: Json) => Promise<ToolOutcome>,
    say: (text: string) => void,
  ): Promise<void> {
    let jobId = s.job_id as string | undefined;
    if (!jobId) {
      const failed = s.which === 'last_failed';
      const res = await tool('list_jobs', { ...(failed && { status: 'failed' }), limit: 1 });
      if (!res.ok) return say(failure(res.error));
      const [job] = (res.result as { jobs: { id: string }[] }).jobs;
      if (!job) return say(failed ? 'No job has failed yet.' : 'No job has run yet.');
      jobId = job.id;
    }
    const res = await tool('job_logs', { job_id: jobId, lines: 40 });
    say(res.ok ? logsReply(res.result as Json) : failure(res.error));
  }

  private async cancel(
    s: SlotValues,
    active: ConversationRun[],
    tool: (name: string, args: Json) => Promise<ToolOutcome>,
    say: (text: string) => void,
    emit: (e: ProviderEvent) => void,
  ): Promise<void> {
    let runId = s.run_id as string | undefined;
    if (!runId) {
      if (active.length === 0) return say('Nothing started from this conversation is still running.');
      if (active.length > 1) {
        say('Several workflows from this conversation are still going. Which one should I cancel?');
        emit({
          type: 'suggestions',
          actions: active.map((r) => ({
            kind: 'send',
            label: `${r.title} (${r.id.slice(0, 8)})`,
            message: `Cancel run ${r.id}`,
          })),
        });
        return;
      }
      runId = active[0]!.id;
    }
    const res = await tool('cancel_workflow', { run_id: runId, reason: 'cancelled from the chat' });
    say(
      res.ok
        ? `Cancelled **${plainText((res.result as Json).title)}** (run \`${runId.slice(0, 8)}\`).`
        : failure(res.error),
    );
  }

  private async approvals(
    active: ConversationRun[],
    tool: (name: string, args: Json) => Promise<ToolOutcome>,
    say: (text: string) => void,
  ): Promise<void> {
    const waiting = active.filter((r) => r.waiting?.kind === 'approval');
    if (waiting.length === 0) return say('Nothing in this conversation is waiting for an approval.');
    const lines: string[] = [];
    let offered = 0;
    for (const run of waiting) {
      // Parallel branches may wait at several gates of one run at once: each gets its own buttons.
      const gates = run.gates?.length ? run.gates : [{ ...run.waiting!, stepId: run.waiting!.stepId }];
      for (const gate of gates) {
        const res = await tool('propose_approval', { run_id: run.id, step_id: gate.stepId });
        if (!res.ok) continue;
        offered++;
        lines.push(`- **${plainText(run.title)}** waits at “${gate.title}”: ${inlineLiteral(gate.summary)}`);
      }
    }
    lines.push(
      '',
      offered > 1
        ? 'Click **Approve** or **Reject** for each: with several gates waiting, a written “approve” would not say which.'
        : 'Click **Approve** or **Reject** — or write “approve” or “reject because …” yourself.',
    );
    say(lines.join('\n'));
  }
}

/**
 * The `propose_trigger` arguments for what the person said: the source from its words, and the inputs a trigger
 * of that workflow needs (a deploy's repository and ref; the failed job, for a troubleshoot on `job.failed`).
 */
export function proposalArgs(s: SlotValues): Json {
  const source =
    s.source === 'cron'
      ? { type: 'cron', expression: s.expression, timezone: s.timezone }
      : s.source === 'event'
        ? { type: 'event', on: s.on, ...(s.filter !== undefined && { filter: s.filter }) }
        : { type: 'webhook' };
  const inputs: Json = {};
  if (s.workflow === 'deploy_application') {
    inputs.repository = s.repository;
    inputs.ref = s.ref;
    if (s.environment !== undefined) inputs.environment = s.environment;
  }
  if (s.workflow === 'troubleshoot_failure' && s.on === 'job.failed') inputs.job_id = '${{ event.job_id }}';
  return { workflow: s.workflow, source, inputs };
}

/** A tool's error message, which can quote a job's or a person's text: shown literally. */
function failure(error: string): string {
  return `That did not work: ${inlineLiteral(error)}`;
}

/** The question the local assistant asked last, if the person has not moved on since. */
function pendingOf(req: ProviderRequest): Pending | null {
  const last = [...req.history].reverse().find((m) => m.role === 'assistant' && m.runId === null);
  const pending = last?.meta?.pending as Pending | undefined;
  return pending && typeof pending.intent === 'string' ? pending : null;
}
