import { blockLiteral, inlineLiteral, plainText } from '../literal';

/**
 * Markdown for the local assistant's answers, from tool results. Pure functions. Text that jobs, agents or runs
 * produced (errors, log lines, summaries, versions) is shown literally (see literal.ts), never as markdown.
 */

type Json = Record<string, unknown>;

export function ago(iso: unknown, now = Date.now()): string {
  if (typeof iso !== 'string') return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

const short = (id: unknown) => (typeof id === 'string' ? id.slice(0, 8) : '?');
const ms = (v: unknown) =>
  typeof v !== 'number'
    ? 'n/a'
    : v < 1000
      ? `${v} ms`
      : v < 120_000
        ? `${(v / 1000).toFixed(1)} s`
        : `${Math.round(v / 60_000)} min`;

export function agentsReply(result: Json, filter: { status?: string; environment?: string }): string {
  const agents = (result.agents as Json[]) ?? [];
  const total = result.total as number;
  const what = [filter.status, filter.environment].filter(Boolean).join(' ');
  if (total === 0) return 'No agents are registered yet. Say “register a new agent called …” to add one.';
  if (agents.length === 0) return `No ${what} agents right now (${total} registered).`;
  const online = agents.filter((a) => a.status === 'online').length;
  const lines = agents.map(
    (a) =>
      `- \`${a.hostname}\` — **${a.status}** · ${a.environment} · ${a.runningJobs} running job(s) · last heartbeat ${ago(a.lastHeartbeatAt)}`,
  );
  const head = what
    ? `**${agents.length} ${what} agent(s)** of ${total}:`
    : `**${agents.length} agent(s)**, ${online} online:`;
  return [head, ...lines].join('\n');
}

export function agentReply(result: Json): string {
  const a = result.agent as Json;
  const deployed = (result.deployed as Json[]) ?? [];
  const jobs = (result.recentJobs as Json[]) ?? [];
  const lines = [
    `**${a.hostname}** is **${a.status}** (${a.environment}${a.version ? `, agent ${inlineLiteral(a.version)}` : ''}), last heartbeat ${ago(a.lastHeartbeatAt)}, ${a.runningJobs} running job(s).`,
  ];
  if (a.workdirWritable === false) lines.push('⚠ Its work dir is not writable.');
  lines.push('', deployed.length ? '**Deployed now:**' : 'Nothing has been deployed on it yet.');
  for (const d of deployed)
    lines.push(
      `- \`${d.repository}\` at \`${d.ref}\` (\`${String(d.sha).slice(0, 7)}\`), ${ago(d.deployedAt)}`,
    );
  if (jobs.length) {
    lines.push('', '**Recent jobs:**', ...jobs.map(jobLine));
  }
  return lines.join('\n');
}

export function jobLine(j: Json): string {
  return `- \`${short(j.id)}\` ${j.repository}@${j.ref} on ${j.agent} — **${j.status}**${j.error ? `: ${inlineLiteral(j.error, 160)}` : ''} (${ago(j.createdAt)})`;
}

export function jobsReply(result: Json, empty: string): string {
  const jobs = ((result.jobs ?? result.deployments) as Json[]) ?? [];
  if (jobs.length === 0) return empty;
  return [`**${jobs.length} job(s)**, newest first:`, ...jobs.map(jobLine)].join('\n');
}

export function logsReply(result: Json): string {
  const job = result.job as Json;
  const lines = (result.lines as Json[]) ?? [];
  const head = `Last ${lines.length} line(s) of job \`${short(job.id)}\` (${job.repository}@${job.ref} on ${job.agent}, **${job.status}**${job.error ? `: ${inlineLiteral(job.error)}` : ''}):`;
  if (lines.length === 0) return `${head}\n\n_(no log lines)_`;
  const body = lines.map((l) => `${l.stream === 'stderr' ? '!' : ' '} ${l.line}`).join('\n');
  return `${head}\n\n${blockLiteral(body)}`;
}

export function failuresReply(result: Json): string {
  const groups = (result.groups as Json[]) ?? [];
  if (!result.unresolved) return `No unresolved failures in the last ${result.hours} h. 🎉`;
  return [
    `**${result.unresolved} unresolved failure(s)** in the last ${result.hours} h:`,
    ...groups.map(
      (g) =>
        `- ${g.count} × ${g.label} — ${(g.repositories as string[]).join(', ')} on ${(g.agents as string[]).join(', ')}`,
    ),
    '',
    'Say “why did my last deployment fail?” to troubleshoot the latest one.',
  ].join('\n');
}

export function statsReply(result: Json): string {
  const windows = (result.windows as Json[]) ?? [];
  const rows = windows.map((w) => {
    const d = w.durationMs as Json;
    return `| ${w.window} | ${w.finished} | ${w.successRate === null ? '—' : `${w.successRate}%`} | ${ms(d.p50)} | ${ms(d.p95)} | ${w.failed} |`;
  });
  return ['| Window | Finished | Success | p50 | p95 | Failed |', '|---|---|---|---|---|---|', ...rows].join(
    '\n',
  );
}

export function runReply(run: Json): string {
  const steps = (run.steps as Json[]) ?? [];
  const icon: Record<string, string> = {
    completed: '✓',
    skipped: '↷',
    failed: '✗',
    cancelled: '✗',
    in_progress: '◐',
    awaiting_approval: '⏸',
    awaiting_input: '⏸',
    awaiting_event: '⧖',
    compensated: '↺',
    pending: '○',
  };
  const lines = [
    `**${plainText(run.title)}** (run \`${short(run.id)}\`) is **${run.status}** — ${run.progress}%`,
  ];
  steps.forEach((s, i) => {
    lines.push(
      `${icon[s.status as string] ?? '○'} ${i + 1}/${steps.length} ${s.title}${s.summary ? ` — ${inlineLiteral(s.summary)}` : ''}${s.error && s.status === 'failed' ? ` (${inlineLiteral(s.error)})` : ''}`,
    );
  });
  if (run.error) lines.push('', inlineLiteral(run.error));
  return lines.join('\n');
}

export function runsReply(result: Json, state: string): string {
  const runs = (result.runs as Json[]) ?? [];
  if (runs.length === 0)
    return state === 'active' ? 'No workflow is running or waiting.' : 'No workflow runs yet.';
  return [
    `**${runs.length} ${state === 'all' ? '' : `${state} `}run(s):**`,
    ...runs.map(
      (r) =>
        `- \`${short(r.id)}\` ${r.title} — **${r.status}** ${r.progress}%${r.currentStep ? ` at ${r.currentStep}` : ''}, by ${r.startedBy} ${ago(r.createdAt)}`,
    ),
  ].join('\n');
}

export function workflowsReply(result: Json): string {
  const workflows = (result.workflows as Json[]) ?? [];
  return [
    'Here are the workflows I can start for you:',
    ...workflows.map(
      (w) =>
        `- **${plainText(w.title)}** (\`${w.name}\`${w.builtIn ? ', built-in' : `, v${w.version}`}) — ${plainText(w.description)} ${(w.steps as Json[]).length} steps.`,
    ),
  ].join('\n');
}

const DECIDED: Record<string, string> = { approved: 'Approved', rejected: 'Rejected', input: 'Input given' };

/** "What happened in run …": who started it, each decision, each step, how it ended; from its timeline. */
export function explainReply(result: Json): string {
  const run = result.run as Json;
  const decisions = (result.decisions as Json[]) ?? [];
  const steps = (result.steps as Json[]) ?? [];
  const entries = (result.entries as Json[]) ?? [];
  const where = [
    run.repository && `\`${String(run.repository)}\``,
    run.agent && `on \`${String(run.agent)}\``,
  ]
    .filter(Boolean)
    .join(' ');
  const lines = [
    `**${plainText(run.title)}** (run \`${String(run.id).slice(0, 8)}\`${where ? `, ${where}` : ''}) — **${String(run.status)}**. Started by ${plainText(run.startedBy)} ${when(run.startedAt)}${run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled' ? `, ended ${when(run.endedAt)}` : ''}.`,
  ];
  if (run.error) lines.push(`Error: ${inlineLiteral(run.error)}`);
  lines.push(
    '',
    decisions.length
      ? '**Decisions:**'
      : 'Nobody has decided anything in this run yet (no gate was approved or rejected).',
    ...decisions.map(
      (d) =>
        `- ${DECIDED[String(d.decision)] ?? String(d.decision)} by **${plainText(d.by ?? 'unknown')}** at “${plainText(d.stepTitle ?? d.step)}” ${when(d.at)}${d.note ? `: ${inlineLiteral(d.note)}` : ''}`,
    ),
  );
  if (steps.length) {
    lines.push(
      '',
      '**Steps:**',
      ...steps.map(
        (s) =>
          `- ${plainText(s.title)}: ${String(s.status)}${Number(s.attempts) > 1 ? ` (${String(s.attempts)} attempts)` : ''}`,
      ),
    );
  }
  const total = Number(result.entryCount ?? entries.length);
  lines.push(
    '',
    `**Timeline**${total > entries.length ? ` (last ${entries.length} of ${total})` : ''}:`,
    ...entries.map(
      (e) =>
        `- ${String(e.at).slice(11, 19)} ${inlineLiteral(e.text)}${e.note ? ` — ${inlineLiteral(e.note)}` : ''}`,
    ),
  );
  return lines.join('\n');
}

/** A proposed rollback: the run, what undoing each step does (most recent first), and that a click starts it. */
export function rollbackReply(result: Json): string {
  const run = result.run as Json;
  const undo = (result.undo as Json[]) ?? [];
  const what = run.repository ? ` of \`${String(run.repository)}\`` : '';
  return [
    `Rolling back **${plainText(run.title)}**${what} (run \`${String(run.id).slice(0, 8)}\`, ${String(run.status)} ${when(run.createdAt)}, started by ${plainText(run.startedBy)}) would undo, most recent first:`,
    ...(undo.length
      ? undo.map(
          (i, n) =>
            `${n + 1}. **${plainText(i.title)}** — ${i.undo ? inlineLiteral(i.undo) : 'nothing to undo'}`,
        )
      : ['- no step completed, so nothing would be undone']),
    '',
    'Click **Start rollback** to start it: the rollback run then waits at its gate until a person approves. Nothing has been started.',
  ].join('\n');
}

export const HELP = [
  'I’m the DeployBot assistant (running on the built-in **local** engine). I can:',
  '- **register** a new agent — “register a new agent called prod-server-03”',
  '- **deploy** a repository — “deploy myorg/frontend to production”',
  '- **troubleshoot** a failure — “why did my last deployment fail?”',
  '- run a **health check** — “run a system health check”',
  '- answer questions about the fleet — “which agents are offline?”, “what’s deployed on web-01?”, “show me the logs of the last failed job”',
  '- start the workflows your operators saved, by their name or title — “show workflows”, then e.g. “run the nightly cache warm-up”',
  '- tell what happened in a run — “what happened in run 3f2a9c1d?”, “who approved the last deploy of myorg/app?”',
  '- propose a rollback — “roll back the last deploy of myorg/app” (a person starts it, and its gate asks again)',
  '',
  'Workflows ask for your approval at their gates; nothing changes before you click **Approve** (or write “approve”).',
].join('\n');

const when = (iso: unknown) =>
  typeof iso === 'string' ? `${ago(iso)} (${iso.slice(0, 16).replace('T', ' ')} UTC)` : 'never';

/** `repository@ref → agent` of a deploy run, as the run lists show it. */
export function deployTarget(run: Json): string {
  return inlineLiteral(`${run.repository ?? '?'}@${run.ref ?? '?'} → ${run.agent ?? 'agent not chosen yet'}`);
}

function decisionLines(run: Json): string[] {
  const decisions = (run.decisions as Json[]) ?? [];
  if (decisions.length === 0) return ['- No one has decided at its gates yet.'];
  return decisions.map(
    (d) =>
      `- ${d.decision === 'approved' ? '✓ **Approved**' : '✗ **Rejected**'} by **${d.by}** at “${d.stepTitle}”, ${when(d.at)}${d.note ? ` — note: ${inlineLiteral(d.note)}` : ''}`,
  );
}

/**
 * "Who approved / who deployed / when was X last deployed", from the deploy runs (`deploy_runs` results): the
 * newest run with its decisions, and the newest successful one when the newest did not succeed.
 */
export function lastDeployReply(last: Json, lastSuccessful: Json | null): string {
  const runs = (last.runs as Json[]) ?? [];
  const of = last.repository ? ` of \`${last.repository}\`` : '';
  if (runs.length === 0) return `No deploy${of} has run yet (no deploy_application run${of}).`;
  const run = runs[0]!;
  const lines = [
    `The last deploy${of} is run \`${short(run.id)}\` ${deployTarget(run)}: **${run.status}**, started by **${run.startedBy}** ${when(run.createdAt)}${run.finishedAt ? `, finished ${when(run.finishedAt)}` : ''}.`,
    ...decisionLines(run),
  ];
  if (run.status !== 'completed') {
    const ok = ((lastSuccessful?.runs as Json[]) ?? [])[0];
    lines.push(
      '',
      ok
        ? `The last successful deploy${of} is run \`${short(ok.id)}\` ${deployTarget(ok)}, started by **${ok.startedBy}**, finished ${when(ok.finishedAt)}:`
        : `No deploy${of} has succeeded yet.`,
      ...(ok ? decisionLines(ok) : []),
    );
  }
  return lines.join('\n');
}

/** `Mon 7 Dec, 08:00` in `timezone` (a trigger's zone), for its next fire times. */
export function fireTime(iso: string, timezone: string): string {
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: iso.slice(17, 19) === '00' ? undefined : '2-digit',
    }).format(new Date(iso));
  } catch {
    return iso;
  }
}

