import { useId, useRef, useState } from 'react';
import { useAppStore } from '../stores/store';
import { cancelRun } from './workflow-actions';

/**
 * 'Cancel Workflow' asks first (with an optional reason); the run shows cancelled when the server says so. The
 * wording matches the engine: the step in flight and the steps after it end `cancelled`, not `skipped`.
 */
export function CancelRun({ runId }: { runId: string }) {
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const reasonId = useId();
  const opener = useRef<HTMLButtonElement>(null);
  const busy = useAppStore((s) => s.pending[runId]?.kind === 'cancel');

  if (!confirming) {
    return (
      <button
        ref={opener}
        type="button"
        className="btn-secondary border-red-300 text-red-700 dark:border-red-800 dark:text-red-400"
        onClick={() => setConfirming(true)}
        data-testid="cancel-workflow"
      >
        Cancel Workflow
      </button>
    );
  }
  const close = () => {
    setConfirming(false);
    setTimeout(() => opener.current?.focus());
  };
  return (
    <div
      role="alertdialog"
      aria-labelledby={`${reasonId}-title`}
      className="flex flex-col gap-2 rounded-md border border-red-300 bg-red-50 p-3 dark:border-red-800 dark:bg-red-950/40"
      data-testid="cancel-confirm"
      onKeyDown={(e) => e.key === 'Escape' && close()}
    >
      <p id={`${reasonId}-title`} className="text-sm font-medium">
        Cancel this run? The step in progress is stopped; it and every step not yet finished end as cancelled.
      </p>
      <label htmlFor={reasonId} className="text-sm">
        Reason <span className="text-slate-600 dark:text-slate-400">(optional)</span>
      </label>
      <input
        id={reasonId}
        // biome-ignore lint/a11y/noAutofocus: the confirmation just opened; its first field is where the person is
        autoFocus
        className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-slate-900"
        value={reason}
        maxLength={2000}
        onChange={(e) => setReason(e.target.value)}
        data-testid="cancel-reason"
      />
      <div className="flex gap-2">
        <button
          type="button"
          className="btn bg-red-700 text-white hover:bg-red-800"
          disabled={busy}
          onClick={async () => {
            if (await cancelRun(runId, reason)) setConfirming(false);
          }}
          data-testid="confirm-cancel"
        >
          {busy ? 'Cancelling…' : 'Yes, cancel the run'}
        </button>
        <button type="button" className="btn-secondary" onClick={close}>
          Keep running
        </button>
      </div>
    </div>
  );
}
