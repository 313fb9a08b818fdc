import { useAppStore } from '../stores/store';
import { RunLists } from './run-lists';
import { RunView } from './run-view';
import { StepAnnouncer } from './step-announcer';
import { selectRun } from './workflow-actions';
import { WorkflowSelector } from './workflow-selector';

/** The right pane: start a workflow, switch between runs, follow the selected one live. */
export function WorkflowSidebar() {
  const selectedRunId = useAppStore((s) => s.selectedRunId);
  return (
    <div className="flex h-full flex-col gap-4 overflow-y-auto p-3" data-testid="workflow-sidebar">
      <StepAnnouncer />
      <section aria-labelledby="start-title" className="flex flex-col gap-2">
        <h2 id="start-title" className="text-base font-semibold">
          Start a workflow
        </h2>
        <WorkflowSelector />
      </section>
      {selectedRunId && (
        <section className="flex flex-col gap-2 border-t border-slate-200 pt-3 dark:border-slate-700">
          <div className="flex justify-end">
            <button type="button" className="btn-secondary text-xs" onClick={() => selectRun(null)}>
              Close run
            </button>
          </div>
          <RunView runId={selectedRunId} />
        </section>
      )}
      <section aria-labelledby="runs-title" className="flex flex-col gap-2">
        <h2 id="runs-title" className="text-base font-semibold">
          Runs
        </h2>
        <RunLists />
      </section>
    </div>
  );
}
