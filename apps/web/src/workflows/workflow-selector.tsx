import { useId } from 'react';
import { useCan } from '../auth/can';
import { appStore, useAppStore } from '../stores/store';
import { StartForm } from './start-form';

/** A dropdown of the definitions; choosing one shows its form with 'Start Workflow'. */
export function WorkflowSelector() {
  const id = useId();
  const definitions = useAppStore((s) => s.definitions);
  const selected = useAppStore((s) => s.selectedWorkflow);
  const canOperate = useCan('operator');
  const definition = definitions.find((d) => d.name === selected);
  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-col gap-1">
        <label htmlFor={id} className="text-sm font-medium">
          Workflow
        </label>
        <select
          id={id}
          className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-600 dark:bg-slate-900"
          value={selected ?? ''}
          onChange={(e) => appStore.setState({ selectedWorkflow: e.target.value || null })}
          data-testid="workflow-select"
        >
          <option value="">Choose a workflow…</option>
          {definitions.map((d) => (
            <option key={d.name} value={d.name}>
              {d.title}
            </option>
          ))}
        </select>
      </div>
      {definition && <StartForm key={definition.name} definition={definition} disabled={!canOperate} />}
    </div>
  );
}
