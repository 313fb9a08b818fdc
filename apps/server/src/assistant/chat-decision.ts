import type { QuickAction } from '@deploybot/shared';
import { toErrorBody } from '../errors/to-error-body';
import type { ChatDecision } from './approval-intent';
import { inlineLiteral, plainText } from './literal';
import type { ConversationRun } from './provider';
import type { DecideFn } from './workflows-port';

export interface DecisionReply {
  content: string;
  quickActions: QuickAction[];
  runId: string | null;
}

/** The gates of a run waiting for approval: all of them when several branches wait at once. */
const gatesOf = (r: ConversationRun) =>
  r.gates?.length
    ? r.gates
    : r.waiting
      ? [{ stepId: r.waiting.stepId, title: r.waiting.title, summary: r.waiting.summary }]
      : [];

const buttons = (r: ConversationRun): QuickAction[] =>
  gatesOf(r).flatMap((g) => [
    { kind: 'approve' as const, label: `Approve “${g.title}”`, runId: r.id, stepId: g.stepId },
    { kind: 'reject' as const, label: `Reject “${g.title}”`, runId: r.id, stepId: g.stepId },
  ]);

/**
 * A person wrote an unambiguous approval or rejection: the server decides the one step of this conversation
 * that waits for approval, as that person. With none or several waiting, it decides nothing and says why.
 */
export async function applyChatDecision(
  decision: ChatDecision,
  runs: ConversationRun[],
  by: string,
  decide: DecideFn,
): Promise<DecisionReply> {
  const verb = decision.approved ? 'approve' : 'reject';
  const waiting = runs.filter((r) => r.status === 'waiting' && r.waiting?.kind === 'approval');
  if (waiting.length === 0) {
    return {
      content: `Nothing started from this conversation is waiting for approval, so there is nothing to ${verb}.`,
      quickActions: [],
      runId: null,
    };
  }
  const gates = waiting.flatMap((r) => gatesOf(r).map((g) => ({ run: r, gate: g })));
  if (gates.length > 1) {
    return {
      content: [
        `${gates.length} steps are waiting for approval, so “${verb}” is ambiguous; nothing was decided. Use the buttons:`,
        ...gates.map(
          ({ run: r, gate: g }) =>
            `- **${plainText(r.title)}** (run \`${r.id.slice(0, 8)}\`) at “${g.title}”: ${inlineLiteral(g.summary)}`,
        ),
      ].join('\n'),
      quickActions: waiting.flatMap(buttons),
      runId: null,
    };
  }
  const run = waiting[0]!;
  const step = run.waiting!;
  try {
    await decide(run.id, { approved: decision.approved, stepId: step.stepId, note: decision.note, by });
    return {
      content: decision.approved
        ? `✓ Approved “${step.title}” of **${plainText(run.title)}**${decision.note ? ` (${inlineLiteral(decision.note)})` : ''}. Continuing…`
        : `✗ Rejected “${step.title}” of **${plainText(run.title)}**${decision.note ? `: ${inlineLiteral(decision.note)}` : ''}. The run stops here.`,
      quickActions: [],
      runId: run.id,
    };
  } catch (err) {
    // The one mapper says what may be shown: a driver's or the system's error (which also carry a `code`) is not.
    return {
      content: `Your decision was not recorded: ${toErrorBody(err).body.error.message}.`,
      quickActions: [],
      runId: run.id,
    };
  }
}
