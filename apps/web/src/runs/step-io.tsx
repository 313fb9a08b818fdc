import type { TimelineStep } from '@deploybot/shared';
import { JsonView } from '../workflows/json-view';
import { STEP_STATUS_VIEW } from '../workflows/step-status';

const isEmpty = (v: unknown) =>
  v === null || v === undefined || (typeof v === 'object' && Object.keys(v as object).length === 0);

/** What each step received (its `with`, its condition, what ended its wait, decisions' input) and returned. */
export function StepIo({ steps }: { steps: TimelineStep[] }) {
  return (
    <ul className="flex flex-col gap-1 text-sm" aria-label="Step inputs and outputs" data-testid="step-io">
      {steps.map((s) => {
        const given = s.decisions
          .filter((d) => d.input !== undefined)
          .map((d) => ({ by: d.by, input: d.input }));
        return (
          <li key={s.id} data-testid="step-io-item" data-step={s.id}>
            <details className="rounded border border-slate-200 px-2 py-1 dark:border-slate-700">
              <summary className="cursor-pointer">
                <span className="font-medium">{s.title}</span>{' '}
                <span className="text-xs text-slate-600 dark:text-slate-400">
                  {s.uses ?? 'built-in step'} · {STEP_STATUS_VIEW[s.status].label}
                  {s.attempts > 1 ? ` · ${s.attempts} attempts` : ''}
                </span>
              </summary>
              <div className="grid gap-2 py-1 md:grid-cols-2">
                <div>
                  <h5 className="text-xs font-semibold uppercase">Received</h5>
                  {s.condition && (
                    <p className="text-xs">
                      if <code>{s.condition.expression}</code> → {String(s.condition.value)}
                    </p>
                  )}
                  {s.with ? (
                    <JsonView label="with (as written)" value={s.with} />
                  ) : (
                    <p className="text-xs text-slate-600 dark:text-slate-400">
                      the run’s context (a built-in TypeScript step)
                    </p>
                  )}
                  {s.received !== undefined && <JsonView label="Event received" value={s.received} />}
                  {given.length > 0 && <JsonView label="Input from people" value={given} />}
                </div>
                <div>
                  <h5 className="text-xs font-semibold uppercase">Returned</h5>
                  {s.summary && <p className="text-xs break-words">{s.summary}</p>}
                  {s.error && <p className="text-xs break-words text-red-700 dark:text-red-400">{s.error}</p>}
                  {!isEmpty(s.outputs) && <JsonView label="Outputs" value={s.outputs} />}
                  {!isEmpty(s.data) && <JsonView label="Result data" value={s.data} />}
                  {!s.summary && !s.error && isEmpty(s.outputs) && isEmpty(s.data) && (
                    <p className="text-xs text-slate-600 dark:text-slate-400">nothing yet</p>
                  )}
                </div>
              </div>
            </details>
          </li>
        );
      })}
    </ul>
  );
}