const zoneOf = (t: Json): string => (typeof t.timezone === 'string' ? t.timezone : 'UTC');

export function triggersReply(result: Json): string {
  const triggers = (result.triggers as Json[]) ?? [];
  if (triggers.length === 0)
    return 'No triggers yet. Say what should run when, e.g. “run a health check every weekday at 8:00 Berlin time”.';
  const lines = [`**${triggers.length} trigger(s):**`];
  for (const t of triggers) {
    const state = t.enabled
      ? 'enabled'
      : `**disabled**${t.pausedReason ? ` (${inlineLiteral(t.pausedReason)})` : ''}`;
    const next = (t.nextFireTimes as string[]) ?? [];
    const last = ((t.lastFirings as Json[]) ?? [])[0];
    lines.push(
      `- \`${t.name}\` → ${t.workflow} · ${inlineLiteral(t.source)} · ${state}` +
        (next[0] ? ` · next ${fireTime(next[0], zoneOf(t))}` : '') +
        (last
          ? ` · last ${last.outcome}${last.reason && last.outcome !== 'started' ? ` (${inlineLiteral(last.reason, 120)})` : ''} ${ago(last.at)}`
          : ''),
    );
  }
  lines.push('', 'The Triggers page shows them with their firings.');
  return lines.join('\n');
}

export function proposalReply(result: Json): string {
  const trigger = result.trigger as Json;
  const next = (result.nextFireTimes as string[]) ?? [];
  const zone = zoneOf(trigger.source as Json);
  const inputs = Object.entries((trigger.inputs as Json) ?? {});
  return [
    `Here is the trigger I would create: **${trigger.name}** starts **${plainText(result.workflowTitle)}** (\`${trigger.workflow}\`), ${inlineLiteral(result.source)}.`,
    ...(inputs.length
      ? ['', `Inputs: ${inputs.map(([k, v]) => `${k} = ${inlineLiteral(v, 120)}`).join(', ')}`]
      : []),
    ...(next.length
      ? [
          '',
          `Next: ${next
            .slice(0, 3)
            .map((t) => fireTime(t, zone))
            .join(' · ')} (${zone})`,
        ]
      : []),
    '',
    'Nothing is created yet: an admin clicks **Create trigger** on the card to create it.',
  ].join('\n');
}
