import type { QuickAction } from '@deploybot/shared';
import { useState } from 'react';
import { useCan } from '../auth/can';
import { useAppStore } from '../stores/store';
import { APPROVE_CLASS, REJECT_OPENER_CLASS, RejectForm } from '../workflows/reject-form';
import { rejectStep, runQuickAction, startChatRollback } from './chat-actions';

type DecisionAction = Extract<QuickAction, { runId: string; stepId: string }>;

const CLASS: Partial<Record<QuickAction['kind'], string>> = {
  approve: `${APPROVE_CLASS} px-2 py-1 text-xs`,
  reject: `${REJECT_OPENER_CLASS} text-xs`,
};

/** Reject from the chat asks why first, like the sidebar; the reason becomes the decision's note. */
function ChatReject({ action, onDone }: { action: DecisionAction; onDone: () => void }) {
  const busy = useAppStore((s) => s.pending[action.runId]?.kind === 'reject');
  const error = useAppStore((s) => s.actionErrors[action.runId]);
  const [tried, setTried] = useState(false);
  const stepTitle = useAppStore(
    (s) => s.runs[action.runId]?.steps.find((step) => step.id === action.stepId)?.title ?? null,
  );
  return (
    <RejectForm
      stepTitle={stepTitle}
      busy={busy}
      error={tried ? error : undefined}
      onBack={onDone}
      onReject={async (reason) => {
        setTried(true);
        const ok = await rejectStep(action, reason);
        if (ok) onDone();
        return ok;
      }}
    />
  );
}

/** Buttons under a message: a click sends, decides, starts or opens, through the server. */
export function QuickActions({ actions, disabled }: { actions: QuickAction[]; disabled: boolean }) {
  const [busy, setBusy] = useState<number | null>(null);
  const [rejecting, setRejecting] = useState<number | null>(null);
  // A rollback started from this message: its button stays spent, so a second click cannot start another.
  const [spent, setSpent] = useState<number[]>([]);
  const canApprove = useCan('approver');
  const canOperate = useCan('operator');
  if (actions.length === 0) return null;
  const allowed = (a: QuickAction) =>
    a.kind === 'approve' || a.kind === 'reject' ? canApprove : a.kind === 'open_run' ? true : canOperate;
  const open = rejecting !== null ? actions[rejecting] : undefined;
  return (
    <div className="mt-2" data-testid="quick-actions">
      <div className="flex flex-wrap gap-2">
        {actions.map((a, i) => (
          <button
            // biome-ignore lint/suspicious/noArrayIndexKey: actions are fixed per message
            key={i}
            type="button"
            className={CLASS[a.kind] ?? 'btn-secondary text-xs'}
            disabled={disabled || busy !== null || rejecting !== null || !allowed(a) || spent.includes(i)}
            aria-expanded={a.kind === 'reject' ? rejecting === i : undefined}
            onClick={async () => {
              if (a.kind === 'reject') {
                setRejecting(i);
                return;
              }
              setBusy(i);
              try {
                if (a.kind === 'start_rollback') {
                  if (await startChatRollback(a.runId)) setSpent((s) => [...s, i]);
                } else await runQuickAction(a);
              } finally {
                setBusy(null);
              }
            }}
          >
            {busy === i
              ? '…'
              : spent.includes(i)
                ? 'Rollback started'
                : a.kind === 'reject'
                  ? `${a.label}…`
                  : a.label}
          </button>
        ))}
      </div>
      {open?.kind === 'reject' && <ChatReject action={open} onDone={() => setRejecting(null)} />}
    </div>
  );
}
