import type { RollbackPlan } from '@deploybot/shared';
import { useId, useState } from 'react';
import { errorMessage } from '../lib/api';
import { fetchRollbackPlan, startRollback } from './rollback-actions';

/**
 * Roll back a completed or failed run: the plan (each completed step, most recent first, and what undoing it
 * does) is shown first; only "Start rollback" starts anything, and that run's own gate still asks for approval.
 */
export function RollbackButton({ runId }: { runId: string }) {
  const [open, setOpen] = useState(false);
  const [plan, setPlan] = useState<RollbackPlan | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const panelId = useId();

  const toggle = () => {
    if (open) return setOpen(false);
    setOpen(true);
    setPlan(null);
    setError(null);
    fetchRollbackPlan(runId).then(setPlan, (err) => setError(errorMessage(err)));
  };
  const start = () => {
    setBusy(true);
    setError(null);
    startRollback(runId)
      .catch((err) => setError(errorMessage(err)))
      .finally(() => setBusy(false));
  };
  const undoable = plan?.items.filter((i) => i.undo !== null).length ?? 0;

  return (
    <div className="relative">
      <button
        type="button"
        className="btn-secondary"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={toggle}
        data-testid="rollback"
      >
        ↺ Roll back…
      </button>
      {open && (
        <section
          id={panelId}
          aria-label="Rollback plan"
          className="absolute top-full right-0 z-10 mt-1 flex w-96 max-w-[90vw] flex-col gap-2 rounded-lg border border-slate-300 bg-white p-3 text-sm shadow-lg dark:border-slate-600 dark:bg-slate-900"
          onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}
          data-testid="rollback-plan"
        >
          <h3 className="font-semibold">Rollback plan</h3>
          {!plan && !error && <p role="status">Reading what would be undone…</p>}
          {plan && !plan.possible && <p data-testid="rollback-impossible">{plan.reason}</p>}
          {plan?.possible && (
            <>
              <p>
                {undoable === 0
                  ? 'No completed step of this run can be undone.'
                  : `Undo ${undoable} step${undoable === 1 ? '' : 's'}, most recent first. Nothing happens until the rollback run's gate is approved.`}
              </p>
              <ol className="list-decimal pl-5" data-testid="rollback-items">
                {plan.items.map((item) => (
                  <li key={item.stepId} data-step={item.stepId}>
                    <span className="font-medium">{item.title}</span>:{' '}
                    {item.undo ?? <span className="text-slate-600 dark:text-slate-400">nothing to undo</span>}
                  </li>
                ))}
              </ol>
            </>
          )}
          {error && (
            <p role="alert" className="text-red-700 dark:text-red-400">
              {error}
            </p>
          )}
          <div className="flex justify-end gap-2">
            <button type="button" className="btn-secondary" onClick={() => setOpen(false)}>
              Close
            </button>
            {plan?.possible && undoable > 0 && (
              <button
                type="button"
                className="btn btn-primary"
                disabled={busy}
                onClick={start}
                data-testid="start-rollback"
              >
                {busy ? 'Starting…' : 'Start rollback'}
              </button>
            )}
          </div>
        </section>
      )}
    </div>
  );
}
