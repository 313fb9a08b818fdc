import { useState } from 'react';
import { errorMessage } from '../lib/api';
import { rerun } from './run-actions';

/** Re-run: the same workflow with the same inputs, as a new run whose page opens. */
export function RerunButton({ runId }: { runId: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="flex flex-col items-end gap-1">
      <button
        type="button"
        className="btn btn-primary"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          setError(null);
          rerun(runId)
            .catch((err) => setError(errorMessage(err)))
            .finally(() => setBusy(false));
        }}
        data-testid="rerun"
      >
        {busy ? 'Starting…' : '↻ Re-run'}
      </button>
      {error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}
