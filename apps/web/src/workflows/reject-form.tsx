import { type FormEvent, useId, useState } from 'react';

/** The classes of a Reject that opens this form: outlined and red, never a twin of the solid green Approve. */
export const REJECT_OPENER_CLASS =
  'btn-secondary border-red-400 text-red-800 hover:bg-red-50 dark:border-red-700 dark:text-red-300 dark:hover:bg-red-950/40';

/** The class of the solid Approve button, shared by the sidebar and the chat so both read the same. */
export const APPROVE_CLASS =
  'btn bg-green-700 text-white hover:bg-green-800 disabled:opacity-60 dark:bg-green-700 dark:hover:bg-green-600';

interface Props {
  /** The step's title, when known (a chat message may name a run the client has not loaded). */
  stepTitle: string | null;
  /** What the person already typed as a note, carried over as the start of the reason. */
  initial?: string;
  busy: boolean;
  /** Sends the rejection; resolves false when the server refused it (the form stays open). */
  onReject: (reason: string) => Promise<boolean>;
  onBack: () => void;
  /** The server's answer when it refused, shown under the field. */
  error?: string;
}

/**
 * Rejecting asks why: the reason is required, becomes the decision's note and is shown to whoever started the run
 * (and in the chat narration), so "rejected" never arrives without something to act on. Esc goes back.
 */
export function RejectForm({ stepTitle, initial = '', busy, onReject, onBack, error }: Props) {
  const id = useId();
  const [reason, setReason] = useState(initial);
  const [missing, setMissing] = useState(false);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) {
      setMissing(true);
      return;
    }
    await onReject(reason.trim());
  };

  return (
    <form
      onSubmit={(e) => void submit(e)}
      noValidate
      className="mt-2 flex flex-col gap-1 rounded-md border border-red-300 bg-red-50 p-2 dark:border-red-800 dark:bg-red-950/40"
      aria-label={stepTitle ? `Reject ${stepTitle}` : 'Reject this step'}
      data-testid="reject-form"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onBack();
        }
      }}
    >
      <label htmlFor={id} className="text-sm font-medium">
        {stepTitle ? `Why reject “${stepTitle}”?` : 'Why reject this step?'} <span aria-hidden="true">*</span>
      </label>
      <p id={hintId} className="text-xs text-slate-700 dark:text-slate-300">
        Recorded with the decision and shown to whoever started the run.
      </p>
      <textarea
        id={id}
        // biome-ignore lint/a11y/noAutofocus: the person just clicked Reject; the reason is what they type next
        autoFocus
        required
        aria-required
        aria-invalid={missing && !reason.trim() ? true : undefined}
        aria-describedby={missing && !reason.trim() ? `${errorId} ${hintId}` : hintId}
        className="w-full rounded-md border border-slate-300 bg-white p-2 text-sm text-slate-900 aria-[invalid=true]:border-red-600 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100"
        rows={2}
        maxLength={2000}
        value={reason}
        disabled={busy}
        onChange={(e) => setReason(e.target.value)}
        data-testid="reject-reason"
      />
      {missing && !reason.trim() && (
        <p id={errorId} className="text-xs text-red-700 dark:text-red-400" data-testid="reject-reason-error">
          Say why, so whoever started the run knows what to change.
        </p>
      )}
      {error && (
        <p role="alert" className="text-xs text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      <div className="mt-1 flex flex-wrap gap-2">
        <button
          type="submit"
          className="btn bg-red-700 text-white hover:bg-red-800 disabled:opacity-60"
          disabled={busy}
          data-testid="confirm-reject"
        >
          {busy ? 'Rejecting…' : '✗ Reject step'}
        </button>
        <button
          type="button"
          className="btn-secondary"
          onClick={onBack}
          disabled={busy}
          data-testid="reject-back"
        >
          Back
        </button>
      </div>
    </form>
  );
}
