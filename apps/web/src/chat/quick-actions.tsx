import type { QuickAction } from '@deploybot/shared';
import { useState } from 'react';
import { useCan } from '../auth/can';
import { runQuickAction } from './chat-actions';

/** Buttons under a message: a click sends, decides, starts or opens, through the server. */
export function QuickActions({ actions, disabled }: { actions: QuickAction[]; disabled: boolean }) {
  const [busy, setBusy] = useState<number | null>(null);
  const canApprove = useCan('approver');
  const canOperate = useCan('operator');
  if (actions.length === 0) return null;
  const allowed = (a: QuickAction) =>
    a.kind === 'approve' || a.kind === 'reject' ? canApprove : a.kind === 'open_run' ? true : canOperate;
  return (
    <div className="mt-2 flex flex-wrap gap-2" data-testid="quick-actions">
      {actions.map((a, i) => (
        <button
          // biome-ignore lint/suspicious/noArrayIndexKey: actions are fixed per message
          key={i}
          type="button"
          className="btn-secondary text-xs"
          disabled={disabled || busy !== null || !allowed(a)}
          onClick={async () => {
            setBusy(i);
            try {
              await runQuickAction(a);
            } finally {
              setBusy(null);
            }
          }}
        >
          {busy === i ? '…' : a.label}
        </button>
      ))}
    </div>
  );
}
