import type { StepRecord, WorkflowRun } from '@deploybot/shared';
import { useId, useState } from 'react';
import { useAppStore } from '../stores/store';
import { InputField } from './input-field';
import { JsonView } from './json-view';
import { APPROVE_CLASS, REJECT_OPENER_CLASS, RejectForm } from './reject-form';
import { useInputForm } from './use-input-form';
import { decide } from './workflow-actions';

/**
 * A gate waiting for a person: the plan, the optional input and note, and Approve / Reject. Reject first asks why
 * (see RejectForm). While the request is in flight the buttons say so, but the step stays "waiting" until the
 * server confirms the decision.
 */
export function ApprovalPanel({
  run,
  step,
  canApprove,
}: {
  run: WorkflowRun;
  step: StepRecord;
  canApprove: boolean;
}) {
  const noteId = useId();
  const [note, setNote] = useState('');
  const [rejecting, setRejecting] = useState(false);
  const specs = step.input ? [step.input] : [];
  const form = useInputForm(specs);
  const pending = useAppStore((s) => s.pending[run.id]);
  // Several gates may wait at once: a refusal shows at the gate it was about, not at every panel.
  const error = useAppStore((s) =>
    s.actionErrorSteps[run.id] === step.id ? s.actionErrors[run.id] : undefined,
  );
  const busy = pending?.stepId === step.id;

  const approve = async () => {
    let input: unknown;
    if (step.input) {
      const values = form.collect();
      if (!values) return;
      input = values[step.input.key];
    }
    await decide(run.id, step.id, true, { note, input });
  };
  const back = () => {
    setRejecting(false);
    setTimeout(() => document.getElementById(`${noteId}-reject`)?.focus());
  };

  return (
    <section
      className="mt-2 rounded-md border border-amber-300 bg-amber-50 p-3 dark:border-amber-700 dark:bg-amber-950/40"
      aria-label={`Approval for ${step.title}`}
      data-testid="approval-panel"
    >
      {step.plan && (
        <div className="mb-2">
          <h5 className="text-xs font-semibold tracking-wide uppercase text-amber-900 dark:text-amber-300">
            Plan
          </h5>
          <p className="text-sm break-words" data-testid="approval-plan">
            {step.plan.summary}
          </p>
          {step.plan.data !== null && step.plan.data !== undefined && (
            <JsonView label="Plan details" value={step.plan.data} />
          )}
        </div>
      )}
      {step.deadline && (
        <p className="mb-2 text-xs">Decide before {new Date(step.deadline).toLocaleString()}.</p>
      )}
      {step.input && (
        <div className="mb-2">
          <InputField
            spec={step.input}
            value={form.values[step.input.key] ?? ''}
            onChange={(v) => form.setValue(step.input!.key, v)}
            error={form.errorOf(step.input.key)}
            disabled={!canApprove || busy}
          />
        </div>
      )}
      {rejecting ? (
        <RejectForm
          stepTitle={step.title}
          initial={note}
          busy={busy}
          error={error}
          onBack={back}
          onReject={(reason) => decide(run.id, step.id, false, { note: reason })}
        />
      ) : (
        <>
          <label htmlFor={noteId} className="text-sm font-medium">
            Note <span className="font-normal text-slate-600 dark:text-slate-400">(optional)</span>
          </label>
          <textarea
            id={noteId}
            className="mt-1 w-full rounded-md border border-slate-300 bg-white p-2 text-sm dark:border-slate-600 dark:bg-slate-900"
            rows={2}
            maxLength={2000}
            value={note}
            disabled={!canApprove || busy}
            onChange={(e) => setNote(e.target.value)}
            data-testid="approval-note"
          />
          <div className="mt-2 flex flex-wrap gap-2">
            <button
              type="button"
              className={APPROVE_CLASS}
              disabled={!canApprove || busy}
              onClick={() => void approve()}
              data-testid="approve-button"
            >
              {busy && pending?.kind === 'approve' ? 'Approving…' : '✓ Approve'}
              <span className="sr-only"> {step.title}</span>
            </button>
            <button
              id={`${noteId}-reject`}
              type="button"
              className={REJECT_OPENER_CLASS}
              disabled={!canApprove || busy}
              onClick={() => setRejecting(true)}
              data-testid="reject-button"
            >
              Reject…
              <span className="sr-only"> {step.title}</span>
            </button>
          </div>
        </>
      )}
      {!canApprove && (
        <p className="mt-2 text-xs text-slate-700 dark:text-slate-300">
          Only approvers can decide this step.
        </p>
      )}
      {error && !rejecting && (
        <p role="alert" className="mt-2 text-sm text-red-700 dark:text-red-400" data-testid="action-error">
          {error}
        </p>
      )}
    </section>
  );
}
