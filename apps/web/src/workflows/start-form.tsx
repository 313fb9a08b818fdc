import type { WorkflowDefinitionDto, WorkflowRun } from '@deploybot/shared';
import { type FormEvent, useState } from 'react';
import { InputField } from './input-field';
import { useInputForm } from './use-input-form';
import { startWorkflow } from './workflow-actions';

/** The typed form for a definition's required context; 'Start Workflow' sends it, the server's errors land by field. */
export function StartForm({
  definition,
  disabled,
  version,
  onStarted,
}: {
  definition: WorkflowDefinitionDto;
  disabled: boolean;
  /** Start this stored version rather than the latest (the library page). */
  version?: number;
  onStarted?: (run: WorkflowRun) => void;
}) {
  const form = useInputForm(definition.inputs);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const context = form.collect();
    if (!context) return;
    setBusy(true);
    setError(null);
    const res =
      version === undefined
        ? await startWorkflow(definition.name, context)
        : await startWorkflow(definition.name, context, null, version);
    setBusy(false);
    if (res.ok) {
      form.reset();
      onStarted?.(res.run);
    } else {
      form.setServerErrors(res.fields);
      const unplaced = Object.keys(res.fields).some((k) => !definition.inputs.some((i) => i.key === k));
      setError(
        Object.keys(res.fields).length === 0 || unplaced
          ? res.message
          : 'The server refused some values; see the fields.',
      );
    }
  };

  return (
    <form
      onSubmit={(e) => void onSubmit(e)}
      noValidate
      className="flex flex-col gap-3"
      aria-label={`Start ${definition.title}`}
      data-testid="start-form"
    >
      <p className="text-sm text-slate-700 dark:text-slate-300">{definition.description}</p>
      <p className="text-xs text-slate-600 dark:text-slate-400">
        {definition.steps.length} steps, {definition.steps.filter((s) => s.needsApproval).length} needing
        approval.
      </p>
      {definition.inputs.map((spec) => (
        <InputField
          key={spec.key}
          spec={spec}
          value={form.values[spec.key] ?? ''}
          onChange={(v) => form.setValue(spec.key, v)}
          onBlur={() => form.touch(spec.key)}
          error={form.errorOf(spec.key)}
          disabled={busy || disabled}
        />
      ))}
      <button
        type="submit"
        className="btn btn-primary"
        disabled={busy || disabled}
        data-testid="start-workflow"
      >
        {busy ? 'Starting…' : 'Start Workflow'}
      </button>
      {disabled && <p className="text-xs">Starting workflows needs the operator role.</p>}
      {error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400" data-testid="start-error">
          {error}
        </p>
      )}
    </form>
  );
}
