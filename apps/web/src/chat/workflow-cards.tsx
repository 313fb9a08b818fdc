import type { WorkflowCard } from '@deploybot/shared';
import { useCan } from '../auth/can';
import { appStore } from '../stores/store';
import { startWorkflow } from '../workflows/workflow-actions';

/** Start: a workflow that needs context opens its form in the sidebar; one that needs none starts now. */
async function start(card: WorkflowCard): Promise<void> {
  const definition = appStore.getState().definitions.find((d) => d.name === card.name);
  if (definition?.inputs.every((i) => !i.required)) {
    const res = await startWorkflow(card.name, {}, appStore.getState().activeSessionId);
    if (res.ok) {
      appStore.setState({ rightOpen: true });
      return;
    }
  }
  appStore.setState({ selectedWorkflow: card.name, rightOpen: true });
  setTimeout(() =>
    document
      .querySelector<HTMLElement>('[data-testid="start-form"] input, [data-testid="start-form"] select')
      ?.focus(),
  );
}

export function WorkflowCards({ cards }: { cards: WorkflowCard[] }) {
  const canOperate = useCan('operator');
  if (cards.length === 0) return null;
  return (
    <ul className="mt-2 grid gap-2 sm:grid-cols-2" data-testid="workflow-cards">
      {cards.map((c) => (
        <li
          key={c.name}
          className="flex flex-col gap-1 rounded-lg border border-slate-200 p-3 dark:border-slate-700"
        >
          <h3 className="font-medium">
            {c.title}
            {c.builtIn === true && (
              <span className="ml-2 rounded bg-slate-100 px-1.5 py-0.5 text-xs font-normal text-slate-700 dark:bg-slate-800 dark:text-slate-300">
                Built-in
              </span>
            )}
          </h3>
          <p className="flex-1 text-sm text-slate-700 dark:text-slate-300">{c.description}</p>
          <div className="flex items-center justify-between">
            <span className="text-xs text-slate-600 dark:text-slate-400">{c.steps} steps</span>
            <button
              type="button"
              className="btn btn-primary text-xs"
              disabled={!canOperate}
              aria-label={`Start ${c.title}`}
              onClick={() => void start(c)}
            >
              Start
            </button>
          </div>
        </li>
      ))}
    </ul>
  );
}
