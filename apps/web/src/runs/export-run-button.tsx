import { exportPath } from './timeline-data';

/** Downloads the run, its event log and its timeline as one JSON file (the browser's own download, same session). */
export function ExportRunButton({ runId }: { runId: string }) {
  return (
    <a
      href={exportPath(runId)}
      download={`run-${runId}.json`}
      className="btn-secondary"
      data-testid="export-run"
    >
      Export JSON
    </a>
  );
}
