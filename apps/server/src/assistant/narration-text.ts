import type { ChatMessageDto, QuickAction, StepRecord, WorkflowRun } from '@deploybot/shared';
import { blockLiteral, inlineLiteral, plainText } from './literal';
import { redact } from './redact';

/**
 * What one narration message says: the state of one step, or the end of the run. Pure. Only the definition's
 * own words (titles, descriptions, labels) are markdown; what a run produced (summaries, errors, notes, commands,
 * explanations) can carry a repository's or a job's text and is shown literally (see literal.ts).
 */
export interface NarrationMessage {
  key: string;
  content: string;
  status: ChatMessageDto['status'];
  quickActions: QuickAction[];
}

/** Steps that started (or were decided); those still `pending`, or cancelled before starting, say nothing. */
function started(step: StepRecord): boolean {
  if (step.status === 'pending') return false;
  if (step.status === 'cancelled') return step.startedAt !== null || step.decisions.length > 0;
  return true;
}

function explanationOf(data: unknown): string | null {
  const e = (data as { explanation?: { text?: unknown } } | null)?.explanation;
  return e && typeof e.text === 'string' ? e.text : null;
}

/** A command the person must run (e.g. the agent start command; its token is a placeholder or masked). */
function commandOf(data: unknown): string | null {
  const c = (data as { command?: unknown } | null)?.command;
  return typeof c === 'string' && c.length < 2000 ? String(redact(c)) : null;
}

function decisionLine(step: StepRecord): string | null {
  const d = [...step.decisions].reverse().find((x) => x.decision !== 'input');
  if (!d) return null;
  const who = d.decision === 'approved' ? `Approved by ${d.by}` : `Rejected by ${d.by}`;
  return `${who}${d.note ? `: ${inlineLiteral(d.note)}` : ''}.`;
}

/** “X” and “Y”: step titles in a sentence. */
function titles(steps: StepRecord[]): string {
  const quoted = steps.map((s) => `“${s.title}”`);
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}` : (quoted[0] ?? '');
}

/** Steps of a parallel fan-out working at the same time as `step`: said, so the chat tells what the sidebar shows. */
function alongside(run: WorkflowRun, step: StepRecord): string {
  const others = run.steps.filter(
    (s) => s.id !== step.id && (s.status === 'in_progress' || s.status === 'awaiting_event'),
  );
  return others.length ? ` _(running in parallel with ${titles(others)})_` : '';
}

export function stepMessage(run: WorkflowRun, index: number): NarrationMessage | null {
  const step = run.steps[index]!;
  if (!started(step)) return null;
  const head = `**Step ${index + 1}/${run.steps.length}: ${step.title}`;
  const base = { key: `step:${step.id}`, quickActions: [] as QuickAction[] };
  const decided = decisionLine(step);
  switch (step.status) {
    case 'in_progress':
      return {
        ...base,
        content: decided
          ? `${head}** — ${decided} Applying…${alongside(run, step)}`
          : `${head}…** ${step.attempt > 1 ? `(attempt ${step.attempt}${step.error ? ` after: ${inlineLiteral(step.error)}` : ''}) ` : ''}${step.description}${alongside(run, step)}`,
        status: 'streaming',
      };
    case 'awaiting_approval': {
      const deadline = step.deadline ? ` Expires ${step.deadline}.` : '';
      // Several gates waiting at once (parallel branches): each has its own buttons, named by its step, and a
      // written "approve" would not say which, so the message says to click.
      const others = run.steps.filter((s) => s.id !== step.id && s.status === 'awaiting_approval');
      const how = others.length
        ? `${others.length + 1} gates are waiting at once (also ${titles(others)}): click this step’s buttons.`
        : 'Click a button, or write “approve” or “reject because …”.';
      const named = others.length ? ` ${step.title}` : '';
      return {
        key: base.key,
        content: `${head}** — ${inlineLiteral(step.plan?.summary ?? step.summary)}\n\n**[APPROVAL NEEDED]** Approve “${step.title}”? ${how}${deadline}`,
        status: 'complete',
        quickActions: [
          { kind: 'approve', label: `Approve${named}`, runId: run.id, stepId: step.id },
          { kind: 'reject', label: `Reject${named}`, runId: run.id, stepId: step.id },
        ],
      };
    }
    case 'awaiting_event':
      // A durable wait (a timer, a job to end, a child run): still this step's work, so it streams.
      return {
        ...base,
        content: `${head}…** ${step.summary ? inlineLiteral(step.summary) : 'waiting'}${alongside(run, step)}`,
        status: 'streaming',
      };
    case 'compensated':
      return { ...base, content: `${head}** ↺ undone by a rollback.`, status: 'complete' };
    case 'awaiting_input': {
      const input = step.input;
      const choices = input?.choices ?? [];
      return {
        key: base.key,
        content: `${head}** — waiting for **${input?.label ?? 'a value'}**${input?.type ? ` (${input.type})` : ''}. Reply with the value.`,
        status: 'complete',
        quickActions: choices.slice(0, 8).map((c) => ({ kind: 'send', label: c, message: c })),
      };
    }
    case 'completed': {
      const explanation = explanationOf(step.data);
      const command = commandOf(step.data);
      return {
        ...base,
        content: `${head}** ✓ ${decided ? `${decided} ` : ''}${inlineLiteral(step.summary)}${command ? `\n\n${blockLiteral(command)}` : ''}${explanation ? `\n\n_Explanation:_\n\n${blockLiteral(explanation)}` : ''}`,
        status: 'complete',
      };
    }
    case 'skipped':
      return {
        ...base,
        content: `${head}** ↷ ${inlineLiteral(step.summary ?? 'Skipped')}`,
        status: 'complete',
      };
    case 'failed':
      return { ...base, content: `${head}** ✗ ${inlineLiteral(step.error ?? 'failed')}`, status: 'complete' };
    case 'cancelled':
      return {
        ...base,
        content: `${head}** ✗ ${decided ?? 'Cancelled.'}${step.summary && decided ? ` ${inlineLiteral(step.summary)}` : ''}`,
        status: 'complete',
      };
    default:
      return null;
  }
}

export function finalMessage(run: WorkflowRun): NarrationMessage | null {
  const open: QuickAction[] = [{ kind: 'open_run', label: 'Open run', runId: run.id }];
  const done = run.steps.filter((s) => s.status === 'completed' || s.status === 'skipped').length;
  const failedStep = run.steps.find((s) => s.status === 'failed');
  switch (run.status) {
    case 'completed':
      return {
        key: 'final',
        content: `✅ **${plainText(run.title)}** completed (${done}/${run.steps.length} steps).`,
        status: 'complete',
        quickActions: open,
      };
    case 'failed':
      return {
        key: 'final',
        content: `❌ **${plainText(run.title)}** failed${failedStep ? ` at “${failedStep.title}”` : ''}: ${inlineLiteral(run.error ?? 'no reason recorded')}`,
        status: 'complete',
        quickActions: open,
      };
    case 'cancelled':
      return {
        key: 'final',
        content: `⏹ **${plainText(run.title)}** stopped: ${inlineLiteral(run.error ?? 'cancelled')}`,
        status: 'complete',
        quickActions: open,
      };
    default:
      return null;
  }
}

/** Every narration message the run's state calls for, in order. */
export function narrationOf(run: WorkflowRun): NarrationMessage[] {
  const out: NarrationMessage[] = [];
  run.steps.forEach((_, i) => {
    const m = stepMessage(run, i);
    if (m) out.push(m);
  });
  const end = finalMessage(run);
  if (end) out.push(end);
  return out;
}
