import { useAppStore } from '../stores/store';
import { AgentsTable } from './agents-table';
import { JobLogPanel } from './job-log-panel';
import { JobsTable } from './jobs-table';

/** Agents and jobs, live; the chosen job's log below. */
export function FleetView() {
  const selectedJobId = useAppStore((s) => s.selectedJobId);
  return (
    <div
      className="mx-auto flex w-full max-w-6xl flex-col gap-6 overflow-y-auto p-4"
      data-testid="fleet-view"
    >
      <AgentsTable />
      <JobsTable />
      {selectedJobId && <JobLogPanel key={selectedJobId} jobId={selectedJobId} height={400} />}
    </div>
  );
}
