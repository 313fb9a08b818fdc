import type { StepRecord, WorkflowRun } from '@deploybot/shared';
import type { FormEvent } from 'react';
import { useAppStore } from '../stores/store';
import { InputField } from './input-field';
import { useInputForm } from './use-input-form';
import { submitInput } from './workflow-actions';

/** A step waiting for a typed value: its form, checked as typed and by the server on submit. */
export function StepInputPanel({
  run,
  step,
  canOperate,
}: {
  run: WorkflowRun;
  step: StepRecord;
  canOperate: boolean;
}) {
  const specs = step.input ? [step.input] : [];
  const form = useInputForm(specs);
  const busy = useAppStore((s) => s.pending[run.id]?.stepId === step.id);
  const error = useAppStore((s) =>
    s.actionErrorSteps[run.id] === step.id ? s.actionErrors[run.id] : undefined,
  );
  if (!step.input) return null;
  const spec = step.input;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const values = form.collect();
    if (!values) return;
    await submitInput(run.id, step.id, values[spec.key]);
  };

  return (
    <form
      onSubmit={(e) => void onSubmit(e)}
      className="mt-2 flex flex-col gap-2 rounded-md border border-violet-300 bg-violet-50 p-3 dark:border-violet-700 dark:bg-violet-950/40"
      aria-label={`Input for ${step.title}`}
      data-testid="input-panel"
    >
      <InputField
        spec={spec}
        value={form.values[spec.key] ?? ''}
        onChange={(v) => form.setValue(spec.key, v)}
        onBlur={() => form.touch(spec.key)}
        error={form.errorOf(spec.key)}
        disabled={!canOperate || busy}
      />
      <button type="submit" className="btn btn-primary self-start" disabled={!canOperate || busy}>
        {busy ? 'Submitting…' : 'Submit'}
      </button>
      {error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </form>
  );
}
