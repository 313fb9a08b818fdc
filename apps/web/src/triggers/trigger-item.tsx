import { describeTriggerSource, type FiringDto, type TriggerDto } from '@deploybot/shared';
import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../lib/api';
import { FiringsTable } from './firings-table';
import { formatFireTime } from './format';
import { triggersApi } from './triggers-api';
import { refreshTriggers } from './triggers-store';

/** Runs an action on the trigger, then lists again; a refusal is shown next to the trigger. */
function useAction(): [
  busy: boolean,
  error: string | null,
  run: (work: () => Promise<unknown>) => Promise<boolean>,
] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (err) {
      setError(errorMessage(err));
      return false;
    } finally {
      setBusy(false);
      await refreshTriggers();
    }
  };
  return [busy, error, run];
}

/**
 * One trigger: what it starts and when, its next fire times and latest firings; for an admin, the enable switch
 * and delete (asked twice).
 */
export function TriggerItem({
  trigger: t,
  firings,
  workflowTitle,
  canChange,
  now,
}: {
  trigger: TriggerDto;
  firings: FiringDto[];
  workflowTitle: string | undefined;
  canChange: boolean;
  now: number;
}) {
  const [busy, error, run] = useAction();
  const [confirming, setConfirming] = useState(false);
  // The state asked for, shown while the server has not answered; then the trigger as listed again says.
  const [wanted, setWanted] = useState<boolean | null>(null);
  const toggle = async (enabled: boolean) => {
    setWanted(enabled);
    await run(() => triggersApi.update(t.id, { enabled }));
    setWanted(null);
  };
  const confirmRef = useRef<HTMLButtonElement>(null);
  const deleteRef = useRef<HTMLButtonElement>(null);
  const titleId = `trigger-${t.id}-title`;
  const inputs = Object.entries(t.inputs);
  const zone = t.source.type === 'cron' ? t.source.timezone : 'UTC';

  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  return (
    <li>
      <article
        className="flex flex-col gap-3 rounded-lg border border-slate-200 p-4 dark:border-slate-700"
        aria-labelledby={titleId}
        data-testid={`trigger-${t.name}`}
        data-enabled={t.enabled}
      >
        <div className="flex flex-wrap items-start gap-3">
          <div className="flex min-w-0 flex-1 flex-col gap-1">
            <h3 id={titleId} className="font-mono text-base font-semibold">
              {t.name}
            </h3>
            <p className="text-sm">
              Starts <strong>{workflowTitle ?? t.workflow}</strong>{' '}
              <code className="text-xs">{t.workflow}</code>
              {t.version !== null && ` version ${t.version}`}
            </p>
            <p className="text-sm" data-testid="trigger-source">
              <span className="sr-only">Source: </span>
              <code className="break-all">{describeTriggerSource(t.source)}</code>
              {t.source.type === 'cron' &&
                t.source.missed === 'run_once' &&
                ' · missed slots: the latest runs once'}
            </p>
            {t.webhookPath && (
              <p className="text-sm">
                Webhook: <code className="break-all">POST {t.webhookPath}</code>
              </p>
            )}
            <p className="text-xs text-slate-600 dark:text-slate-400">
              Rate limit {t.rateLimit}/min · set up by {t.updatedBy}
            </p>
          </div>
          <div className="flex flex-col items-end gap-2">
            {canChange ? (
              <label className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={wanted ?? t.enabled}
                  disabled={busy}
                  onChange={(e) => void toggle(e.target.checked)}
                  data-testid="trigger-enabled-toggle"
                />
                Enabled
              </label>
            ) : (
              <span className="text-sm font-medium" data-testid="trigger-state">
                {t.enabled ? 'Enabled' : 'Disabled'}
              </span>
            )}
            {canChange && !confirming && (
              <button
                ref={deleteRef}
                type="button"
                className="btn-secondary"
                onClick={() => setConfirming(true)}
                aria-label={`Delete trigger ${t.name}`}
                data-testid="delete-trigger"
              >
                Delete
              </button>
            )}
          </div>
        </div>

        {confirming && (
          <fieldset className="flex flex-wrap items-center gap-2 rounded-md border border-red-300 bg-red-50 p-2 text-sm dark:border-red-800 dark:bg-red-950/40">
            <legend className="float-left mr-2">
              Delete {t.name}? Its firings go with it; runs it started stay.
            </legend>
            <button
              ref={confirmRef}
              type="button"
              className="btn bg-red-700 text-white hover:bg-red-800"
              disabled={busy}
              onClick={() => void run(() => triggersApi.remove(t.id))}
              data-testid="confirm-delete-trigger"
            >
              Delete trigger
            </button>
            <button
              type="button"
              className="btn-secondary"
              onClick={() => {
                setConfirming(false);
                setTimeout(() => deleteRef.current?.focus());
              }}
            >
              Cancel
            </button>
          </fieldset>
        )}

        {!t.enabled && t.pausedReason && (
          <p className="text-sm text-amber-800 dark:text-amber-300" data-testid="trigger-paused">
            Paused itself: {t.pausedReason}
          </p>
        )}
        {error && (
          <p
            role="alert"
            className="text-sm text-red-700 dark:text-red-400"
            data-testid="trigger-action-error"
          >
            {error}
          </p>
        )}

        {inputs.length > 0 && (
          <div className="text-sm">
            <h4 className="font-medium">Inputs</h4>
            <ul className="font-mono text-xs">
              {inputs.map(([k, v]) => (
                <li key={k}>
                  {k} = {typeof v === 'string' ? v : JSON.stringify(v)}
                </li>
              ))}
            </ul>
          </div>
        )}

        {t.nextFireTimes.length > 0 && (
          <div className="text-sm">
            <h4 className="font-medium">Next fire times ({zone})</h4>
            <ol className="flex flex-wrap gap-x-3 tabular-nums" data-testid="next-fire-times">
              {t.nextFireTimes.map((at) => (
                <li key={at}>
                  <time dateTime={at}>{formatFireTime(at, zone)}</time>
                </li>
              ))}
            </ol>
          </div>
        )}

        <div className="flex flex-col gap-1">
          <h4 className="text-sm font-medium">Latest firings</h4>
          <FiringsTable name={t.name} firings={firings} now={now} />
        </div>
      </article>
    </li>
  );
}
