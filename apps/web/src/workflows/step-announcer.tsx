import { useEffect, useRef, useState } from 'react';
import { useAppStore } from '../stores/store';
import { STEP_STATUS_VIEW } from './step-status';

/** A polite live region that reads out each step change of the selected run. */
export function StepAnnouncer() {
  const run = useAppStore((s) => (s.selectedRunId ? s.runs[s.selectedRunId] : undefined));
  const previous = useRef<{ runId: string; statuses: Record<string, string> } | null>(null);
  const [message, setMessage] = useState('');

  useEffect(() => {
    if (!run) return;
    const statuses = Object.fromEntries(run.steps.map((s) => [s.id, s.status]));
    const before = previous.current;
    previous.current = { runId: run.id, statuses };
    if (!before || before.runId !== run.id) return;
    const changed = run.steps.filter((s) => before.statuses[s.id] !== s.status);
    if (changed.length === 0) return;
    const parts = changed.map((s) => `${s.title}: ${STEP_STATUS_VIEW[s.status].label.toLowerCase()}`);
    setMessage(`${parts.join('. ')}. ${run.progress}% done.`);
  }, [run]);

  return (
    <div className="sr-only" aria-live="polite" aria-atomic="true" data-testid="step-announcer">
      {message}
    </div>
  );
}
