import type { WorkflowRun } from '@deploybot/shared';
import { useShallow } from 'zustand/react/shallow';
import { shortId } from '../lib/format';
import { linkProps, runPath } from '../lib/router';
import { useAppStore } from '../stores/store';

/**
 * For a queued run: the run holding its concurrency key (the active one it waits for) and its place in line.
 * Every active run arrives with the live snapshot, so both are read from the store; the run starts by itself
 * when the holder ends, and this note goes with its `queued` status.
 */
export function queueOf(
  runs: Record<string, WorkflowRun>,
  run: WorkflowRun,
): { holder: WorkflowRun | null; ahead: number } {
  const key = run.concurrencyKey;
  if (run.status !== 'queued' || !key) return { holder: null, ahead: 0 };
  const sameKey = Object.values(runs).filter((r) => r.id !== run.id && r.concurrencyKey === key);
  const holder = sameKey.find((r) => r.status === 'running' || r.status === 'waiting') ?? null;
  // The engine starts the oldest queued run first (created_at, then id).
  const ahead = sameKey.filter(
    (r) =>
      r.status === 'queued' &&
      (r.createdAt < run.createdAt || (r.createdAt === run.createdAt && r.id < run.id)),
  ).length;
  return { holder, ahead };
}

export function QueuedBehind({ run }: { run: WorkflowRun }) {
  const { holder, ahead } = useAppStore(useShallow((s) => queueOf(s.runs, run)));
  if (run.status !== 'queued') return null;
  return (
    <div
      className="rounded-md border border-slate-300 bg-slate-50 p-2 text-sm dark:border-slate-600 dark:bg-slate-900"
      data-testid="queued-behind"
      data-holder={holder?.id ?? ''}
    >
      <p>
        <span aria-hidden="true">⋯ </span>
        {holder ? (
          <>
            Queued behind{' '}
            <a
              {...linkProps(runPath(holder.id))}
              className="font-medium text-blue-700 underline dark:text-blue-400"
              data-testid="queued-behind-link"
            >
              {holder.title} (run {shortId(holder.id)})
            </a>
            : it starts when that run ends.
          </>
        ) : (
          'Queued behind another run with the same concurrency key: it starts when that run ends.'
        )}
      </p>
      <p className="mt-1 text-xs text-slate-700 dark:text-slate-300">
        Concurrency key{' '}
        <code className="font-mono" data-testid="queued-key">
          {run.concurrencyKey ?? '—'}
        </code>
        {ahead > 0 && ` · ${ahead} queued run${ahead === 1 ? '' : 's'} ahead of it`}
      </p>
    </div>
  );
}
